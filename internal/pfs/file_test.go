package pfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestListGlobInspect(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/a.txt", "aa", "/dir/b.json", "bbb", "/dir/sub/c.json", "c", "/café.csv", "x,y", "/IMG (1).jpg", "img", "/lit[1].txt", "l")
	var got []string
	err := a.ListFiles(ctx, mustRef(t, "data@master:/"), "", func(fi tusk.FileInfo) error {
		got = append(got, fmt.Sprintf("%s %s %d", fi.Path, fi.Type, fi.SizeBytes))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/IMG (1).jpg file 3", "/a.txt file 2", "/café.csv file 3", "/dir/ dir 4", "/lit[1].txt file 1"}
	if !cmp.Equal(got, want) {
		t.Errorf("list / = %q\nwant %q", got, want)
	}
	glob := func(pattern string) []string {
		var out []string
		err := a.GlobFiles(ctx, mustRef(t, "data@master"), pattern, func(fi tusk.FileInfo) error {
			out = append(out, fi.Path)
			return nil
		})
		if err != nil {
			t.Fatalf("glob %s: %v", pattern, err)
		}
		return out
	}
	for pattern, want := range map[string][]string{
		"/*":         {"/IMG (1).jpg", "/a.txt", "/café.csv", "/dir", "/lit[1].txt"},
		"/dir/*":     {"/dir/b.json", "/dir/sub"},
		"/**.json":   {"/dir/b.json", "/dir/sub/c.json"},
		`/lit\[1\]*`: {"/lit[1].txt"},
		"/":          {"/"},
	} {
		if got := glob(pattern); !cmp.Equal(got, want) {
			t.Errorf("glob %s = %q, want %q", pattern, got, want)
		}
	}
	fi, err := a.InspectFile(ctx, mustRef(t, "data@master:/dir"))
	if err != nil || fi.Type != "dir" || fi.SizeBytes != 4 || fi.Files != 2 {
		t.Errorf("inspect dir = %+v, %v", fi, err)
	}
	if _, err := a.InspectFile(ctx, mustRef(t, "data@master:/nope")); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("inspect missing: %v", err)
	}
}

func TestGetWithOffset(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	content := strings.Repeat("0123456789", 200000)
	put(t, a, "data@master", "/big", content, "/small", "s")
	for _, off := range []int64{0, 1, 999_999, int64(len(content))} {
		r, fi, err := a.OpenFile(ctx, mustRef(t, "data@master:/big"), off)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		if string(b) != content[off:] || fi.SizeBytes != int64(len(content)) {
			t.Errorf("offset %d: got %d bytes", off, len(b))
		}
	}
	if _, _, err := a.OpenFile(ctx, mustRef(t, "data@master:/big"), int64(len(content))+1); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("offset past the end: %v", err)
	}
	if _, _, err := a.OpenFile(ctx, mustRef(t, "data@master:/"), 0); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("open a directory: %v", err)
	}
}

func TestDiff(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/same", "s", "/changed", "1", "/gone", "g", "/d/x", "x")
	ops := upload(t, a, [][2]string{{"/changed", "2"}, {"/added", "a"}}, false)
	ops = append(ops, tusk.FileOp{Op: tusk.OpDelete, Path: "/gone"})
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := a.DiffFiles(ctx, mustRef(t, "data@master"), nil, func(d tusk.FileDiff) error {
		switch {
		case d.Old == nil:
			got = append(got, "+"+d.Path)
		case d.New == nil:
			got = append(got, "-"+d.Path)
		default:
			got = append(got, "~"+d.Path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"+/added", "~/changed", "-/gone"}; !cmp.Equal(got, want) {
		t.Errorf("diff = %v, want %v", got, want)
	}
}

func TestPathRules(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	for _, p := range []string{"/a/../b", "/./x", "/a\x00b", "/tab\there"} {
		ops := []tusk.FileOp{{Op: tusk.OpPut, Path: p}}
		if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); !errors.Is(err, tusk.ErrInvalid) {
			t.Errorf("put %q: %v, want invalid", p, err)
		}
	}
	ops := []tusk.FileOp{{Op: tusk.OpPut, Path: "/x", Size: 3, Refs: []tusk.DataRef{{Chunk: strings.Repeat("ab", 32), Length: 3}}}}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("reference to a chunk never uploaded: %v, want invalid", err)
	}
	// The root is a directory: nothing may become a file there.
	put(t, a, "data@master", "/f", "file", "/dir/g", "in a directory")
	for _, ops := range [][]tusk.FileOp{
		upload(t, a, [][2]string{{"/", "put"}}, false),
		upload(t, a, [][2]string{{"/", "append"}}, true),
		{{Op: tusk.OpCopy, Src: "data@master:/f", Path: "/"}},
		{{Op: tusk.OpCopy, Src: "data@master:/f", Path: "//"}},
	} {
		if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); !errors.Is(err, tusk.ErrInvalid) {
			t.Errorf("%s %s to the root: %v, want invalid", ops[0].Op, ops[0].Src, err)
		}
	}
	ops = []tusk.FileOp{{Op: tusk.OpCopy, Src: "data@master:/dir", Path: "/"}}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatalf("copy a directory into the root: %v", err)
	}
	if got := tree(t, a, "data@master"); !cmp.Equal(got, []string{"/dir/g=in a directory", "/f=file", "/g=in a directory"}) {
		t.Errorf("after copying a directory into the root: %v", got)
	}
}

func TestPutIntoMissingRepo(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	_, err := a.ModifyFiles(ctx, mustRef(t, "nope@master"), upload(t, a, [][2]string{{"/x", "x"}}, false))
	if !errors.Is(err, tusk.ErrNotFound) {
		t.Fatalf("put into a missing repo: %v, want not found", err)
	}
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "nope", ""); err != nil {
		t.Fatal(err)
	}
	if bs, _ := a.ListBranches(ctx, tusk.DefaultProject, "nope"); len(bs) != 0 {
		t.Errorf("a refused put left branches %v", bs)
	}
}

// TestFsckFindsFileAtRoot builds, below the checks of file operations, the
// tree an old server made of a copy to "/", which fsck must report with
// the project and repo of the commit.
func TestFsckFindsFileAtRoot(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateProject(ctx, "lab", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateRepo(ctx, "lab", "data", ""); err != nil {
		t.Fatal(err)
	}
	ref := mustRef(t, "data@master")
	ref.Project = "lab"
	tg, err := a.writeTarget(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	bad := []fileset.Change{{Path: "/", Op: fileset.OpPut, File: fileset.File{Hash: chunk.ID(nil)}}}
	st := a.newNodeBatch()
	root, err := fileset.Apply(ctx, st, tg.base.Root, bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.commitTree(ctx, ref, tg, root, st); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Fsck(ctx, false)
	if err != nil || len(rep.Damage) != 1 || rep.Damage[0].Path != "/" || rep.Damage[0].Project != "lab" || rep.Damage[0].Repo != "data" {
		t.Errorf("fsck of a file at the root: %+v, %v", rep, err)
	}
}
