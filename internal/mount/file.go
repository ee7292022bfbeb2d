package mount

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/tuskdata/tusk/internal/lru"
)

// Files are read in blocks of blockSize bytes, which the source caches.
// A reader that is behind by at most readBehind bytes reads on in its
// open stream (caching what it passes) rather than starting another:
// the kernel's read-ahead may ask for blocks slightly out of order. An
// open file reads up to aheadBlocks blocks past the last one asked for
// while the kernel takes that one.
const (
	blockSize   = 1 << 20
	readBehind  = 8 * blockSize
	aheadBlocks = 4
)

// source is where files' content comes from: the server, through a cache
// of blocks shared by every file of the mount.
type source struct {
	ctx    context.Context // for streams that outlive one request
	c      Client
	blocks *lru.Cache[blockKey, []byte]

	write   bool   // a writable mount
	staging string // where a writable mount keeps what is written
	files   atomic.Int64
}

// stageFile makes a new, empty file in the staging directory.
func (s *source) stageFile() (string, error) {
	name := filepath.Join(s.staging, strconv.FormatInt(s.files.Add(1), 10))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	return name, f.Close()
}

// blockKey names a block of a file's content: by the content's hash, so
// that a block never goes stale and files with the same content share
// their blocks.
type blockKey struct {
	content string
	index   int64
}

// file is a file of a repo's commit, or one made in a writable mount.
type file struct {
	fs.Inode
	repo   *repo
	origin string // its path in the pinned commit; "" for a file made here
	size   int64  // of the origin's content
	hash   string // of the origin's content

	mu     sync.Mutex
	staged string // the local file that holds its content once written, or ""
}

var (
	_ fs.NodeOpener    = (*file)(nil)
	_ fs.NodeGetattrer = (*file)(nil)
	_ fs.NodeSetattrer = (*file)(nil)
)

// Getattr describes the file.
func (f *file) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFREG | 0o444
	out.Nlink = 1
	out.Size = uint64(f.size)
	out.SetTimes(nil, &f.repo.time, &f.repo.time)
	if f.repo.data.write {
		out.Mode = fuse.S_IFREG | 0o644
		if local := f.stagedPath(); local != "" {
			var st syscall.Stat_t
			if err := syscall.Stat(local, &st); err != nil {
				return fs.ToErrno(err)
			}
			out.Size = uint64(st.Size)
			mtime := time.Unix(st.Mtim.Unix())
			out.SetTimes(nil, &mtime, &mtime)
		}
	}
	out.Blocks = (out.Size + 511) / 512
	// Tools read in chunks of the block size they are told (cat, cp):
	// a block of the cache is one request instead of several.
	out.Blksize = blockSize
	return 0
}

// Open opens the file. The kernel may keep its pages in a read-only
// mount: the content of a pinned commit does not change. In a writable
// mount, opening for writing first copies the file into the staging
// directory, and every later open is of that copy.
func (f *file) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	writes := flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC) != 0
	if !f.repo.data.write {
		if writes {
			return nil, 0, syscall.EROFS
		}
		return f.reader(), fuse.FOPEN_KEEP_CACHE, 0
	}
	local := f.stagedPath()
	if writes && local == "" {
		var errno syscall.Errno
		if local, errno = f.stage(ctx, flags&syscall.O_TRUNC != 0); errno != 0 {
			return nil, 0, errno
		}
	}
	if local == "" {
		return f.reader(), 0, 0
	}
	fd, err := syscall.Open(local, int(flags)&^(syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOCTTY), 0)
	if err != nil {
		return nil, 0, fs.ToErrno(err)
	}
	return fs.NewLoopbackFile(fd), 0, 0
}

// Setattr changes the file's size (truncate); other attributes are not
// kept in a repo, and stay as they are.
func (f *file) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if !f.repo.data.write {
		return syscall.EROFS
	}
	if size, ok := in.GetSize(); ok {
		local := f.stagedPath()
		if local == "" {
			var errno syscall.Errno
			if local, errno = f.stage(ctx, size == 0); errno != 0 {
				return errno
			}
		}
		if err := os.Truncate(local, int64(size)); err != nil {
			return fs.ToErrno(err)
		}
	}
	return f.Getattr(ctx, fh, out)
}

// stagedPath returns the file's local copy, or "" if it has none.
func (f *file) stagedPath() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.staged
}

// stage makes the file's local copy in the staging directory: empty
// when it is to be truncated anyway, else with the origin's content.
func (f *file) stage(ctx context.Context, empty bool) (string, syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.staged != "" {
		return f.staged, 0
	}
	local, err := f.repo.data.stageFile()
	if err != nil {
		return "", errnoOf(ctx, "stage "+f.origin, err)
	}
	if !empty && f.origin != "" && f.size > 0 {
		if err := f.download(ctx, local); err != nil {
			os.Remove(local)
			return "", errnoOf(ctx, "copy "+f.repo.fileRef(f.origin)+" to write it", err)
		}
	}
	f.staged = local
	return local, 0
}

