package cli

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// mounted is a tusk mount running in the background.
type mounted struct {
	dir   string
	cmd   *exec.Cmd
	logs  *tusktest.Buffer
	done  chan error
	ended bool // unmount saw the mount end
}

// startMount runs tusk mount on a new directory and waits until the
// repos show in it. The mount is unmounted when the test ends, if the
// test did not.
func (e *e2e) startMount(args ...string) *mounted {
	e.t.Helper()
	testenv.Require(e.t, "fuse", "TUSK_TEST_FUSE")
	m := &mounted{dir: filepath.Join(e.t.TempDir(), "mnt"), logs: &tusktest.Buffer{}, done: make(chan error, 1)}
	m.cmd = exec.Command(tuskBin, append([]string{"mount", m.dir}, args...)...)
	m.cmd.Env, m.cmd.Dir, m.cmd.Stdout, m.cmd.Stderr = e.env, e.dir, m.logs, m.logs
	if err := m.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { m.done <- m.cmd.Wait() }()
	e.t.Cleanup(func() {
		if !m.ended {
			m.cmd.Process.Signal(syscall.SIGTERM)
			<-m.done
		}
	})
	testenv.Eventually(e.t, time.Minute, "the mount serves "+m.dir, func() bool {
		select {
		case err := <-m.done:
			m.ended = true
			e.t.Fatalf("tusk mount ended: %v\n%s", err, m.logs)
		default:
		}
		return strings.Contains(m.logs.String(), "serving ")
	})
	return m
}

// unmount runs tusk unmount and waits for the mount to end, which must
// exit cleanly.
func (m *mounted) unmount(e *e2e) {
	e.t.Helper()
	e.run("unmount", m.dir)
	m.ended = true
	if err := <-m.done; err != nil {
		e.t.Fatalf("tusk mount: %v\n%s", err, m.logs)
	}
}

// sh runs a local command and returns its standard output.
func sh(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, errb.String())
	}
	return out.String()
}

// TestMountReads mounts a repo read-only and reads it with everyday
// tools: ls -R, cat, cp -r, reads at offsets across the cache's blocks;
// a later commit upstream does not show; writes are refused.
func TestMountReads(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "data")
	big := make([]byte, 3<<20+12345) // across block boundaries of 1 MiB
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	files := map[string][]byte{
		"top.txt":         []byte("top\n"),
		"dir/a.txt":       []byte("a\n"),
		"dir/sub/b.txt":   []byte("b\n"),
		"dir/sub/big.bin": big,
		"old.txt":         []byte("the mounted commit's bytes\n"),
	}
	for name, data := range files {
		e.writeFile("src/"+name, data)
	}
	e.run("put", "file", "-r", "data@master:/", "-f", "src")
	e.run("create", "repo", "empty")

	m := e.startMount("--repos", "data@master,empty")
	// Changes upstream after the mount started do not show in it.
	e.runIn(strings.NewReader("new bytes\n"), "put", "file", "data@master:/old.txt")
	e.runIn(strings.NewReader("later\n"), "put", "file", "data@master:/later.txt")

	got := sh(t, m.dir, "ls", "-R")
	want := ".:\ndata\nempty\n\n./data:\ndir\nold.txt\ntop.txt\n\n./data/dir:\na.txt\nsub\n\n./data/dir/sub:\nb.txt\nbig.bin\n\n./empty:\n"
	if got != want {
		t.Errorf("ls -R:\n%s\nwant:\n%s", got, want)
	}
	if got := sh(t, m.dir, "cat", "data/old.txt", "data/dir/sub/b.txt"); got != "the mounted commit's bytes\nb\n" {
		t.Errorf("cat: %q, want the mounted commit's bytes", got)
	}
	if _, err := os.Stat(filepath.Join(m.dir, "data", "later.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file committed after the mount: stat says %v, want not exist", err)
	}

	out := filepath.Join(t.TempDir(), "out")
	sh(t, m.dir, "cp", "-r", "data", out)
	for name, data := range files {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(b, data) {
			t.Errorf("cp -r: %s: %d bytes (%v), want %d", name, len(b), err, len(data))
		}
	}

	f, err := os.Open(filepath.Join(m.dir, "data", "dir", "sub", "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range []struct{ off, n int64 }{{3 << 20, 100}, {1<<20 - 10, 20}, {5, 2<<20 + 7}, {int64(len(big)) - 3, 10}, {0, 1}} {
		buf := make([]byte, r.n)
		n, err := f.ReadAt(buf, r.off)
		end := min(r.off+r.n, int64(len(big)))
		if int64(n) != end-r.off || (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(buf[:n], big[r.off:end]) {
			t.Errorf("read %d bytes at %d: got %d (%v), or other bytes than the file's", r.n, r.off, n, err)
		}
	}

	for what, err := range map[string]error{
		"write a new file": os.WriteFile(filepath.Join(m.dir, "data", "new.txt"), []byte("x"), 0o644),
		"overwrite a file": os.WriteFile(filepath.Join(m.dir, "data", "top.txt"), []byte("x"), 0o644),
		"make a directory": os.Mkdir(filepath.Join(m.dir, "data", "d"), 0o755),
		"remove a file":    os.Remove(filepath.Join(m.dir, "data", "top.txt")),
	} {
		if !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s in a read-only mount: %v, want EROFS", what, err)
		}
	}
	f.Close()
	m.unmount(e)
	if entries, err := os.ReadDir(m.dir); err != nil || len(entries) != 0 {
		t.Errorf("after unmount %s holds %d entries (%v), want none", m.dir, len(entries), err)
	}
}

