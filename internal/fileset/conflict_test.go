package fileset

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestApplyPathConflicts(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := build(t, st, []File{testFile("/a/b", 1), testFile("/a/c/d", 1), testFile("/f", 1)})
	for _, tc := range []struct {
		name    string
		changes []Change
		paths   []string // named in the error; none if the batch is fine
	}{
		{"put a directory's path", []Change{put("/a", 1)}, []string{"/a", "/a/b"}},
		{"put a nested directory's path", []Change{put("/a/c", 1)}, []string{"/a/c", "/a/c/d"}},
		{"put under a file", []Change{put("/f/g", 1)}, []string{"/f", "/f/g"}},
		{"put deep under a file", []Change{put("/a/b/x/y", 1)}, []string{"/a/b", "/a/b/x/y"}},
		{"conflict inside the batch", []Change{put("/n", 1), put("/n/m", 1)}, []string{"/n", "/n/m"}},
		{"second put of a directory", []Change{put("/a/c/e", 1), put("/a/c/e/f", 1)}, []string{"/a/c/e", "/a/c/e/f"}},
		{"sibling names", []Change{put("/a!", 1), put("/a.txt", 1), put("/a/c!", 1), put("/f.d/x", 1)}, nil},
		{"directory replaced by a file", []Change{{Path: "/a", Op: OpDeletePrefix}, put("/a", 1)}, nil},
		{"file replaced by a directory", []Change{{Path: "/f", Op: OpDelete}, put("/f/g", 1)}, nil},
		{"update", []Change{put("/a/b", 2), put("/a/c/d", 2)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Apply(ctx, st, root, tc.changes)
			if tc.paths == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrPathConflict) {
				t.Fatalf("got %v, want ErrPathConflict", err)
			}
			for _, p := range tc.paths {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name %s", err, p)
				}
			}
		})
	}
}

// TestPathConflictCost checks a put deep in a 100k-entry tree: the
// ancestor checks are seeks that share the nodes they read.
func TestPathConflictCost(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := build(t, st, seqFiles(100_000))
	st.ResetCounts()
	if _, err := Apply(ctx, st, root, []Change{put("/dir0500/x/y/z/w", 1)}); err != nil {
		t.Fatal(err)
	}
	gets, puts := st.Counts()
	t.Logf("%d gets, %d puts", gets, puts)
	if gets+puts > 20 {
		t.Errorf("touched %d nodes, want at most 20", gets+puts)
	}
}
