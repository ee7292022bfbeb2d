package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Marked returns a path that runs sleep under a name of its own, marker,
// so that the processes a test starts through it can be found with
// Running. Those still alive when t ends are killed.
func Marked(t testing.TB) (sleep, marker string) {
	t.Helper()
	raw := make([]byte, 6)
	rand.Read(raw)
	marker = "tusk-marker-" + hex.EncodeToString(raw)
	real, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep program")
	}
	sleep = filepath.Join(OpenDir(t, 0o755), marker) // commands may run as another user
	if err := os.Symlink(real, sleep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range Running(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return sleep, marker
}

// Running returns the live (not zombie) processes whose command line
// holds s.
func Running(s string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(dir + "/cmdline")
		stat, _ := os.ReadFile(dir + "/stat")
		i := bytes.LastIndexByte(stat, ')')
		if err != nil || i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(dir))
		out = append(out, pid)
	}
	return out
}
