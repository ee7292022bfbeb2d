package local

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/tuskdata/tusk/internal/blob"
)

// tempPrefix starts the names of the temporary files that Put writes before
// renaming them into place. Keys cannot contain a segment that starts with a
// dot, so no object is ever named like a temporary file.
const tempPrefix = ".tmp-"

// Store is a blob.Store on a directory of the file system. Keys map to
// paths under the root directory. A key cannot also be a directory: with
// "a/b" stored, a Put of "a" fails, and the other way round.
//
// One process at a time may write to a directory: durability relies on
// the store knowing which directories it created.
type Store struct {
	fs   FS
	root string

	// dirMu serializes the creation of directories, so that no Put
	// returns before the directory entries it relies on are durable.
	dirMu sync.Mutex
	// dirs holds directories known to exist durably, which writes then
	// need not check again.
	dirs sync.Map

	// syncMu serializes Sync, so that a Sync returns only once the files
	// that an earlier, concurrent Sync took over are durable too.
	syncMu sync.Mutex
	// dirty holds the files written by PutUnsynced since the last Sync.
	dirtyMu sync.Mutex
	dirty   map[string]struct{}

	noDirect atomic.Bool // the file system refused direct I/O
}

// directWriter is a file system that can write a new file past the page
// cache. For an object that is written once and read later if ever, that
// spares the CPU of filling the page cache, which on a busy or virtual
// machine costs more than the write itself.
type directWriter interface {
	// WriteDirect creates name, failing if it exists, and writes data
	// to it. It returns errNoDirect if the file system does not do
	// direct I/O.
	WriteDirect(name string, data []byte) error
}

var errNoDirect = errors.New("direct I/O not supported")

// directMin is the smallest object written with direct I/O.
const directMin = 256 << 10

// syncParallelism is how many files Sync fsyncs at once.
const syncParallelism = 32

var _ blob.Store = (*Store)(nil)

// Open returns a store on the directory root of the operating system's
// file system, creating it if needed.
func Open(root string) (*Store, error) {
	return OpenFS(OS{}, root)
}

// OpenFS returns a store on the directory root of fsys, creating it if
// needed. Temporary files left by a crash are ignored; CleanTemp removes
// them.
func OpenFS(fsys FS, root string) (*Store, error) {
	s := &Store{fs: fsys, root: filepath.Clean(root), dirty: map[string]struct{}{}}
	if err := s.ensureDir(s.root); err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	return s, nil
}

// Put implements blob.Putter: it writes data to a temporary file in the
// key's directory, syncs it, renames it over the key and syncs the
// directory.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	name, err := s.write(ctx, key, data, true)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := s.fs.SyncDir(filepath.Dir(name)); err != nil {
		return fmt.Errorf("put %s: sync directory: %w", key, err)
	}
	return nil
}

// PutUnsynced stores data under key like Put, readable at once, but
// durable only once a later Sync returns: a crash before then may lose
// the object or leave it damaged. A thousand objects written this way and
// synced together cost about one fsync instead of a thousand in a row.
func (s *Store) PutUnsynced(ctx context.Context, key string, data []byte) error {
	name, err := s.write(ctx, key, data, false)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	s.dirtyMu.Lock()
	s.dirty[name] = struct{}{}
	s.dirtyMu.Unlock()
	return nil
}

// Sync makes every object written by PutUnsynced before it was called
// durable: their files, then their directories, many at a time. An object
// deleted since needs nothing. After an error, which of them are durable
// is unknown, and they are no longer tracked: write them again.
func (s *Store) Sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.dirtyMu.Lock()
	files := s.dirty
	s.dirty = map[string]struct{}{}
	s.dirtyMu.Unlock()
	dirs := map[string]struct{}{}
	for name := range files {
		dirs[filepath.Dir(name)] = struct{}{}
	}
	if err := s.syncAll(ctx, files, s.fs.SyncFile); err != nil {
		return fmt.Errorf("sync %d objects: %w", len(files), err)
	}
	if err := s.syncAll(ctx, dirs, s.fs.SyncDir); err != nil {
		return fmt.Errorf("sync %d directories: %w", len(dirs), err)
	}
	return nil
}

