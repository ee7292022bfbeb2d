package worker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// tree lists what is under root, as slash paths.
func tree(root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, _ os.DirEntry, _ error) error {
		if rel, _ := filepath.Rel(root, p); rel != "." {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// TestNothingOfADatumSurvivesTheNext lays out a datum, lets "its command"
// fill /pfs/out, then prepares the root for the next datum, whose inputs
// differ: whether the worker removes what it recorded (the output walked
// whole or not at all) or, finding more than it recorded, reads the root,
// only the next datum's empty directories are left.
func TestNothingOfADatumSurvivesTheNext(t *testing.T) {
	for _, tt := range []struct {
		name        string
		walk, exact bool
		unrecorded  string // a file the worker did not put there
	}{
		{name: "output walked", walk: true, exact: true},
		{name: "output not walked", exact: true},
		{name: "not exact", walk: true},
		{name: "an input directory holds more", walk: true, exact: true, unrecorded: "in/a/b/extra"},
		{name: "out holds more", walk: true, exact: true, unrecorded: "out/d/late"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			w := &worker{cfg: Config{Root: dir}, root: root, rootPaths: rootPaths(dir)}
			os.WriteFile(filepath.Join(dir, "left-by-an-earlier-worker"), []byte("x"), 0o644)
			keep := []string{"out", "in"}
			if err := w.prepare(keep); err != nil {
				t.Fatal(err)
			}
			w.lay.start(keep, tt.exact)
			for _, f := range []string{"in/a/b/x.txt", "in/a/y", "in/z"} {
				if err := w.placeInput(f, strings.NewReader("input "+f)); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "out")
			os.WriteFile(filepath.Join(out, "f"), []byte("file f"), 0o644)
			os.MkdirAll(filepath.Join(out, "d", "e"), 0o755)
			os.WriteFile(filepath.Join(out, "d", "e", "g"), []byte("file g"), 0o644)
			os.Symlink("f", filepath.Join(out, "to-f"))
			os.Symlink("../in/z", filepath.Join(out, "input"))
			if tt.walk {
				task := &tusk.Task{Inputs: []tusk.DatumInput{{Name: "in", Repo: "r", Commit: "c1", Path: "/"}}}
				r := &recorder{puts: map[string]string{}, copies: map[string]string{}}
				if err := w.walkOut(r, task, "out", "/", 0, &w.lay.out); err != nil {
					t.Fatal(err)
				}
				w.lay.walked = true
				if want := []string{"out/d", "out/d/e", "out/d/e/g", "out/f", "out/input", "out/to-f"}; !slices.Equal(w.lay.out, want) {
					t.Errorf("the walk found %v, want %v", w.lay.out, want)
				}
			}
			if tt.unrecorded != "" {
				os.WriteFile(filepath.Join(dir, filepath.FromSlash(tt.unrecorded)), []byte("x"), 0o644)
			}
			next := []string{"out", "other"}
			if err := w.prepare(next); err != nil {
				t.Fatal(err)
			}
			if got := tree(dir); !slices.Equal(got, []string{"other", "out"}) {
				t.Errorf("the root holds %v for the next datum, want only its empty directories other and out", got)
			}
		})
	}
}
