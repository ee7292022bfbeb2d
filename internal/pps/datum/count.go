package datum

import (
	"errors"
	"math"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// Count returns how many datums Iterate yields for the input tree in, or
// an upper bound of it, without making them, so that a tree with too many
// datums can be refused before its datums are enumerated. It lists the
// files of each PFS input once, as Iterate does, and counts the paths its
// glob matches; combinations are counted from their children's counts:
//
//	cross  the product of the children's counts
//	union  the sum (datums that two children share count twice)
//	join   per join key, the product of the items of the children with
//	       that key (of its outer_join children, for a key some child
//	       lacks); for children other than PFS inputs, the product of
//	       their counts plus their sum
//	group  the number of keys; for children other than PFS inputs, the
//	       number of items they can hold at most
//
// Counts saturate at math.MaxInt64 rather than wrap around.
func Count(in *spec.Input, l Lister) (int64, error) {
	switch {
	case in == nil:
		return 0, nil
	case in.PFS != nil, in.Cron != nil:
		datums, err := list(in, l)
		return int64(len(datums)), err
	case in.Cross != nil:
		if len(in.Cross) == 0 {
			return 0, nil
		}
		n := int64(1)
		for _, child := range in.Cross {
			c, err := Count(child, l)
			if err != nil {
				return 0, err
			}
			n = mulSat(n, c)
		}
		return n, nil
	case in.Union != nil:
		n := int64(0)
		for _, child := range in.Union {
			c, err := Count(child, l)
			if err != nil {
				return 0, err
			}
			n = addSat(n, c)
		}
		return n, nil
	case in.Join != nil:
		if !allPFS(in.Join) {
			return boundJoin(in.Join, l)
		}
		lists, err := listAll(in.Join, l)
		if err != nil {
			return 0, err
		}
		return countJoin(lists), nil
	case in.Group != nil:
		if !allPFS(in.Group) {
			return boundGroup(in.Group, l)
		}
		lists, err := listAll(in.Group, l)
		if err != nil {
			return 0, err
		}
		keys, _ := byKey(lists, func(in Input) string { return in.GroupBy })
		return int64(len(keys)), nil
	}
	return 0, errors.New(`input sets none of "pfs", "cron", "cross", "union", "join" or "group"; check the spec with spec.Validate first`)
}

// allPFS reports whether every input of inputs is a PFS input.
func allPFS(inputs []*spec.Input) bool {
	for _, in := range inputs {
		if in == nil || in.PFS == nil {
			return false
		}
	}
	return true
}

// countJoin counts the datums of a join of lists, each of one-item
// datums, as join makes them.
func countJoin(lists [][]Datum) int64 {
	keys, items := byKey(lists, func(in Input) string { return in.JoinOn })
	total := int64(0)
	for _, k := range keys {
		complete, outer := int64(1), int64(1)
		hasOuter := false
		for _, its := range items[k] {
			if len(its) == 0 {
				complete = 0
				continue
			}
			complete = mulSat(complete, int64(len(its)))
			if its[0].in.OuterJoin {
				hasOuter = true
				outer = mulSat(outer, int64(len(its)))
			}
		}
		switch {
		case complete > 0:
			total = addSat(total, complete)
		case hasOuter:
			total = addSat(total, outer)
		}
	}
	return total
}

// boundJoin bounds the datums of a join of any inputs: at most one per
// combination of their datums, plus the datums of outer joins.
func boundJoin(inputs []*spec.Input, l Lister) (int64, error) {
	product, sum := int64(1), int64(0)
	for _, in := range inputs {
		c, err := Count(in, l)
		if err != nil {
			return 0, err
		}
		product, sum = mulSat(product, c), addSat(sum, c)
	}
	return addSat(product, sum), nil
}

// boundGroup bounds the datums of a group of any inputs: at most one per
// item, and a datum of an input has at most one item per PFS or cron
// input under it.
func boundGroup(inputs []*spec.Input, l Lister) (int64, error) {
	total := int64(0)
	for _, in := range inputs {
		c, err := Count(in, l)
		if err != nil {
			return 0, err
		}
		leaves := int64(0)
		spec.Walk(in, func(x *spec.Input) {
			if x.PFS != nil || x.Cron != nil {
				leaves++
			}
		})
		total = addSat(total, mulSat(c, leaves))
	}
	return total, nil
}

// addSat returns a+b for a, b >= 0, or math.MaxInt64 if that overflows.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// mulSat returns a*b for a, b >= 0, or math.MaxInt64 if that overflows.
func mulSat(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
