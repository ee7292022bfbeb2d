package worker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
)

func TestNextDatumOutsideABatch(t *testing.T) {
	t.Setenv(NextSocketEnv, "")
	err := NextDatum("")
	if err == nil || !strings.Contains(err.Error(), NextSocketEnv) {
		t.Errorf("next datum outside a pipeline: %v, want an error naming %s", err, NextSocketEnv)
	}
	t.Setenv(NextSocketEnv, t.TempDir()+"/none.sock")
	if err := NextDatum(""); err == nil {
		t.Error("next datum with no worker listening succeeded")
	}
}

func TestLookupUser(t *testing.T) {
	for spec, want := range map[string][2]uint32{"1000": {1000, 1000}, "1000:50": {1000, 50},
		"root": {0, 0}, "root:65534": {0, 65534}, "0:root": {0, 0}} {
		uid, gid, err := LookupUser(spec)
		if err != nil || uid != want[0] || gid != want[1] {
			t.Errorf("LookupUser(%q) = %d, %d, %v; want uid %d gid %d", spec, uid, gid, err, want[0], want[1])
		}
	}
	for _, bad := range []string{"no-such-user-here", "1000:no-such-group-here", "", ":0", "-1"} {
		if _, _, err := LookupUser(bad); err == nil || !strings.Contains(err.Error(), "uid:gid") {
			t.Errorf("LookupUser(%q) = %v, want an error asking for a user of this system or a numeric uid:gid", bad, err)
		}
	}
}

func TestAccepted(t *testing.T) {
	if !accepted(0, nil) || accepted(1, nil) || !accepted(3, []int64{2, 3}) || accepted(4, []int64{2, 3}) {
		t.Error("accepted() disagrees with accept_return_code")
	}
}

func TestWithPath(t *testing.T) {
	got := withPath([]string{"HOME=/root", "PATH=/usr/bin"}, "/shim")
	if !slices.Equal(got, []string{"HOME=/root", "PATH=/shim:/usr/bin"}) {
		t.Errorf("withPath = %v", got)
	}
	if got := withPath([]string{"HOME=/root"}, ""); !slices.Equal(got, []string{"HOME=/root"}) {
		t.Errorf("withPath without a directory = %v", got)
	}
}

func TestBinDirIsRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir, remove := binDir()
	if filepath.Dir(dir) != tmp {
		t.Fatalf("binDir() = %q, want a directory in $TMPDIR %s", dir, tmp)
	}
	for _, name := range []string{"tusk", "pachctl"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("shim link: %v", err)
		}
	}
	remove()
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
		t.Errorf("$TMPDIR after the removal holds %v, %v; want nothing", entries, err)
	}
}

func TestLookPathSkipsWhatTheUserMayNotRun(t *testing.T) {
	closed, open := testenv.OpenDir(t, 0o700), testenv.OpenDir(t, 0o755)
	for _, dir := range []string{closed, open} {
		if err := os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", closed+":"+open)
	other := &runAs{cred: &syscall.Credential{Uid: 4242, Gid: 4242}}
	if p, err := other.lookPath("prog"); err != nil || p != filepath.Join(open, "prog") {
		t.Errorf("lookPath as another user = %q, %v; want the program in the directory it may enter, %s", p, err, open)
	}
	var self *runAs
	if p, err := self.lookPath("prog"); err != nil || p != filepath.Join(closed, "prog") {
		t.Errorf("lookPath as this process = %q, %v; want the first, %s", p, err, closed)
	}
	if _, err := other.lookPath("no-such-program"); err == nil {
		t.Error("lookPath found a program that does not exist")
	}
}
