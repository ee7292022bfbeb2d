package datum

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// shop is a retail data set in the style of Pachyderm's joins and group
// examples.
var shop = repos{
	"stores":    files("/STOREID1.txt", "/STOREID2.txt", "/STOREID3.txt"),
	"purchases": files("/P1_STOREID1.txt", "/P2_STOREID1.txt", "/P3_STOREID2.txt", "/P4_STOREID4.txt"),
	"returns":   files("/R1_STOREID2.txt", "/R2_STOREID5.txt"),
}

func stores(outer bool) *spec.Input {
	return keyed("stores", "stores", "/STOREID(*).txt", "$1", "$1", outer)
}

func purchases(outer bool) *spec.Input {
	return keyed("purchases", "purchases", "/*_STOREID(*).txt", "$1", "$1", outer)
}

func returns(outer bool) *spec.Input {
	return keyed("returns", "returns", "/*_STOREID(*).txt", "$1", "$1", outer)
}

func TestCombinations(t *testing.T) {
	l := repos{"a": files("/a1", "/a2", "/a3"), "b": files("/b1", "/b2"), "c": files("/c1"), "e": nil}
	a, b, c, e := pfsIn("a", "a", "/*"), pfsIn("b", "b", "/*"), pfsIn("c", "c", "/*"), pfsIn("e", "e", "/*")
	for k, v := range shop {
		l[k] = v
	}
	tests := []struct {
		name string
		in   *spec.Input
		want []string
	}{
		{"cross 3x2", &spec.Input{Cross: []*spec.Input{a, b}}, []string{
			"/a1/b1", "/a1/b2", "/a2/b1", "/a2/b2", "/a3/b1", "/a3/b2",
		}},
		{"cross of three", &spec.Input{Cross: []*spec.Input{b, c, b}}, []string{
			"/b1/c1/b1", "/b1/c1/b2", "/b2/c1/b1", "/b2/c1/b2",
		}},
		{"nested cross flattens", &spec.Input{Cross: []*spec.Input{{Cross: []*spec.Input{b, c}}, b}}, []string{
			"/b1/c1/b1", "/b1/c1/b2", "/b2/c1/b1", "/b2/c1/b2",
		}},
		{"cross with an empty input", &spec.Input{Cross: []*spec.Input{a, e}}, nil},
		{"cross of nothing", &spec.Input{Cross: []*spec.Input{}}, nil},
		{"cross with a cross of nothing", &spec.Input{Cross: []*spec.Input{a, {Cross: []*spec.Input{}}}}, nil},
		{"cross with an empty input first", &spec.Input{Cross: []*spec.Input{e, a}}, nil},
		{"cross of union", &spec.Input{Cross: []*spec.Input{{Union: []*spec.Input{b, c}}, c}}, []string{
			"/b1/c1", "/b2/c1", "/c1/c1",
		}},
		{"union concatenates", &spec.Input{Union: []*spec.Input{b, a}}, []string{"/b1", "/b2", "/a1", "/a2", "/a3"}},
		{"union with an empty input", &spec.Input{Union: []*spec.Input{e, c}}, []string{"/c1"}},
		{"union sides share a name", &spec.Input{Union: []*spec.Input{
			pfsIn("in", "b", "/*"), pfsIn("in", "c", "/*"),
		}}, []string{"/b1", "/b2", "/c1"}},
		{"union drops repeated datums", &spec.Input{Union: []*spec.Input{b, b, {Union: []*spec.Input{b}}}}, []string{"/b1", "/b2"}},
		{"union of crosses", &spec.Input{Union: []*spec.Input{
			{Cross: []*spec.Input{b, c}}, {Cross: []*spec.Input{c, b}},
		}}, []string{"/b1/c1", "/b2/c1", "/c1/b1", "/c1/b2"}},
		{"inner join", &spec.Input{Join: []*spec.Input{stores(false), purchases(false)}}, []string{
			"/STOREID1.txt/P1_STOREID1.txt", "/STOREID1.txt/P2_STOREID1.txt", "/STOREID2.txt/P3_STOREID2.txt",
		}},
		{"outer join on one side", &spec.Input{Join: []*spec.Input{stores(true), purchases(false)}}, []string{
			"/STOREID1.txt/P1_STOREID1.txt", "/STOREID1.txt/P2_STOREID1.txt", "/STOREID2.txt/P3_STOREID2.txt",
			"/STOREID3.txt",
		}},
		{"full outer join", &spec.Input{Join: []*spec.Input{stores(true), returns(true)}}, []string{
			"/STOREID1.txt", "/STOREID2.txt/R1_STOREID2.txt", "/STOREID3.txt", "/R2_STOREID5.txt",
		}},
		{"outer side missing from a three-way join keeps only outer items", &spec.Input{Join: []*spec.Input{
			stores(true), purchases(false), returns(false),
		}}, []string{
			"/STOREID1.txt", "/STOREID2.txt/P3_STOREID2.txt/R1_STOREID2.txt", "/STOREID3.txt",
		}},
		{"join with an empty input", &spec.Input{Join: []*spec.Input{stores(false), keyed("e", "e", "/(*)", "$1", "", false)}}, nil},
		{"group", &spec.Input{Group: []*spec.Input{stores(false), purchases(false), returns(false)}}, []string{
			"/STOREID1.txt/P1_STOREID1.txt/P2_STOREID1.txt",
			"/STOREID2.txt/P3_STOREID2.txt/R1_STOREID2.txt",
			"/STOREID3.txt",
			"/P4_STOREID4.txt",
			"/R2_STOREID5.txt",
		}},
		{"group of a join", &spec.Input{Group: []*spec.Input{
			{Join: []*spec.Input{stores(false), purchases(false)}}, returns(false),
		}}, []string{
			"/STOREID1.txt/P1_STOREID1.txt/STOREID1.txt/P2_STOREID1.txt",
			"/STOREID2.txt/P3_STOREID2.txt/R1_STOREID2.txt",
			"/R2_STOREID5.txt",
		}},
	}
	// Count is exact but for the datums a union drops as repeated, and
	// bounds a group of combinations by its items.
	counts := map[string]int64{"union drops repeated datums": 6, "group of a join": 8}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(mustDatums(t, tt.in, l))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("datums mismatch (-want +got):\n%s", diff)
			}
			want, ok := counts[tt.name]
			if !ok {
				want = int64(len(tt.want))
			}
			if n, err := Count(tt.in, l); err != nil || n != want {
				t.Errorf("Count = %d, %v; want %d", n, err, want)
			}
		})
	}
}

