package worker

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/tusk"
)

// outBucket is the bucket of an S3 output, as in Pachyderm.
const outBucket = "out"

// outHead stands for the commit of the out bucket, which is the datum's
// /pfs/out rather than a commit.
const outHead = "00000000000000000000000000000000"

// s3FS is the file system of the worker's S3 endpoint (s3gw.FS): the
// datum's S3 inputs, read through the worker's client at their commits,
// and out, the datum's /pfs/out. The gateway names each bucket's repo as
// the bucket: an input's name, or out.
type s3FS struct{ e *s3Endpoint }

// input returns the S3 input named name of the datum in hand.
func (f s3FS) input(name string) (tusk.DatumInput, *s3Datum, error) {
	d, err := f.e.datum()
	if err != nil {
		return tusk.DatumInput{}, nil, err
	}
	in, ok := d.inputs[name]
	if !ok {
		return in, d, tusk.Errorf(tusk.KindNotFound, "the datum has no S3 input %q", name)
	}
	return in, d, nil
}

// outOf returns the datum in hand if repo is its S3 output, which alone
// may be written.
func (f s3FS) outOf(repo string) (*s3Datum, error) {
	d, err := f.e.datum()
	if err != nil {
		return nil, err
	}
	if repo != outBucket || !d.out {
		return nil, tusk.Errorf(tusk.KindForbidden, "bucket %q is not writable: only the bucket out is, in a pipeline with s3_out; S3 inputs are read-only", repo)
	}
	return d, nil
}

// isOut reports whether repo names the datum's S3 output.
func (f s3FS) isOut(repo string) bool {
	d, err := f.e.datum()
	return err == nil && d.out && repo == outBucket
}

// outPath is the name of path p of the output under the datum root.
func outPath(p string) string { return outBucket + p }

func (f s3FS) ListRepos(ctx context.Context) ([]tusk.Repo, error) {
	d, err := f.e.datum()
	if err != nil {
		return nil, err
	}
	var repos []tusk.Repo
	for name := range d.inputs {
		repos = append(repos, tusk.Repo{Name: name, Type: "user", Created: d.started})
	}
	if d.out {
		repos = append(repos, tusk.Repo{Name: outBucket, Type: "user", Created: d.started})
	}
	return repos, nil
}

func (f s3FS) InspectRepo(ctx context.Context, name string) (tusk.Repo, error) {
	b, err := f.InspectBranch(ctx, name, "master")
	return tusk.Repo{Name: name, Type: "user", Created: b.Created}, err
}

func (f s3FS) ListBranches(ctx context.Context, repo string) ([]tusk.Branch, error) {
	b, err := f.InspectBranch(ctx, repo, "master")
	if err != nil {
		return nil, err
	}
	return []tusk.Branch{b}, nil
}

// InspectBranch answers for master, the one branch of each bucket.
func (f s3FS) InspectBranch(ctx context.Context, repo, name string) (tusk.Branch, error) {
	if name != "master" {
		return tusk.Branch{}, tusk.Errorf(tusk.KindNotFound, "bucket %s.%s: a pipeline's S3 buckets are named by its inputs and out alone", name, repo)
	}
	if d, err := f.outOf(repo); err == nil {
		return tusk.Branch{Repo: repo, Name: name, Head: outHead, Created: d.started}, nil
	}
	in, d, err := f.input(repo)
	if err != nil {
		return tusk.Branch{}, err
	}
	return tusk.Branch{Repo: repo, Name: name, Head: in.Commit, Created: d.started}, nil
}

func (f s3FS) InspectCommit(ctx context.Context, ref tusk.Ref) (tusk.Commit, error) {
	if d, err := f.outOf(ref.Repo); err == nil {
		return tusk.Commit{Repo: ref.Repo, ID: outHead, Started: d.started}, nil
	}
	in, _, err := f.input(ref.Repo)
	if err != nil {
		return tusk.Commit{}, err
	}
	c, err := f.e.w.cfg.Client.InspectCommit(ctx, in.RepoName()+"@"+in.Commit)
	if err != nil {
		return c, fmt.Errorf("inspect commit %s@%s of input %s: %w", in.RepoName(), in.Commit, in.Name, err)
	}
	return c, nil
}

