package glob

import (
	"path"
	"strings"
	"unicode/utf8"
)

// A Pattern is a compiled glob. It is safe for concurrent use.
type Pattern struct {
	src    string
	prog   *program
	groups int
}

// Clean normalises a pattern the way Pachyderm does when a pipeline is
// created: it is made absolute, duplicate and trailing slashes are dropped,
// and the empty pattern becomes "/".
func Clean(pattern string) string {
	return path.Clean("/" + pattern)
}

// Compile parses a pattern. It does not Clean it first.
func Compile(pattern string) (*Pattern, error) {
	nodes, groups, err := parse(pattern)
	if err != nil {
		return nil, err
	}
	return &Pattern{src: pattern, prog: compile(nodes, groups), groups: groups}, nil
}

// String returns the source of the pattern.
func (p *Pattern) String() string { return p.src }

// Groups returns the number of capture groups in the pattern.
func (p *Pattern) Groups() int { return p.groups }

// Match reports whether the pattern matches all of name.
func (p *Pattern) Match(name string) bool {
	_, ok := p.Capture(name)
	return ok
}

// Capture matches the pattern against all of name. On a match it returns
// the whole name followed by the text of each capture group (empty for a
// group that took no part in the match).
func (p *Pattern) Capture(name string) ([]string, bool) {
	slots, ok := run(p.prog, name)
	if !ok {
		return nil, false
	}
	caps := make([]string, len(slots)/2)
	for i := range caps {
		if lo, hi := slots[2*i], slots[2*i+1]; lo >= 0 && hi >= lo {
			caps[i] = name[lo:hi]
		}
	}
	return caps, true
}

// run executes prog against s and returns the capture slots on a match.
func run(prog *program, s string) ([]int, bool) {
	sh := &shared{s: s}
	m := newMachine(sh, prog, 0, len(s))
	m.slots[0], m.slots[1] = 0, len(s)
	if !m.try(prog.start, 0) {
		return nil, false
	}
	return m.slots, true
}

// shared is the state common to the machines of one match: the input, and
// which spans of it the alternatives of each negation match, so that each
// is worked out once however deeply negations nest.
type shared struct {
	s        string
	excluded map[span]bool
}

// A span is a negation's alternatives applied to s[lo:hi].
type span struct {
	sub    *program
	lo, hi int
}

// A machine is the state of one backtracking search for prog over
// s[lo:hi], with positions counted from the start of s.
type machine struct {
	sh      *shared
	prog    *program
	lo, hi  int
	visited []uint64
	slots   []int
}

func newMachine(sh *shared, prog *program, lo, hi int) *machine {
	m := &machine{
		sh:      sh,
		prog:    prog,
		lo:      lo,
		hi:      hi,
		visited: make([]uint64, (len(prog.insts)*(hi-lo+1)+63)/64),
		slots:   make([]int, prog.slots),
	}
	for i := range m.slots {
		m.slots[i] = -1
	}
	return m
}

// try reports whether the program matches the rest of the input from
// instruction pc at byte offset pos. Each (pc, pos) pair is explored at
// most once: the outcome from a given pair never depends on how it was
// reached, and the first visit comes from the preferred path, so a repeat
// visit can only fail.
func (m *machine) try(pc, pos int) bool {
	s := m.sh.s
	for {
		bit := pc*(m.hi-m.lo+1) + pos - m.lo
		if m.visited[bit/64]&(1<<(bit%64)) != 0 {
			return false
		}
		m.visited[bit/64] |= 1 << (bit % 64)
		in := &m.prog.insts[pc]
		switch in.op {
		case opMatch:
			return pos == m.hi
		case opSplit:
			if m.try(in.out, pos) {
				return true
			}
			pc = in.alt
			continue
		case opSave:
			old := m.slots[in.n]
			m.slots[in.n] = pos
			if m.try(in.out, pos) {
				return true
			}
			m.slots[in.n] = old
			return false
		case opNot:
			return m.not(in, pos)
		}
		if pos >= m.hi {
			return false
		}
		r, w := utf8.DecodeRuneInString(s[pos:m.hi])
		switch {
		case in.op == opRune && r == in.r,
			in.op == opSingle && r != '/',
			in.op == opAny,
			in.op == opClass && in.class.matches(r):
			pc, pos = in.out, pos+w
		default:
			return false
		}
	}
}

// not tries every run of non-'/' runes starting at pos, longest first, that
// the negated alternatives do not match, and continues after it.
func (m *machine) not(in *inst, pos int) bool {
	s := m.sh.s
	end := m.hi
	if i := strings.IndexByte(s[pos:m.hi], '/'); i >= 0 {
		end = pos + i
	}
	for ; end >= pos; end-- {
		if end < m.hi && !utf8.RuneStart(s[end]) {
			continue
		}
		if !m.sh.matches(in.sub, pos, end) && m.try(in.out, end) {
			return true
		}
	}
	return false
}

// matches reports whether sub matches all of s[lo:hi].
func (sh *shared) matches(sub *program, lo, hi int) bool {
	key := span{sub, lo, hi}
	ok, known := sh.excluded[key]
	if !known {
		ok = newMachine(sh, sub, lo, hi).try(sub.start, lo)
		if sh.excluded == nil {
			sh.excluded = map[span]bool{}
		}
		sh.excluded[key] = ok
	}
	return ok
}

// Literal reports whether pattern matches exactly one name, with no
// metacharacters left after escapes, and returns that name.
func Literal(pattern string) (string, bool) {
	nodes, _, err := parse(pattern)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	for _, n := range nodes {
		if n.kind != kindLiteral {
			return "", false
		}
		b.WriteRune(n.r)
	}
	return b.String(), true
}
