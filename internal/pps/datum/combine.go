package datum

import (
	"maps"
	"slices"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// flattenCross replaces each non-empty cross among inputs by its own
// inputs: a cross of crosses has the same datums, in the same order, as one
// flat cross, whose product need not be held in memory.
func flattenCross(inputs []*spec.Input) []*spec.Input {
	var flat []*spec.Input
	for _, in := range inputs {
		if in != nil && len(in.Cross) > 0 {
			flat = append(flat, flattenCross(in.Cross)...)
		} else {
			flat = append(flat, in)
		}
	}
	return flat
}

// cross calls fn for each datum of the cartesian product of lists, each
// prefixed with the inputs in prefix. The first list varies slowest.
func cross(lists [][]Datum, prefix []Input, fn func(Datum) error) error {
	for _, l := range lists {
		if len(l) == 0 {
			return nil
		}
	}
	if len(lists) == 0 {
		return fn(Datum{Inputs: slices.Clone(prefix)})
	}
	for _, d := range lists[0] {
		if err := cross(lists[1:], append(prefix, d.Inputs...), fn); err != nil {
			return err
		}
	}
	return nil
}

// byKey sorts the items of the datums of each list by key. It returns the
// keys in order and, for each key, the items of each list with that key,
// in the order of the datums.
func byKey(lists [][]Datum, key func(Input) string) ([]string, map[string][][]Input) {
	items := map[string][][]Input{}
	for i, datums := range lists {
		for _, d := range datums {
			for _, in := range d.Inputs {
				k := key(in)
				if items[k] == nil {
					items[k] = make([][]Input, len(lists))
				}
				items[k][i] = append(items[k][i], in)
			}
		}
	}
	return slices.Sorted(maps.Keys(items)), items
}

// join pairs up the items of lists by join key, as described in the
// package comment.
func join(lists [][]Datum) []Datum {
	keys, items := byKey(lists, func(in Input) string { return in.JoinOn })
	var datums []Datum
	seen := map[string]bool{}
	for _, k := range keys {
		var present [][]Datum
		for _, its := range items[k] {
			if len(its) > 0 {
				present = append(present, single(its))
			}
		}
		complete := len(present) == len(lists)
		// The callback never fails, so neither does cross.
		_ = cross(present, nil, func(d Datum) error {
			if !complete {
				d.Inputs = slices.DeleteFunc(d.Inputs, func(in Input) bool { return !in.OuterJoin })
			}
			if id := ID(d); len(d.Inputs) > 0 && !seen[id] {
				seen[id] = true
				datums = append(datums, d)
			}
			return nil
		})
	}
	return datums
}

// group gathers the items of lists by group key, as described in the
// package comment.
func group(lists [][]Datum) []Datum {
	keys, items := byKey(lists, func(in Input) string { return in.GroupBy })
	datums := make([]Datum, 0, len(keys))
	for _, k := range keys {
		var inputs []Input
		for _, its := range items[k] {
			inputs = append(inputs, its...)
		}
		datums = append(datums, Datum{Inputs: inputs})
	}
	return datums
}

// single makes a datum of each item.
func single(items []Input) []Datum {
	datums := make([]Datum, len(items))
	for i, in := range items {
		datums[i] = Datum{Inputs: []Input{in}}
	}
	return datums
}
