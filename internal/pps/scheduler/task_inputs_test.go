package scheduler_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/tusk"
)

// TestInputsArchive builds the archives of datum inputs that workers
// read, over the stores alone: datums within the budget, the first one
// forced, an input that cannot be read, and a bad request.
func TestInputsArchive(t *testing.T) {
	e := newAPIEnv(t, filepath.Join(t.TempDir(), "meta.db"), time.Minute)
	e.input("in", "a", "bb", "ccc")
	ref, _ := tusk.ParseRef("in@master")
	c, err := e.fs.InspectCommit(e.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	datum := func(path string) []tusk.DatumInput {
		return []tusk.DatumInput{{Name: "in", Repo: "in", Commit: c.ID, Path: path}}
	}
	three := [][]tusk.DatumInput{datum("/a"), datum("/bb"), datum("/ccc")}
	for _, tc := range []struct {
		name string
		req  tusk.TaskInputsRequest
		want []string // entries, a file's content after "="
		sent int64
	}{
		{"the datums that fit", tusk.TaskInputsRequest{Datums: three, BudgetBytes: 3, BudgetFiles: 10},
			[]string{"0/", "0/in/a=a", "1/", "1/in/bb=bb", "end="}, 3},
		{"the first forced", tusk.TaskInputsRequest{Datums: three, ForceFirst: true},
			[]string{"0/", "0/in/a=a", "end="}, 1},
		{"empty files", tusk.TaskInputsRequest{Datums: [][]tusk.DatumInput{{{Name: "x", Repo: "in", Commit: c.ID, Path: "/ccc", EmptyFiles: true}}}, BudgetFiles: 1},
			[]string{"0/", "0/x/ccc=", "end="}, 0},
		{"an input that is gone", tusk.TaskInputsRequest{Datums: [][]tusk.DatumInput{{{Name: "in", Repo: "in", Commit: "0123456789abcdef0123456789abcdef", Path: "/"}}}, BudgetBytes: 10, BudgetFiles: 10},
			[]string{`error={"kind":"not_found","message":"input in (in@0123456789abcdef0123456789abcdef:/): commit in@0123456789abcdef0123456789abcdef not found"}`}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			archive, err := e.pps.TaskInputs(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			sent, err := archive.Write(e.ctx, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if sent != tc.sent {
				t.Errorf("sent %d bytes of content, want %d", sent, tc.sent)
			}
			if diff := cmp.Diff(tc.want, entries(t, &buf)); diff != "" {
				t.Errorf("archive (-want +got):\n%s", diff)
			}
		})
	}
	// The archive of the three datums looks their commit up once, not
	// once per datum.
	archive, err := e.pps.TaskInputs(tusk.TaskInputsRequest{Datums: three, BudgetBytes: 10, BudgetFiles: 10})
	if err != nil {
		t.Fatal(err)
	}
	before := e.db.Stats().Reads
	if _, err := archive.Write(e.ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	if reads := e.db.Stats().Reads - before; reads != 1 {
		t.Errorf("an archive of three datums of one commit took %d metadata reads, want 1", reads)
	}
	bad := tusk.TaskInputsRequest{Datums: [][]tusk.DatumInput{{{Name: "..", Repo: "in", Commit: c.ID, Path: "/a"}}}}
	if _, err := e.pps.TaskInputs(bad); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("input named ..: %v, want invalid", err)
	}
}

// entries lists a tar archive's entries: directories by name, files as
// name=content.
func entries(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeDir {
			out = append(out, hdr.Name)
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, hdr.Name+"="+string(b))
	}
}
