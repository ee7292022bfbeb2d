package glob

import "testing"

func TestReplace(t *testing.T) {
	tests := []struct {
		pattern, name, template, want string
	}{
		{"/foo(?)(?)", "/foo12", "$1$2", "12"},
		{"/foo(?)(?)", "/foo12", "$2$1", "21"},
		{"/foo(?)(?)", "/foo12", "${2}x$1", "2x1"},
		{"/foo(?)(?)", "/foo12", "$1x", "1x"},
		{"/foo(?)(?)", "/foo12", "$0", "/foo12"},
		{"/foo(?)(?)", "/foo12", "$$1", "$1"},
		{"/foo(?)(?)", "/foo12", "a$", "a$"},
		{"/foo(?)(?)", "/foo12", "${1", "${1"},
		{"/foo(?)(?)", "/foo12", "$x", "$x"},
		{"/foo(?)(?)", "/foo12", "$9", ""},
		{"/foo(?)(?)", "/foo12", "$01", ""},
		{"/foo(?)(?)", "/foo12", "key", "key"},
		{"/foo(?)(?)", "/foo12", "", ""},
		{"/foo(?)(?)", "/bar", "$1", ""},
		{"/(*)", "/foo-3", "$1", "foo-3"},
	}
	for _, tt := range tests {
		p, err := Compile(tt.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.pattern, err)
		}
		if got := p.Replace(tt.name, tt.template); got != tt.want {
			t.Errorf("Replace(%q, %q, %q) = %q, want %q", tt.pattern, tt.name, tt.template, got, tt.want)
		}
	}
}

func TestCheckTemplate(t *testing.T) {
	tests := []struct {
		pattern, template, want string
	}{
		{"/(*)", "$1", ""},
		{"/(*)_(*)", "$2$1", ""},
		{"/(*)", "$$2 ${1} $", ""},
		{"/(*)", "$0", ""},
		{"/*", "$1", `"$1" refers to capture group $1 but glob "/*" has 0; put the part of the glob to capture in parentheses, as in /(*).txt`},
		{"/(*)", "x${2}", `"x${2}" refers to capture group ${2} but glob "/(*)" has 1; put the part of the glob to capture in parentheses, as in /(*).txt`},
		{"/(*)", "$01", `"$01" refers to capture group $01 but glob "/(*)" has 1; put the part of the glob to capture in parentheses, as in /(*).txt`},
	}
	for _, tt := range tests {
		p, err := Compile(tt.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.pattern, err)
		}
		got := ""
		if err := p.CheckTemplate(tt.template); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckTemplate(%q, %q):\n got %s\nwant %s", tt.pattern, tt.template, got, tt.want)
		}
	}
}
