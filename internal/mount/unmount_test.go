package mount

import "testing"

// TestUnescapeMountPath checks that the mount points of mountinfo are
// read back as the paths they are.
func TestUnescapeMountPath(t *testing.T) {
	for in, want := range map[string]string{
		`/plain`:        "/plain",
		`/a\040b`:       "/a b",
		`/q"x\134y`:     `/q"x\y`,
		`/n\012t\011e`:  "/n\nt\te",
		`/\342\234\223`: "/✓",
	} {
		if got := unescapeMountPath(in); got != want {
			t.Errorf("unescapeMountPath(%q) = %q, want %q", in, got, want)
		}
	}
}
