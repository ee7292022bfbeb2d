package archtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckNamesTheRule runs the checks on a made-up module: each way of
// breaking the rules is reported, naming the rule it breaks.
func TestCheckNamesTheRule(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "architecture.md")
	rules := "# Doc\n\n## Dependency rules\n\nProse.\n\n```text\n" +
		"a        may import b   # a comment\n" +
		"a/x.go   may import c\n" +
		"b        may import -\n" +
		"b        gives no hints\n" +
		"c        may import b\n" +
		"c        never depends on b\n" +
		"gone     may import -\n" +
		"example.com/lib only in a\n" +
		"```\n\n## Next\n\n```text\nnot a rule\n```\n"
	if err := os.WriteFile(doc, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := readRules(doc)
	if err != nil {
		t.Fatal(err)
	}
	const module = "example.com/m"
	files := map[string]string{
		"a/x.go": `package a; import ("example.com/m/internal/b"; "example.com/m/internal/c")`,
		"a/y.go": `package a; import "example.com/m/internal/c"`,
		"b/b.go": `package b; func f(e interface{ WithHint(string) error }) error { return e.WithHint("run tusk") }`,
		"c/c.go": `package c; import ("example.com/m/internal/b"; "example.com/lib/sub")`,
		"d/d.go": `package d`,
	}
	ours := map[string]*pkg{}
	for name, src := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p, ok := ours[filepath.Dir(name)]
		if !ok {
			p = &pkg{Dir: filepath.Dir(path)}
			ours[filepath.Dir(name)] = p
		}
		p.GoFiles = append(p.GoFiles, filepath.Base(name))
		p.Imports = append(p.Imports, importsOf(path, func(f string, args ...any) { t.Fatalf(f, args...) })...)
	}
	ours["c"].Deps = []string{module + "/internal/b"}
	got := check(rs, module, ours)
	for _, want := range []string{
		`the rule "gone may import -" names gone, which is no package or file of the module`,
		`a/y.go imports c, which the rule "a may import b" does not allow`,
		`b/b.go:1 calls WithHint, which the rule "b gives no hints" forbids`,
		`c depends on b, which the rule "c never depends on b" forbids`,
		`c imports example.com/lib/sub, which the rule "example.com/lib only in a" does not allow`,
		`d has no rule: add "d may import ..."`,
	} {
		found := false
		for _, msg := range got {
			found = found || strings.Contains(msg, want)
		}
		if !found {
			t.Errorf("no message says %q; got:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 6 {
		t.Errorf("got %d messages, want 6 (a/x.go may import c):\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestBadRules checks that a rule the test cannot read stops it.
func TestBadRules(t *testing.T) {
	for _, block := range []string{"a may not import b", "a may import", "a b may import c", "a may import b\na may import c"} {
		doc := filepath.Join(t.TempDir(), "architecture.md")
		if err := os.WriteFile(doc, []byte("## Dependency rules\n```\n"+block+"\n```\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readRules(doc); err == nil {
			t.Errorf("rules %q were read without an error", block)
		}
	}
}
