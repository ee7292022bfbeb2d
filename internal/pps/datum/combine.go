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

// cross calls leaf with the inputs and the keys of each combination of
// the cartesian product of lists, after the inputs and keys given. The
// first list varies slowest. leaf must copy the slices to keep them.
func cross(lists [][]Datum, inputs []Input, keys []string, leaf func([]Input, []string) error) error {
	for _, l := range lists {
		if len(l) == 0 {
			return nil
		}
	}
	if len(lists) == 0 {
		return leaf(inputs, keys)
	}
	for _, d := range lists[0] {
		if err := cross(lists[1:], append(inputs, d.Inputs...), append(keys, d.Key), leaf); err != nil {
			return err
		}
	}
	return nil
}

// product is the datum of a combination of cross.
func product(inputs []Input, keys []string) Datum {
	return Datum{Inputs: slices.Clone(inputs), Key: tuple(keys...)}
}

// A keyedInput is one input of a datum, with the datum's key.
type keyedInput struct {
	in  Input
	key string
}

// byKey sorts the items of the datums of each list by key. It returns the
// keys in order and, for each key, the items of each list with that key,
// in the order of the datums.
func byKey(lists [][]Datum, key func(Input) string) ([]string, map[string][][]keyedInput) {
	items := map[string][][]keyedInput{}
	for i, datums := range lists {
		for _, d := range datums {
			for _, in := range d.Inputs {
				k := key(in)
				if items[k] == nil {
					items[k] = make([][]keyedInput, len(lists))
				}
				items[k][i] = append(items[k][i], keyedInput{in, d.Key})
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
		// Each datum of present has one input, so inputs and keys pair up.
		// The leaf never fails, so neither does cross.
		_ = cross(present, nil, nil, func(inputs []Input, keys []string) error {
			d, parts := Datum{}, []string{k}
			for i, in := range inputs {
				if complete || in.OuterJoin {
					d.Inputs, parts = append(d.Inputs, in), append(parts, keys[i])
				}
			}
			d.Key = tuple(parts...)
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
		d := Datum{Key: k}
		for _, its := range items[k] {
			for _, it := range its {
				d.Inputs = append(d.Inputs, it.in)
			}
		}
		datums = append(datums, d)
	}
	return datums
}

// single makes a datum of each input.
func single(items []keyedInput) []Datum {
	datums := make([]Datum, len(items))
	for i, it := range items {
		datums[i] = Datum{Inputs: []Input{it.in}, Key: it.key}
	}
	return datums
}
