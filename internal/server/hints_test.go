package server

import (
	"context"
	"errors"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// TestNotFoundHints checks that what a lookup did not find comes back
// with the command that creates or lists it.
func TestNotFoundHints(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if _, err := c.CreateRepo(ctx, "imgs", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePipeline(ctx, []byte(`{"pipeline": {"name": "edges"}, "input": {"pfs": {"repo": "imgs", "glob": "/*"}}, "transform": {"cmd": ["true"]}}`), false, false, false); err != nil {
		t.Fatal(err)
	}
	jobs, err := c.ListJobs(ctx, "edges", "", 1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs of edges: %v, %v", jobs, err)
	}
	job := jobs[0].ID
	for _, tc := range []struct {
		what string
		err  error
		hint string
	}{
		{"repo", second(c.InspectRepo(ctx, "nope")), "create it with: tusk create repo nope"},
		{"branch", second(c.InspectBranch(ctx, "imgs", "dev")), "list branches with: tusk list branch imgs"},
		{"commit", second(c.InspectCommit(ctx, "imgs@0123456789abcdef0123456789abcdef")), "list commits with: tusk list commit imgs"},
		{"pipeline", second(c.InspectPipeline(ctx, "nope")), "list pipelines with: tusk list pipeline"},
		{"job", second(c.InspectJob(ctx, "nope", "0123456789abcdef0123456789abcdef")), "list jobs with: tusk list job -p nope"},
		{"datum", second(c.InspectDatum(ctx, "edges", job, "0123456789abcdef")), "list datums with: tusk list datum edges@" + job},
	} {
		var te *tusk.Error
		if !errors.As(tc.err, &te) || te.Kind != tusk.KindNotFound || te.Hint != tc.hint {
			t.Errorf("missing %s: %#v, want kind not_found with the hint %q", tc.what, tc.err, tc.hint)
		}
	}
}

func second[T any](_ T, err error) error { return err }
