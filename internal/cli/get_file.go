package cli

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/glob"
	"github.com/tuskdata/tusk/internal/tusk"
)

// getFileOptions are the flags of `get file`.
type getFileOptions struct {
	output    string
	recursive bool
	offset    int64
	retry     bool
}

func newGetFileCommand(g *globals) *cobra.Command {
	var opts getFileOptions
	cmd := &cobra.Command{
		Use:   "file <repo>@<ref>:<path>",
		Short: "Get a file or directory out of a repo",
		Long: `Write a file's content to standard output, or to a local file with -o. A
directory needs -r and -o DIR: its files are written under DIR.

The path may be a glob pattern (as in glob file), when no file has that very
name: the matched files go to standard output one after the other, or with
-o DIR each under DIR by its full path; matched directories need -r.

--offset skips the first bytes of the file; --retry resumes an interrupted
download into -o, fetching only the bytes the local file lacks. A progress
bar is shown on a terminal for large downloads.`,
		Example: `  tusk get file images@master:/cat.png -o cat.png
  tusk get file images@master^:/data.csv | head
  tusk get file -r images@master:/photos -o photos
  tusk get file 'logs@master:/2026-11-*/*.log' > november.log`,
		Args: exactArgs(1, "repo@ref:/path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.offset < 0 {
				return usagef("--offset %d: want a non-negative number of bytes", opts.offset)
			}
			if opts.retry && opts.output == "" {
				return usagef("--retry resumes a download into a file: give it with -o")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			return runGetFile(cmd.Context(), c, opts, args[0], g)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "", "write to this file (or, with -r, into this directory) instead of standard output")
	f.BoolVarP(&opts.recursive, "recursive", "r", false, "get a directory and everything in it (needs -o)")
	f.Int64Var(&opts.offset, "offset", 0, "skip this many bytes at the start of the file")
	f.BoolVar(&opts.retry, "retry", false, "resume: append the bytes the -o file lacks")
	return cmd
}

func runGetFile(ctx context.Context, c *client.Client, opts getFileOptions, arg string, g *globals) error {
	commit, p, err := needPath("get file", arg)
	if err != nil {
		return err
	}
	info, err := c.InspectFile(ctx, arg)
	if err != nil {
		// A name may hold glob metacharacters, as in "IMG (1).jpg": it is
		// a pattern only when no file has that name.
		if _, literal := glob.Literal(p); tusk.KindOf(err) == tusk.KindNotFound && !literal {
			return getGlob(ctx, c, opts, commit, p, g)
		}
		return err
	}
	show := terminal(g.stderr) && info.SizeBytes > progressThreshold
	if info.Type == "dir" {
		if !opts.recursive {
			return tusk.Errorf(tusk.KindInvalid, "%s is a directory", info.Path).
				WithHint("get it with: tusk get file -r %s -o DIR", arg)
		}
		if opts.output == "" {
			return usagef("-r writes a directory's files into a local directory: give it with -o DIR")
		}
		var n atomic.Int64
		bar := startProgress(g.stderr, show, "downloading", info.SizeBytes, n.Load)
		defer bar.finish()
		return getTree(ctx, c, arg, opts.output, &n)
	}

	if opts.output == "" {
		return download(ctx, c, arg, opts.offset, g.stdout, show, g.stderr)
	}
	out := opts.output
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		out = filepath.Join(out, path.Base(info.Path))
	}
	offset, flags := opts.offset, os.O_WRONLY|os.O_CREATE|os.O_TRUNC
	if opts.retry {
		if st, err := os.Stat(out); err == nil {
			if st.Size() > info.SizeBytes {
				return fmt.Errorf("cannot resume into %s: it has %d bytes, more than the %d of %s", out, st.Size(), info.SizeBytes, arg)
			}
			if st.Size() == info.SizeBytes {
				return nil // already complete
			}
			offset, flags = st.Size(), os.O_WRONLY|os.O_APPEND
		}
	}
	f, err := os.OpenFile(out, flags, 0o644)
	if err != nil {
		return fmt.Errorf("get file: %w", err)
	}
	err = download(ctx, c, arg, offset, f, show, g.stderr)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("get file: %w", cerr)
	}
	return err
}

// download copies a file's content from offset on to w, and checks that
// all of it arrived.
func download(ctx context.Context, c *client.Client, arg string, offset int64, w io.Writer, show bool, stderr io.Writer) error {
	rc, size, err := c.GetFile(ctx, arg, offset)
	if err != nil {
		return err
	}
	defer rc.Close()
	cw := &countWriter{w: w}
	bar := startProgress(stderr, show, "downloading", size-offset, cw.n.Load)
	n, err := io.Copy(cw, rc)
	bar.finish()
	if err != nil {
		return fmt.Errorf("get file %s: %w", arg, err)
	}
	if n != size-offset {
		return fmt.Errorf("get file %s: got %d of %d bytes; resume with --retry -o FILE", arg, n, size-offset)
	}
	return nil
}

// countWriter counts the bytes written through it, for progress bars.
type countWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// getTree writes every file under a directory of a commit into dir. Tar
// entries that are absolute or leave dir are refused.
func getTree(ctx context.Context, c *client.Client, arg, dir string, n *atomic.Int64) error {
	rc, err := c.GetTar(ctx, arg)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get file %s: %w", arg, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) || hasDotDot(hdr.Name) {
			return fmt.Errorf("get file %s: refusing entry %q: it is absolute or leaves %s", arg, hdr.Name, dir)
		}
		if err := writeFile(filepath.Join(dir, name), tr, n); err != nil {
			return fmt.Errorf("get file %s: %w", arg, err)
		}
	}
}

func writeFile(name string, r io.Reader, n *atomic.Int64) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	m, err := io.Copy(f, r)
	n.Add(m)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
