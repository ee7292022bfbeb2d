package worker

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// download lays each input of a datum out at <root>/<name><path>, with the
// full repo paths kept: a datum for /a/b.txt gives <root>/<name>/a/b.txt.
func (w *worker) download(ctx context.Context, t *tusk.Task) error {
	for _, in := range t.Inputs {
		base := filepath.Join(w.cfg.Root, in.Name)
		if err := os.MkdirAll(base, 0o755); err != nil {
			return err
		}
		p := strings.TrimSuffix(in.Path, "/")
		if p == "" {
			p = "/"
		}
		ref := in.Repo + "@" + in.Commit + ":" + p
		if in.EmptyFiles || in.Lazy {
			err := w.cfg.Client.WalkFiles(ctx, ref, func(fi tusk.FileInfo) error {
				dst := filepath.Join(base, filepath.FromSlash(fi.Path))
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return err
				}
				if in.Lazy {
					return w.lazy.add(ctx, w.cfg.Client, in.Repo+"@"+in.Commit+":"+fi.Path, dst)
				}
				f, err := os.Create(dst)
				if err != nil {
					return err
				}
				return f.Close()
			})
			if err != nil {
				return fmt.Errorf("input %s: %w", in.Name, err)
			}
			continue
		}
		// A matched directory keeps its trailing slash ("/dir/"), a file
		// has none: the tar holds the directory's contents, or the file.
		dir := base
		switch {
		case in.Path == "/":
		case strings.HasSuffix(in.Path, "/"):
			dir = filepath.Join(base, filepath.FromSlash(p))
		default:
			dir = filepath.Join(base, filepath.FromSlash(path.Dir(p)))
		}
		if err := w.untar(ctx, ref, dir); err != nil {
			return fmt.Errorf("input %s: %w", in.Name, err)
		}
	}
	return nil
}

func (w *worker) untar(ctx context.Context, ref, dir string) error {
	rc, err := w.cfg.Client.GetTar(ctx, ref)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(hdr.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(filepath.Clean(name), "..") {
			return fmt.Errorf("refusing tar entry %q", hdr.Name)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}
