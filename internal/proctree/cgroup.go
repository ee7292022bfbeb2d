package proctree

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A cgroup is a directory of a mounted cgroup hierarchy, of version 2 (the
// unified hierarchy) or 1 (the freezer or pids hierarchy).
type cgroup struct {
	version int
	dir     string
	// The cgroup's directory and cgroup.events (version 2), open while
	// the cgroup is in use; remove closes them.
	fd, events *os.File
	// killed says cgroup.kill was written: Linux (6.18 at least) then
	// kills every process started into the cgroup with clone3, so that
	// no tree may start in it again.
	killed bool
}

// v1Controllers are the version 1 hierarchies a tree may live in, best
// first: any hierarchy lists its processes, and these two are the ones
// meant for keeping track of groups of processes.
var v1Controllers = []string{"freezer", "pids"}

// ownCgroup returns the cgroup of this process in the hierarchy of the
// given version, as a directory of the mounted file system.
func ownCgroup(version int) (*cgroup, error) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	if version == 2 {
		path, ok := cgroupPath(string(own), "")
		if !ok {
			return nil, errors.New("this process is in no cgroup v2")
		}
		return cgroupDir(2, string(mounts), path, "")
	}
	for _, ctrl := range v1Controllers {
		if path, ok := cgroupPath(string(own), ctrl); ok {
			return cgroupDir(1, string(mounts), path, ctrl)
		}
	}
	return nil, fmt.Errorf("this process is in no cgroup v1 of the %s controllers", strings.Join(v1Controllers, " or "))
}

// cgroupPath finds, in the text of /proc/self/cgroup, the path of the
// cgroup in the hierarchy of controller ctrl, or with ctrl empty in the
// unified hierarchy.
func cgroupPath(procCgroup, ctrl string) (string, bool) {
	for line := range strings.Lines(procCgroup) {
		id, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
		ctrls, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if ctrl == "" && id == "0" && ctrls == "" || ctrl != "" && slices.Contains(strings.Split(ctrls, ","), ctrl) {
			return path, true
		}
	}
	return "", false
}

// cgroupDir finds, in the text of /proc/self/mountinfo, where the cgroup
// at path of a hierarchy (of version 2, or version 1 with controller ctrl)
// is mounted.
func cgroupDir(version int, mountinfo, path, ctrl string) (*cgroup, error) {
	for line := range strings.Lines(mountinfo) {
		pre, post, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		root, mountpoint, fstype, opts := unescape(f[3]), unescape(f[4]), g[0], strings.Split(g[2], ",")
		switch {
		case version == 2 && fstype != "cgroup2":
			continue
		case version == 1 && (fstype != "cgroup" || !slices.Contains(opts, ctrl)):
			continue
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue // a mount of another part of the hierarchy
		}
		return &cgroup{version: version, dir: filepath.Join(mountpoint, rel)}, nil
	}
	if version == 2 {
		return nil, fmt.Errorf("cgroup v2 %s is not mounted here", path)
	}
	return nil, fmt.Errorf("cgroup v1 %s of the %s controller is not mounted here", path, ctrl)
}

// unescape undoes the octal escapes (\040 for a space) of mountinfo.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// child makes a child cgroup.
func (c *cgroup) child(name string) (*cgroup, error) {
	dir := filepath.Join(c.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make cgroup: %w", err)
	}
	return &cgroup{version: c.version, dir: dir}, nil
}

// enter moves the thread tid into the cgroup (version 1 only: version 2
// moves whole processes).
func (c *cgroup) enter(tid int) error {
	if err := os.WriteFile(filepath.Join(c.dir, "tasks"), []byte(strconv.Itoa(tid)), 0); err != nil {
		return fmt.Errorf("move thread %d into cgroup %s: %w", tid, c.dir, err)
	}
	return nil
}

// dirs returns the cgroup and its descendants, deepest first.
func (c *cgroup) dirs() []string {
	var out []string
	filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	slices.Reverse(out)
	return out
}

// procs returns the processes of the cgroup and of its descendants,
// leaving this process out.
func (c *cgroup) procs() []int {
	self := os.Getpid()
	var out []int
	for _, dir := range c.dirs() {
		f, err := os.Open(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if pid, err := strconv.Atoi(sc.Text()); err == nil && pid != self {
				out = append(out, pid)
			}
		}
		f.Close()
	}
	return out
}