func (f s3FS) InspectFile(ctx context.Context, ref tusk.Ref) (tusk.FileInfo, error) {
	if f.isOut(ref.Repo) {
		fi, err := f.e.w.root.Stat(outPath(ref.Path))
		if errors.Is(err, fs.ErrNotExist) {
			return tusk.FileInfo{}, tusk.Errorf(tusk.KindNotFound, "no file %s in /pfs/out", ref.Path)
		}
		if err != nil {
			return tusk.FileInfo{}, err
		}
		info := tusk.FileInfo{Path: ref.Path, Type: "file", SizeBytes: fi.Size()}
		if fi.IsDir() {
			info.Type = "dir"
		}
		return info, nil
	}
	in, _, err := f.input(ref.Repo)
	if err != nil {
		return tusk.FileInfo{}, err
	}
	return f.e.w.cfg.Client.InspectFile(ctx, in.Source(ref.Path))
}

// ScanFiles walks the input's files through the server, or the output's
// under /pfs/out, in path order.
func (f s3FS) ScanFiles(ctx context.Context, ref tusk.Ref, from string, fn func(fileset.File) (string, error)) error {
	skip := from
	visit := func(file fileset.File) error {
		if file.Path < skip {
			return nil
		}
		to, err := fn(file)
		if to != "" {
			skip = to
		}
		return err
	}
	if f.isOut(ref.Repo) {
		files, err := f.outFiles()
		if err != nil {
			return err
		}
		for _, file := range files {
			if err := visit(file); err != nil {
				return err
			}
		}
		return nil
	}
	in, _, err := f.input(ref.Repo)
	if err != nil {
		return err
	}
	return f.e.w.cfg.Client.WalkFiles(ctx, in.Source("/"), func(fi tusk.FileInfo) error {
		return visit(fileset.File{Path: fi.Path, Size: fi.SizeBytes, Hash: fi.Hash})
	})
}

