package datum

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestAffectedCoversEveryChange checks, over random edits of random
// trees, that every datum that differs between two commits has its path
// among those Affected returns for the changed files, and that the datums
// made from just the files under those paths are the datums of the new
// commit at those paths.
func TestAffectedCoversEveryChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "c.json", "d.json"}
	randomPath := func() string {
		var parts []string
		for range 1 + rng.IntN(3) {
			parts = append(parts, names[rng.IntN(len(names))])
		}
		return "/" + strings.Join(parts, "/")
	}
	for _, g := range []string{"/*", "/**", "/*/*", "/", "/a/*.json", "/(*)/*", "!(**.json)"} {
		for round := range 200 {
			old := randomTree(rng, randomPath)
			cur := map[string]string{}
			for p, h := range old {
				cur[p] = h
			}
			var changed []string
			for range 1 + rng.IntN(3) {
				p := randomPath()
				if _, ok := cur[p]; ok && rng.IntN(2) == 0 {
					delete(cur, p)
				} else {
					cur[p] = fmt.Sprint(round, rng.IntN(1000))
				}
				changed = append(changed, p)
			}
			if !isTree(cur) {
				continue // a path became both a file and a directory
			}
			in := pfsIn("in", "r", g)
			before := byPath(mustDatums(t, in, repos{"r": listOf(old)}))
			after := byPath(mustDatums(t, in, repos{"r": listOf(cur)}))
			affected, err := Affected(in.PFS, changed)
			if err != nil {
				t.Fatal(err)
			}
			for p, d := range after {
				if b, ok := before[p]; !ok || Hash(b, "") != Hash(d, "") {
					if !slices.Contains(affected, p) {
						t.Fatalf("glob %s, %v → %v: datum %s changed but is not among %v", g, keys(old), keys(cur), p, affected)
					}
				}
			}
			for p := range before {
				if _, ok := after[p]; !ok && !slices.Contains(affected, p) {
					t.Fatalf("glob %s, %v → %v: datum %s went but is not among %v", g, keys(old), keys(cur), p, affected)
				}
			}
			var under []File
			for _, f := range listOf(cur) {
				for _, a := range affected {
					if f.Path == a || strings.HasSuffix(a, "/") && strings.HasPrefix(f.Path, a) {
						under = append(under, f)
						break
					}
				}
			}
			some := byPath(mustDatums(t, in, repos{"r": under}))
			for _, a := range affected {
				want, ok := after[a]
				got, made := some[a]
				if ok != made || ok && Hash(want, "") != Hash(got, "") {
					t.Fatalf("glob %s, %v: datum %s from the affected files is %v, want %v", g, keys(cur), a, got, want)
				}
			}
		}
	}
}

// randomTree makes a few files at random paths, none of them the parent
// directory of another.
func randomTree(rng *rand.Rand, path func() string) map[string]string {
	for {
		m := map[string]string{}
		for range rng.IntN(6) {
			m[path()] = fmt.Sprint(rng.IntN(1000))
		}
		if isTree(m) {
			return m
		}
	}
}

// isTree reports whether no path of m is a directory of another.
func isTree(m map[string]string) bool {
	for p := range m {
		for q := range m {
			if strings.HasPrefix(q, p+"/") {
				return false
			}
		}
	}
	return true
}

func listOf(m map[string]string) []File {
	var fs []File
	for _, p := range keys(m) {
		fs = append(fs, File{Path: p, Hash: m[p]})
	}
	return fs
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// byPath maps the datums of a one-input tree by their path.
func byPath(datums []Datum) map[string]Datum {
	m := map[string]Datum{}
	for _, d := range datums {
		m[d.Inputs[0].Path] = d
	}
	return m
}
