package pfs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// triggerRepo makes repo data with branch master triggered by staging,
// and repo out whose master has data@master as provenance.
func triggerRepo(t *testing.T, a *API, trig tusk.Trigger) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []string{"data", "out"} {
		if _, err := a.CreateRepo(ctx, tusk.DefaultProject, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "data", "master", "", nil, &trig); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "out", "master", "", []tusk.BranchRef{{Repo: "data", Branch: "master"}}, nil); err != nil {
		t.Fatal(err)
	}
}

func head(t *testing.T, a *API, repo, branch string) string {
	t.Helper()
	b, err := a.InspectBranch(context.Background(), tusk.DefaultProject, repo, branch)
	if err != nil {
		t.Fatal(err)
	}
	return b.Head
}

// putN writes n commits of size bytes each (a new file each) to ref.
func putN(t *testing.T, a *API, ref string, n, size int) tusk.Commit {
	t.Helper()
	var c tusk.Commit
	for range n {
		c = put(t, a, ref, fmt.Sprintf("/f-%d", time.Now().UnixNano()), strings.Repeat("x", size))
	}
	return c
}

// TestTriggerCommits: master moves to staging's head at every second
// commit to staging, and the move propagates downstream in the commit
// set of the commit that fired it.
func TestTriggerCommits(t *testing.T) {
	a := newTestAPI(t)
	triggerRepo(t, a, tusk.Trigger{Branch: "staging", Commits: 2})
	before := head(t, a, "data", "master")
	putN(t, a, "data@staging", 1, 1)
	if got := head(t, a, "data", "master"); got != before {
		t.Fatalf("one commit moved master to %s", got)
	}
	c2 := putN(t, a, "data@staging", 1, 1)
	if got := head(t, a, "data", "master"); got != c2.ID {
		t.Fatalf("after two commits master is at %s, want staging's %s", got, c2.ID)
	}
	if got := head(t, a, "out", "master"); got != c2.ID {
		t.Errorf("downstream out@master is at %s, want a commit in set %s", got, c2.ID)
	}
	putN(t, a, "data@staging", 1, 1)
	if got := head(t, a, "data", "master"); got != c2.ID {
		t.Errorf("a third commit moved master to %s", got)
	}
	c4 := putN(t, a, "data@staging", 1, 1)
	if got := head(t, a, "data", "master"); got != c4.ID {
		t.Errorf("after four commits master is at %s, want %s", got, c4.ID)
	}
}

// TestTriggerSize: master moves once staging has grown by the size.
func TestTriggerSize(t *testing.T) {
	a := newTestAPI(t)
	triggerRepo(t, a, tusk.Trigger{Branch: "staging", Size: "1KB"})
	before := head(t, a, "data", "master")
	putN(t, a, "data@staging", 1, 600)
	if got := head(t, a, "data", "master"); got != before {
		t.Fatalf("600 bytes moved master to %s", got)
	}
	c := putN(t, a, "data@staging", 1, 600)
	if got := head(t, a, "data", "master"); got != c.ID {
		t.Fatalf("1200 bytes left master at %s, want %s", got, c.ID)
	}
}

// TestTriggerAllOrAny: with two conditions, any one moves the branch;
// with --trigger-all both must hold.
func TestTriggerAllOrAny(t *testing.T) {
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprint("all=", all), func(t *testing.T) {
			a := newTestAPI(t)
			triggerRepo(t, a, tusk.Trigger{Branch: "staging", Commits: 2, Size: "1KB", All: all})
			before := head(t, a, "data", "master")
			c := putN(t, a, "data@staging", 2, 10)
			got := head(t, a, "data", "master")
			if !all && got != c.ID {
				t.Fatalf("any: two commits left master at %s, want %s", got, c.ID)
			}
			if all && got != before {
				t.Fatalf("all: two small commits moved master to %s", got)
			}
			if !all {
				return
			}
			c = putN(t, a, "data@staging", 1, 1100)
			if got := head(t, a, "data", "master"); got != c.ID {
				t.Errorf("all: commits and size met, master at %s, want %s", got, c.ID)
			}
		})
	}
}

