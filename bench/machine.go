package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// tmpfsMagic is the f_type statfs reports for tmpfs.
const tmpfsMagic = 0x01021994

// makeWorkdir returns the work directory and a function that removes it
// when it is a temporary one. The default lives off tmpfs, so that the
// disk, not memory, is measured.
func makeWorkdir(dir string) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("create workdir: %w", err)
		}
		return dir, func() {}, nil
	}
	parent := "/var/tmp"
	if t := os.Getenv("TMPDIR"); t != "" && !onTmpfs(t) {
		parent = t
	}
	d, err := os.MkdirTemp(parent, "tusk-bench-")
	if err != nil {
		return "", nil, fmt.Errorf("create workdir: %w", err)
	}
	return d, func() { os.RemoveAll(d) }, nil
}

func onTmpfs(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == tmpfsMagic
}

// machine describes where the benchmarks ran.
type machine struct {
	cpus      int
	cpuModel  string
	memTotal  string
	kernel    string
	disk      string // df -hT of the work directory
	goVersion string
	loadStart string
}

func describeMachine(ctx context.Context, workdir string) machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version(), loadStart: loadAverage()}
	m.cpuModel = procField("/proc/cpuinfo", "model name")
	m.memTotal = memTotal()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.CommandContext(ctx, "df", "-hT", workdir).Output(); err == nil {
		m.disk = strings.TrimSpace(string(out))
	} else {
		m.disk = "df failed: " + err.Error()
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file that starts with key.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal returns the machine's memory from /proc/meminfo.
func memTotal() string {
	v := strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB")
	kb, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return "unknown"
	}
	return size(kb << 10)
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// tools are the baseline programs found on the PATH ("" when missing),
// with their versions.
type tools struct {
	restic, git, aws                      string
	resticVersion, gitVersion, awsVersion string
}

func findTools(ctx context.Context) tools {
	var t tools
	if p, err := exec.LookPath("restic"); err == nil {
		t.restic = p
		t.resticVersion = firstLine(ctx, p, "version")
	}
	if p, err := exec.LookPath("git"); err == nil {
		t.git = p
		t.gitVersion = firstLine(ctx, p, "--version")
	}
	if p, err := exec.LookPath("aws"); err == nil {
		t.aws = p
		t.awsVersion = firstLine(ctx, p, "--version")
	}
	return t
}

func firstLine(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
