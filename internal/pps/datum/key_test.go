package datum

import (
	"fmt"
	"testing"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// TestKeysFollowIterationOrder checks that the keys of every kind of tree
// increase strictly in the order Iterate yields the datums, so that a
// list sorted by key is the list in order.
func TestKeysFollowIterationOrder(t *testing.T) {
	var paths []string
	for i := range 30 {
		paths = append(paths, fmt.Sprintf("/foo%d", i), fmt.Sprintf("/dir%d/x%d", i%7, i))
	}
	l := repos{"data": files(paths...), "other": files("/o1", "/o2/p", "/o10")}
	data := func(glob string) *spec.Input { return pfsIn("data", "data", glob) }
	other := pfsIn("other", "other", "/*")
	pairs := &spec.Input{Join: []*spec.Input{
		keyed("data", "data", "/foo(?)(?)", "$1$2", "$1", false),
		keyed("data", "data", "/foo(?)(?)", "$2$1", "$2", false),
	}}
	outer := &spec.Input{Join: []*spec.Input{
		keyed("data", "data", "/foo1(?)", "$1", "", true),
		keyed("data", "data", "/foo(?)1", "$1", "", true),
	}}
	union := &spec.Input{Union: []*spec.Input{data("/foo2*"), data("/*"), other}}
	trees := map[string]*spec.Input{
		"pfs":          data("/*"),
		"deep":         data("/**"),
		"crossOfRoot":  {Cross: []*spec.Input{data("/"), other}},
		"union":        union,
		"cross":        {Cross: []*spec.Input{data("/foo1*"), other}},
		"crossOfUnion": {Cross: []*spec.Input{union, other, data("/dir*")}},
		"join":         pairs,
		"outerJoin":    outer,
		"crossOfJoin":  {Cross: []*spec.Input{outer, other}},
		"group":        {Group: []*spec.Input{keyed("data", "data", "/foo(?)(?)", "", "$2", false)}},
		"groupOfJoin":  {Group: []*spec.Input{pairs}},
		"unionOfGroup": {Union: []*spec.Input{data("/foo(?)(?)"), {Group: []*spec.Input{keyed("data", "data", "/foo(?)(?)", "", "$2", false)}}}},
	}
	for name, in := range trees {
		t.Run(name, func(t *testing.T) {
			datums := mustDatums(t, in, l)
			if len(datums) < 2 {
				t.Fatalf("only %d datums", len(datums))
			}
			for i := 1; i < len(datums); i++ {
				if a, b := datums[i-1].Key, datums[i].Key; a >= b {
					t.Errorf("datum %d (%q) has key %q, not below that of datum %d (%q): %q",
						i-1, render(datums[i-1:i]), a, i, render(datums[i:i+1]), b)
				}
			}
		})
	}
}

func TestTupleOrder(t *testing.T) {
	tuples := [][]string{{"a"}, {"a", ""}, {"a", "b"}, {"a\x01"}, {"a\x01", "z"}, {"a\x01x"}, {"a/"}, {"ab"}, {"b", "a"}}
	for i := 1; i < len(tuples); i++ {
		if a, b := tuple(tuples[i-1]...), tuple(tuples[i]...); a >= b {
			t.Errorf("tuple(%q) = %q is not below tuple(%q) = %q", tuples[i-1], a, tuples[i], b)
		}
	}
}