// TestTriggerChain: prod triggers on master, which triggers on staging;
// one finished commit can move both.
func TestTriggerChain(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	triggerRepo(t, a, tusk.Trigger{Branch: "staging", Commits: 1})
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "data", "prod", "", nil, &tusk.Trigger{Branch: "master", Commits: 2}); err != nil {
		t.Fatal(err)
	}
	prod := head(t, a, "data", "prod")
	c1 := putN(t, a, "data@staging", 1, 1)
	if got := head(t, a, "data", "master"); got != c1.ID {
		t.Fatalf("master at %s, want %s", got, c1.ID)
	}
	if got := head(t, a, "data", "prod"); got != prod {
		t.Fatalf("prod moved after one commit, to %s", got)
	}
	c2 := putN(t, a, "data@staging", 1, 1)
	if got := head(t, a, "data", "prod"); got != c2.ID {
		t.Errorf("prod at %s after two commits through master, want %s", got, c2.ID)
	}
}

// TestTriggerCron: a cron trigger does not fire before its tick, fires
// at a tick (FireCronTriggers, as the leader calls it) when the watched
// branch has moved, and its chained branches follow.
func TestTriggerCron(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	triggerRepo(t, a, tusk.Trigger{Branch: "staging", Cron: "@yearly"})
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "data", "prod", "", nil, &tusk.Trigger{Branch: "master", All: true}); err != nil {
		t.Fatal(err)
	}
	before := head(t, a, "data", "master")
	c := putN(t, a, "data@staging", 1, 1)
	if err := a.FireCronTriggers(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := head(t, a, "data", "master"); got != before {
		t.Fatalf("no tick passed, yet master moved to %s", got)
	}
	if err := a.FireCronTriggers(ctx, time.Now().AddDate(1, 0, 1)); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"master", "prod"} {
		if got := head(t, a, "data", b); got != c.ID {
			t.Errorf("after a tick %s is at %s, want %s", b, got, c.ID)
		}
	}
	if got := head(t, a, "out", "master"); got == before || got == "" {
		t.Errorf("the move did not propagate to out@master (%q)", got)
	}
	next, err := a.nextCronTick(ctx, time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	if err != nil || !next.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("next tick %v, %v; want 2027-01-01", next, err)
	}
}

// TestTriggerSkipsFailedCommits: a failed commit moves nothing, even
// with a trigger that fires on every commit.
func TestTriggerSkipsFailedCommits(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	triggerRepo(t, a, tusk.Trigger{Branch: "staging", All: true})
	ok := putN(t, a, "data@staging", 1, 1)
	if got := head(t, a, "data", "master"); got != ok.ID {
		t.Fatalf("master at %s, want %s", got, ok.ID)
	}
	c, err := a.StartCommit(ctx, tusk.DefaultProject, "data", "staging", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.FinishCommit(ctx, tusk.Ref{Repo: "data", ID: c.ID}, "", "bad data"); err != nil {
		t.Fatal(err)
	}
	if got := head(t, a, "data", "master"); got != ok.ID {
		t.Errorf("a failed commit moved master to %s", got)
	}
}

// TestTriggerRefused: bad triggers are refused with what is wrong, and
// nothing is stored.
func TestTriggerRefused(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	triggerRepo(t, a, tusk.Trigger{Branch: "staging", Commits: 1})
	for _, c := range []struct {
		repo, branch string
		trig         tusk.Trigger
		want         string
	}{
		{"data", "b", tusk.Trigger{Commits: 1}, "names no branch"},
		{"data", "b", tusk.Trigger{Branch: "staging", Cron: "every day"}, "cron spec"},
		{"data", "b", tusk.Trigger{Branch: "staging", Size: "lots"}, "trigger size"},
		{"data", "b", tusk.Trigger{Branch: "staging", Commits: -1}, "negative"},
		{"data", "b", tusk.Trigger{Branch: "staging"}, "no condition"},
		{"data", "b", tusk.Trigger{Branch: "b", Commits: 1}, "loop"},
		{"data", "staging", tusk.Trigger{Branch: "master", Commits: 1}, "loop"},
		{"data", "b", tusk.Trigger{Branch: "no branch", Commits: 1}, "branch"},
		{"out", "master", tusk.Trigger{Branch: "staging", Commits: 1}, "provenance"},
	} {
		_, err := a.CreateBranch(ctx, tusk.DefaultProject, c.repo, c.branch, "", nil, &c.trig)
		if !errors.Is(err, tusk.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s@%s %+v: %v, want an invalid-input error about %q", c.repo, c.branch, c.trig, err, c.want)
		}
	}
	if b, err := a.InspectBranch(ctx, tusk.DefaultProject, "data", "staging"); err == nil && b.Trigger != nil {
		t.Errorf("a refused trigger was stored: %+v", b.Trigger)
	}
	if _, err := a.InspectBranch(ctx, tusk.DefaultProject, "data", "b"); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("a refused branch was created: %v", err)
	}
}
