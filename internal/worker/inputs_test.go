package worker

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// archive makes a tar of name=content pairs; a name ending in "/" is a
// directory entry. With cut, the stream stops in the middle of the last
// file.
func archive(t *testing.T, cut bool, kv ...string) io.Reader {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		name, data := kv[i], kv[i+1]
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if name[len(name)-1] == '/' {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
	}
	if cut {
		return bytes.NewReader(b.Bytes()[:b.Len()-512+3])
	}
	tw.Close()
	return &b
}

func newTestSet(t *testing.T, root string) *datumSet {
	w := &worker{cfg: Config{Root: root}, log: slog.New(slog.DiscardHandler)}
	return &datumSet{w: w, ahead: map[int][]aheadFile{}}
}

func TestReceiveLaysOutTheFirstDatumAndKeepsTheNext(t *testing.T) {
	root := t.TempDir()
	s := newTestSet(t, root)
	n, err := s.receive(tar.NewReader(archive(t, false, "0/", "", "0/in/a/x.txt", "first", "1/", "", "1/in/y", "second",
		"2/", "", "end", "")), 5, 3, true)
	if n != 3 || err != nil {
		t.Fatalf("receive = %d, %v; want 3 datums", n, err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "in", "a", "x.txt")); string(b) != "first" {
		t.Errorf("first datum's file: %q, %v", b, err)
	}
	if got := s.ahead[6]; len(got) != 1 || got[0].name != "in/y" || string(got[0].data) != "second" {
		t.Errorf("datum 6 kept as %+v", got)
	}
	if got, ok := s.ahead[7]; !ok || len(got) != 0 {
		t.Errorf("datum 7, without files, kept as %+v, %v", got, ok)
	}
	if _, ok := s.ahead[5]; ok {
		t.Error("the first datum was kept in memory too")
	}
}

func TestReceiveDropsADatumCutShort(t *testing.T) {
	s := newTestSet(t, t.TempDir())
	n, err := s.receive(tar.NewReader(archive(t, true, "0/", "", "0/in/a", "A", "1/", "", "1/in/b", "B", "2/", "",
		"2/in/c", "a file cut in the middle")), 0, 3, false)
	if n != 2 || err == nil {
		t.Fatalf("receive = %d, %v; want 2 whole datums and an error", n, err)
	}
	if _, ok := s.ahead[2]; ok || len(s.ahead[0]) != 1 || len(s.ahead[1]) != 1 {
		t.Errorf("kept %v; want datums 0 and 1 only", s.ahead)
	}
	// Without its "end", an archive is cut short even at an entry's end.
	n, err = s.receive(tar.NewReader(archive(t, false, "0/", "", "0/in/a", "A")), 0, 1, false)
	if n != 0 || err == nil {
		t.Errorf("archive without end: %d, %v; want nothing whole and an error", n, err)
	}
}

func TestReceiveTellsAnInputTheServerCouldNotRead(t *testing.T) {
	s := newTestSet(t, t.TempDir())
	n, err := s.receive(tar.NewReader(archive(t, false, "0/", "", "0/in/a", "A", "1/", "",
		"error", `{"kind": "not_found", "message": "input in (in@c1:/b): repo in not found"}`)), 0, 3, false)
	var ie *inputError
	if n != 1 || !errors.As(err, &ie) || ie.Kind != tusk.KindNotFound || !strings.Contains(err.Error(), "repo in not found") {
		t.Fatalf("receive = %d, %v; want datum 0 whole, then the server's error about the input", n, err)
	}
	if len(s.ahead[0]) != 1 {
		t.Errorf("kept %v; want datum 0", s.ahead)
	}
	// An archive cut short is not the input's fault.
	_, err = s.receive(tar.NewReader(archive(t, true, "0/", "", "0/in/a", "a file cut in the middle")), 0, 1, false)
	if err == nil || errors.As(err, &ie) {
		t.Errorf("archive cut short: %v; want an error that is no input error", err)
	}
}

func TestReceiveRefusesEntriesOutsideTheRoot(t *testing.T) {
	root := t.TempDir()
	s := newTestSet(t, filepath.Join(root, "pfs"))
	for _, name := range []string{"0/../../evil", "0//etc/evil", "1/in/x", "x"} {
		_, err := s.receive(tar.NewReader(archive(t, false, "0/", "", name, "bad", "end", "")), 0, 1, true)
		if err == nil {
			t.Errorf("entry %q was accepted", name)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "evil")); err == nil {
		t.Error("a file was written outside the datum root")
	}
}

func TestCleanEmptiesTheDirectoriesKept(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"in/sub/a", "out/b", "old/c", ".env"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte("x"), 0o644)
	}
	os.Symlink("/tmp", filepath.Join(root, "link"))
	w := &worker{cfg: Config{Root: root}}
	if err := w.clean([]string{"out", "in", "link"}); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.WalkDir(root, func(p string, _ os.DirEntry, _ error) error {
		rel, _ := filepath.Rel(root, p)
		left = append(left, rel)
		return nil
	})
	if want := []string{".", "in", "out"}; !slices.Equal(left, want) {
		t.Errorf("after clean: %v, want %v", left, want)
	}
}
