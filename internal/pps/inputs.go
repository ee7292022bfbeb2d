package pps

import (
	"cmp"
	"context"
	"encoding/json"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/pps/datum"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A job reads its inputs at fixed commits: the pipeline's input, with
// each pfs and cron input pinned to the job's commit of its branch,
// makes the job's datums (package datum).

// ResolvedInput returns a copy of the pipeline's input with each pfs and
// cron input pinned to the job's input commit of its branch.
func ResolvedInput(p *spec.Pipeline, j *tusk.JobInfo) (*spec.Input, error) {
	b, err := json.Marshal(p.Input)
	if err != nil {
		return nil, err
	}
	var in spec.Input
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	commitOf := func(project, repo, branch string) string {
		for _, c := range j.Inputs {
			if c.Project == tusk.OtherProject(project) && c.Repo == repo && c.Branch == branch {
				return c.ID
			}
		}
		return ""
	}
	spec.Walk(&in, func(x *spec.Input) {
		switch {
		case x.PFS != nil:
			x.PFS.Commit = commitOf(x.PFS.Project, x.PFS.Repo, x.PFS.Branch)
		case x.Cron != nil:
			x.Cron.Commit = commitOf("", x.Cron.Repo, "master")
		}
	})
	return &in, nil
}

// InputFiles lists the files of a commit of a project's repo
// (pfs.API.InputFiles).
type InputFiles func(ctx context.Context, project, repo, commit string) ([]fileset.File, error)

// InputLister lists the files of the input commits of an input resolved
// for a job (ResolvedInput), each commit once, through files.
func InputLister(ctx context.Context, files InputFiles) datum.Lister {
	cache := map[string][]datum.File{}
	return datum.ListerFunc(func(x *spec.PFSInput) ([]datum.File, error) {
		if x.Commit == "" {
			return nil, nil
		}
		project := cmp.Or(x.Project, tusk.DefaultProject)
		key := project + "/" + x.Repo + "@" + x.Commit
		if fs, ok := cache[key]; ok {
			return fs, nil
		}
		list, err := files(ctx, project, x.Repo, x.Commit)
		if err != nil {
			return nil, err
		}
		out := make([]datum.File, len(list))
		for i, f := range list {
			out[i] = datum.File{Path: f.Path, Hash: f.Hash, Size: f.Size}
		}
		cache[key] = out
		return out, nil
	})
}

// DatumInputs describes the inputs of a datum, and returns the size of
// their files.
func DatumInputs(d datum.Datum) ([]tusk.DatumInput, int64) {
	var size int64
	out := make([]tusk.DatumInput, len(d.Inputs))
	for i, x := range d.Inputs {
		out[i] = tusk.DatumInput{Name: x.Name, Project: x.Project, Repo: x.Repo, Branch: x.Branch, Commit: x.Commit,
			Path: x.Path, JoinOn: x.JoinOn, GroupBy: x.GroupBy, EmptyFiles: x.EmptyFiles, Lazy: x.Lazy, S3: x.S3}
		for _, f := range x.Files {
			size += f.Size
		}
	}
	return out, size
}
