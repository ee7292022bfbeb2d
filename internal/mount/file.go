package mount

import (
	"context"
	"fmt"
	"io"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/tuskdata/tusk/internal/lru"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Files are read in blocks of blockSize bytes, which the source caches.
// A reader that is behind by at most readBehind bytes reads on in its
// open stream (caching what it passes) rather than starting another:
// the kernel's read-ahead may ask for blocks slightly out of order.
const (
	blockSize  = 1 << 20
	readBehind = 8 * blockSize
)

// source is where files' content comes from: the server, through a cache
// of blocks shared by every file of the mount.
type source struct {
	ctx    context.Context // for streams that outlive one request
	c      Client
	blocks *lru.Cache[blockKey, []byte]
}

// blockKey names a block of a file's content: by the content's hash, so
// that a block never goes stale and files with the same content share
// their blocks.
type blockKey struct {
	content string
	index   int64
}

// file is a file of a repo's commit.
type file struct {
	fs.Inode
	repo *repo
	info tusk.FileInfo
}

var (
	_ fs.NodeOpener    = (*file)(nil)
	_ fs.NodeGetattrer = (*file)(nil)
)

// Getattr describes the file.
func (f *file) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFREG | 0o444
	out.Nlink = 1
	out.Size = uint64(f.info.SizeBytes)
	out.Blocks = (out.Size + 511) / 512
	out.SetTimes(nil, &f.repo.time, &f.repo.time)
	return 0
}

// Open opens the file for reading. The kernel may keep its pages: the
// content of a pinned commit does not change.
func (f *file) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC) != 0 {
		return nil, 0, syscall.EROFS
	}
	content := f.info.Hash
	if content == "" {
		content = f.repo.fileRef(f.info.Path)
	}
	return &reader{f: f, content: content}, fuse.FOPEN_KEEP_CACHE, 0
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
}

var (
	_ fs.FileReader   = (*reader)(nil)
	_ fs.FileReleaser = (*reader)(nil)
)

// Read fills dest with the file's bytes from off.
func (r *reader) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	size := r.f.info.SizeBytes
	end := min(off+int64(len(dest)), size)
	n := 0
	for o := off; o < end; {
		data, err := r.block(o / blockSize)
		if err != nil {
			return nil, errnoOf(ctx, "read "+r.f.repo.fileRef(r.f.info.Path), err)
		}
		c := copy(dest[n:end-off], data[o%blockSize:])
		n += c
		o += int64(c)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// block returns a block of the file, from the cache or the server.
func (r *reader) block(i int64) ([]byte, error) {
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
		rc, _, err := data.c.GetFile(data.ctx, r.f.repo.fileRef(r.f.info.Path), start)
		if err != nil {
			return nil, err
		}
		r.stream, r.pos = rc, start
	}
	for {
		b := make([]byte, min(blockSize, r.f.info.SizeBytes-r.pos))
		if _, err := io.ReadFull(r.stream, b); err != nil {
			r.closeStream()
			return nil, fmt.Errorf("bytes %d to %d: %w", start, start+int64(len(b)), err)
		}
		data.blocks.Add(blockKey{r.content, r.pos / blockSize}, b, len(b))
		r.pos += int64(len(b))
		if r.pos > start {
			return b, nil
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