// outFiles lists the regular files under /pfs/out, in path order.
func (f s3FS) outFiles() ([]fileset.File, error) {
	var files []fileset.File
	err := fs.WalkDir(f.e.w.root.FS(), outBucket, func(p string, de fs.DirEntry, err error) error {
		if err != nil || !de.Type().IsRegular() {
			return err
		}
		fi, err := de.Info()
		if err != nil {
			return err
		}
		files = append(files, fileset.File{Path: strings.TrimPrefix(p, outBucket), Size: fi.Size()})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// OpenFile opens a file from offset; it is closed when ctx ends (the
// gateway reads it within its request).
func (f s3FS) OpenFile(ctx context.Context, ref tusk.Ref, offset int64) (io.Reader, tusk.FileInfo, error) {
	if f.isOut(ref.Repo) {
		file, err := f.e.w.root.Open(outPath(ref.Path))
		if err != nil {
			return nil, tusk.FileInfo{}, err
		}
		context.AfterFunc(ctx, func() { file.Close() })
		fi, err := file.Stat()
		if err == nil {
			_, err = file.Seek(offset, io.SeekStart)
		}
		if err != nil {
			return nil, tusk.FileInfo{}, err
		}
		return file, tusk.FileInfo{Path: ref.Path, Type: "file", SizeBytes: fi.Size()}, nil
	}
	in, _, err := f.input(ref.Repo)
	if err != nil {
		return nil, tusk.FileInfo{}, err
	}
	rc, size, err := f.e.w.cfg.Client.GetFile(ctx, in.Source(ref.Path), offset)
	if err != nil {
		return nil, tusk.FileInfo{}, err
	}
	context.AfterFunc(ctx, func() { rc.Close() })
	return rc, tusk.FileInfo{Path: ref.Path, Type: "file", SizeBytes: size}, nil
}

func (f s3FS) ChunkParams() chunk.Params { return chunk.DefaultParams }

// PutChunk keeps a chunk of a write to out until the datum ends.
func (f s3FS) PutChunk(ctx context.Context, id string, encoded []byte) error {
	d, err := f.outOf(outBucket)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.chunks, "put-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(encoded)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(d.chunks, id))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("keep chunk %s: %w", id, err)
	}
	return nil
}

// chunkData returns the content of a kept chunk.
func (d *s3Datum) chunkData(id string) ([]byte, error) {
	if _, err := hex.DecodeString(id); err != nil || id == "" {
		return nil, fmt.Errorf("chunk %q: not a chunk ID", id)
	}
	stored, err := os.ReadFile(filepath.Join(d.chunks, id))
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", id, err)
	}
	return chunk.Decode(id, stored)
}

// StageFiles checks that the chunks of the puts are kept.
func (f s3FS) StageFiles(ctx context.Context, ops []tusk.FileOp, ttl time.Duration) ([]fileset.File, error) {
	d, err := f.outOf(outBucket)
	if err != nil {
		return nil, err
	}
	files := make([]fileset.File, len(ops))
	for i, op := range ops {
		files[i] = fileset.File{Path: op.Path, Size: op.Size, Hash: op.Hash}
		for _, r := range op.Refs {
			if _, err := os.Stat(filepath.Join(d.chunks, r.Chunk)); err != nil {
				return nil, fmt.Errorf("stage %s: chunk %s: %w", op.Path, r.Chunk, err)
			}
			files[i].Refs = append(files[i].Refs, fileset.DataRef{Chunk: r.Chunk, Offset: r.Offset, Length: r.Length})
		}
	}
	return files, nil
}

// ModifyEach applies each group of operations to /pfs/out, where they
// become the datum's output when the command ends.
func (f s3FS) ModifyEach(ctx context.Context, ref tusk.Ref, groups [][]tusk.FileOp) ([]tusk.Commit, []error, error) {
	d, err := f.outOf(ref.Repo)
	if err != nil {
		return nil, nil, err
	}
	commits := make([]tusk.Commit, len(groups))
	errs := make([]error, len(groups))
	for i, ops := range groups {
		commits[i] = tusk.Commit{Repo: ref.Repo, ID: outHead, Started: d.started}
		for _, op := range ops {
			if err := f.apply(ctx, d, op); err != nil {
				errs[i] = fmt.Errorf("%s %s: %w", op.Op, op.Path, err)
				break
			}
		}
	}
	return commits, errs, nil
}

// apply makes one operation on /pfs/out.
func (f s3FS) apply(ctx context.Context, d *s3Datum, op tusk.FileOp) error {
	root := f.e.w.root
	name := outPath(op.Path)
	switch op.Op {
	case tusk.OpDelete:
		return root.RemoveAll(name)
	case tusk.OpPut:
		w, err := f.create(d, name, op.Append)
		if err != nil {
			return err
		}
		for _, r := range op.Refs {
			data, err := d.chunkData(r.Chunk)
			if err == nil && (r.Offset < 0 || r.Length < 0 || r.Offset+r.Length > int64(len(data))) {
				err = fmt.Errorf("chunk %s has no bytes %d to %d", r.Chunk, r.Offset, r.Offset+r.Length)
			}
			if err == nil {
				_, err = w.Write(data[r.Offset : r.Offset+r.Length])
			}
			if err != nil {
				w.Close()
				return err
			}
		}
		return w.Close()
	case tusk.OpCopy:
		return f.copy(ctx, d, name, op.Src)
	}
	return fmt.Errorf("operation %q is not one the S3 output takes", op.Op)
}

// create opens name under the datum root for writing, making it and its
// directories the command's.
func (f s3FS) create(d *s3Datum, name string, appendTo bool) (*os.File, error) {
	root := f.e.w.root
	dir := outBucket
	for _, elem := range strings.Split(path.Dir(name), "/")[1:] {
		dir += "/" + elem
		err := root.Mkdir(dir, 0o755)
		if err == nil {
			err = d.own(root, dir)
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	file, err := root.OpenFile(name, flag, 0o644)
	if err == nil {
		if err = d.own(root, name); err != nil {
			file.Close()
		}
	}
	return file, err
}

// own gives name under root to the command's user.
func (d *s3Datum) own(root *os.Root, name string) error {
	if d.as == nil {
		return nil
	}
	return root.Lchown(name, int(d.as.cred.Uid), int(d.as.cred.Gid))
}

// copy writes to name the file src ("bucket@head:/path") of an input or
// of out.
func (f s3FS) copy(ctx context.Context, d *s3Datum, name, src string) error {
	repo, rest, _ := strings.Cut(src, "@")
	_, p, _ := strings.Cut(rest, ":")
	var r io.ReadCloser
	if f.isOut(repo) {
		if outPath(p) == name {
			return nil
		}
		file, err := f.e.w.root.Open(outPath(p))
		if err != nil {
			return err
		}
		r = file
	} else {
		in, _, err := f.input(repo)
		if err != nil {
			return err
		}
		if r, _, err = f.e.w.cfg.Client.GetFile(ctx, in.Source(p), 0); err != nil {
			return err
		}
	}
	defer r.Close()
	w, err := f.create(d, name, false)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// CreateBranch refuses: the buckets are the datum's.
func (f s3FS) CreateBranch(ctx context.Context, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger) (tusk.Branch, error) {
	return tusk.Branch{}, tusk.Errorf(tusk.KindForbidden, "a pipeline's S3 buckets are its S3 inputs and out; no other can be made")
}
