package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

const (
	current      = "audit.log"
	backupPrefix = "audit-"
	backupTime   = "2006-01-02T15-04-05.000000000" // in a rotated file's name
)

// Options size the log: it takes at most (Backups+1) × MaxSize on disk.
type Options struct {
	MaxSize int64 // bytes of one file; default 64 MiB
	Backups int   // rotated files kept; default 8
	Logger  *slog.Logger
}

// Log is an audit log in a directory.
type Log struct {
	dir     string
	maxSize int64
	backups int
	log     *slog.Logger

	mu     sync.Mutex
	f      *os.File // the current file; nil until the first write
	size   int64    // of f
	broken bool     // the last write failed; logged once until one succeeds
}

// Open opens the audit log in dir, making the directory if need be.
func Open(dir string, opts Options) (*Log, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = 64 << 20
	}
	if opts.Backups <= 0 {
		opts.Backups = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open the audit log: %w", err)
	}
	return &Log{dir: dir, maxSize: opts.MaxSize, backups: opts.Backups, log: opts.Logger}, nil
}

// Record appends e. A failure to write does not fail the request that e
// records; it is logged, once until writes succeed again.
func (l *Log) Record(e tusk.AuditEvent) {
	line, err := json.Marshal(e)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		err = l.write(append(line, '\n'))
	}
	switch {
	case err != nil && !l.broken:
		l.broken = true
		l.log.Error("cannot write the audit log", "dir", l.dir, "err", err)
	case err == nil && l.broken:
		l.broken = false
		l.log.Info("the audit log is written again", "dir", l.dir)
	}
}

// write appends line to the current file, rotating it first if line
// would take it past the largest size.
func (l *Log) write(line []byte) error {
	if l.f != nil && l.size > 0 && l.size+int64(len(line)) > l.maxSize {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	if l.f == nil {
		f, err := os.OpenFile(filepath.Join(l.dir, current), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		l.f, l.size = f, fi.Size()
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	return err
}

// rotate renames the current file after the time and removes the oldest
// rotated files past the number kept.
func (l *Log) rotate() error {
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return err
	}
	name := backupPrefix + time.Now().UTC().Format(backupTime) + ".log"
	if err := os.Rename(filepath.Join(l.dir, current), filepath.Join(l.dir, name)); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(l.dir, backupPrefix+"*.log"))
	if err != nil {
		return err
	}
	sort.Strings(old)
	for len(old) > l.backups {
		if err := os.Remove(old[0]); err != nil {
			return err
		}
		old = old[1:]
	}
	return nil
}

// Close closes the current file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Read calls fn with every event at or after since, oldest first.
func (l *Log) Read(since time.Time, fn func(tusk.AuditEvent) error) error {
	files, err := l.files(since)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := l.readFile(f, since, fn); err != nil {
			return err
		}
	}
	return nil
}

// files returns the log's files that may hold events at or after since,
// oldest first: the rotated ones, named by the time they were rotated,
// after which none of their events is, then the current one.
func (l *Log) files(since time.Time) ([]string, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	var files []string
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), backupPrefix)
		if !ok {
			continue
		}
		rotated, err := time.Parse(backupTime, strings.TrimSuffix(stamp, ".log"))
		if err != nil || rotated.Before(since) {
			continue
		}
		files = append(files, filepath.Join(l.dir, e.Name()))
	}
	sort.Strings(files)
	return append(files, filepath.Join(l.dir, current)), nil
}

// readFile calls fn with the events of one file at or after since. A last
// line without its newline is being written, and is left out; a line that
// is not an event (a write cut short by a full disk) is skipped and
// logged.
func (l *Log) readFile(path string, since time.Time, fn func(tusk.AuditEvent) error) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // rotated away, or nothing recorded yet
	}
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the audit log %s: %w", path, err)
		}
		var e tusk.AuditEvent
		if err := json.Unmarshal(line, &e); err != nil {
			if len(bytes.TrimSpace(line)) > 0 {
				l.log.Warn("skipped a damaged line of the audit log", "file", path, "line", n, "err", err)
			}
			continue
		}
		if e.Time.Before(since) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}