// download writes the origin's content into local.
func (f *file) download(ctx context.Context, local string) error {
	rc, _, err := f.repo.data.c.GetFile(ctx, f.repo.fileRef(f.origin), 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	w, err := os.OpenFile(local, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	n, err := io.Copy(w, rc)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != f.size {
		err = fmt.Errorf("got %d of %d bytes", n, f.size)
	}
	return err
}

// reader opens the origin's content for reading.
func (f *file) reader() *reader {
	content := f.hash
	if content == "" {
		content = f.repo.fileRef(f.origin)
	}
	return &reader{f: f, content: content}
}

// reader is an open file: it keeps a stream of the file's content open
// from where the last read ended, so that reading a file from start to
// end costs one request.
type reader struct {
	f       *file
	content string

	mu     sync.Mutex
	stream io.ReadCloser // nil until a block is missed
	pos    int64         // offset of the stream's next byte
	ahead  atomic.Bool   // a readAhead is under way
	last   atomic.Int64  // the last block asked for
}

var (
	_ fs.FileReader   = (*reader)(nil)
	_ fs.FileReleaser = (*reader)(nil)
)

// Read fills dest with the file's bytes from off. A read within one
// block is answered with the cached block's bytes, without a copy.
func (r *reader) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	size := r.f.size
	end := min(off+int64(len(dest)), size)
	if off >= end {
		return fuse.ReadResultData(nil), 0
	}
	if off/blockSize == (end-1)/blockSize {
		data, err := r.block(off / blockSize)
		if err != nil {
			return nil, errnoOf(ctx, "read "+r.f.repo.fileRef(r.f.origin), err)
		}
		return fuse.ReadResultData(data[off%blockSize : (end-1)%blockSize+1]), 0
	}
	n := 0
	for o := off; o < end; {
		data, err := r.block(o / blockSize)
		if err != nil {
			return nil, errnoOf(ctx, "read "+r.f.repo.fileRef(r.f.origin), err)
		}
		c := copy(dest[n:end-off], data[o%blockSize:])
		n += c
		o += int64(c)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// block returns a block of the file, from the cache or the server, and
// has the blocks after it read ahead.
func (r *reader) block(i int64) ([]byte, error) {
	b, err := r.fetch(i)
	if err != nil {
		return nil, err
	}
	if i > r.last.Load() {
		r.last.Store(i)
	}
	if (i+1)*blockSize < r.f.size && r.ahead.CompareAndSwap(false, true) {
		go r.readAhead()
	}
	return b, nil
}

// fetch returns a block of the file, from the cache, or read from the
// open stream (a new one when the block is not just ahead of it).
func (r *reader) fetch(i int64) ([]byte, error) {
	key := blockKey{r.content, i}
	data := r.f.repo.data
	if b, ok := data.blocks.Get(key); ok {
		return b, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := data.blocks.Get(key); ok {
		return b, nil
	}
	start := i * blockSize
	if r.stream == nil || r.pos > start || start-r.pos > readBehind {
		r.closeStream()
		rc, _, err := data.c.GetFile(data.ctx, r.f.repo.fileRef(r.f.origin), start)
		if err != nil {
			return nil, err
		}
		r.stream, r.pos = rc, start
	}
	for {
		b, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("bytes %d to %d: %w", start, start+blockSize, err)
		}
		if r.pos > start {
			return b, nil
		}
	}
}

// next reads the stream's next block into the cache. The caller holds
// r.mu.
func (r *reader) next() ([]byte, error) {
	b := make([]byte, min(blockSize, r.f.size-r.pos))
	if _, err := io.ReadFull(r.stream, b); err != nil {
		r.closeStream()
		return nil, err
	}
	r.f.repo.data.blocks.Add(blockKey{r.content, r.pos / blockSize}, b, len(b))
	r.pos += int64(len(b))
	return b, nil
}

// readAhead reads the stream's next blocks into the cache, up to
// aheadBlocks past the last block asked for, while the kernel takes that
// one, so that a file read from start to end waits on the server less.
// An open file has one read-ahead at a time; it stops at a block already
// cached, or when the stream is gone (the next read starts another, and
// reports its error).
func (r *reader) readAhead() {
	defer r.ahead.Store(false)
	data := r.f.repo.data
	for {
		r.mu.Lock()
		if r.stream == nil || r.pos >= r.f.size || r.pos >= (r.last.Load()+1+aheadBlocks)*blockSize {
			r.mu.Unlock()
			return
		}
		if _, ok := data.blocks.Get(blockKey{r.content, r.pos / blockSize}); ok {
			r.mu.Unlock()
			return
		}
		_, err := r.next()
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// closeStream ends the open stream, if any.
func (r *reader) closeStream() {
	if r.stream != nil {
		r.stream.Close()
		r.stream = nil
	}
}

// Release closes the file.
func (r *reader) Release(ctx context.Context) syscall.Errno {
	r.mu.Lock()
	r.closeStream()
	r.mu.Unlock()
	return 0
}
