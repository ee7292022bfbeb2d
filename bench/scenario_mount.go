package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/mount"
	"github.com/tuskdata/tusk/internal/tusk"
)

var mountScenario = scenario{
	name:  "mount",
	title: "tusk mount: cat of a large file, ls -R of many files",
	note: "One server in this process; a repo holding a 1 GiB × scale random file, and one holding 100k × scale files " +
		"of 16 bytes, 1000 per directory. Each round mounts the repo afresh (tusk mount's code, in this process; so the " +
		"kernel's page cache and the mount's block cache start empty) and times `cat FILE > /dev/null` and `ls -R " +
		"DIR > /dev/null` as separate processes; against the same client's `get file` (GetFile copied to nothing, as " +
		"`tusk get file > /dev/null` does) and `list file` of every directory, recursively (ListFiles of each). The " +
		"two alternate for -rounds rounds and each figure is the median.",
	run: runMount,
}

func runMount(ctx context.Context, b *bench) ([]row, error) {
	dir, err := b.scratch("mount")
	if err != nil {
		return nil, err
	}
	n := b.bytes(1 << 30)
	local := filepath.Join(dir, "big.bin")
	if err := writeRandomFile(local, n, 5); err != nil {
		return nil, err
	}
	t, err := startTusk(ctx, filepath.Join(dir, "tusk"))
	if err != nil {
		return nil, err
	}
	defer t.stop()
	for _, r := range []string{"big", "many"} {
		if _, err := t.client.CreateRepo(ctx, r, ""); err != nil {
			return nil, fmt.Errorf("create repo: %w", err)
		}
	}
	if _, err := putFile(ctx, t.client, "big", local, "/big.bin"); err != nil {
		return nil, err
	}
	files := b.count(100_000)
	b.log.Info("putting small files", "files", files)
	if err := putMany(ctx, t.client, "many", files); err != nil {
		return nil, err
	}

	var cat, get, ls, list samples
	for round := 1; round <= b.cfg.rounds; round++ {
		b.log.Info("mount", "round", round)
		cat.add(inMount(ctx, t.client, filepath.Join(dir, "mnt"), "big", "cat", "big/big.bin"))
		get.add(timed(func() error { return getAll(ctx, t.client, "big@master:/big.bin", n) }))
		ls.add(inMount(ctx, t.client, filepath.Join(dir, "mnt"), "many", "ls", "-R", "many"))
		list.add(timed(func() error { return listAll(ctx, t.client, "many@master", "/") }))
	}
	catRow := row{scenario: fmt.Sprintf("mount: cat of a %s file", size(n)), target: "≥ 0.5× get file's MB/s"}
	rate := func(d time.Duration) float64 { return mbps(n, d) }
	if err := firstErr(cat.err, get.err); err != nil {
		catRow.tusk, catRow.ratio, catRow.result = "error: "+err.Error(), "-", "error"
	} else {
		c, g := rate(cat.median()), rate(get.median())
		catRow.tusk = figure("cat", &cat, rate, "MB/s")
		catRow.baseline = "get file " + figure("tusk", &get, rate, "MB/s")
		catRow.ratio, catRow.result = ratio(c, g), verdict(c >= 0.5*g)
	}
	lsRow := row{scenario: fmt.Sprintf("mount: ls -R of %d files", files), target: "≤ 2× the time of list file, recursively"}
	if err := firstErr(ls.err, list.err); err != nil {
		lsRow.tusk, lsRow.ratio, lsRow.result = "error: "+err.Error(), "-", "error"
	} else {
		l, base := ls.median(), list.median()
		perSecond := func(d time.Duration) float64 { return perSec(files, d) }
		lsRow.tusk = "ls -R " + secs(l) + paren(ls.spread(perSecond, "files/s"))
		lsRow.baseline = "list file, recursively " + secs(base) + paren(list.spread(perSecond, "files/s"))
		lsRow.ratio = fmt.Sprintf("%.2f× the time", l.Seconds()/base.Seconds())
		lsRow.result = verdict(l <= 2*base)
	}
	return []row{catRow, lsRow}, nil
}

// firstErr returns the first of errs that is not nil.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// timed runs fn and returns how long it took.
func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// putMany puts n files of 16 bytes into repo, 1000 per directory, in one
// commit.
func putMany(ctx context.Context, c *client.Client, repo string, n int) error {
	up, err := c.NewUpload(ctx)
	if err != nil {
		return err
	}
	for i := range n {
		p := fmt.Sprintf("/d%04d/f%06d.txt", i/1000, i)
		if err := up.PutFile(p, bytes.NewReader(fmt.Appendf(nil, "file %10d\n", i)), false); err != nil {
			up.Abort()
			return err
		}
	}
	_, err = up.Commit(repo + "@master")
	return err
}

// inMount mounts repo on dir and times a command run in dir.
func inMount(ctx context.Context, c *client.Client, dir, repo, name string, args ...string) (time.Duration, error) {
	m, err := mount.Start(ctx, c, dir, mount.Options{Repos: []mount.Spec{{Repo: repo, Ref: "master"}}})
	if err != nil {
		return 0, err
	}
	defer func() {
		m.Unmount()
		m.Wait()
		m.Close()
	}()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Stdout = dir, io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	d, err := timed(cmd.Run)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w: %s", name, args, err, stderr.String())
	}
	return d, nil
}

// getAll reads a file's content to nothing, as get file > /dev/null.
func getAll(ctx context.Context, c *client.Client, ref string, want int64) error {
	rc, _, err := c.GetFile(ctx, ref, 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	got, err := io.Copy(io.Discard, rc)
	if err == nil && got != want {
		err = fmt.Errorf("get %s: %d of %d bytes", ref, got, want)
	}
	return err
}

// listAll lists a directory and every directory under it, as list file
// of each would.
func listAll(ctx context.Context, c *client.Client, commit, dir string) error {
	var subdirs []string
	err := c.ListFiles(ctx, commit+":"+dir, "", 0, func(fi tusk.FileInfo) error {
		if fi.Type == "dir" {
			subdirs = append(subdirs, path.Join(dir, path.Base(fi.Path)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range subdirs {
		if err := listAll(ctx, c, commit, d); err != nil {
			return err
		}
	}
	return nil
}
