package tusk

import (
	"strings"
	"testing"
)

// FuzzCleanPath checks that a path CleanPath accepts comes back in its
// canonical form, which it accepts again unchanged.
func FuzzCleanPath(f *testing.F) {
	for _, p := range []string{"/", "", "a/b", "/a//b/", "/a/./b", "/a/../b", "/é/ü", "/a\x00b", "/a\nb", "\xff"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := CleanPath(p)
		if err != nil {
			return
		}
		if !strings.HasPrefix(clean, "/") || strings.Contains(clean, "//") || clean != "/" && strings.HasSuffix(clean, "/") {
			t.Fatalf("CleanPath(%q) = %q, not canonical", p, clean)
		}
		for _, el := range strings.Split(clean, "/") {
			if el == "." || el == ".." {
				t.Fatalf("CleanPath(%q) = %q, with a %q element", p, clean, el)
			}
		}
		if again, err := CleanPath(clean); err != nil || again != clean {
			t.Fatalf("CleanPath(%q) = %q, but CleanPath(%q) = %q, %v", p, clean, clean, again, err)
		}
	})
}

// FuzzParseRef checks that a reference ParseRef accepts reads the same
// once written back with its String and path.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"repo", "repo@master", "repo@0123456789abcdef0123456789abcdef", "repo@master^", "repo@master^2",
		"repo@master~3", "repo@master.1", "repo@b=0123456789abcdef0123456789abcdef:/a/b", "repo@master:/",
		"repo@:x", "@master", "repo@master~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		if r.Up < 0 || r.At < 0 {
			t.Fatalf("ParseRef(%q) = %+v: a negative ancestry", s, r)
		}
		text := r.String()
		if r.HasPath {
			text += ":" + r.Path
		}
		again, err := ParseRef(text)
		if err != nil || again != r {
			t.Fatalf("ParseRef(%q) = %+v, written %q, which reads %+v, %v", s, r, text, again, err)
		}
	})
}
