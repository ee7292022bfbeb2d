package console

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Sizes of the DAG drawing, in SVG units (pixels at scale 1).
const (
	nodeW, nodeH = 200, 54
	gapX, gapY   = 72, 20
	pad          = 12
	maxLabel     = 22
)

// dag is a drawing of the repos and pipelines: one node per user repo and
// per pipeline (which stands for its output repo too), one edge per input.
type dag struct {
	Width, Height int
	NodeW, NodeH  int
	Nodes         []dagNode
	Edges         []string // SVG path data
}

// dagNode is a box of the drawing, linking to its page.
type dagNode struct {
	Kind, Name, Label, Sub, Tone, URL string
	X, Y                              int
}

// buildDAG lays out the graph of repos and pipelines: sources on the left,
// each pipeline right of its inputs.
func buildDAG(repos []tusk.Repo, pipes []tusk.PipelineInfo) dag {
	var nodes []dagNode
	index := map[string]int{}
	add := func(n dagNode) {
		index[n.Name] = len(nodes)
		nodes = append(nodes, n)
	}
	isPipeline, isInput := map[string]bool{}, map[string]bool{}
	for _, p := range pipes {
		isPipeline[p.Name] = true
		for _, in := range p.Inputs {
			isInput[in.Repo] = true
		}
	}
	// Repos that feed pipelines first, so that lone repos sink to the bottom.
	repos = slices.Clone(repos)
	slices.SortFunc(repos, func(a, b tusk.Repo) int {
		if isInput[a.Name] != isInput[b.Name] {
			if isInput[a.Name] {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, r := range repos {
		if !isPipeline[r.Name] && (r.Type == "" || r.Type == "user") {
			add(dagNode{Kind: "repo", Name: r.Name, Sub: "repo · " + formatBytes(r.SizeBytes), Tone: "repo", URL: repoURL(r.Name)})
		}
	}
	pipes = slices.Clone(pipes)
	slices.SortFunc(pipes, func(a, b tusk.PipelineInfo) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range pipes {
		sub := strings.ToLower(p.State)
		if p.LastJobState != "" {
			sub += " · job " + strings.ToLower(p.LastJobState)
		}
		add(dagNode{Kind: "pipeline", Name: p.Name, Sub: sub, Tone: pipelineTone(p), URL: pipelineURL(p.Name)})
	}
	g := Graph{}
	for _, p := range pipes {
		for _, in := range p.Inputs {
			if _, ok := index[in.Repo]; !ok {
				add(dagNode{Kind: "repo", Name: in.Repo, Sub: "repo", Tone: "repo", URL: repoURL(in.Repo)})
			}
			g.Edges = append(g.Edges, [2]int{index[in.Repo], index[p.Name]})
		}
	}
	g.Edges = slices.Compact(g.Edges)
	for i := range nodes {
		g.Nodes = append(g.Nodes, nodes[i].Name)
		nodes[i].Label = truncate(nodes[i].Name, maxLabel)
	}
	return place(LayOut(g), nodes)
}

// place turns a layout into coordinates, centring each layer vertically.
func place(l Layout, nodes []dagNode) dag {
	rows := 0
	for _, layer := range l.Layers {
		rows = max(rows, len(layer))
	}
	d := dag{
		NodeW: nodeW, NodeH: nodeH,
		Width:  2*pad + len(l.Layers)*(nodeW+gapX) - gapX,
		Height: 2*pad + rows*(nodeH+gapY) - gapY,
	}
	x := func(v int) int { return pad + l.Layer[v]*(nodeW+gapX) }
	y := func(v int) int {
		free := (rows - len(l.Layers[l.Layer[v]])) * (nodeH + gapY)
		return pad + free/2 + l.Pos[v]*(nodeH+gapY)
	}
	for v := range nodes {
		nodes[v].X, nodes[v].Y = x(v), y(v)
	}
	d.Nodes = nodes
	for _, path := range l.Paths {
		if path == nil {
			continue
		}
		var b strings.Builder
		px, py := x(path[0])+nodeW, y(path[0])+nodeH/2
		fmt.Fprintf(&b, "M%d %d", px, py)
		for i, v := range path[1:] {
			nx, ny := x(v), y(v)+nodeH/2
			mid := (px + nx) / 2
			fmt.Fprintf(&b, " C%d %d %d %d %d %d", mid, py, mid, ny, nx, ny)
			px, py = nx, ny
			if i < len(path)-2 { // a dummy: run straight across its slot
				px += nodeW
				fmt.Fprintf(&b, " L%d %d", px, py)
			}
		}
		d.Edges = append(d.Edges, b.String())
	}
	return d
}

// pipelineTone colours a pipeline by its state and its last job's.
func pipelineTone(p tusk.PipelineInfo) string {
	switch {
	case p.State == tusk.PipelineFailure || p.State == tusk.PipelineCrashing:
		return "bad"
	case p.LastJobState == tusk.JobFailure || p.LastJobState == tusk.JobKilled || p.LastJobState == tusk.JobUnrunnable:
		return "bad"
	case p.LastJobState != "" && !tusk.JobDone(p.LastJobState), p.State == tusk.PipelineStarting:
		return "busy"
	case p.Stopped || p.State == tusk.PipelinePaused:
		return "idle"
	}
	return "ok"
}

// truncate shortens s to n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