func TestJoinKeys(t *testing.T) {
	in := &spec.Input{Join: []*spec.Input{stores(true), returns(true)}}
	var got [][]string
	for _, d := range mustDatums(t, in, shop) {
		var keys []string
		for _, in := range d.Inputs {
			keys = append(keys, in.Name+"="+in.JoinOn)
		}
		got = append(got, keys)
	}
	want := [][]string{{"stores=1"}, {"stores=2", "returns=2"}, {"stores=3"}, {"returns=5"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("join keys mismatch (-want +got):\n%s", diff)
	}
}

func TestIterateStops(t *testing.T) {
	errStop := errors.New("stop")
	in := &spec.Input{Union: []*spec.Input{
		{Cross: []*spec.Input{pfsIn("a", "a", "/*"), pfsIn("b", "b", "/*")}},
		pfsIn("a", "a", "/*"),
	}}
	calls := 0
	err := Iterate(in, repos{"a": files("/1", "/2"), "b": files("/3", "/4")}, func(Datum) error {
		calls++
		if calls == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || calls != 3 {
		t.Errorf("Iterate returned %v after %d calls, want %v after 3", err, calls, errStop)
	}
	if err := Iterate(nil, repos{}, func(Datum) error { return errStop }); err != nil {
		t.Errorf("Iterate(nil) = %v, want no datums and no error", err)
	}
}

func TestCountSaturates(t *testing.T) {
	l := repos{"two": files("/1", "/2")}
	cross := func(n int) *spec.Input {
		in := &spec.Input{}
		for i := range n {
			in.Cross = append(in.Cross, pfsIn(fmt.Sprintf("in%d", i), "two", "/*"))
		}
		return in
	}
	if n, err := Count(cross(30), l); err != nil || n != 1<<30 {
		t.Errorf("cross of 30 two-datum inputs: Count = %d, %v; want %d", n, err, 1<<30)
	}
	if n, err := Count(cross(70), l); err != nil || n != math.MaxInt64 {
		t.Errorf("cross of 70 two-datum inputs: Count = %d, %v; want it to saturate at %d", n, err, int64(math.MaxInt64))
	}
	union := &spec.Input{Union: []*spec.Input{cross(70), cross(70)}}
	if n, err := Count(union, l); err != nil || n != math.MaxInt64 {
		t.Errorf("union of two saturated crosses: Count = %d, %v; want %d", n, err, int64(math.MaxInt64))
	}
	join := &spec.Input{Join: []*spec.Input{cross(70), keyed("k", "two", "/(*)", "$1", "", false)}}
	if n, err := Count(join, l); err != nil || n != math.MaxInt64 {
		t.Errorf("join of a saturated cross: Count = %d, %v; want %d", n, err, int64(math.MaxInt64))
	}
}

func TestCountBoundsJoinAndGroupOfCombinations(t *testing.T) {
	l := repos{"a": files("/1", "/2"), "b": files("/1", "/3", "/4")}
	a, b := keyed("a", "a", "/(*)", "$1", "$1", false), keyed("b", "b", "/(*)", "$1", "$1", false)
	for _, in := range []*spec.Input{
		{Join: []*spec.Input{{Cross: []*spec.Input{a, b}}, b}},
		{Group: []*spec.Input{{Cross: []*spec.Input{a, b}}, b}},
		{Group: []*spec.Input{{Union: []*spec.Input{a, b}}, a}},
	} {
		got := len(mustDatums(t, in, l))
		if n, err := Count(in, l); err != nil || n < int64(got) {
			t.Errorf("Count = %d, %v; want at least the %d datums", n, err, got)
		}
	}
}
