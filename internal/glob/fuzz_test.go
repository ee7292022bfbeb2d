package glob

import "testing"

// FuzzMatch checks that no pattern or name makes Compile, Capture or
// Replace panic, and that Capture agrees with Match.
func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"/foo(?)(?)", "/foo12"},
		{"/!(*.txt)", "/a.json"},
		{"/**file1?", "/a/file10"},
		{"/{a,b}[!x-z]+(c|d)*(e)@(f)", "/acdef"},
		{`/\*[]a]`, "/*]"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		caps, ok := p.Capture(name)
		if ok != p.Match(name) {
			t.Fatalf("Capture and Match disagree on %q, %q", pattern, name)
		}
		if ok && (len(caps) != p.Groups()+1 || caps[0] != name) {
			t.Fatalf("Capture(%q, %q) = %q", pattern, name, caps)
		}
		p.Replace(name, "$1${2}$$$")
	})
}