// TestMountErrors checks what a mount refuses, and what it says.
func TestMountErrors(t *testing.T) {
	testenv.Require(t, "fuse", "TUSK_TEST_FUSE")
	e := startServer(t)
	e.run("create", "repo", "data")
	full := e.writeFile("full/x", []byte("x"))
	wantContains(t, "mount on a non-empty dir", e.fail(1, "mount", filepath.Dir(full)), "not empty", "mount on an empty directory")
	wantContains(t, "mount of a missing repo", e.fail(1, "mount", filepath.Join(e.dir, "m"), "--repos", "nope@master"), `repo "nope" not found`)
	wantContains(t, "mount of a missing branch", e.fail(1, "mount", filepath.Join(e.dir, "m"), "--repos", "data@dev"), "data@dev")
	wantContains(t, "bad --repos", e.fail(2, "mount", filepath.Join(e.dir, "m"), "--repos", "data@master:/x"), "want repo@branch")
	wantContains(t, "unmount of a plain dir", e.fail(1, "unmount", e.dir), "no Tusk mount is there")
	wantContains(t, "unmount without a dir", e.fail(2, "unmount"), "--all")
}

// TestMountWrites changes a writable mount with everyday tools and
// checks that tusk unmount leaves one commit on the branch with exactly
// the files the mount showed, and none on a repo that did not change.
func TestMountWrites(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "data")
	e.run("create", "repo", "other")
	for name, data := range map[string]string{
		"keep.txt": "keep\n", "edit.txt": "edit\n", "gone.txt": "gone\n", "rn.txt": "rn\n",
		"dir/a.txt": "a\n", "dir/sub/b.txt": "b\n", "moved/x.txt": "x\n", "moved/y/z.txt": "z\n",
	} {
		e.writeFile("src/"+name, []byte(data))
	}
	e.run("put", "file", "-r", "data@master:/", "-f", "src")
	e.runIn(strings.NewReader("o\n"), "put", "file", "other@master:/o.txt")
	e.writeFile("in/one.txt", []byte("one\n"))
	e.writeFile("in/deep/two.txt", []byte("two\n"))
	before := len(lines[map[string]any](e, "list", "commit", "data@master"))

	m := e.startMount("--write", "--repos", "data@master,other")
	d := filepath.Join(m.dir, "data")
	sh(t, d, "sh", "-c", `set -e
echo new > new.txt
echo more >> edit.txt
rm gone.txt
mv moved renamed
mv rn.txt dir/rn2.txt
rm -r dir/sub
mkdir -p fresh/deep
echo n > fresh/deep/n.txt
echo s > staged.txt
mv staged.txt fresh/staged2.txt
mkdir empty
cp -r "$1" copied`, "sh", filepath.Join(e.dir, "in"))
	if got := sh(t, d, "cat", "edit.txt", "renamed/y/z.txt"); got != "edit\nmore\nz\n" {
		t.Errorf("cat in the mount before unmount: %q", got)
	}
	m.unmount(e)
	wantContains(t, "tusk mount's output", m.logs.String(), "committed data@master: ")
	if strings.Contains(m.logs.String(), "committed other@") {
		t.Errorf("a repo with no writes got a commit:\n%s", m.logs)
	}

	if got := len(lines[map[string]any](e, "list", "commit", "data@master")); got != before+1 {
		t.Errorf("data@master has %d commits after unmount, want %d (one more)", got, before+1)
	}
	out := filepath.Join(t.TempDir(), "out")
	e.run("get", "file", "-r", "data@master:/", "-o", out)
	got := map[string]string{}
	filepath.WalkDir(out, func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(out, p)
			got[filepath.ToSlash(rel)] = string(b)
		}
		return err
	})
	want := map[string]string{
		"keep.txt": "keep\n", "edit.txt": "edit\nmore\n", "new.txt": "new\n",
		"renamed/x.txt": "x\n", "renamed/y/z.txt": "z\n", "dir/a.txt": "a\n", "dir/rn2.txt": "rn\n",
		"fresh/deep/n.txt": "n\n", "fresh/staged2.txt": "s\n",
		"copied/one.txt": "one\n", "copied/deep/two.txt": "two\n",
	}
	for name, data := range want {
		if got[name] != data {
			t.Errorf("after unmount %s holds %q, want %q", name, got[name], data)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("after unmount the commit has %s, which the mount had removed or moved", name)
		}
	}
	id := object[pachapi.CommitInfo](e, "inspect", "commit", "other@master").Commit.ID
	wantContains(t, "a writable mount of a commit", e.fail(1, "mount", "--write", filepath.Join(e.dir, "m"), "--repos", "other@"+id), "commits to a branch")
}