// syncAll runs sync on every name, in parallel so that the file system
// can commit them together. A name that no longer exists is skipped.
func (s *Store) syncAll(ctx context.Context, names map[string]struct{}, sync func(string) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(syncParallelism)
	for name := range names {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := sync(name); err != nil && !isNotExist(err) {
				return err
			}
			return nil
		})
	}
	return g.Wait()
}

// write creates the key's directory if needed, writes data to a temporary
// file there, syncs it when asked, and renames it over the key's file,
// whose name it returns.
func (s *Store) write(ctx context.Context, key string, data []byte, sync bool) (string, error) {
	name, err := s.path(ctx, key)
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(name)
	if err := s.ensureDir(dir); err != nil {
		return "", err
	}
	tmp := filepath.Join(dir, tempPrefix+rand.Text())
	if err := s.writeFile(tmp, data, sync); err != nil {
		_ = s.fs.Remove(tmp)
		return "", err
	}
	if err := s.fs.Rename(tmp, name); err != nil {
		_ = s.fs.Remove(tmp)
		return "", err
	}
	return name, nil
}

// writeFile creates name and writes data to it, durably if sync is set.
func (s *Store) writeFile(name string, data []byte, sync bool) error {
	if dw, ok := s.fs.(directWriter); ok && !sync && len(data) >= directMin && !s.noDirect.Load() {
		err := dw.WriteDirect(name, data)
		if !errors.Is(err, errNoDirect) {
			return err
		}
		s.noDirect.Store(true)
		_ = s.fs.Remove(name)
	}
	f, err := s.fs.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// ensureDir creates dir if it is missing and makes its entry, and those of
// any parents it had to create, durable.
func (s *Store) ensureDir(dir string) error {
	if _, ok := s.dirs.Load(dir); ok {
		return nil
	}
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	if err := s.makeDir(dir); err != nil {
		return err
	}
	s.dirs.Store(dir, struct{}{})
	return nil
}

// makeDir does ensureDir's work, with dirMu held.
func (s *Store) makeDir(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		_, err := s.fs.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := s.fs.MkdirAll(dir); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := s.fs.SyncDir(filepath.Dir(missing[i])); err != nil {
			return fmt.Errorf("sync directory: %w", err)
		}
	}
	return nil
}

// Get implements blob.Getter.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	name, err := s.path(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	data, err := s.fs.ReadFile(name)
	if isNotExist(err) {
		return nil, fmt.Errorf("get %s: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return data, nil
}

// GetRange implements blob.Getter.
func (s *Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	name, err := s.path(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if off < 0 || n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("get %s: %w", key, blob.CheckRange(off, n, 0))
	}
	data, err := s.fs.ReadRange(name, off, int(n))
	if isNotExist(err) {
		return nil, fmt.Errorf("get %s: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if int64(len(data)) < n {
		return nil, fmt.Errorf("get %s: %d bytes at offset %d past its end: %w", key, n, off, blob.ErrRange)
	}
	return data, nil
}

// Stat implements blob.Getter.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	name, err := s.path(ctx, key)
	if err != nil {
		return blob.Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	fi, err := s.fs.Stat(name)
	if isNotExist(err) || err == nil && fi.IsDir() {
		return blob.Info{}, fmt.Errorf("stat %s: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return blob.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete implements blob.Deleter. It syncs the directory, so that a
// deleted object does not come back after a crash.
func (s *Store) Delete(ctx context.Context, key string) error {
	name, err := s.path(ctx, key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	fi, err := s.fs.Stat(name)
	if isNotExist(err) || err == nil && fi.IsDir() {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := s.fs.Remove(name); err != nil && !isNotExist(err) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := s.fs.SyncDir(filepath.Dir(name)); err != nil {
		return fmt.Errorf("delete %s: sync directory: %w", key, err)
	}
	return nil
}

// Close implements blob.Store. It has nothing to release.
func (s *Store) Close() error { return nil }

// path checks ctx and key and returns the key's file name.
func (s *Store) path(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := blob.CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// isNotExist reports whether err says that a file is missing, including
// because a parent is a file or the file is a directory.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR)
}
