package console

import (
	"reflect"
	"testing"
)

// graphOf builds a graph from edges written as node names.
func graphOf(nodes []string, edges ...[2]string) Graph {
	index := map[string]int{}
	for i, n := range nodes {
		index[n] = i
	}
	g := Graph{Nodes: nodes}
	for _, e := range edges {
		g.Edges = append(g.Edges, [2]int{index[e[0]], index[e[1]]})
	}
	return g
}

// inputOrder is the layout LayOut starts from: layers filled in node order.
func inputOrder(l Layout) [][]int {
	layers := make([][]int, len(l.Layers))
	for v, k := range l.Layer {
		layers[k] = append(layers[k], v)
	}
	return layers
}

func crossingsOf(l Layout, layers [][]int) int {
	_, succ := adjacency(len(l.Layer), l.Paths)
	return crossings(layers, succ)
}

var layoutCases = map[string]Graph{
	"chain": graphOf([]string{"words", "count", "total"},
		[2]string{"words", "count"}, [2]string{"count", "total"}),
	"diamond with a long edge": graphOf([]string{"a", "b", "c", "d"},
		[2]string{"a", "b"}, [2]string{"b", "c"}, [2]string{"c", "d"}, [2]string{"a", "d"}),
	"crossed inputs": graphOf([]string{"x", "y", "p", "q"},
		[2]string{"x", "q"}, [2]string{"y", "p"}),
	"two trees tangled": graphOf([]string{"r1", "r2", "r3", "p1", "p2", "p3", "s1", "s2"},
		[2]string{"r1", "p3"}, [2]string{"r2", "p1"}, [2]string{"r3", "p2"}, [2]string{"r1", "p2"},
		[2]string{"p1", "s2"}, [2]string{"p3", "s1"}, [2]string{"p2", "s1"}),
	"cycle": graphOf([]string{"a", "b", "c"},
		[2]string{"a", "b"}, [2]string{"b", "c"}, [2]string{"c", "b"}),
}

func TestLayersFollowLongestPaths(t *testing.T) {
	l := LayOut(layoutCases["diamond with a long edge"])
	if got, want := l.Layer[:4], []int{0, 1, 2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("layers = %v, want %v", got, want)
	}
	if got := l.Paths[3]; len(got) != 4 || got[0] != 0 || got[3] != 3 || got[1] < 4 || got[2] < 4 {
		t.Errorf("edge a→d runs through %v, want a, two dummies, d", got)
	}
}

func TestNoEdgeGoesBackwards(t *testing.T) {
	for name, g := range layoutCases {
		l := LayOut(g)
		for i, p := range l.Paths {
			for j := 1; j < len(p); j++ {
				if l.Layer[p[j]] != l.Layer[p[j-1]]+1 {
					t.Errorf("%s: edge %d steps from layer %d to %d", name, i, l.Layer[p[j-1]], l.Layer[p[j]])
				}
			}
		}
		for v, k := range l.Layer {
			if l.Layers[k][l.Pos[v]] != v {
				t.Errorf("%s: node %d is not at its position", name, v)
			}
		}
	}
}

func TestCycleEdgesAreDropped(t *testing.T) {
	l := LayOut(layoutCases["cycle"])
	drawn := 0
	for _, p := range l.Paths {
		if p != nil {
			drawn++
		}
	}
	if drawn != 2 {
		t.Errorf("drew %d of the cycle's 3 edges, want 2: %v", drawn, l.Paths)
	}
}

func TestLayoutIsDeterministic(t *testing.T) {
	for name, g := range layoutCases {
		first := LayOut(g)
		for range 20 {
			if again := LayOut(g); !reflect.DeepEqual(again, first) {
				t.Fatalf("%s: layout changed between runs:\n%v\n%v", name, first.Layers, again.Layers)
			}
		}
	}
}

func TestOrderingDoesNotAddCrossings(t *testing.T) {
	for name, g := range layoutCases {
		l := LayOut(g)
		before, after := crossingsOf(l, inputOrder(l)), crossingsOf(l, l.Layers)
		if after > before {
			t.Errorf("%s: %d crossings, input order had %d", name, after, before)
		}
	}
	for _, name := range []string{"crossed inputs", "two trees tangled"} {
		l := LayOut(layoutCases[name])
		if c := crossingsOf(l, l.Layers); c != 0 {
			t.Errorf("%s: %d crossings left, want 0 (layers %v)", name, c, l.Layers)
		}
	}
}
