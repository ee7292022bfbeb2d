package worker

import (
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// recorder is an uploader that keeps what was added.
type recorder struct {
	puts   map[string]string // path → content
	copies map[string]string // path → source
}

func (r *recorder) PutFile(path string, rd io.Reader, _ bool) error {
	b, err := io.ReadAll(rd)
	r.puts[path] = string(b)
	return err
}

func (r *recorder) CopyFile(src, path string, _ bool) { r.copies[path] = src }

// outputWorker returns a worker whose datum root, a scratch directory as
// without a /pfs mount, holds the input "in" (with the file a) and the
// output files and links made by setup.
func outputWorker(t *testing.T, setup func(out string)) (*worker, *tusk.Task) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"in", "out"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "in", "a"), []byte("input a"), 0o644); err != nil {
		t.Fatal(err)
	}
	setup(filepath.Join(dir, "out"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	w := &worker{cfg: Config{Root: dir}, root: root, rootPaths: rootPaths(dir)}
	return w, &tusk.Task{Inputs: []tusk.DatumInput{{Name: "in", Repo: "r", Commit: "c1", Path: "/a"}}}
}

func TestOutputLinksInsideTheRoot(t *testing.T) {
	w, task := outputWorker(t, func(out string) {
		os.WriteFile(filepath.Join(out, "f"), []byte("file f"), 0o644)
		os.Mkdir(filepath.Join(out, "d"), 0o755)
		os.WriteFile(filepath.Join(out, "d", "g"), []byte("file g"), 0o644)
		os.Symlink("f", filepath.Join(out, "to-f"))                                   // relative, in out
		os.Symlink(filepath.Join(out, "to-f"), filepath.Join(out, "chain"))           // absolute, a chain
		os.Symlink("d", filepath.Join(out, "alias"))                                  // a directory in out
		os.Symlink("../in/a", filepath.Join(out, "input"))                            // into an input
		os.Symlink(filepath.Join(out, "..", "in", "a"), filepath.Join(out, "abs-in")) // the same, absolute
	})
	r := &recorder{puts: map[string]string{}, copies: map[string]string{}}
	if err := w.walkOut(r, task, "out", "/", 0, nil); err != nil {
		t.Fatal(err)
	}
	wantPuts := map[string]string{"/f": "file f", "/d/g": "file g", "/to-f": "file f", "/chain": "file f", "/alias/g": "file g"}
	wantCopies := map[string]string{"/input": "r@c1:/a", "/abs-in": "r@c1:/a"}
	if !maps.Equal(r.puts, wantPuts) || !maps.Equal(r.copies, wantCopies) {
		t.Errorf("staged puts %v, copies %v;\nwant %v, %v", r.puts, r.copies, wantPuts, wantCopies)
	}
}

func TestOutputLinksThatFail(t *testing.T) {
	for name, tt := range map[string]struct {
		setup func(out string)
		want  []string // in the error
	}{
		"cycle": {func(out string) {
			os.Mkdir(filepath.Join(out, "a"), 0o755)
			os.Mkdir(filepath.Join(out, "b"), 0o755)
			os.Symlink("../b", filepath.Join(out, "a", "to-b"))
			os.Symlink("../a", filepath.Join(out, "b", "to-a"))
		}, []string{"/a/to-b", "too many levels of symbolic links"}},
		"loop of links": {func(out string) {
			os.Symlink("y", filepath.Join(out, "x"))
			os.Symlink("x", filepath.Join(out, "y"))
		}, []string{"/x", "too many levels of symbolic links"}},
		"dangling": {func(out string) {
			os.Symlink("nothing", filepath.Join(out, "d"))
		}, []string{"/d", "no such file"}},
		"the root": {func(out string) {
			os.Symlink("..", filepath.Join(out, "up"))
		}, []string{"/up", "neither in an input nor in"}},
		"outside": {func(out string) {
			os.Symlink("/", filepath.Join(out, "slash"))
		}, []string{"/slash", "symbolic link to / leads out of"}},
	} {
		t.Run(name, func(t *testing.T) {
			w, task := outputWorker(t, tt.setup)
			r := &recorder{puts: map[string]string{}, copies: map[string]string{}}
			err := w.walkOut(r, task, "out", "/", 0, nil)
			for _, s := range tt.want {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("walkOut: %v; want an error with %q", err, s)
				}
			}
		})
	}
}
