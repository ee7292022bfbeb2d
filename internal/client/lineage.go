package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// LineageNode is where a file came from: for a file a pipeline wrote, the
// job and datum that wrote it and, recursively, its inputs; for a file of
// a user's commit, that commit.
type LineageNode struct {
	Repo   string `json:"repo"`
	Commit string `json:"commit"`
	Path   string `json:"path"`
	Hash   string `json:"hash,omitempty"`
	Origin string `json:"origin,omitempty"` // the commit's: USER or AUTO

	// Of a file a pipeline wrote.
	Pipeline        string         `json:"pipeline,omitempty"`
	Job             string         `json:"job,omitempty"`
	Datum           string         `json:"datum,omitempty"`
	PipelineVersion int            `json:"pipeline_version,omitempty"`
	Cmd             []string       `json:"cmd,omitempty"`
	Image           string         `json:"image,omitempty"`
	ImageDigest     string         `json:"image_digest,omitempty"`
	Inputs          []*LineageNode `json:"inputs,omitempty"`
	// Note says why the walk stopped here, when it did.
	Note string `json:"note,omitempty"`
}

// Lineage finds where repo@commit:path came from, following depth
// pipelines upstream (0: all the way to the commits users made). It walks
// the records the API already serves: a pipeline's output commit has the
// ID of its job, and each datum of the job keeps its inputs and the paths
// it wrote.
func (c *Client) Lineage(ctx context.Context, repo, commit, path string, depth int) (*LineageNode, error) {
	n := &LineageNode{Repo: repo, Commit: commit, Path: path}
	fi, err := c.InspectFile(ctx, repo+"@"+commit+":"+path)
	if err != nil {
		return nil, fmt.Errorf("lineage of %s@%s:%s: %w", repo, commit, path, err)
	}
	n.Hash = fi.Hash
	cm, err := c.InspectCommit(ctx, repo+"@"+commit)
	if err != nil {
		return nil, err
	}
	n.Origin = cm.Origin
	j, err := c.InspectJob(ctx, repo, commit)
	if errors.Is(err, tusk.ErrNotFound) {
		return n, nil // a commit a user made, or a repo no pipeline writes
	}
	if err != nil {
		return nil, err
	}
	n.Pipeline, n.Job, n.PipelineVersion, n.Cmd = j.Pipeline, j.ID, j.PipelineVersion, j.Cmd
	// A directory (the input of a datum of glob "/", say) was written
	// by the datums that wrote files under it: followed when it is one.
	dir := strings.TrimSuffix(path, "/") + "/"
	under := func(out string) bool { return out == path || fi.Type == "dir" && strings.HasPrefix(out, dir) }
	var writer *tusk.DatumInfo
	writers := 0
	err = c.ListDatums(ctx, j.Pipeline, j.ID, "", func(d tusk.DatumInfo) error {
		if slices.ContainsFunc(d.Outputs, under) {
			if writers++; writer == nil {
				writer = &d
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case writers == 0:
		n.Note = "no datum of job " + j.ID + " records writing this path (written before datums kept their outputs, or by a spout or egress)"
		return n, nil
	case writers > 1:
		n.Note = fmt.Sprintf("a directory: %d datums of job %s wrote files under it; ask for the lineage of one of its files", writers, j.ID)
		return n, nil
	}
	wrote := writer
	n.Datum, n.Image, n.ImageDigest = wrote.ID, j.Image, wrote.ImageDigest
	if depth == 1 {
		n.Note = "--depth reached"
		for _, in := range wrote.Inputs {
			n.Inputs = append(n.Inputs, &LineageNode{Repo: in.RepoName(), Commit: in.Commit, Path: in.Path})
		}
		return n, nil
	}
	for _, in := range wrote.Inputs {
		if in.Path == "" {
			continue
		}
		up, err := c.Lineage(ctx, in.RepoName(), in.Commit, in.Path, max(depth-1, 0))
		if err != nil {
			return nil, err
		}
		n.Inputs = append(n.Inputs, up)
	}
	return n, nil
}
