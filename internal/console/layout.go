package console

import (
	"cmp"
	"slices"
)

// A Graph is a directed graph to lay out: nodes in the order they were
// given, which breaks ties, and edges between their indexes.
type Graph struct {
	Nodes []string
	Edges [][2]int // from, to
}

// Layout is a layered drawing of a graph, left to right: layer 0 holds the
// sources, and every edge goes from a lower to a higher layer.
type Layout struct {
	// Layers lists, for each layer, its nodes from top to bottom; indexes
	// at or above len(Graph.Nodes) are dummy nodes where a long edge
	// crosses a layer.
	Layers [][]int
	Layer  []int // layer of each node, dummies included
	Pos    []int // position of each node within its layer
	// Paths lists, for each edge of the graph, the nodes it passes through,
	// from its tail to its head.
	Paths [][]int
}

// sweeps bounds the barycenter passes; small graphs settle in a few.
const sweeps = 12

// LayOut assigns layers by longest path from the sources, splits long
// edges with dummy nodes, and orders each layer by the barycenter
// heuristic, keeping the ordering with the fewest crossings seen (the
// initial one, by input order, included). Edges that would close a cycle
// are dropped from the drawing.
func LayOut(g Graph) Layout {
	n := len(g.Nodes)
	layer := longestPath(n, g.Edges)
	var l Layout
	l.Layer = layer
	for _, e := range g.Edges {
		from, to := e[0], e[1]
		if layer[from] >= layer[to] {
			l.Paths = append(l.Paths, nil)
			continue
		}
		path := []int{from}
		for k := layer[from] + 1; k < layer[to]; k++ {
			path = append(path, len(l.Layer))
			l.Layer = append(l.Layer, k)
		}
		l.Paths = append(l.Paths, append(path, to))
	}
	depth := 0
	for _, k := range l.Layer {
		depth = max(depth, k+1)
	}
	l.Layers = make([][]int, depth)
	for v, k := range l.Layer {
		l.Layers[k] = append(l.Layers[k], v)
	}
	pred, succ := adjacency(len(l.Layer), l.Paths)
	best := cloneLayers(l.Layers)
	bestCross := crossings(best, succ)
	for i := 0; i < sweeps && bestCross > 0; i++ {
		if i%2 == 0 {
			for k := 1; k < depth; k++ {
				orderByBarycenter(l.Layers[k], l.Layers[k-1], pred)
			}
		} else {
			for k := depth - 2; k >= 0; k-- {
				orderByBarycenter(l.Layers[k], l.Layers[k+1], succ)
			}
		}
		if c := crossings(l.Layers, succ); c < bestCross {
			best, bestCross = cloneLayers(l.Layers), c
		}
	}
	l.Layers = best
	l.Pos = make([]int, len(l.Layer))
	for _, nodes := range l.Layers {
		for i, v := range nodes {
			l.Pos[v] = i
		}
	}
	return l
}

// longestPath gives each node the length of the longest path reaching it
// from a source, visiting nodes in topological order (Kahn). If a cycle
// stops the walk, its first node in input order is taken as a source, so
// the edge that closes the cycle is the one that points backwards.
func longestPath(n int, edges [][2]int) []int {
	layer := make([]int, n)
	indeg := make([]int, n)
	out := make([][]int, n)
	for _, e := range edges {
		out[e[0]] = append(out[e[0]], e[1])
		indeg[e[1]]++
	}
	var queue []int
	for v := range n {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	done := make([]bool, n)
	for left := n; left > 0; left-- {
		if len(queue) == 0 {
			queue = append(queue, slices.IndexFunc(indeg, func(d int) bool { return d > 0 }))
		}
		v := queue[0]
		queue = queue[1:]
		done[v], indeg[v] = true, 0
		for _, w := range out[v] {
			if done[w] {
				continue
			}
			layer[w] = max(layer[w], layer[v]+1)
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	return layer
}

// adjacency returns the neighbours of each node in the previous and the
// next layer, along the edges' paths.
func adjacency(n int, paths [][]int) (pred, succ [][]int) {
	pred, succ = make([][]int, n), make([][]int, n)
	for _, p := range paths {
		for i := 1; i < len(p); i++ {
			succ[p[i-1]] = append(succ[p[i-1]], p[i])
			pred[p[i]] = append(pred[p[i]], p[i-1])
		}
	}
	return pred, succ
}

// orderByBarycenter sorts nodes by the mean position of their neighbours
// in the fixed layer; a node without neighbours keeps its position, and
// the sort is stable, so the result is deterministic.
func orderByBarycenter(nodes, fixed []int, neighbours [][]int) {
	pos := make(map[int]int, len(fixed))
	for i, v := range fixed {
		pos[v] = i
	}
	key := make(map[int]float64, len(nodes))
	for i, v := range nodes {
		key[v] = float64(i)
		if ns := neighbours[v]; len(ns) > 0 {
			sum := 0
			for _, w := range ns {
				sum += pos[w]
			}
			key[v] = float64(sum) / float64(len(ns))
		}
	}
	slices.SortStableFunc(nodes, func(a, b int) int { return cmp.Compare(key[a], key[b]) })
}

// crossings counts the pairs of edges that cross between adjacent layers.
func crossings(layers [][]int, succ [][]int) int {
	total := 0
	for k := 0; k+1 < len(layers); k++ {
		pos := make(map[int]int, len(layers[k+1]))
		for i, v := range layers[k+1] {
			pos[v] = i
		}
		var seg [][2]int
		for i, v := range layers[k] {
			for _, w := range succ[v] {
				seg = append(seg, [2]int{i, pos[w]})
			}
		}
		for i := range seg {
			for j := i + 1; j < len(seg); j++ {
				a, b := seg[i], seg[j]
				if (a[0] < b[0] && a[1] > b[1]) || (a[0] > b[0] && a[1] < b[1]) {
					total++
				}
			}
		}
	}
	return total
}

func cloneLayers(layers [][]int) [][]int {
	out := make([][]int, len(layers))
	for i, nodes := range layers {
		out[i] = slices.Clone(nodes)
	}
	return out
}
