package cli

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

const putFileLong = `Put files into a repo, as one atomic commit.

Without an open commit on the branch, everything one put file writes becomes
exactly one new commit, however many files it holds; with an open commit
(tusk start commit), the files land in it. Files are overwritten unless
-a/--append is given.

Where the files land (pachctl's rules):
  put file repo@br:/p -f x          /p
  put file repo@br -f dir/x         /x   (/dir/x with --full-path)
  put file repo@br -r -f dir        /dir/...
  put file repo@br:/p -r -f dir     /p/...  (the directory's name is dropped)
  put file repo@br:/p -f x -f y     /p/x and /p/y
  put file repo@br:/p/ -f x         /p/x   (a trailing slash names a directory)
  put file repo@br:/p < x           /p     (standard input, also -f -)
  put file repo@br:/p --untar -f t  the files of tar archive t under /p
  put file repo@br -f URL           /<last element of the URL's path>
  put file repo@br -r -f s3://b/k   /k/... (every object under k/)

URLs are http://, https:// or s3://bucket/key. S3 credentials come from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the server from
?endpoint=http://host:port in the URL, else AWS_ENDPOINT_URL_S3 or
AWS_ENDPOINT_URL, else AWS itself.

Paths are UTF-8 without control characters and without "." or ".."
elements. Data is cut into chunks locally and only chunks the server does
not hold yet are sent. A progress bar is shown on a terminal for large
inputs.`

func newPutFileCommand(g *globals) *cobra.Command {
	var opts putOptions
	cmd := &cobra.Command{
		Use:   "file <repo>@<branch>[:<path>] [-f <file>]...",
		Short: "Put files into a repo",
		Long:  putFileLong,
		Example: `  tusk put file images@master:/cat.png -f cat.png
  tusk put file images@master -r -f photos/
  cat data.csv | tusk put file images@master:/data.csv
  tusk put file logs@master:/all.log -a -f today.log
  tusk put file images@master:/ --untar -f photos.tar.gz`,
		Args: exactArgs(1, "repo@branch[:/path]"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			return runPutFile(ctx, c, opts, args[0], g)
		}),
	}
	f := cmd.Flags()
	f.StringArrayVarP(&opts.files, "file", "f", nil, "a file, directory or URL (http, https, s3) to put, or - for standard input; repeat for several")
	f.StringVarP(&opts.inputList, "input-file", "i", "", "a file listing one local file or directory per line to put")
	f.BoolVarP(&opts.recursive, "recursive", "r", false, "put directories and everything in them")
	f.BoolVarP(&opts.appendTo, "append", "a", false, "append to existing files instead of overwriting them")
	f.BoolVar(&opts.untar, "untar", false, "the inputs are tar archives (optionally gzipped): put the files in them")
	f.BoolVar(&opts.fullPath, "full-path", false, "keep the local path of -f files instead of their base name")
	f.IntVarP(&opts.senders, "parallelism", "p", 0, "how many uploads of data to keep in flight at once (default 16)")
	// Data always travels compressed (zstd chunks, deduplicated against
	// the server's); pachctl's scripts give -c for that.
	f.BoolP("compress", "c", false, "accepted for pachctl's scripts: data always travels compressed")
	return cmd
}

func runPutFile(ctx context.Context, c *client.Client, opts putOptions, arg string, g *globals) error {
	commit, dest, _ := splitFileArg(arg)
	warn := func(format string, args ...any) { fmt.Fprintf(g.stderr, "warning: "+format+"\n", args...) }
	bk := newBuckets(ctx)
	defer bk.Close()
	items, err := planPut(opts, dest, warn, bk)
	if err != nil {
		return err
	}
	// The bar counts content bytes: its total is unknown when some input is
	// standard input or an archive, and shown only for large local inputs.
	var local int64
	unknown := false
	for _, it := range items {
		local += max(it.size, 0)
		unknown = unknown || it.size < 0 || it.untar
	}
	total := local
	if unknown {
		total = -1
	}
	var uopts []client.UploadOption
	if opts.senders > 0 {
		uopts = append(uopts, client.Senders(opts.senders))
	}
	u, err := c.NewUpload(ctx, uopts...)
	if err != nil {
		return err
	}
	bar := startProgress(g.stderr, terminal(g.stderr) && local > progressThreshold, "uploading", total, u.Bytes.Load)
	for len(items) > 0 {
		var err error
		if files := localFiles(items, opts.appendTo); len(files) > 0 {
			err = u.PutLocalFiles(files)
			items = items[len(files):]
		} else {
			err = putItemData(u, items[0], opts.appendTo, g.stdin, warn, bk)
			items = items[1:]
		}
		if err != nil {
			bar.finish()
			u.Abort()
			return err
		}
	}
	_, err = u.Commit(commit) // waits for the last chunks to be sent
	bar.finish()
	if err != nil {
		return fmt.Errorf("put file %s: %w", arg, err)
	}
	return nil
}

// localFiles returns the plain local files that items starts with, which
// the upload reads ahead of their turn: not standard input, a URL or an
// archive, and not appended.
func localFiles(items []putItem, appendTo bool) []client.LocalFile {
	var files []client.LocalFile
	for _, it := range items {
		if appendTo || it.untar || it.local == "-" || isURL(it.local) || isS3URL(it.local) {
			break
		}
		files = append(files, client.LocalFile{Name: it.local, Path: it.target, Size: it.size})
	}
	return files
}

// putItemData streams one item into the upload.
func putItemData(u *client.Upload, it putItem, appendTo bool, stdin io.Reader, warn func(string, ...any), bk *buckets) error {
	r := stdin
	switch {
	case isS3URL(it.local):
		rc, err := bk.openObject(it.local)
		if err != nil {
			return err
		}
		defer rc.Close()
		r = rc
	case isURL(it.local):
		rc, err := openURL(it.local)
		if err != nil {
			return fmt.Errorf("put file: %w", err)
		}
		defer rc.Close()
		r = rc
	case it.local != "-":
		f, err := os.Open(it.local)
		if err != nil {
			return fmt.Errorf("put file: %w", err)
		}
		defer f.Close()
		r = f
	}
	if it.untar {
		return putTar(u, r, it, appendTo, warn)
	}
	return u.PutFile(it.target, r, appendTo)
}

// putTar puts the regular files of a tar archive, gzipped or not, under
// it.target. Entry names must stay inside it: absolute names and ".."
// elements are refused.
func putTar(u *client.Upload, r io.Reader, it putItem, appendTo bool, warn func(string, ...any)) error {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("untar %s: %w", it.local, err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("untar %s: %w", it.local, err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir:
			continue
		default:
			warn("untar %s: skipping %s: not a regular file", it.local, hdr.Name)
			continue
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if path.IsAbs(name) || hasDotDot(name) {
			return tusk.Errorf(tusk.KindInvalid, "untar %s: entry %q is absolute or contains '..'; entries must stay inside the target directory", it.local, hdr.Name)
		}
		target := joinTarget(it.target, name)
		if _, err := tusk.CleanPath(target); err != nil {
			return fmt.Errorf("untar %s: %w", it.local, err)
		}
		if err := u.PutFile(target, tr, appendTo); err != nil {
			return err
		}
	}
}

func hasDotDot(name string) bool {
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return true
		}
	}
	return false
}
