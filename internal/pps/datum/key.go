package datum

import (
	"fmt"
	"strings"
)

// tuple encodes parts so that two tuples compare, part after part, as
// their encodings compare bytewise: every part is written with each \x01
// escaped as \x01\x03 and is ended by \x01\x02. (Paths hold no control
// characters, so the escape is for join and group keys.)
func tuple(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strings.ReplaceAll(p, "\x01", "\x01\x03"))
		b.WriteString("\x01\x02")
	}
	return b.String()
}

// childKey is the part of a key that orders the children of a union.
func childKey(i int) string { return fmt.Sprintf("%08d", i) }
