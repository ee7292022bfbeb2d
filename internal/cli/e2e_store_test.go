package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
)

func TestE2EGCAndFsck(t *testing.T) {
	// A short lease, so that garbage is collectable within the test.
	e := startServer(t, "--lease-ttl", "1s", "--gc-interval", "0")
	e.run("create", "repo", "keep")
	e.run("create", "repo", "drop")
	e.writeFile("keep.bin", randomBytes(3, 1<<20))
	e.writeFile("drop.bin", randomBytes(4, 2<<20))
	e.run("put", "file", "keep@master:/k", "-f", "keep.bin")
	e.run("put", "file", "drop@master:/d", "-f", "drop.bin")
	wantContains(t, "fsck", e.run("fsck"), "Checked 2 commits, 2 files and", "no damage found.")
	if rep := object[client.FsckReport](e, "fsck"); rep.Commits != 2 || len(rep.Damage) != 0 {
		t.Errorf("fsck -o json = %+v", rep)
	}

	e.run("delete", "repo", "drop")
	time.Sleep(1500 * time.Millisecond) // let the leases expire
	dry := object[client.GCStats](e, "gc", "--dry-run")
	if !dry.DryRun || dry.Objects == 0 || dry.BytesFreed < 2<<20 {
		t.Fatalf("gc --dry-run after deleting a 2 MiB repo = %+v", dry)
	}
	out := e.run("gc", "--dry-run")
	if !regexp.MustCompile(`^Would free \d+ objects \(2\.\d MiB\); \d+ objects in use\.\n$`).MatchString(out) {
		t.Errorf("gc --dry-run printed %q", out)
	}
	out = e.run("gc")
	if !regexp.MustCompile(`^Freed \d+ objects \(2\.\d MiB\); \d+ objects in use\.\n$`).MatchString(out) {
		t.Errorf("gc printed %q", out)
	}
	if again := object[client.GCStats](e, "gc"); again.Objects != 0 || again.BytesFreed != 0 {
		t.Errorf("second gc freed %+v, want nothing", again)
	}
	wantContains(t, "fsck after gc", e.run("fsck"), "no damage found.")
	wantContains(t, "fsck --fix of a sound store", e.run("fsck", "--fix"), "no damage found.")
	if got := e.run("get", "file", "keep@master:/k"); len(got) != 1<<20 || !strings.HasPrefix(got, string(randomBytes(3, 16))) {
		t.Errorf("kept data after gc: %d bytes", len(got))
	}
}
