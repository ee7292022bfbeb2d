package localtest_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/tuskdata/tusk/internal/blob/local"
	"github.com/tuskdata/tusk/internal/blob/local/localtest"
)

func mustWrite(t *testing.T, c *localtest.CrashFS, name, content string, sync bool) local.File {
	t.Helper()
	f, err := c.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(c *localtest.CrashFS, name string) string {
	data, err := c.ReadFile(name)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(data)
}

func TestCrashUndoesUnsyncedCreate(t *testing.T) {
	c := localtest.NewCrashFS()
	must(t, c.MkdirAll("/d"))
	must(t, c.SyncDir("/"))
	mustWrite(t, c, "/d/f", "content", true)
	c.Crash()
	if _, err := c.Stat("/d/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file created without SyncDir survived the crash: %v", err)
	}
	if _, err := c.Stat("/d"); err != nil {
		t.Errorf("synced directory lost: %v", err)
	}
}

func TestCrashUndoesUnsyncedMkdir(t *testing.T) {
	c := localtest.NewCrashFS()
	must(t, c.MkdirAll("/a/b"))
	must(t, c.SyncDir("/a"))
	c.Crash()
	if _, err := c.Stat("/a"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("directory whose parent was not synced survived the crash: %v", err)
	}
}

func TestCrashRevertsToSyncedContent(t *testing.T) {
	c := localtest.NewCrashFS()
	f := mustWrite(t, c, "/f", "synced", true)
	must(t, c.SyncDir("/"))
	if _, err := f.Write([]byte(" and not")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(c, "/f"); got != "synced and not" {
		t.Errorf("before the crash: %q", got)
	}
	c.Crash()
	if got := readFile(c, "/f"); got != "synced" {
		t.Errorf("after the crash the file holds %q, want the synced %q", got, "synced")
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write on a file opened before the crash: %v, want fs.ErrClosed", err)
	}
}

func TestCrashUndoesUnsyncedRename(t *testing.T) {
	c := localtest.NewCrashFS()
	mustWrite(t, c, "/old", "old", true)
	mustWrite(t, c, "/tmp", "new", true)
	must(t, c.SyncDir("/"))
	must(t, c.Rename("/tmp", "/old"))
	if got := readFile(c, "/old"); got != "new" {
		t.Errorf("after Rename /old holds %q, want %q", got, "new")
	}
	c.Crash()
	if got := readFile(c, "/old"); got != "old" {
		t.Errorf("after the crash /old holds %q, want %q", got, "old")
	}
	if got := readFile(c, "/tmp"); got != "new" {
		t.Errorf("after the crash /tmp holds %q, want %q", got, "new")
	}

	must(t, c.Rename("/tmp", "/old"))
	must(t, c.SyncDir("/"))
	c.Crash()
	if got := readFile(c, "/old"); got != "new" {
		t.Errorf("after a synced rename and a crash /old holds %q, want %q", got, "new")
	}
	if _, err := c.Stat("/tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("renamed-away /tmp came back: %v", err)
	}
}

func TestFailAfter(t *testing.T) {
	c := localtest.NewCrashFS()
	c.FailAfter(1)
	must(t, c.MkdirAll("/a"))
	if err := c.MkdirAll("/b"); !errors.Is(err, localtest.ErrInjected) {
		t.Errorf("second operation error = %v, want ErrInjected", err)
	}
	if _, err := c.Stat("/a"); !errors.Is(err, localtest.ErrInjected) {
		t.Errorf("third operation error = %v, want ErrInjected", err)
	}
	c.Crash()
	if _, err := c.Stat("/"); err != nil {
		t.Errorf("Crash did not lift FailAfter: %v", err)
	}
}

func TestErrors(t *testing.T) {
	c := localtest.NewCrashFS()
	mustWrite(t, c, "/f", "x", false)
	if _, err := c.Create("/f"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create of an existing file: %v, want fs.ErrExist", err)
	}
	if _, err := c.Create("/missing/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create in a missing directory: %v, want fs.ErrNotExist", err)
	}
	if _, err := c.ReadFile("/f/g"); err == nil {
		t.Error("ReadFile under a file succeeded")
	}
	must(t, c.MkdirAll("/d"))
	mustWrite(t, c, "/d/f", "x", false)
	if err := c.Remove("/d"); err == nil {
		t.Error("Remove of a non-empty directory succeeded")
	}
	if err := c.Remove("/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a missing file: %v, want fs.ErrNotExist", err)
	}
}
