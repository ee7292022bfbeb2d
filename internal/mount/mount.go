package mount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/lru"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Client is what a mount needs of the server.
type Client interface {
	ListRepos(ctx context.Context) ([]tusk.Repo, error)
	InspectRepo(ctx context.Context, name string) (tusk.Repo, error)
	InspectCommit(ctx context.Context, ref string) (tusk.Commit, error)
	ListFiles(ctx context.Context, ref, after string, limit int, fn func(tusk.FileInfo) error) error
	GetFile(ctx context.Context, ref string, offset int64) (io.ReadCloser, int64, error)
	NewUpload(ctx context.Context, opts ...client.UploadOption) (*client.Upload, error)
}

// Spec names a repo to mount and the branch or commit ID to show of it.
type Spec struct {
	Repo string
	Ref  string
}

// Options say what to mount and how.
type Options struct {
	// Repos to mount; none means every repo, each at its master branch.
	Repos []Spec
	// Write makes the mount writable: what is written is kept in a
	// local staging directory until Save commits it.
	Write bool
	// CacheBytes bounds the memory that cached file blocks take
	// (DefaultCacheBytes when zero).
	CacheBytes int
}

// DefaultCacheBytes is the cache's size when Options.CacheBytes is zero.
const DefaultCacheBytes = 256 << 20

// ErrNoFUSE says that this machine cannot mount a FUSE file system.
var ErrNoFUSE = errors.New("FUSE is not available")

// FSName is the name mounts show in /proc/mounts (type "fuse.tusk").
const FSName = "tusk"

// Mounted is a repo as the mount shows it: the commit it pinned, or ""
// when the branch had no commit.
type Mounted struct {
	Repo   string
	Ref    string
	Commit string
}

// Mount is a mounted file system.
type Mount struct {
	dir    string
	server *fuse.Server
	repos  []*repo
	data   *source
	lock   *mountLock
	keep   bool // Save failed: the staging directory holds what it could not commit
}

// Start resolves each repo's branch to a commit and mounts the repos on
// dir, which must be an empty directory (it is made when missing). The
// mount serves until Unmount, or until someone unmounts dir; then Save
// commits what was written, and Close ends the mount.
func Start(ctx context.Context, c Client, dir string, opts Options) (_ *Mount, err error) {
	if err := checkFUSE(); err != nil {
		return nil, err
	}
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	specs, err := specsOf(ctx, c, opts.Repos)
	if err != nil {
		return nil, err
	}
	budget := opts.CacheBytes
	if budget <= 0 {
		budget = DefaultCacheBytes
	}
	data := &source{ctx: context.WithoutCancel(ctx), c: c, blocks: lru.New[blockKey, []byte](budget), write: opts.Write}
	m := &Mount{dir: dir, data: data}
	for _, s := range specs {
		r, err := pin(ctx, data, s)
		if err != nil {
			return nil, err
		}
		m.repos = append(m.repos, r)
	}
	if m.lock, err = lock(dir); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	// What a read-only mount shows never changes (the commits are
	// pinned), so the kernel may keep names and attributes as long as it
	// likes; a writable one changes only through the mount, which tells
	// the kernel, but sizes and times of files being written are asked
	// for again.
	forever, attrs := 24*time.Hour, 24*time.Hour
	mopts := fuse.MountOptions{
		FsName:  FSName,
		Name:    FSName,
		Options: []string{"ro"},
		// Requests of up to a block of the cache, not 128 KiB.
		MaxWrite:     blockSize,
		MaxReadAhead: blockSize,
		// Directory listings with names and types only: ls -R, find
		// and du walk a tree by them and look up only what they need
		// (with READDIRPLUS the kernel looked up every entry, and ls -R
		// of 10k files took 3.5× as long as listing them over the API).
		DisableReadDirPlus: true,
	}
	if opts.Write {
		if data.staging, err = os.MkdirTemp("", "tusk-mount-staging-"); err != nil {
			return nil, fmt.Errorf("mount %s: %w", dir, err)
		}
		mopts.Options, attrs = nil, time.Second
	}
	m.server, err = fs.Mount(dir, &root{repos: m.repos}, &fs.Options{
		MountOptions:    mopts,
		EntryTimeout:    &forever,
		AttrTimeout:     &attrs,
		NegativeTimeout: &forever,
	})
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", dir, err)
	}
	return m, nil
}

