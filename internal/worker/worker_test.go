package worker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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

func TestCredential(t *testing.T) {
	for user, want := range map[string][2]uint32{"1000": {1000, 1000}, "1000:50": {1000, 50}} {
		c, err := credential(user)
		if err != nil || c.Uid != want[0] || c.Gid != want[1] {
			t.Errorf("credential(%q) = %+v, %v; want uid %d gid %d", user, c, err, want[0], want[1])
		}
	}
	for _, bad := range []string{"root", "1000:staff", "", "-1"} {
		if _, err := credential(bad); err == nil || !strings.Contains(err.Error(), "numeric uid") {
			t.Errorf("credential(%q) = %v, want an error asking for a numeric uid", bad, err)
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
