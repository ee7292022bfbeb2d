package mount

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Unmount unmounts the Tusk mount on dir, which another process may
// serve; that process then ends.
func Unmount(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	mounts, err := Mounts()
	if err != nil {
		return err
	}
	found := false
	for _, m := range mounts {
		found = found || m == abs
	}
	if !found {
		return fmt.Errorf("unmount %s: no Tusk mount is there (tusk unmount --all unmounts every one)", dir)
	}
	helper, err := fusermount()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(helper, "-u", abs)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("unmount %s: %s: %w: %s", dir, filepath.Base(helper), err, strings.TrimSpace(stderr.String()))
	}
	waitMount(abs)
	return nil
}

// mountLock is held by the process serving a mount until it has
// committed what was written and is done.
type mountLock struct {
	f *os.File
}

// lockPath names the lock of the mount on dir.
func lockPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "tusk-mount-"+hex.EncodeToString(sum[:8])+".lock"), nil
}

// lock takes the lock of the mount on dir.
func lock(dir string) (*mountLock, error) {
	p, err := lockPath(dir)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", dir, err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("mount %s: another tusk mount is ending there: %w", dir, err)
	}
	return &mountLock{f: f}, nil
}

// release removes the lock's file and lets go of it.
func (l *mountLock) release() {
	os.Remove(l.f.Name())
	l.f.Close()
}

// waitMount waits until the process that served the mount on dir lets
// go of its lock.
func waitMount(dir string) {
	p, err := lockPath(dir)
	if err != nil {
		return
	}
	f, err := os.Open(p)
	if err != nil {
		return // no lock: the mount has ended
	}
	defer f.Close()
	syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
}

// Mounts returns the directories where Tusk mounts are, from the
// kernel's table of this process's mounts.
func Mounts() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	defer f.Close()
	var dirs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - fuse.tusk tusk rw,..."
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, fl := range fields {
			if fl == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < 5 || sep+1 >= len(fields) || fields[sep+1] != "fuse."+FSName {
			continue
		}
		dirs = append(dirs, unescapeMountPath(fields[4]))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	return dirs, nil
}

// unescapeMountPath undoes the octal escapes (\040 for a space) of a
// path in mountinfo, which are Go's octal escapes too (a backslash is
// written \134, so every backslash starts one).
func unescapeMountPath(s string) string {
	u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
	if err != nil {
		return s
	}
	return u
}
