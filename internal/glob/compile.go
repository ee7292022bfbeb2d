package glob

type opcode uint8

const (
	opMatch  opcode = iota // succeed if the whole input is consumed
	opRune                 // consume rune r
	opSingle               // consume any rune but '/'
	opAny                  // consume any rune
	opClass                // consume a rune of class
	opSplit                // try out, then alt
	opSave                 // record the position in capture slot n
	opNot                  // consume a run of non-'/' runes that sub does not match
)

// An inst is one instruction of a compiled pattern. Instructions form a
// graph: out (and alt for opSplit) name the instructions that follow.
type inst struct {
	op    opcode
	r     rune
	class *class
	out   int
	alt   int
	n     int
	sub   *program
}

// A program is a compiled pattern: start is the first instruction and
// slots the number of capture positions it records.
type program struct {
	insts []inst
	start int
	slots int
}

// compile turns a parsed pattern with the given number of groups into a
// program. Code is generated back to front, so that each node is compiled
// knowing the instruction that follows it.
func compile(nodes []node, groups int) *program {
	c := &compiler{prog: &program{slots: 2 * (groups + 1)}}
	match := c.emit(inst{op: opMatch})
	c.prog.start = c.sequence(nodes, match)
	return c.prog
}

type compiler struct {
	prog *program
}

func (c *compiler) emit(in inst) int {
	c.prog.insts = append(c.prog.insts, in)
	return len(c.prog.insts) - 1
}

func (c *compiler) sequence(nodes []node, next int) int {
	for i := len(nodes) - 1; i >= 0; i-- {
		next = c.node(nodes[i], next)
	}
	return next
}

// alternatives compiles a choice between sequences, preferring earlier ones.
func (c *compiler) alternatives(alts [][]node, next int) int {
	entry := c.sequence(alts[len(alts)-1], next)
	for i := len(alts) - 2; i >= 0; i-- {
		first := c.sequence(alts[i], next)
		entry = c.emit(inst{op: opSplit, out: first, alt: entry})
	}
	return entry
}

// loop compiles a greedy repetition of body, whose compiled form is
// returned by build given the instruction to continue with.
func (c *compiler) loop(next int, build func(next int) int) int {
	split := c.emit(inst{op: opSplit, alt: next})
	c.prog.insts[split].out = build(split)
	return split
}

func (c *compiler) node(n node, next int) int {
	switch n.kind {
	case kindLiteral:
		return c.emit(inst{op: opRune, r: n.r, out: next})
	case kindSingle:
		return c.emit(inst{op: opSingle, out: next})
	case kindStar:
		return c.loop(next, func(l int) int { return c.emit(inst{op: opSingle, out: l}) })
	case kindSuper:
		return c.loop(next, func(l int) int { return c.emit(inst{op: opAny, out: l}) })
	case kindClass:
		return c.emit(inst{op: opClass, class: n.class, out: next})
	case kindBraces:
		return c.alternatives(n.alts, next)
	}
	end := c.emit(inst{op: opSave, n: 2*n.group + 1, out: next})
	var body int
	switch n.quant {
	case '?':
		body = c.emit(inst{op: opSplit, out: c.alternatives(n.alts, end), alt: end})
	case '*':
		body = c.loop(end, func(l int) int { return c.alternatives(n.alts, l) })
	case '+':
		split := c.loop(end, func(l int) int { return c.alternatives(n.alts, l) })
		body = c.prog.insts[split].out
	case '!':
		sub := compile([]node{{kind: kindBraces, alts: n.alts}}, (c.prog.slots/2)-1)
		body = c.emit(inst{op: opNot, sub: sub, out: end})
	default: // '@'
		body = c.alternatives(n.alts, end)
	}
	return c.emit(inst{op: opSave, n: 2 * n.group, out: body})
}
