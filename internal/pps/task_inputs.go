package pps

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/tusk"
)

// InputsArchive is the inputs of datums that a worker asked for, as one
// tar archive: for the k-th datum an entry "k/", then its files as
// "k/<input name><path>" (empty with empty_files), and an entry "end"
// that closes the archive, so that one cut short cannot pass for one that
// is whole. If an input cannot be read (its repo was deleted, say), an
// entry "error" holding why (JSON: kind, message) closes the archive
// instead: the worker then knows the input, not the connection, failed.
// Datums follow in order as long as they fit whole within the request's
// budget of bytes and files, which bounds what a worker holds until their
// turn; with force_first, the first one is sent whatever its size (the
// worker writes it straight into place). internal/worker reads it.
type InputsArchive struct {
	a      *API
	req    tusk.TaskInputsRequest
	refs   [][]tusk.Ref // the inputs of req.Datums, parsed
	budget inputBudget
	sent   int64 // content bytes written
	// trees holds the commits of the inputs, by ref without its path,
	// each looked up once for the archive.
	trees map[tusk.Ref]pfs.Tree
}

// TaskInputs checks a worker's request for the inputs of datums and
// returns the archive that answers it.
func (a *API) TaskInputs(req tusk.TaskInputsRequest) (*InputsArchive, error) {
	refs := make([][]tusk.Ref, len(req.Datums))
	for k, ins := range req.Datums {
		for _, in := range ins {
			p := strings.TrimSuffix(in.Path, "/")
			if p == "" {
				p = "/"
			}
			ref, err := tusk.ParseRef(in.Source(p))
			if err == nil && (in.Name == "" || strings.Contains(in.Name, "/") || in.Name == "." || in.Name == "..") {
				err = tusk.Errorf(tusk.KindInvalid, "bad input name %q", in.Name)
			}
			if err != nil {
				return nil, err
			}
			refs[k] = append(refs[k], ref)
		}
	}
	return &InputsArchive{a: a, req: req, refs: refs,
		budget: inputBudget{bytes: req.BudgetBytes, files: req.BudgetFiles}, trees: map[tusk.Ref]pfs.Tree{}}, nil
}

// walkFiles is pfs.API.WalkFiles, with the commit of ref looked up once
// for the archive.
func (ia *InputsArchive) walkFiles(ctx context.Context, ref tusk.Ref, fn func(fileset.File) error) error {
	key := ref
	key.Path, key.HasPath = "", false
	t, ok := ia.trees[key]
	if !ok {
		var err error
		if t, err = ia.a.pfs.Tree(ctx, ref); err != nil {
			return err
		}
		ia.trees[key] = t
	}
	return t.WalkFiles(ctx, ref.Path, fn)
}

// Write writes the archive to w. It returns how many bytes of file
// content it wrote, and an error if the archive could not be written
// whole (w failed, or ctx ended): it then lacks its "end".
func (ia *InputsArchive) Write(ctx context.Context, w io.Writer) (int64, error) {
	tw := tar.NewWriter(w)
	err := ia.writeDatums(ctx, tw)
	var readErr inputReadError
	if errors.As(err, &readErr) {
		err = writeInputError(tw, readErr.err)
	} else if err == nil {
		err = tw.WriteHeader(&tar.Header{Name: "end", Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX})
	}
	if err == nil {
		err = tw.Close()
	}
	return ia.sent, err
}

// inputReadError is an input that could not be read, as opposed to an
// archive that could not be written.
type inputReadError struct{ err error }

func (e inputReadError) Error() string { return e.err.Error() }

// writeInputError closes an archive of inputs with an "error" entry that
// says why an input could not be read.
func writeInputError(tw *tar.Writer, cause error) error {
	b, err := json.Marshal(map[string]string{"kind": string(tusk.KindOf(cause)), "message": cause.Error()})
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "error", Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

// inputBudget is what is left of the budget of an archive.
type inputBudget struct {
	bytes int64
	files int
}

var errOverBudget = errors.New("over budget")

// writeDatums writes the datums that fit the budget.
func (ia *InputsArchive) writeDatums(ctx context.Context, tw *tar.Writer) error {
	b := &ia.budget
	for k, ins := range ia.req.Datums {
		// Datums are listed first, to see if they fit.
		force := k == 0 && ia.req.ForceFirst
		var files [][]fileset.File
		if !force {
			files = make([][]fileset.File, len(ins))
			for i, in := range ins {
				err := ia.walkFiles(ctx, ia.refs[k][i], func(f fileset.File) error {
					if !in.EmptyFiles {
						b.bytes -= f.Size
					}
					if b.files--; b.bytes < 0 || b.files < 0 {
						return errOverBudget
					}
					files[i] = append(files[i], f)
					return nil
				})
				if err == errOverBudget {
					return nil
				}
				if err != nil {
					return inputReadError{fmt.Errorf("input %s (%s@%s:%s): %w", in.Name, in.Repo, in.Commit, in.Path, err)}
				}
			}
		}
		dir := strconv.Itoa(k) + "/"
		if err := tw.WriteHeader(&tar.Header{Name: dir, Mode: 0o755, Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
			return err
		}
		for i, in := range ins {
			put := func(f fileset.File) error {
				size := f.Size
				if in.EmptyFiles {
					size = 0
				}
				hdr := &tar.Header{Name: dir + in.Name + f.Path, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
				if err := tw.WriteHeader(hdr); err != nil {
					return fmt.Errorf("%w: %w", errWrite, err)
				}
				if size == 0 {
					return nil
				}
				cw := &countingWriter{w: tw}
				_, err := io.Copy(cw, ia.a.pfs.Content(ctx, f, 0))
				ia.sent += cw.n
				switch {
				case err == nil:
					return nil
				case cw.err != nil:
					return fmt.Errorf("%w: %w", errWrite, err)
				}
				// The content, not the connection, failed: fill the entry
				// so that an "error" entry may follow it.
				if _, err := io.CopyN(tw, zeros{}, size-cw.n); err != nil {
					return fmt.Errorf("%w: %w", errWrite, err)
				}
				return inputReadError{fmt.Errorf("%s: %w", f.Path, err)}
			}
			var err error
			if force {
				err = ia.walkFiles(ctx, ia.refs[k][i], func(f fileset.File) error {
					if !in.EmptyFiles {
						b.bytes -= f.Size
					}
					b.files--
					return put(f)
				})
			} else {
				for _, f := range files[i] {
					if err = put(f); err != nil {
						break
					}
				}
			}
			var readErr inputReadError
			switch {
			case errors.As(err, &readErr):
				return inputReadError{fmt.Errorf("input %s (%s@%s:%s): %w", in.Name, in.Repo, in.Commit, in.Path, readErr.err)}
			case err != nil && force && !errors.Is(err, errWrite):
				// The listing of the input failed, not a write.
				return inputReadError{fmt.Errorf("input %s (%s@%s:%s): %w", in.Name, in.Repo, in.Commit, in.Path, err)}
			case err != nil:
				return fmt.Errorf("input %s of datum %d: %w", in.Name, k, err)
			}
		}
	}
	return nil
}

// errWrite marks a failure to write the archive (the worker went away).
var errWrite = errors.New("write datum inputs")

// countingWriter counts what it writes, and keeps the first write error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
