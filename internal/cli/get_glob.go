package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// getGlob gets what a glob pattern matches in a commit: the matched files'
// content one after the other to standard output, or, with -o DIR, each
// file under DIR by its full path. Matched directories need -r and -o;
// without -r they are passed over, so "/**" gets every file.
func getGlob(ctx context.Context, c *client.Client, opts getFileOptions, commit, pattern string, g *globals) error {
	if opts.offset != 0 || opts.retry {
		return usagef("--offset and --retry work on one file, not on the pattern %s", pattern)
	}
	var matches []tusk.FileInfo
	err := c.GlobFiles(ctx, commit, pattern, func(fi tusk.FileInfo) error {
		if fi.Type == "dir" && !opts.recursive {
			return nil
		}
		// A directory taken whole already holds what matched inside it.
		if n := len(matches); n > 0 && matches[n-1].Type == "dir" && strings.HasPrefix(fi.Path, strings.TrimSuffix(matches[n-1].Path, "/")+"/") {
			return nil
		}
		matches = append(matches, fi)
		return nil
	})
	if err != nil {
		return err
	}
	if len(matches) == 0 {
		return tusk.Errorf(tusk.KindNotFound, "no file in %s matches %s", commit, pattern).
			WithHint("see what matches with: tusk glob file %q (directories need -r)", commit+":"+pattern)
	}
	var total int64
	for _, m := range matches {
		if m.Type == "dir" && opts.output == "" {
			return usagef("%s matches the directory %s: -r writes directories into a local directory, give it with -o DIR", pattern, m.Path)
		}
		total += m.SizeBytes
	}
	var n atomic.Int64
	bar := startProgress(g.stderr, terminal(g.stderr) && total > progressThreshold, "downloading", total, n.Load)
	defer bar.finish()
	for _, m := range matches {
		ref := commit + ":" + m.Path
		if opts.output == "" {
			if err := copyFile(ctx, c, ref, &countWriter{w: g.stdout}, &n); err != nil {
				return err
			}
			continue
		}
		name := filepath.FromSlash(strings.TrimPrefix(m.Path, "/"))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("get file %s: refusing path %q: it leaves %s", ref, m.Path, opts.output)
		}
		dst := filepath.Join(opts.output, name)
		if m.Type == "dir" {
			err = getTree(ctx, c, ref, dst, &n)
		} else {
			err = getToFile(ctx, c, ref, dst, &n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies one file's content to w, counting the bytes in n.
func copyFile(ctx context.Context, c *client.Client, ref string, w io.Writer, n *atomic.Int64) error {
	rc, size, err := c.GetFile(ctx, ref, 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	m, err := io.Copy(w, rc)
	n.Add(m)
	if err != nil {
		return fmt.Errorf("get file %s: %w", ref, err)
	}
	if m != size {
		return fmt.Errorf("get file %s: got %d of %d bytes", ref, m, size)
	}
	return nil
}

// getToFile writes one file's content to the local file name, creating
// its directory.
func getToFile(ctx context.Context, c *client.Client, ref, name string, n *atomic.Int64) error {
	rc, size, err := c.GetFile(ctx, ref, 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	before := n.Load()
	if err := writeFile(name, rc, n); err != nil {
		return fmt.Errorf("get file %s: %w", ref, err)
	}
	if got := n.Load() - before; got != size {
		return fmt.Errorf("get file %s: got %d of %d bytes", ref, got, size)
	}
	return nil
}
