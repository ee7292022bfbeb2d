package cli

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A commitSet is the commits one change made, one per repo it reached,
// under one ID: what pachctl's list commit prints one row of when it is
// given no argument.
type commitSet struct {
	ID      string
	Commits []tusk.Commit
}

var commitSetHeader = []string{"ID", "SUBCOMMITS", "PROGRESS", "CREATED", "MODIFIED"}

// listCommitSets gathers the commit sets of every repo the caller may
// read, newest first, at most n of them (0: all). A set has one commit in
// a repo at most, so the n newest sets are among each repo's n newest
// commits.
func listCommitSets(ctx context.Context, c *client.Client, n int) ([]commitSet, error) {
	repos, err := c.ListRepos(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*commitSet{}
	for _, r := range repos {
		err := c.ListCommits(ctx, r.Name, "", n, func(cm tusk.Commit) error {
			s := byID[cm.ID]
			if s == nil {
				s = &commitSet{ID: cm.ID}
				byID[cm.ID] = s
			}
			s.Commits = append(s.Commits, cm)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sets := make([]commitSet, 0, len(byID))
	for _, s := range byID {
		sets = append(sets, *s)
	}
	slices.SortFunc(sets, func(a, b commitSet) int {
		if c := commitSetCreated(b).Compare(commitSetCreated(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if n > 0 && len(sets) > n {
		sets = sets[:n]
	}
	return sets, nil
}

// commitSetCreated is when the first commit of s started.
func commitSetCreated(s commitSet) time.Time {
	t := s.Commits[0].Started
	for _, c := range s.Commits {
		t = earliest(t, c.Started)
	}
	return t
}

// commitSetShape is a commit set as pachctl prints it in JSON.
func commitSetShape(s commitSet) any {
	return pachapi.CommitSetInfoFrom(s.ID, s.Commits)
}

// commitSetCells are a commit set's table cells: how many of its commits
// finished, and finished with an error (pachctl draws these as a bar),
// when the first started and when the last did.
func commitSetCells(p printer) func(commitSet) []string {
	return func(s commitSet) []string {
		ok, failed := 0, 0
		modified := s.Commits[0].Started
		for _, c := range s.Commits {
			switch {
			case c.Finished != nil && c.Error != "":
				failed++
			case c.Finished != nil:
				ok++
			}
			modified = latest(modified, c.Started)
		}
		return []string{s.ID, strconv.Itoa(len(s.Commits)), setProgress(ok, failed, len(s.Commits)), p.ago(commitSetCreated(s)), p.ago(modified)}
	}
}

// printCommitSet prints the commits of one commit set: as a table of
// commits, or as one CommitSetInfo.
func printCommitSet(p printer, s commitSet) error {
	if p.json {
		return p.object(commitSetShape(s))
	}
	return printAll(p, commitHeader, commitCells(p), s.Commits)
}
