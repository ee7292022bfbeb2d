package glob

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern string
		yes     []string
		no      []string
	}{
		{"/", []string{"/"}, []string{"", "/a"}},
		{"/*", []string{"/a", "/a.txt", "/", "/.hidden"}, []string{"/a/b", "a", "/a/"}},
		{"/*/*", []string{"/a/b", "/dir/x.json"}, []string{"/a", "/a/b/c"}},
		{"/dir/*.json", []string{"/dir/a.json", "/dir/.json"}, []string{"/dir/a.jsonx", "/dir/sub/a.json", "/other/a.json"}},
		{"/**", []string{"/a", "/a/b", "/a/b/c.txt", "/"}, []string{"", "a"}},
		{"/**file1?", []string{"/file10", "/a/b/file1x", "/xfile12"}, []string{"/file1", "/file1/x", "/file100"}},
		{"/foo?1", []string{"/foo11", "/foo21"}, []string{"/foo1", "/foo/1", "/foo111"}},
		{"/foo*2", []string{"/foo2", "/foo12", "/foo442"}, []string{"/foo2/2", "/foo23"}},
		{"/C*", []string{"/C", "/Cat"}, []string{"/cat", "/aC"}},
		{"/[abc]", []string{"/a", "/c"}, []string{"/d", "/ab"}},
		{"/[a-c]x", []string{"/ax", "/bx"}, []string{"/dx"}},
		{"/[!a-c]x", []string{"/dx", "/.x"}, []string{"/ax", "/x"}},
		{"/[^0-9]", []string{"/a"}, []string{"/5"}},
		{"/[]a]", []string{"/]", "/a"}, []string{"/b"}},
		{"/[a-]", []string{"/a", "/-"}, []string{"/b"}},
		{`/[\]]`, []string{"/]"}, []string{`/\`}},
		{"/{a,bc}.txt", []string{"/a.txt", "/bc.txt"}, []string{"/b.txt", "/abc.txt"}},
		{"/@(a|b)", []string{"/a", "/b"}, []string{"/ab", "/"}},
		{"/(a|b)", []string{"/a", "/b"}, []string{"/c"}},
		{"/+(ab)", []string{"/ab", "/abab"}, []string{"/", "/aba"}},
		{"/*(ab)", []string{"/", "/ab", "/ababab"}, []string{"/a"}},
		{"/?(ab)c", []string{"/c", "/abc"}, []string{"/ababc"}},
		{"/!(**)", nil, []string{"/", "/a", "/a/b"}},
		{"**", []string{"", "a/b"}, nil},
		{"/!(*.txt)", []string{"/a.json", "/a", "/", "/a.txtx"}, []string{"/a.txt", "/.txt", "/d/a.json"}},
		{"/!(foo)", []string{"/foox", "/fo", "/bar"}, []string{"/foo"}},
		{"/!(a|b)/*", []string{"/c/x", "/ab/x"}, []string{"/a/x", "/b/x"}},
		{"/!(foo)bar", []string{"/bar", "/xbar"}, []string{"/foobar"}},
		{`/\*`, []string{"/*"}, []string{"/a"}},
		{`/a\?b`, []string{"/a?b"}, []string{"/axb"}},
		{`/\(x\)`, []string{"/(x)"}, []string{"/x"}},
		{`/\[a\]`, []string{"/[a]"}, []string{"/a"}},
		{`/\\`, []string{`/\`}, nil},
		{"/a!b+c@d", []string{"/a!b+c@d"}, nil},
		{"/a)b|c,d}", []string{"/a)b|c,d}"}, nil},
		{"/x/**/y", []string{"/x/a/y", "/x/a/b/y"}, []string{"/x/y"}},
		{"/é?", []string{"/éü"}, []string{"/é"}},
		{"/*(?(a))b", []string{"/b", "/aab"}, []string{"/ac"}},
	}
	for _, tt := range tests {
		p, err := Compile(tt.pattern)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.pattern, err)
			continue
		}
		for _, name := range tt.yes {
			if !p.Match(name) {
				t.Errorf("%q should match %q", tt.pattern, name)
			}
		}
		for _, name := range tt.no {
			if p.Match(name) {
				t.Errorf("%q should not match %q", tt.pattern, name)
			}
		}
	}
}

func TestCapture(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          []string
	}{
		{"/foo(?)(?)", "/foo12", []string{"/foo12", "1", "2"}},
		{"/STOREID(*).txt", "/STOREID42.txt", []string{"/STOREID42.txt", "42"}},
		{"/*_STOREID(*).txt", "/x_y_STOREID7.txt", []string{"/x_y_STOREID7.txt", "7"}},
		{"/*-PATID(*)-*.txt", "/T1-LIPID-PATID3-CLIA9.txt", []string{"/T1-LIPID-PATID3-CLIA9.txt", "3"}},
		{"/(*)/(*)", "/a/b", []string{"/a/b", "a", "b"}},
		{"/(a|(b))(c)", "/bc", []string{"/bc", "b", "b", "c"}},
		{"/(a|(b))(c)", "/ac", []string{"/ac", "a", "", "c"}},
		{"/*(ab)x", "/ababx", []string{"/ababx", "abab"}},
		{"/!(*.txt)", "/a.json", []string{"/a.json", "a.json"}},
		{"/(**)", "/a/b/c", []string{"/a/b/c", "a/b/c"}},
		{"/(*)(*)", "/ab", []string{"/ab", "ab", ""}},
	}
	for _, tt := range tests {
		p, err := Compile(tt.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.pattern, err)
		}
		got, ok := p.Capture(tt.name)
		if !ok {
			t.Errorf("%q does not match %q", tt.pattern, tt.name)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Capture(%q, %q) mismatch (-want +got):\n%s", tt.pattern, tt.name, diff)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		pattern, want string
	}{
		{"/a[", `glob "/a[": "[" is never closed; add "]" or escape it as "\[" (at offset 2)`},
		{"/a(b", `glob "/a(b": "(" is never closed; add ")" or escape it as "\(" (at offset 2)`},
		{"/+(b|c", `glob "/+(b|c": "(" is never closed; add ")" or escape it as "\(" (at offset 2)`},
		{"/{a,b", `glob "/{a,b": "{" is never closed; add "}" or escape it as "\{" (at offset 1)`},
		{`/a\`, `glob "/a\\": pattern ends with a lone "\"; write "\\" to match a backslash (at offset 2)`},
		{"/[z-a]", `glob "/[z-a]": range 'z'-'a' is backwards; write 'a'-'z' (at offset 1)`},
		{"/[[:alpha:]]", `glob "/[[:alpha:]]": character classes like [[:alpha:]] are not supported; use a range such as [a-zA-Z] (at offset 2)`},
		{"/\xff", `glob "/\xff": pattern is not valid UTF-8 (at offset 0)`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.pattern)
		if err == nil {
			t.Errorf("Compile(%q) succeeded, want error", tt.pattern)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Compile(%q) error:\n got %s\nwant %s", tt.pattern, got, tt.want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := map[string]string{
		"":         "/",
		"/":        "/",
		"*":        "/*",
		"/*/":      "/*",
		"(*)/":     "/(*)",
		"//a//b":   "/a/b",
		"**file1?": "/**file1?",
	}
	for in, want := range tests {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMatchIsPolynomial guards against exponential backtracking, with many
// stars or deeply nested negations.
func TestMatchIsPolynomial(t *testing.T) {
	for _, pattern := range []string{
		"/" + strings.Repeat("*a", 20) + "b",
		"/" + strings.Repeat("!(", 8) + "a" + strings.Repeat(")", 8) + "b",
		"/" + strings.Repeat("*(!(a)|b)", 6) + "c",
	} {
		p, err := Compile(pattern)
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.Repeat("a", 300)
		start := time.Now()
		if p.Match(name) {
			t.Errorf("%q should not match %q", p, name)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("matching %q took %v", p, d)
		}
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct {
		pattern, name string
		ok            bool
	}{
		{"/a/b.txt", "/a/b.txt", true},
		{`/a/\*.txt`, "/a/*.txt", true},
		{"/café.csv", "/café.csv", true},
		{"/a/*.txt", "", false},
		{"/a/?", "", false},
		{"/{a,b}", "", false},
		{"/[ab]", "", false},
		{"/**", "", false},
		{"/IMG (1).jpg", "", false},
		{"/a[", "", false},
	}
	for _, tt := range tests {
		name, ok := Literal(tt.pattern)
		if name != tt.name || ok != tt.ok {
			t.Errorf("Literal(%q) = %q, %v; want %q, %v", tt.pattern, name, ok, tt.name, tt.ok)
		}
	}
}
