package pfs

import (
	"context"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/glob"
	"github.com/tuskdata/tusk/internal/tusk"
)

// GlobFiles streams the files and implied directories of a commit that
// match a glob pattern (the same patterns pipelines use to make datums),
// in path order, each directory before its contents.
func (a *API) GlobFiles(ctx context.Context, ref tusk.Ref, pattern string, fn func(tusk.FileInfo) error) error {
	if pattern == "" {
		pattern = ref.Path
	}
	clean := glob.Clean(pattern)
	pat, err := glob.Compile(clean)
	if err != nil {
		return tusk.Errorf(tusk.KindInvalid, "glob %q: %v", pattern, err)
	}
	c, err := a.commitRoot(ctx, ref)
	if err != nil {
		return err
	}
	st := a.nodes
	dirInfo := func(dir string) (tusk.FileInfo, error) {
		lo, hi := dirRange(dir)
		n, size, err := fileset.RangeStats(ctx, st, c.Root, lo, hi)
		return tusk.FileInfo{Path: dir, Type: "dir", SizeBytes: size, Files: n, Commit: c.ID}, err
	}
	if clean == "/" { // only "/" names the root, as in Pachyderm
		info, err := dirInfo("/")
		if err != nil {
			return err
		}
		if info.Files > 0 {
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	prev := "/"
	return a.walk(ctx, c.Root, "/", func(f fileset.File) error {
		// Implied directories of f not shared with the previous file.
		for i := 1; i < len(f.Path); i++ {
			if f.Path[i] != '/' {
				continue
			}
			dir := f.Path[:i]
			if strings.HasPrefix(prev, dir+"/") || !pat.Match(dir) {
				continue
			}
			info, err := dirInfo(dir)
			if err != nil {
				return err
			}
			if err := fn(info); err != nil {
				return err
			}
		}
		prev = f.Path
		if pat.Match(f.Path) {
			return fn(fileInfo(f, c.ID))
		}
		return nil
	})
}
