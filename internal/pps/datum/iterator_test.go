package datum

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// TestIterators mirrors Pachyderm's TestIterators: a repo of files /foo0
// to /foo49 read through many globs and combinations. Like Pachyderm's
// test it reads one repo under one name everywhere; the expected datums
// are Pachyderm's, in Tusk's order.
func TestIterators(t *testing.T) {
	var paths []string
	for i := range 50 {
		paths = append(paths, fmt.Sprintf("/foo%d", i))
	}
	l := repos{"data": files(paths...)}
	data := func(glob string) *spec.Input { return pfsIn("data", "data", glob) }
	in0 := data("!(**)")
	in1 := data("/foo?1")
	in2 := data("/foo*2")
	in3 := &spec.Input{Union: []*spec.Input{in1, in2}}
	in4 := &spec.Input{Cross: []*spec.Input{in1, in2}}
	in6 := &spec.Input{Cross: []*spec.Input{in3, in0, in2, in4}}
	in7 := &spec.Input{Cross: []*spec.Input{in6, in1}}
	in10 := &spec.Input{Join: []*spec.Input{
		keyed("data", "data", "/foo(?)(?)", "$1$2", "", false),
		keyed("data", "data", "/foo(?)(?)", "$2$1", "", false),
	}}
	in13 := &spec.Input{Join: []*spec.Input{
		keyed("data", "data", "/foo1(?)", "$1", "", true),
		keyed("data", "data", "/foo(?)1", "$1", "", true),
	}}
	in15 := &spec.Input{Group: []*spec.Input{keyed("data", "data", "/foo(?)(?)", "", "$1", false)}}
	in18 := &spec.Input{Group: []*spec.Input{
		keyed("data", "data", "/foo(?)(?)", "", "$1", false),
		keyed("data", "data", "/foo(?)(?)", "", "$2", false),
	}}
	in22 := &spec.Input{Group: []*spec.Input{{Join: []*spec.Input{
		keyed("data", "data", "/foo(?)(?)", "$1$2", "$1", false),
		keyed("data", "data", "/foo(?)(?)", "$2$1", "$2", false),
	}}}}
	in26 := &spec.Input{Union: []*spec.Input{
		data("/foo(?)(?)"),
		{Group: []*spec.Input{keyed("data", "data", "/foo(?)(?)", "", "$2", false)}},
	}}

	var two []string
	for i := 10; i < 50; i++ {
		two = append(two, fmt.Sprintf("/foo%d", i))
	}
	tests := []struct {
		name string
		in   *spec.Input
		want []string
	}{
		{"ZeroDatums", in0, nil},
		{"Basic1", in1, []string{"/foo11", "/foo21", "/foo31", "/foo41"}},
		{"Basic2", in2, []string{"/foo12", "/foo2", "/foo22", "/foo32", "/foo42"}},
		{"Union", in3, []string{
			"/foo11", "/foo21", "/foo31", "/foo41",
			"/foo12", "/foo2", "/foo22", "/foo32", "/foo42",
		}},
		{"Cross", in4, []string{
			"/foo11/foo12", "/foo11/foo2", "/foo11/foo22", "/foo11/foo32", "/foo11/foo42",
			"/foo21/foo12", "/foo21/foo2", "/foo21/foo22", "/foo21/foo32", "/foo21/foo42",
			"/foo31/foo12", "/foo31/foo2", "/foo31/foo22", "/foo31/foo32", "/foo31/foo42",
			"/foo41/foo12", "/foo41/foo2", "/foo41/foo22", "/foo41/foo32", "/foo41/foo42",
		}},
		{"EmptyCross", in6, nil},
		{"NestedEmptyCross", in7, nil},
		{"Join", in10, []string{
			"/foo11/foo11", "/foo12/foo21", "/foo13/foo31", "/foo14/foo41",
			"/foo21/foo12", "/foo22/foo22", "/foo23/foo32", "/foo24/foo42",
			"/foo31/foo13", "/foo32/foo23", "/foo33/foo33", "/foo34/foo43",
			"/foo41/foo14", "/foo42/foo24", "/foo43/foo34", "/foo44/foo44",
		}},
		{"OuterJoin", in13, []string{
			"/foo10", "/foo11/foo11", "/foo12/foo21", "/foo13/foo31", "/foo14/foo41",
			"/foo15", "/foo16", "/foo17", "/foo18", "/foo19",
		}},
		{"GroupSingle", in15, []string{
			"/foo10/foo11/foo12/foo13/foo14/foo15/foo16/foo17/foo18/foo19",
			"/foo20/foo21/foo22/foo23/foo24/foo25/foo26/foo27/foo28/foo29",
			"/foo30/foo31/foo32/foo33/foo34/foo35/foo36/foo37/foo38/foo39",
			"/foo40/foo41/foo42/foo43/foo44/foo45/foo46/foo47/foo48/foo49",
		}},
		{"GroupDoubles", in18, []string{
			"/foo10/foo20/foo30/foo40",
			"/foo10/foo11/foo12/foo13/foo14/foo15/foo16/foo17/foo18/foo19/foo11/foo21/foo31/foo41",
			"/foo20/foo21/foo22/foo23/foo24/foo25/foo26/foo27/foo28/foo29/foo12/foo22/foo32/foo42",
			"/foo30/foo31/foo32/foo33/foo34/foo35/foo36/foo37/foo38/foo39/foo13/foo23/foo33/foo43",
			"/foo40/foo41/foo42/foo43/foo44/foo45/foo46/foo47/foo48/foo49/foo14/foo24/foo34/foo44",
			"/foo15/foo25/foo35/foo45",
			"/foo16/foo26/foo36/foo46",
			"/foo17/foo27/foo37/foo47",
			"/foo18/foo28/foo38/foo48",
			"/foo19/foo29/foo39/foo49",
		}},
		{"GroupJoin", in22, []string{
			"/foo11/foo11/foo12/foo21/foo13/foo31/foo14/foo41",
			"/foo21/foo12/foo22/foo22/foo23/foo32/foo24/foo42",
			"/foo31/foo13/foo32/foo23/foo33/foo33/foo34/foo43",
			"/foo41/foo14/foo42/foo24/foo43/foo34/foo44/foo44",
		}},
		{"UnionGroup", in26, append(append([]string(nil), two...),
			"/foo10/foo20/foo30/foo40",
			"/foo11/foo21/foo31/foo41",
			"/foo12/foo22/foo32/foo42",
			"/foo13/foo23/foo33/foo43",
			"/foo14/foo24/foo34/foo44",
			"/foo15/foo25/foo35/foo45",
			"/foo16/foo26/foo36/foo46",
			"/foo17/foo27/foo37/foo47",
			"/foo18/foo28/foo38/foo48",
			"/foo19/foo29/foo39/foo49",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(mustDatums(t, tt.in, l))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("datums mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJoinTrailingSlash mirrors Pachyderm's test of the same name: a glob
// with a trailing slash joins like one without.
func TestJoinTrailingSlash(t *testing.T) {
	var paths []string
	for i := range 10 {
		paths = append(paths, fmt.Sprintf("/foo-%d", i))
	}
	l := repos{"r0": files(paths...), "r1": files(paths...)}
	var want []string
	for _, p := range paths {
		want = append(want, p+p)
	}
	for _, g := range []string{"/(*)", "/(*)/"} {
		in := &spec.Input{Join: []*spec.Input{
			keyed("r0", "r0", g, "$1", "", false),
			keyed("r1", "r1", g, "$1", "", false),
		}}
		if diff := cmp.Diff(want, render(mustDatums(t, in, l))); diff != "" {
			t.Errorf("glob %q: datums mismatch (-want +got):\n%s", g, diff)
		}
	}
}
