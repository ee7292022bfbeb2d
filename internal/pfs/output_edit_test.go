package pfs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// staged stages files (path, content pairs) as a datum's output.
func staged(t *testing.T, a *API, files ...string) []fileset.File {
	t.Helper()
	var pairs [][2]string
	for i := 0; i+1 < len(files); i += 2 {
		pairs = append(pairs, [2]string{files[i], files[i+1]})
	}
	fs, err := a.StageFiles(context.Background(), upload(t, a, pairs, false), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestFinishOutputCommitFrom(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "out", ""); err != nil {
		t.Fatal(err)
	}
	open := func() tusk.Commit {
		t.Helper()
		c, err := a.StartCommit(ctx, tusk.DefaultProject, "out", "master", "")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := open()
	if _, err := a.FinishOutputCommit(ctx, tusk.DefaultProject, "out", base.ID, staged(t, a, "/a", "1", "/b", "2", "/d/x", "3"), "", nil); err != nil {
		t.Fatal(err)
	}
	c := open()
	for _, tt := range []struct {
		name    string
		base    string
		deletes []string
		puts    []fileset.File
	}{
		{"a file that stays", base.ID, []string{"/a"}, staged(t, a, "/b", "new")},
		{"a file over a directory", base.ID, nil, staged(t, a, "/d", "new")},
		{"a directory over a file", base.ID, nil, staged(t, a, "/a/y", "new")},
		{"one path twice", base.ID, []string{"/b"}, slices.Concat(staged(t, a, "/b", "x"), staged(t, a, "/b", "y"))},
		{"a base that is gone", "nope", nil, staged(t, a, "/z", "new")},
	} {
		_, err := a.FinishOutputCommitFrom(ctx, tusk.DefaultProject, "out", c.ID, tt.base, tt.deletes, tt.puts, nil)
		if !errors.Is(err, ErrNotEditable) {
			t.Errorf("%s: %v, want ErrNotEditable", tt.name, err)
		}
	}
	also := false
	done, err := a.FinishOutputCommitFrom(ctx, tusk.DefaultProject, "out", c.ID, base.ID, []string{"/a", "/b", "/missing"},
		staged(t, a, "/b", "new", "/c", "4"), func(*meta.Tx) error { also = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if done.State != tusk.CommitFinished || done.Files != 3 || !also {
		t.Errorf("finished commit = %+v, also run: %v", done, also)
	}
	if diff := cmp.Diff([]string{"/b=new", "/c=4", "/d/x=3"}, tree(t, a, "out@"+c.ID)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/a=1", "/b=2", "/d/x=3"}, tree(t, a, "out@"+base.ID)); diff != "" {
		t.Errorf("files of the base (-want +got):\n%s", diff)
	}
}