// kill kills every process of the cgroup and of its descendants, and
// returns once none is left: with cgroup.kill where the kernel has it
// (5.14 and later, version 2), else by killing the processes listed until
// none is, which also ends those forked meanwhile.
func (c *cgroup) kill() error {
	if c.version == 2 {
		c.killed = true
		err := os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0)
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(c.dir); serr != nil {
				return nil // the cgroup is gone, and its processes with it
			}
		}
		if err == nil && !c.populated() {
			return nil // the usual case: the tree had ended with its command
		}
	}
	return settle(func() []int {
		pids := c.procs()
		for _, pid := range pids {
			unix.Kill(pid, unix.SIGKILL)
		}
		return pids
	}, "cgroup "+c.dir)
}

// open returns the cgroup's directory, opened once for the cgroup's life.
func (c *cgroup) open() (*os.File, error) {
	if c.fd == nil {
		f, err := os.Open(c.dir)
		if err != nil {
			return nil, fmt.Errorf("open cgroup: %w", err)
		}
		c.fd = f
	}
	return c.fd, nil
}

// populated reports whether a version 2 cgroup or one of its
// descendants holds a process, as its cgroup.events says: one read, where
// listing the processes walks the tree. It says yes when it cannot tell.
func (c *cgroup) populated() bool {
	if c.events == nil {
		f, err := os.Open(filepath.Join(c.dir, "cgroup.events"))
		if err != nil {
			return true
		}
		c.events = f
	}
	var buf [128]byte
	n, err := c.events.ReadAt(buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return true
	}
	for line := range strings.Lines(string(buf[:n])) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "populated "); ok {
			return v != "0"
		}
	}
	return true
}

// empty reports whether the cgroup holds no process, has no descendants
// and was never killed (see killed): a directory of a cgroup file system has as many links as
// two and its child cgroups.
func (c *cgroup) empty() bool {
	if c.killed {
		return false
	}
	f, err := c.open()
	if err != nil {
		return false
	}
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Nlink != 2 {
		return false
	}
	if c.version == 2 {
		return !c.populated()
	}
	procs, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	return err == nil && len(procs) == 0
}

// remove removes the cgroup and its descendants, which must hold no
// process. A cgroup already gone is not an error.
func (c *cgroup) remove() error {
	for _, f := range []*os.File{c.fd, c.events} {
		if f != nil {
			f.Close()
		}
	}
	c.fd, c.events = nil, nil
	// The usual cgroup has no descendants (a datum's commands run as
	// a user who cannot make any): one rmdir, without walking it.
	if err := os.Remove(c.dir); err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var errs []error
	for _, dir := range c.dirs() {
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
		}
	}
	return errors.Join(errs...)
}

// settleTime is how long settle waits for killed processes to end.
const settleTime = 10 * time.Second

// settle calls kill, which kills the processes it finds and returns them,
// until it finds none. Processes killed with SIGKILL end within moments,
// but one in an uninterruptible sleep (a hung NFS read) may take longer:
// after settleTime, settle gives up and says which processes remain.
func settle(kill func() []int, what string) error {
	deadline := time.Now().Add(settleTime)
	pause := time.Millisecond
	for {
		pids := kill()
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d processes of %s survive SIGKILL (pids %v)", len(pids), what, pids[:min(len(pids), 10)])
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// cgroupName names a cgroup of this process's: "tusk-PID-START-SEQ-name",
// where START is when the process started, so that sweep can tell the
// cgroups of a process that has ended (a server killed with SIGKILL
// leaves its workers' cgroups behind) from those of one alive.
func cgroupName(name string) string {
	return fmt.Sprintf("tusk-%d-%d-%d-%s", os.Getpid(), startTime(os.Getpid()), seq.Add(1), name)
}

// startTime returns when process pid started, in clock ticks since boot,
// or 0 if there is no such process.
func startTime(pid int) uint64 {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 20 {
		return 0
	}
	t, _ := strconv.ParseUint(string(f[19]), 10, 64)
	return t
}

// sweep kills the processes of, and removes, the child cgroups of c that
// processes that have ended made, and returns how many it removed.
func (c *cgroup) sweep() int {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		var pid int
		var start uint64
		if !e.IsDir() {
			continue
		}
		if _, err := fmt.Sscanf(e.Name(), "tusk-%d-%d-", &pid, &start); err != nil || startTime(pid) == start {
			continue
		}
		stale := &cgroup{version: c.version, dir: filepath.Join(c.dir, e.Name())}
		if stale.kill() == nil && stale.remove() == nil {
			n++
		}
	}
	return n
}
