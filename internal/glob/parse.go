package glob

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// An Error reports a malformed pattern.
type Error struct {
	Pattern string // the pattern as given
	Offset  int    // byte offset of the problem in Pattern
	Msg     string // what is wrong and how to fix it
}

func (e *Error) Error() string {
	return fmt.Sprintf("glob %q: %s (at offset %d)", e.Pattern, e.Msg, e.Offset)
}

type nodeKind uint8

const (
	kindLiteral nodeKind = iota // the rune r
	kindSingle                  // ?
	kindStar                    // *
	kindSuper                   // **
	kindClass                   // [...]
	kindBraces                  // {a,b}
	kindGroup                   // (a|b) with a quantifier
)

// A node is one element of a parsed pattern.
type node struct {
	kind  nodeKind
	r     rune
	class *class
	alts  [][]node // alternatives of kindBraces and kindGroup
	quant byte     // '@', '?', '*', '+' or '!' for kindGroup
	group int      // capture group number for kindGroup
}

// A class is a bracket expression such as [a-z_] or [!0-9].
type class struct {
	negate bool
	ranges []rune // pairs of inclusive bounds
}

func (c *class) matches(r rune) bool {
	for i := 0; i < len(c.ranges); i += 2 {
		if c.ranges[i] <= r && r <= c.ranges[i+1] {
			return !c.negate
		}
	}
	return c.negate
}

type parser struct {
	src    string
	pos    int
	groups int
}

// parse turns a pattern into its node sequence and counts its groups.
func parse(pattern string) ([]node, int, error) {
	if !utf8.ValidString(pattern) {
		return nil, 0, &Error{Pattern: pattern, Msg: "pattern is not valid UTF-8"}
	}
	p := &parser{src: pattern}
	nodes, err := p.sequence("")
	if err != nil {
		return nil, 0, err
	}
	return nodes, p.groups, nil
}

func (p *parser) errorf(offset int, format string, args ...any) error {
	return &Error{Pattern: p.src, Offset: offset, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) peek() (rune, int) {
	if p.pos >= len(p.src) {
		return 0, 0
	}
	return utf8.DecodeRuneInString(p.src[p.pos:])
}

// followedBy reports whether the rune after the current one is r.
func (p *parser) followedBy(r rune) bool {
	_, w := p.peek()
	return p.pos+w < len(p.src) && rune(p.src[p.pos+w]) == r
}

// sequence parses nodes up to the end of the pattern or up to, not
// including, a rune in stop.
func (p *parser) sequence(stop string) ([]node, error) {
	var nodes []node
	for p.pos < len(p.src) {
		r, w := p.peek()
		if strings.ContainsRune(stop, r) {
			return nodes, nil
		}
		start := p.pos
		switch {
		case r == '\\':
			p.pos += w
			if p.pos >= len(p.src) {
				return nil, p.errorf(start, `pattern ends with a lone "\"; write "\\" to match a backslash`)
			}
			r, w = p.peek()
			p.pos += w
			nodes = append(nodes, node{kind: kindLiteral, r: r})
		case strings.ContainsRune("@?*+!", r) && p.followedBy('('):
			p.pos += w
			n, err := p.group(byte(r))
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		case r == '(':
			n, err := p.group('@')
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		case r == '*' && p.followedBy('*'):
			p.pos += 2
			nodes = append(nodes, node{kind: kindSuper})
		case r == '*':
			p.pos += w
			nodes = append(nodes, node{kind: kindStar})
		case r == '?':
			p.pos += w
			nodes = append(nodes, node{kind: kindSingle})
		case r == '[':
			c, err := p.class()
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, node{kind: kindClass, class: c})
		case r == '{':
			alts, err := p.alternatives('{', ",}")
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, node{kind: kindBraces, alts: alts})
		default:
			p.pos += w
			nodes = append(nodes, node{kind: kindLiteral, r: r})
		}
	}
	return nodes, nil
}

// group parses "(a|b)" at the current position.
func (p *parser) group(quant byte) (node, error) {
	p.groups++
	n := node{kind: kindGroup, quant: quant, group: p.groups}
	alts, err := p.alternatives('(', "|)")
	if err != nil {
		return node{}, err
	}
	n.alts = alts
	return n, nil
}

// alternatives parses open, then sequences separated by seps[0] and closed
// by seps[1].
func (p *parser) alternatives(open rune, seps string) ([][]node, error) {
	start := p.pos
	p.pos++ // the opening rune, always one byte
	var alts [][]node
	for {
		seq, err := p.sequence(seps)
		if err != nil {
			return nil, err
		}
		alts = append(alts, seq)
		if p.pos >= len(p.src) {
			return nil, p.errorf(start, `%q is never closed; add %q or escape it as "\%c"`,
				string(open), string(seps[1]), open)
		}
		sep := p.src[p.pos]
		p.pos++
		if sep == seps[1] {
			return alts, nil
		}
	}
}

// class parses a bracket expression at the current position.
func (p *parser) class() (*class, error) {
	start := p.pos
	p.pos++ // '['
	c := &class{}
	if p.pos < len(p.src) && (p.src[p.pos] == '!' || p.src[p.pos] == '^') {
		c.negate = true
		p.pos++
	}
	first := true
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorf(start, `"[" is never closed; add "]" or escape it as "\["`)
		}
		r, w := p.peek()
		if r == ']' && !first {
			p.pos += w
			return c, nil
		}
		if r == '[' && p.followedBy(':') {
			return nil, p.errorf(p.pos, "character classes like [[:alpha:]] are not supported; use a range such as [a-zA-Z]")
		}
		first = false
		lo, err := p.classRune()
		if err != nil {
			return nil, err
		}
		hi := lo
		if p.pos+1 < len(p.src) && p.src[p.pos] == '-' && p.src[p.pos+1] != ']' {
			p.pos++
			if hi, err = p.classRune(); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, p.errorf(start, "range %q-%q is backwards; write %q-%q", lo, hi, hi, lo)
			}
		}
		c.ranges = append(c.ranges, lo, hi)
	}
}

// classRune reads one possibly escaped rune of a bracket expression.
func (p *parser) classRune() (rune, error) {
	r, w := p.peek()
	if r == '\\' {
		p.pos += w
		if p.pos >= len(p.src) {
			return 0, p.errorf(p.pos-w, `pattern ends with a lone "\"; write "\\" to match a backslash`)
		}
		r, w = p.peek()
	}
	p.pos += w
	return r, nil
}
