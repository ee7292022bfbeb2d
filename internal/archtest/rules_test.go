package archtest

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
)

// rules are the dependency rules of docs/architecture.md. Packages and
// files are named by their path in the module with "internal/" left out
// ("cli", "pps/spec", "cli/up.go", "cmd/tusk").
type rules struct {
	imports map[string]rule     // package or file → the packages it may import
	never   map[string][]rule   // package → what it may not depend on at any depth
	only    map[string]rule     // third-party module → the packages that may import it
	noHints map[string]rule     // packages whose errors carry no hint
	lines   map[string]struct{} // every rule, to report those given twice
}

// rule is one line of the rules: its text, to name it in a failure, and
// the names it lists.
type rule struct {
	text  string
	names []string
}

func (r rule) has(name string) bool { return slices.Contains(r.names, name) }

// The verbs of a rule line.
const (
	verbImports = "may import"
	verbNever   = "never depends on"
	verbOnly    = "only in"
	verbNoHints = "gives no hints"
)

// readRules reads the rules from the first fenced block of the section
// "## Dependency rules" of the Markdown file at path. Lines are
//
//	PKG may import LIST        (LIST: packages of the module, or -)
//	FILE may import LIST       (in addition to its package's)
//	PKG never depends on LIST  (directly or through other packages)
//	MODULE only in LIST        (a third-party module)
//	PKG gives no hints         (its errors carry no WithHint)
//
// and # starts a comment.
func readRules(path string) (*rules, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rs := &rules{imports: map[string]rule{}, never: map[string][]rule{}, only: map[string]rule{},
		noHints: map[string]rule{}, lines: map[string]struct{}{}}
	section, fenced, done := false, false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan() && !done; n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			section = line == "## Dependency rules"
		case section && strings.HasPrefix(line, "```"):
			done = fenced
			fenced = !fenced
		case section && fenced:
			if err := rs.add(line); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !done {
		return nil, fmt.Errorf("%s: no fenced block of rules under \"## Dependency rules\"", path)
	}
	return rs, nil
}

// add parses one line of the rules.
func (rs *rules) add(line string) error {
	text, _, _ := strings.Cut(line, "#")
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return nil
	}
	if _, dup := rs.lines[text]; dup {
		return fmt.Errorf("rule %q given twice", text)
	}
	rs.lines[text] = struct{}{}
	for _, verb := range []string{verbImports, verbNever, verbOnly, verbNoHints} {
		subject, list, ok := strings.Cut(text, " "+verb)
		if !ok || list != "" && list[0] != ' ' || strings.Contains(subject, " ") {
			continue
		}
		r := rule{text: text, names: strings.Fields(list)}
		if len(r.names) == 1 && r.names[0] == "-" {
			r.names = nil
		} else if len(r.names) == 0 && verb != verbNoHints || len(r.names) > 0 && verb == verbNoHints {
			break
		}
		switch verb {
		case verbImports:
			if _, dup := rs.imports[subject]; dup {
				return fmt.Errorf("two %q rules for %s", verb, subject)
			}
			rs.imports[subject] = r
		case verbNever:
			rs.never[subject] = append(rs.never[subject], r)
		case verbOnly:
			rs.only[subject] = r
		case verbNoHints:
			rs.noHints[subject] = r
		}
		return nil
	}
	return fmt.Errorf("cannot read the rule %q: want PKG %s LIST, PKG %s LIST, MODULE %s LIST or PKG %s",
		text, verbImports, verbNever, verbOnly, verbNoHints)
}
