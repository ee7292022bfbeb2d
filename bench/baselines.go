package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// notInstalled is what the table shows for a missing baseline tool.
const notInstalled = "n/a (not installed)"

// installHint says how to get the baselines.
const installHint = "apt-get install -y restic git awscli"

// command runs name with args in dir (when not empty) with extra
// environment, and returns its wall time; a failure carries the tail of
// its output.
func command(ctx context.Context, dir string, env []string, name string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		tail := strings.TrimSpace(out.String())
		if len(tail) > 300 {
			tail = "…" + tail[len(tail)-300:]
		}
		return d, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, tail)
	}
	return d, nil
}

// syncAll flushes every dirty page, so that a timed phase does not pay
// for the writeback of data generated before it.
func syncAll(ctx context.Context) error {
	_, err := command(ctx, "", nil, "sync")
	return err
}

// cpSync copies src to dst and syncs the copy (sync FILE: fsync of that
// file only, so that other tenants' dirty pages do not count).
func cpSync(ctx context.Context, src, dst string) (time.Duration, error) {
	d1, err := command(ctx, "", nil, "cp", src, dst)
	if err != nil {
		return d1, err
	}
	d2, err := command(ctx, "", nil, "sync", dst)
	return d1 + d2, err
}

// restic is a restic repository in a scenario's directory.
type restic struct {
	bin, repo, cache string
}

// newRestic initialises a repository under dir (not timed).
func newRestic(ctx context.Context, bin, dir string) (*restic, error) {
	r := &restic{bin: bin, repo: filepath.Join(dir, "restic-repo"), cache: filepath.Join(dir, "restic-cache")}
	if _, err := r.run(ctx, "init"); err != nil {
		return nil, fmt.Errorf("restic init: %w", err)
	}
	return r, nil
}

func (r *restic) run(ctx context.Context, args ...string) (time.Duration, error) {
	env := []string{"RESTIC_PASSWORD=tusk-bench", "RESTIC_REPOSITORY=" + r.repo}
	return command(ctx, "", env, r.bin, append([]string{"--quiet", "--cache-dir", r.cache}, args...)...)
}

// backup backs path up.
func (r *restic) backup(ctx context.Context, path string) (time.Duration, error) {
	return r.run(ctx, "backup", path)
}

// resticOnce backs path up into a fresh repository under dir and returns
// the time of the backup alone.
func resticOnce(ctx context.Context, bin, dir, path string) (time.Duration, error) {
	r, err := newRestic(ctx, bin, dir)
	if err != nil {
		return 0, err
	}
	return r.backup(ctx, path)
}

// size is the repository's size on disk.
func (r *restic) size() (int64, error) {
	return dirSize(r.repo)
}

// gitCommitAll makes a repository in gitDir (not timed) whose work tree
// is tree, then runs `git add -A && git commit` and returns the time of
// both.
func gitCommitAll(ctx context.Context, bin, gitDir, tree string) (time.Duration, error) {
	env := []string{"GIT_DIR=" + gitDir, "GIT_WORK_TREE=" + tree}
	if _, err := command(ctx, tree, env, bin, "init", "-q"); err != nil {
		return 0, err
	}
	cfg := []string{"-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "gc.auto=0"}
	d1, err := command(ctx, tree, env, bin, append(cfg, "add", "-A")...)
	if err != nil {
		return d1, err
	}
	d2, err := command(ctx, tree, env, bin, append(cfg, "commit", "-q", "-m", "bench")...)
	return d1 + d2, err
}
