package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// pkg is what go list says of a package.
type pkg struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	Deps       []string
}

// TestDependencyRules checks every package of the module (test files
// aside) against the rules of docs/architecture.md.
func TestDependencyRules(t *testing.T) {
	root, module := moduleRoot(t)
	rs, err := readRules(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := listPackages(t, root)
	ours := map[string]*pkg{} // by name in the rules
	for _, p := range pkgs {
		if name, ok := nameOf(module, p.ImportPath); ok {
			ours[name] = p
		}
	}
	for _, msg := range check(rs, module, ours) {
		t.Error(msg)
	}
}

// check returns what breaks the rules, one message each.
func check(rs *rules, module string, ours map[string]*pkg) []string {
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, fmt.Sprintf(format, args...))
	}
	stale(rs, ours, fail)
	names := make([]string, 0, len(ours))
	for name := range ours {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := ours[name]
		allowed, ok := rs.imports[name]
		if !ok {
			fail("%s has no rule: add %q to the Dependency rules of docs/architecture.md", name, name+" "+verbImports+" ...")
			continue
		}
		for _, file := range append(append([]string(nil), p.GoFiles...), p.CgoFiles...) {
			fileRule, hasFileRule := rs.imports[name+"/"+file]
			for _, imp := range importsOf(filepath.Join(p.Dir, file), fail) {
				dep, ok := nameOf(module, imp)
				if !ok || allowed.has(dep) || hasFileRule && fileRule.has(dep) {
					continue
				}
				why := fmt.Sprintf("the rule %q does", allowed.text)
				if hasFileRule {
					why = fmt.Sprintf("neither the rule %q nor %q does", allowed.text, fileRule.text)
				}
				fail("%s/%s imports %s, which %s not allow (docs/architecture.md, Dependency rules)", name, file, dep, why)
			}
		}
		for _, r := range rs.never[name] {
			for _, d := range p.Deps {
				if dep, ok := nameOf(module, d); ok && r.has(dep) {
					fail("%s depends on %s, which the rule %q forbids (docs/architecture.md, Dependency rules)", name, dep, r.text)
				}
			}
		}
		for _, imp := range p.Imports {
			for mod, r := range rs.only {
				if (imp == mod || strings.HasPrefix(imp, mod+"/")) && !r.has(name) {
					fail("%s imports %s, which the rule %q does not allow (docs/architecture.md, Dependency rules)", name, imp, r.text)
				}
			}
		}
		if r, ok := rs.noHints[name]; ok {
			for _, file := range p.GoFiles {
				for _, pos := range hintsIn(filepath.Join(p.Dir, file), fail) {
					fail("%s/%s:%d calls WithHint, which the rule %q forbids: return a plain error and word the hint where the user's command is known (docs/architecture.md, Dependency rules)", name, file, pos, r.text)
				}
			}
		}
	}
	return bad
}

// stale reports rules that name a package or file that does not exist.
func stale(rs *rules, ours map[string]*pkg, fail func(string, ...any)) {
	exists := func(name string) bool {
		if _, ok := ours[name]; ok {
			return true
		}
		dir, file := path.Split(name)
		p, ok := ours[strings.TrimSuffix(dir, "/")]
		return ok && strings.HasSuffix(file, ".go") && (slices.Contains(p.GoFiles, file) || slices.Contains(p.CgoFiles, file))
	}
	var all []rule
	for subject, r := range rs.imports {
		all = append(all, rule{text: r.text, names: append([]string{subject}, r.names...)})
	}
	for subject, never := range rs.never {
		all = append(all, rule{text: never[0].text, names: []string{subject}})
		all = append(all, never...)
	}
	for _, r := range rs.only {
		all = append(all, r)
	}
	for subject, r := range rs.noHints {
		all = append(all, rule{text: r.text, names: []string{subject}})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].text < all[j].text })
	for _, r := range all {
		for _, n := range r.names {
			if !exists(n) {
				fail("the rule %q names %s, which is no package or file of the module: fix the rule in docs/architecture.md", r.text, n)
			}
		}
	}
}

// importsOf returns the import paths of a Go file.
func importsOf(path string, fail func(string, ...any)) []string {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		fail("%v", err)
		return nil
	}
	var paths []string
	for _, is := range f.Imports {
		p, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			fail("%s: import %s: %v", path, is.Path.Value, err)
			continue
		}
		paths = append(paths, p)
	}
	return paths
}

// hintsIn returns the lines of a Go file that call a method WithHint.
func hintsIn(path string, fail func(string, ...any)) []int {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		fail("%v", err)
		return nil
	}
	var lines []int
	ast.Inspect(f, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "WithHint" {
				lines = append(lines, fset.Position(sel.Sel.Pos()).Line)
			}
		}
		return true
	})
	return lines
}

// moduleRoot returns the directory and path of the main module.
func moduleRoot(t *testing.T) (dir, modPath string) {
	out := goCommand(t, ".", "list", "-m", "-f", "{{.Dir}} {{.Path}}")
	dir, modPath, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !ok {
		t.Fatalf("go list -m: %q", out)
	}
	return dir, modPath
}

// listPackages returns every package of the module, and all they depend on.
func listPackages(t *testing.T, root string) []*pkg {
	out := goCommand(t, root, "list", "-deps", "-json", "./...")
	var pkgs []*pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(pkg)
		err := dec.Decode(p)
		if errors.Is(err, io.EOF) {
			return pkgs
		}
		if err != nil {
			t.Fatalf("go list -deps -json: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}

func goCommand(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// nameOf returns the name the rules give a package of the module: its
// path in the module, without "internal/".
func nameOf(module, importPath string) (string, bool) {
	rel, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(rel, "internal/"), true
}
