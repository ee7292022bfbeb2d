package metatest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

func ancestry(t *testing.T, db *meta.DB, id string, limit int) []string {
	t.Helper()
	return ids(get(t, db, func(tx *meta.Tx) ([]meta.CommitRow, error) {
		return tx.Ancestry(t.Context(), project, "images", id, limit)
	}))
}

// testAncestry walks a chain of 50 commits, next to a branch off its middle
// and a repo that reuses its IDs.
func testAncestry(t *testing.T, db *meta.DB) {
	const n = 50
	var chain []meta.CommitRow
	var all []string // newest first
	for i := range n {
		parent := ""
		if i > 0 {
			parent = chain[i-1].ID
		}
		c := newCommit("images", fmt.Sprintf("c%02d", i), parent, at(time.Duration(i)*time.Second))
		chain = append(chain, c)
		all = append([]string{c.ID}, all...)
	}
	insertCommits(t, db, chain...)
	insertCommits(t, db, newCommit("images", "side", "c20", at(time.Hour)),
		newCommit("labels", "c49", "", t0), newCommit("labels", "c48", "c49", t0))

	diff(t, "full ancestry (limit 0)", all, ancestry(t, db, "c49", 0))
	diff(t, "full ancestry (limit -1)", all, ancestry(t, db, "c49", -1))
	diff(t, "full ancestry (limit above length)", all, ancestry(t, db, "c49", n+10))
	diff(t, "ancestry (limit exact)", all, ancestry(t, db, "c49", n))
	diff(t, "ancestry (limit 1)", []string{"c49"}, ancestry(t, db, "c49", 1))
	diff(t, "ancestry (limit 3)", []string{"c49", "c48", "c47"}, ancestry(t, db, "c49", 3))
	diff(t, "ancestry of the side commit", append([]string{"side"}, all[n-21:]...), ancestry(t, db, "side", 0))
	diff(t, "ancestry of the root", []string{"c00"}, ancestry(t, db, "c00", 0))
	if got := ancestry(t, db, "missing", 0); len(got) != 0 {
		t.Errorf("ancestry of a missing commit = %v, want none", got)
	}

	// A parent that is not stored (deleted, say) ends the chain.
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteCommit(t.Context(), project, "images", "c45") })
	diff(t, "ancestry across a deleted commit", all[:4], ancestry(t, db, "c49", 0))
}

// testRepoCommitsPaging pages through commits of which groups of three
// share their Started time, so that only the ID orders them within a group.
func testRepoCommitsPaging(t *testing.T, db *meta.DB) {
	const n = 14
	var cs []meta.CommitRow
	for i := range n {
		// IDs are inserted out of order within each group of equal times.
		id := fmt.Sprintf("k%02d", (i*5)%n)
		cs = append(cs, newCommit("images", id, "", at(time.Duration(i/3)*time.Millisecond)))
	}
	insertCommits(t, db, cs...)
	insertCommits(t, db, newCommit("labels", "k99", "", at(time.Second)))
	want := slices.Clone(cs)
	slices.SortFunc(want, func(a, b meta.CommitRow) int {
		if c := b.Started.Compare(a.Started); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	list := func(before *meta.CommitRow, limit int) []meta.CommitRow {
		return get(t, db, func(tx *meta.Tx) ([]meta.CommitRow, error) {
			return tx.RepoCommits(t.Context(), project, "images", before, limit)
		})
	}
	diff(t, "all commits (limit 0)", want, list(nil, 0))

	for _, limit := range []int{1, 2, 3, 4, 5, n} {
		var got []meta.CommitRow
		var before *meta.CommitRow
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatalf("limit %d: paging does not end", limit)
			}
			page := list(before, limit)
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d commits", limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			before = &meta.CommitRow{}
			before.ID, before.Started = page[len(page)-1].ID, page[len(page)-1].Started
		}
		diff(t, fmt.Sprintf("pages of %d", limit), ids(want), ids(got))
	}
	// The cursor need not be a stored commit: it is only a position. Here it
	// sits inside the group k13, k08, k03 (newest first).
	cursor := &meta.CommitRow{}
	cursor.ID, cursor.Started = "k10", want[2].Started
	diff(t, "page after a synthetic cursor", []string{"k08", "k03", "k12"}, ids(list(cursor, 3)))
}

func testCommitSet(t *testing.T, db *meta.DB) {
	insertCommits(t, db, newCommit("labels", "s1", "", t0), newCommit("images", "s1", "", at(1)),
		newCommit("models", "s1", "s0", at(2)), newCommit("images", "s2", "s1", at(3)))
	set := func(id string) []meta.CommitRow {
		return get(t, db, func(tx *meta.Tx) ([]meta.CommitRow, error) { return tx.CommitSet(t.Context(), id) })
	}
	diff(t, "commit set s1", []meta.CommitRow{newCommit("images", "s1", "", at(1)),
		newCommit("labels", "s1", "", t0), newCommit("models", "s1", "s0", at(2))}, set("s1"))
	diff(t, "commit set s2", []string{"images"}, repoNames(set("s2")))
	if got := set("missing"); len(got) != 0 {
		t.Errorf("commit set of an unknown ID = %v, want none", got)
	}
}

func testAllRoots(t *testing.T, db *meta.DB) {
	roots := func() []string {
		rs := get(t, db, func(tx *meta.Tx) ([]string, error) { return tx.AllRoots(t.Context()) })
		slices.Sort(rs)
		return rs
	}
	if got := roots(); len(got) != 0 {
		t.Errorf("roots of an empty store = %v, want none", got)
	}
	withRoot := func(c meta.CommitRow, root string) meta.CommitRow {
		c.Root = root
		return c
	}
	insertCommits(t, db,
		withRoot(newCommit("images", "c1", "", t0), "r1"),
		withRoot(newCommit("images", "c2", "c1", t0), "r2"),
		withRoot(newCommit("labels", "c1", "", t0), "r1"),
		finished(newCommit("labels", "c2", "c1", t0), "r3", t0),
		newCommit("images", "c3", "c2", t0),
	)
	diff(t, "roots", []string{"r1", "r2", "r3"}, roots())
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteCommit(t.Context(), project, "images", "c2") })
	diff(t, "roots after deleting a commit", []string{"r1", "r3"}, roots())
}
