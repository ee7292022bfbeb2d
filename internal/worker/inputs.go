package worker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// The inputs of the datums of a set are downloaded ahead, in the
// background as soon as the set is claimed, as far as they fit within a
// budget, and wait in memory for their turn. A datum whose inputs did not
// fit is downloaded at its turn, straight into place, with those of the
// next datums that fit. Small datums thus come many in one request, large
// ones one at a time. A worker holds two sets at most (the one it runs
// and the next), so twice the budget.
const (
	aheadBytes = 16 << 20
	aheadFiles = 10000
)

// aheadFile is an input file of a datum waiting for its turn.
type aheadFile struct {
	name string // "<input name>/<path>"
	data []byte
}

// layOut prepares the datum root for datum i of the set: each input at
// <root>/<name><path> with the full repo paths kept (a datum for /a/b.txt
// gives <root>/<name>/a/b.txt), and an empty <root>/out; S3 inputs and
// output are served by the worker's S3 endpoint instead.
func (s *datumSet) layOut(ctx context.Context, i int) error {
	w, t := s.w, &s.tasks[i]
	keep := []string{"out"}
	for _, in := range t.Inputs {
		if !in.Lazy && !in.S3 {
			keep = append(keep, in.Name)
		}
	}
	as, err := w.runAs(t)
	if err != nil {
		return err
	}
	if err := w.prepare(keep); err != nil {
		return fmt.Errorf("prepare %s: %w", w.cfg.Root, err)
	}
	if err := w.s3.serve(t, as); err != nil {
		return err
	}
	w.lay.start(keep, w.rootOurs && !t.DatumBatching && len(keep) == len(t.Inputs)+1 && as != nil && as.cred.Uid != 0)
	// The command may write /pfs/out, and nothing else of /pfs.
	if as != nil {
		if err := os.Chown(filepath.Join(w.cfg.Root, "out"), int(as.cred.Uid), int(as.cred.Gid)); err != nil {
			return fmt.Errorf("prepare %s: %w", w.cfg.Root, err)
		}
	}
	<-s.prefetched
	if files, ok := s.ahead[i]; ok {
		delete(s.ahead, i)
		for _, f := range files {
			if err := w.placeInput(f.name, bytes.NewReader(f.data)); err != nil {
				return fmt.Errorf("lay out inputs: %w", err)
			}
		}
	} else if len(keep) > 1 { // some inputs are not lazy
		if n, err := s.fetch(ctx, i, true); n == 0 {
			return fmt.Errorf("download inputs: %w", err)
		}
	}
	for _, in := range t.Inputs {
		if in.Lazy {
			if err := w.layOutLazy(ctx, in); err != nil {
				return fmt.Errorf("download inputs: input %s: %w", in.Name, err)
			}
		}
	}
	return nil
}

// fetch downloads the inputs of datums i, i+1, ... of the set, as many
// as the server sends within the budget, into memory; with place, datum
// i's go straight into place, whatever their size. It returns how many
// datums arrived whole, and why not more when the download failed.
func (s *datumSet) fetch(ctx context.Context, i int, place bool) (int, error) {
	var datums [][]tusk.DatumInput
	some := false
	for _, t := range s.tasks[i:] {
		var ins []tusk.DatumInput
		for _, in := range t.Inputs {
			if !in.Lazy && !in.S3 {
				ins = append(ins, in)
				some = true
			}
		}
		datums = append(datums, ins)
	}
	if !some {
		return 0, nil
	}
	rc, err := s.w.cfg.Client.TaskInputs(ctx, datums, aheadBytes, aheadFiles, place)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := s.receive(tar.NewReader(rc), i, len(datums), place)
	switch {
	case n == 0 && err == nil && place:
		err = errors.New("the server sent no datum")
	case n > 0 && err != nil:
		s.w.log.Warn("download of datum inputs cut short; the rest is asked for again", "datums", n, "err", err)
	}
	return n, err
}

// receive reads the archive of a fetch of datums i, ..., i+n-1 into
// memory, but for the first with place, which goes into place. It returns
// how many arrived whole.
func (s *datumSet) receive(tr *tar.Reader, i, n int, place bool) (int, error) {
	k := -1 // the datum arriving is i+k
	var files []aheadFile
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			err = errors.New("the archive is cut short")
		}
		if err != nil {
			return max(k, 0), err
		}
		if hdr.Name == "error" {
			return max(k, 0), readInputError(tr)
		}
		if hdr.Name == "end" || k+1 < n && hdr.Name == strconv.Itoa(k+1)+"/" && hdr.Typeflag == tar.TypeDir {
			if k > 0 || k == 0 && !place {
				s.ahead[i+k] = files
				files = nil
			}
			if hdr.Name == "end" {
				return k + 1, nil
			}
			k++
			continue
		}
		name, ok := strings.CutPrefix(hdr.Name, strconv.Itoa(k)+"/")
		if k < 0 || !ok || !filepath.IsLocal(filepath.FromSlash(name)) {
			return max(k, 0), fmt.Errorf("unexpected tar entry %q", hdr.Name)
		}
		if k == 0 && place {
			if err := s.w.placeInput(name, tr); err != nil {
				return 0, err
			}
			continue
		}
		if hdr.Size > aheadBytes {
			return k, fmt.Errorf("tar entry %q is over budget", hdr.Name)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return k, err
		}
		files = append(files, aheadFile{name, data})
	}
}

// An inputError is an input the server could not read (its repo was
// deleted, say): no retry can help, unlike a download cut short.
type inputError struct {
	Kind    tusk.Kind
	Message string
}

func (e *inputError) Error() string { return "the server could not read an input: " + e.Message }

// readInputError reads the "error" entry that ends an archive of inputs.
func readInputError(r io.Reader) error {
	var e inputError
	var msg struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&msg); err != nil {
		return fmt.Errorf("the server could not read an input, and its error is garbled: %w", err)
	}
	e.Kind, e.Message = tusk.Kind(msg.Kind), msg.Message
	return &e
}

// layOutLazy makes each file of a lazy input a named pipe at
// <root>/<name><path> that streams its content on first read.
func (w *worker) layOutLazy(ctx context.Context, in tusk.DatumInput) error {
	base := filepath.Join(w.cfg.Root, in.Name)
	p := strings.TrimSuffix(in.Path, "/")
	if p == "" {
		p = "/"
	}
	return w.cfg.Client.WalkFiles(ctx, in.Source(p), func(fi tusk.FileInfo) error {
		dst := filepath.Join(base, filepath.FromSlash(fi.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return w.lazy.add(ctx, w.cfg.Client, in.Source(fi.Path), dst)
	})
}
