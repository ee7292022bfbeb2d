package server

import (
	"context"
	"errors"
	"testing"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A transaction records a request only if its caller has the roles the
// request needs; others do not see a transaction they did not start; a
// repo created by a transaction is owned by whoever recorded it.
func TestTransactionsUnderAuth(t *testing.T) {
	ctx := context.Background()
	_, addr, token := startTestServer(t, Config{})
	admin, _ := client.New(addr, client.WithToken(token))
	rs := robots(t, addr, admin, "alice", "bob")
	alice, bob := rs[0], rs[1]
	if _, err := admin.CreateRepo(ctx, "shared", ""); err != nil {
		t.Fatal(err)
	}
	if err := admin.SetRoles(ctx, "shared", "robot:alice", []string{auth.RepoReader}); err != nil {
		t.Fatal(err)
	}

	info, err := alice.StartTransaction(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := alice.InTransaction(info.ID)
	_, err = in.StartCommit(ctx, "shared", "master", "")
	wantForbidden(t, "alice, a reader, records start commit", err, "repoWriter")
	if _, err := in.CreateRepo(ctx, "mine", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := in.StartCommit(ctx, "mine", "master", ""); err != nil {
		t.Fatal(err)
	}

	if _, err := bob.InspectTransaction(ctx, info.ID); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("bob inspects alice's transaction: %v, want not found", err)
	}
	if err := bob.DeleteTransaction(ctx, info.ID); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("bob deletes alice's transaction: %v, want not found", err)
	}
	if l, err := bob.ListTransactions(ctx); err != nil || len(l) != 0 {
		t.Errorf("bob lists %+v, %v; want none", l, err)
	}
	if l, err := admin.ListTransactions(ctx); err != nil || len(l) != 1 || l[0].Creator != "robot:alice" {
		t.Errorf("a cluster admin lists %+v, %v; want alice's", l, err)
	}

	if _, err := alice.FinishTransaction(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	bs, err := alice.Roles(ctx, "mine")
	if err != nil || !hasRole(bs, "robot:alice", auth.RepoOwner) {
		t.Errorf("roles on the repo alice's transaction made: %v, %v; want alice its owner", bs, err)
	}
	if c, err := alice.InspectCommit(ctx, "mine@master"); err != nil || c.ID != info.ID {
		t.Errorf("mine@master = %+v, %v; want the transaction's commit %s", c, err, info.ID)
	}
}
