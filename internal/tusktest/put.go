package tusktest

import (
	"context"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Put commits files, given as path and content pairs, to repo@master in
// one commit.
func Put(ctx context.Context, t testing.TB, c *client.Client, repo string, files ...string) tusk.Commit {
	t.Helper()
	up, err := c.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(files); i += 2 {
		if err := up.PutFile(files[i], strings.NewReader(files[i+1]), false); err != nil {
			t.Fatal(err)
		}
	}
	commit, err := up.Commit(repo + "@master")
	if err != nil {
		t.Fatal(err)
	}
	return commit
}
