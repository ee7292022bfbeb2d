package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// onBackends runs test on a service over SQLite, and over PostgreSQL
// when the environment has one.
func onBackends(t *testing.T, test func(t *testing.T, s *Service, files *pfs.API)) {
	t.Run("sqlite", func(t *testing.T) {
		s, files := newService(t, filepath.Join(t.TempDir(), "meta.db"))
		test(t, s, files)
	})
	t.Run("postgres", func(t *testing.T) {
		s, files := newService(t, testenv.PostgresDatabase(t))
		test(t, s, files)
	})
}

func newService(t *testing.T, dsn string) (*Service, *pfs.API) {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := pfs.Open(ctx, db, blob.NewMemory(), pfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return New(db, files, nil, slog.Default()), files
}

func startCommit(repo string) tusk.TxnRequest {
	return tusk.TxnRequest{StartCommit: &tusk.StartCommitRequest{Repo: repo, Branch: "master"}}
}

func finishCommit(repo string) tusk.TxnRequest {
	return tusk.TxnRequest{FinishCommit: &tusk.FinishCommitRequest{Ref: repo + "@master"}}
}

func TestRecordThenFinish(t *testing.T) { onBackends(t, testRecordThenFinish) }

func testRecordThenFinish(t *testing.T, s *Service, files *pfs.API) {
	ctx := context.Background()
	info, err := s.Start(ctx, "user:alice")
	if err != nil {
		t.Fatal(err)
	}
	reqs := []tusk.TxnRequest{
		{CreateRepo: &tusk.CreateRepoRequest{Name: "a"}},
		startCommit("a"),
		finishCommit("a"),
	}
	for i, req := range reqs {
		resp, err := s.Append(ctx, info.ID, "user:alice", req)
		if err != nil {
			t.Fatalf("append %s: %v", req, err)
		}
		if i == 1 && (resp.Commit == nil || resp.Commit.ID != info.ID) {
			t.Errorf("start commit answered %+v, want the commit of ID %s", resp.Commit, info.ID)
		}
	}
	// Recorded, not applied.
	if _, err := files.InspectRepo(ctx, tusk.DefaultProject, "a"); !errors.Is(err, tusk.ErrNotFound) {
		t.Fatalf("repo a before finish: %v, want not found", err)
	}
	// A request the dry run refuses is not recorded.
	if _, err := s.Append(ctx, info.ID, "user:alice", startCommit("a")); !errors.Is(err, tusk.ErrConflict) {
		t.Errorf("a second commit in repo a: %v, want a conflict", err)
	}
	if _, err := s.Append(ctx, info.ID, "", tusk.TxnRequest{}); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("an empty request: %v, want invalid", err)
	}
	got, err := s.Inspect(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Requests) != 3 || got.Creator != "user:alice" || got.Requests[1].Subject != "user:alice" {
		t.Fatalf("inspect = %+v, want the 3 requests of user:alice", got)
	}

	done, err := s.Finish(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Responses) != 3 {
		t.Errorf("finish answered %d responses, want 3", len(done.Responses))
	}
	c, err := files.InspectCommit(ctx, tusk.Ref{Repo: "a", Branch: "master"})
	if err != nil || c.ID != info.ID || c.State != tusk.CommitFinished {
		t.Errorf("a@master after finish = %+v, %v; want finished commit %s", c, err, info.ID)
	}
	if _, err := s.Inspect(ctx, info.ID); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("inspect after finish: %v, want not found", err)
	}
}

// A request that fails at finish (its repo was deleted meanwhile) leaves
// everything as it was, the transaction included.
func TestFailedFinishAppliesNothing(t *testing.T) { onBackends(t, testFailedFinishAppliesNothing) }

func testFailedFinishAppliesNothing(t *testing.T, s *Service, files *pfs.API) {
	ctx := context.Background()
	for _, r := range []string{"a", "b"} {
		if _, err := files.CreateRepo(ctx, tusk.DefaultProject, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []tusk.TxnRequest{startCommit("a"), finishCommit("a"), startCommit("b")} {
		if _, err := s.Append(ctx, info.ID, "", req); err != nil {
			t.Fatal(err)
		}
	}
	if err := files.DeleteRepo(ctx, tusk.DefaultProject, "b", false); err != nil {
		t.Fatal(err)
	}
	_, err = s.Finish(ctx, info.ID)
	if !errors.Is(err, tusk.ErrNotFound) || !strings.Contains(err.Error(), "request 3 of 3 (start commit b@master)") {
		t.Fatalf("finish with repo b gone: %v, want not found naming request 3", err)
	}
	if _, err := files.InspectCommit(ctx, tusk.Ref{Repo: "a", Branch: "master"}); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("a@master after the failed finish: %v, want no commit", err)
	}
	if _, err := s.Inspect(ctx, info.ID); err != nil {
		t.Errorf("the transaction after the failed finish: %v, want it kept", err)
	}
	if err := s.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	all, err := s.List(ctx)
	if err != nil || len(all) != 0 {
		t.Errorf("list after delete = %+v, %v; want none", all, err)
	}
	if _, err := s.Finish(ctx, info.ID); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("finish of a deleted transaction: %v, want not found", err)
	}
}

// Requests recorded concurrently in one transaction are all kept, once
// each: a write from a stale read is retried after the other.
func TestConcurrentAppends(t *testing.T) { onBackends(t, testConcurrentAppends) }

func testConcurrentAppends(t *testing.T, s *Service, _ *pfs.API) {
	ctx := context.Background()
	info, err := s.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for w := range 2 {
		wg.Go(func() {
			for i := range 5 {
				name := fmt.Sprintf("r%d-%d", w, i)
				if _, err := s.Append(ctx, info.ID, "", tusk.TxnRequest{CreateRepo: &tusk.CreateRepoRequest{Name: name}}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := s.Inspect(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range got.Requests {
		seen[r.CreateRepo.Name] = true
	}
	if len(got.Requests) != 10 || len(seen) != 10 {
		t.Errorf("recorded %d requests of %d repos, want 10 of 10", len(got.Requests), len(seen))
	}
}
