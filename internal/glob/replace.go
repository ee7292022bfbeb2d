package glob

import (
	"fmt"
	"strings"
)

// Replace matches the pattern against name and expands template with the
// captures, as Pachyderm does for join_on and group_by: $n and ${n} stand
// for group n ($0 is all of name), $$ for a literal "$"; any other "$" is
// kept as is. References to groups that did not take part in the match, or
// that do not exist, expand to nothing, as does the whole template when
// name does not match.
func (p *Pattern) Replace(name, template string) string {
	caps, _ := p.Capture(name)
	return Expand(template, caps)
}

// Expand expands template, as Replace does, with captures returned by
// Capture.
func Expand(template string, caps []string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(template, '$')
		if i < 0 {
			b.WriteString(template)
			return b.String()
		}
		b.WriteString(template[:i])
		template = template[i:]
		if strings.HasPrefix(template, "$$") {
			b.WriteByte('$')
			template = template[2:]
			continue
		}
		n, rest, ok := reference(template)
		if !ok {
			b.WriteByte('$')
			template = template[1:]
			continue
		}
		if n >= 0 && n < len(caps) {
			b.WriteString(caps[n])
		}
		template = rest
	}
}

// CheckTemplate reports an error if template refers to a capture group the
// pattern does not have.
func (p *Pattern) CheckTemplate(template string) error {
	rest := template
	for {
		i := strings.IndexByte(rest, '$')
		if i < 0 {
			return nil
		}
		rest = rest[i:]
		if strings.HasPrefix(rest, "$$") {
			rest = rest[2:]
			continue
		}
		n, after, ok := reference(rest)
		if !ok {
			rest = rest[1:]
			continue
		}
		if n < 0 || n > p.groups {
			return fmt.Errorf("%q refers to capture group %s but glob %q has %d; "+
				"put the part of the glob to capture in parentheses, as in /(*).txt",
				template, rest[:len(rest)-len(after)], p.src, p.groups)
		}
		rest = after
	}
}

// reference parses a "$n" or "${n}" at the start of s. It returns n (-1 if
// the number has a leading zero or is too large) and the rest of s.
func reference(s string) (n int, rest string, ok bool) {
	s = s[1:]
	brace := strings.HasPrefix(s, "{")
	if brace {
		s = s[1:]
	}
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == 0 || (brace && (i == len(s) || s[i] != '}')) {
		return 0, "", false
	}
	digits := s[:i]
	if brace {
		i++
	}
	if (len(digits) > 1 && digits[0] == '0') || len(digits) > 8 {
		return -1, s[i:], true
	}
	for _, d := range digits {
		n = n*10 + int(d-'0')
	}
	return n, s[i:], true
}