// Save commits what was written into a writable mount after it is
// unmounted: one commit per repo that changed, on the branch it
// mounted. If a commit fails, what was written stays in the staging
// directory, which the error names.
func (m *Mount) Save(ctx context.Context) ([]tusk.Commit, error) {
	if !m.data.write {
		return nil, nil
	}
	var saved []tusk.Commit
	for _, r := range m.repos {
		c, ok, err := r.save(ctx, m.data.c)
		if err != nil {
			m.keep = true
			return saved, fmt.Errorf("%w; what was written is kept in %s", err, m.data.staging)
		}
		if ok {
			saved = append(saved, c)
		}
	}
	return saved, nil
}

// Close ends the mount after it is unmounted: it removes the staging
// directory (unless Save failed) and lets tusk unmount, which waits for
// it, return.
func (m *Mount) Close() error {
	var err error
	if m.data.staging != "" && !m.keep {
		err = os.RemoveAll(m.data.staging)
	}
	if m.lock != nil {
		m.lock.release()
	}
	return err
}

// Repos returns what the mount shows of each repo.
func (m *Mount) Repos() []Mounted {
	out := make([]Mounted, len(m.repos))
	for i, r := range m.repos {
		out[i] = Mounted{Repo: r.name, Ref: r.ref, Commit: r.commit}
	}
	return out
}

// Wait blocks until the file system is unmounted.
func (m *Mount) Wait() { m.server.Wait() }

// Unmount unmounts the file system; Wait then returns.
func (m *Mount) Unmount() error {
	if err := m.server.Unmount(); err != nil {
		return fmt.Errorf("unmount %s: %w", m.dir, err)
	}
	return nil
}

// checkFUSE fails with ErrNoFUSE when the kernel's FUSE device or the
// fusermount helper is missing.
func checkFUSE() error {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return fmt.Errorf("%w: %v", ErrNoFUSE, err)
	}
	if _, err := fusermount(); err != nil {
		return err
	}
	return nil
}

// fusermount finds the helper that mounts and unmounts FUSE file systems.
func fusermount() (string, error) {
	for _, name := range []string{"fusermount3", "fusermount"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: neither fusermount3 nor fusermount is on the PATH", ErrNoFUSE)
}

// emptyDir makes dir if it is missing and checks that it is an empty
// directory.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("mount on %s: %w", dir, err)
	}
	if len(names) > 0 {
		return tusk.Errorf(tusk.KindInvalid, "mount on %s: the directory is not empty (it holds %s); mount on an empty directory", dir, filepath.Join(dir, names[0]))
	}
	return nil
}

// specsOf returns the repos to mount: those asked for, or every repo at
// its master branch.
func specsOf(ctx context.Context, c Client, asked []Spec) ([]Spec, error) {
	if len(asked) > 0 {
		seen := map[string]bool{}
		for _, s := range asked {
			if seen[s.Repo] {
				return nil, tusk.Errorf(tusk.KindInvalid, "repo %s is named twice: a mount shows one branch or commit of each repo", s.Repo)
			}
			seen[s.Repo] = true
		}
		return asked, nil
	}
	repos, err := c.ListRepos(ctx)
	if err != nil {
		return nil, fmt.Errorf("list repos: %w", err)
	}
	var specs []Spec
	for _, r := range repos {
		if r.Type == "user" {
			specs = append(specs, Spec{Repo: r.Name})
		}
	}
	return specs, nil
}
