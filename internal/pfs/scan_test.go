package pfs

import (
	"context"
	"slices"
	"testing"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestScanFilesStartsAtAPathAndSkips(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	put(t, a, "data@master", "/a", "1", "/b/x", "2", "/b/y", "3", "/c/z", "4", "/d", "5")
	var seen []string
	err := a.ScanFiles(ctx, mustRef(t, "data@master"), "/a\x00", func(f fileset.File) (string, error) {
		seen = append(seen, f.Path)
		if f.Path == "/b/x" {
			return "/b0", nil // past every path under /b
		}
		return "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/b/x", "/c/z", "/d"}; !slices.Equal(seen, want) {
		t.Errorf("scanned %v; want %v (from after /a, skipping the rest of /b)", seen, want)
	}
}
