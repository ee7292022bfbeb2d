package datum

import (
	"encoding/hex"
	"regexp"
	"testing"
)

// item is a one-input datum of repo "r" on "master" matching p, with one
// file whose content hash is hash.
func item(name, p, hash string) Datum {
	return Datum{Inputs: []Input{{
		Name: name, Repo: "r", Branch: "master", Commit: "c1", Glob: "/*", Path: p,
		Files: []File{{Path: p, Hash: hash}},
	}}}
}

func TestID(t *testing.T) {
	base := item("in", "/a", "h1")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ID(base)) {
		t.Fatalf("ID = %q, want 64 hex digits", ID(base))
	}
	same := []struct {
		name string
		edit func(*Input)
	}{
		{"content changes", func(in *Input) { in.Files[0].Hash = "h2" }},
		{"commit changes", func(in *Input) { in.Commit = "c2" }},
		{"glob changes", func(in *Input) { in.Glob = "/**" }},
		{"flags change", func(in *Input) { in.Lazy, in.Reference = true, true }},
	}
	for _, tt := range same {
		d := item("in", "/a", "h1")
		tt.edit(&d.Inputs[0])
		if ID(d) != ID(base) {
			t.Errorf("ID changed when %s", tt.name)
		}
	}
	differ := []struct {
		name string
		edit func(*Input)
	}{
		{"path", func(in *Input) { in.Path = "/b" }},
		{"name", func(in *Input) { in.Name = "other" }},
		{"repo", func(in *Input) { in.Repo = "s" }},
		{"branch", func(in *Input) { in.Branch = "dev" }},
		{"project", func(in *Input) { in.Project = "p" }},
		{"dir instead of file", func(in *Input) { in.Path = "/a/" }},
	}
	for _, tt := range differ {
		d := item("in", "/a", "h1")
		tt.edit(&d.Inputs[0])
		if ID(d) == ID(base) {
			t.Errorf("ID did not change with the %s", tt.name)
		}
	}
	// Fields are length-prefixed, so moving a boundary changes the ID.
	ab := Datum{Inputs: []Input{{Name: "ab", Repo: "c"}}}
	ac := Datum{Inputs: []Input{{Name: "a", Repo: "bc"}}}
	if ID(ab) == ID(ac) {
		t.Error("ID is ambiguous about field boundaries")
	}
	// The project is written with the repo, so it cannot pose as one.
	p := Datum{Inputs: []Input{{Name: "n", Project: "p", Repo: "r"}}}
	q := Datum{Inputs: []Input{{Name: "n", Repo: "p/r"}}}
	if ID(p) != ID(q) {
		t.Error("project/repo is not written as one field")
	}
	pair := Datum{Inputs: append(item("x", "/a", "h").Inputs, item("y", "/b", "h").Inputs...)}
	swapped := Datum{Inputs: append(item("y", "/b", "h").Inputs, item("x", "/a", "h").Inputs...)}
	if ID(pair) == ID(swapped) {
		t.Error("ID ignores the order of inputs")
	}
}

func TestHash(t *testing.T) {
	base := item("in", "/a", "h1")
	h := Hash(base, "salt")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("Hash = %q, want 64 hex digits", h)
	}
	if h == ID(base) {
		t.Error("Hash equals ID")
	}
	if Hash(item("in", "/a", "h1"), "salt") != h {
		t.Error("Hash is not deterministic")
	}
	if Hash(item("in", "/a", "h2"), "salt") == h {
		t.Error("Hash did not change with the content")
	}
	if Hash(base, "new salt") == h {
		t.Error("Hash did not change with the salt")
	}
	if Hash(item("in", "/b", "h1"), "salt") == h {
		t.Error("Hash did not change with the path")
	}
	moved := item("in", "/a", "h1")
	moved.Inputs[0].Files[0].Path = "/a/x"
	if Hash(moved, "salt") == h {
		t.Error("Hash did not change when a file moved within the match")
	}
	commit := item("in", "/a", "h1")
	commit.Inputs[0].Commit = "c9"
	if Hash(commit, "salt") != h {
		t.Error("Hash changed with the commit alone")
	}
}

func TestHashReference(t *testing.T) {
	ref := func(hash string) Datum {
		d := Datum{Inputs: append(item("model", "/m", hash).Inputs, item("data", "/d", "h1").Inputs...)}
		d.Inputs[0].Reference = true
		return d
	}
	if Hash(ref("v1"), "s") != Hash(ref("v2"), "s") {
		t.Error("Hash changed with the content of a reference input")
	}
	changed := ref("v1")
	changed.Inputs[1].Files[0].Hash = "h2"
	if Hash(changed, "s") == Hash(ref("v1"), "s") {
		t.Error("Hash did not change with the content of the other input")
	}
	plain := ref("v1")
	plain.Inputs[0].Reference = false
	if Hash(plain, "s") == Hash(ref("v1"), "s") {
		t.Error("Hash is the same whether or not an input is a reference")
	}
}

func TestFingerprintOf(t *testing.T) {
	a := ID(Datum{Inputs: []Input{{Name: "in", Repo: "r", Branch: "master", Path: "/a"}}})
	b := ID(Datum{Inputs: []Input{{Name: "in", Repo: "r", Branch: "master", Path: "/b"}}})
	fa := FingerprintOf(a)
	if hex.EncodeToString(fa[:]) != a[:32] {
		t.Errorf("FingerprintOf(%s) = %x, want the ID's first 128 bits", a, fa)
	}
	if FingerprintOf(b) == fa {
		t.Errorf("two datums share the fingerprint %x", fa)
	}
	if odd, other := FingerprintOf("not an ID"), FingerprintOf("not an ID either"); odd == other || odd == (Fingerprint{}) {
		t.Errorf("fingerprints of strings other than IDs: %x and %x, want two different hashes", odd, other)
	}
}
