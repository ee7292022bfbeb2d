package audit

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

func event(base time.Time, i int) tusk.AuditEvent {
	return tusk.AuditEvent{Time: base.Add(time.Duration(i) * time.Second), Who: "user:admin", Remote: "127.0.0.1:5000",
		Method: "POST", Path: "/v1/repos", Args: map[string]string{"name": fmt.Sprintf("repo-%d", i), "pad": strings.Repeat("x", 900)},
		Status: 200, Result: tusk.AuditOK}
}

func readAll(t *testing.T, l *Log, since time.Time) []tusk.AuditEvent {
	t.Helper()
	var got []tusk.AuditEvent
	if err := l.Read(since, func(e tusk.AuditEvent) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestLogRotatesAndReadsInOrder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	l, err := Open(dir, Options{MaxSize: 1 << 20, Backups: 100, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := time.Now().Add(-time.Hour).UTC()
	const n = 2500 // about 2.5 MB: two rotations
	for i := range n {
		l.Record(event(base, i))
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "audit-*.log"))
	if len(backups) < 2 {
		t.Fatalf("%d rotated files after %d events of 1 KB with files of 1 MB, want 2 or more", len(backups), n)
	}
	if fi, err := os.Stat(filepath.Join(dir, "audit.log")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("audit.log: %v; want mode 0600", err)
	}

	got := readAll(t, l, time.Time{})
	if len(got) != n {
		t.Fatalf("read %d events, want %d", len(got), n)
	}
	for i, e := range got {
		if e.Args["name"] != fmt.Sprintf("repo-%d", i) || !e.Time.Equal(base.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("event %d is %s at %s, out of order", i, e.Args["name"], e.Time)
		}
	}
	since := base.Add(2000 * time.Second)
	if got := readAll(t, l, since); len(got) != n-2000 || got[0].Args["name"] != "repo-2000" {
		t.Errorf("since the 2000th event: %d events from %v, want %d from repo-2000", len(got), got[0].Args["name"], n-2000)
	}
	if got := readAll(t, l, time.Now().Add(time.Hour)); len(got) != 0 {
		t.Errorf("since a time to come: %d events", len(got))
	}
}

func TestLogKeepsItsNumberOfBackups(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{MaxSize: 10 << 10, Backups: 3, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := time.Now()
	const n = 100 // 100 KB in files of 10 KB: 9 rotations or more
	for i := range n {
		l.Record(event(base, i))
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "audit-*.log"))
	if len(backups) != 3 {
		t.Fatalf("%d rotated files kept, want 3", len(backups))
	}
	got := readAll(t, l, time.Time{})
	if len(got) == 0 || got[len(got)-1].Args["name"] != fmt.Sprintf("repo-%d", n-1) {
		t.Fatalf("the newest event is not read last")
	}
	first := got[0].Args["name"]
	for i, e := range got {
		if want := fmt.Sprintf("repo-%d", n-len(got)+i); e.Args["name"] != want {
			t.Fatalf("event %d is %s, want %s: the kept events are not the newest, in order (first %s)", i, e.Args["name"], want, first)
		}
	}
	if len(got) > 4*10 || len(got) < 3*9 {
		t.Errorf("%d events kept in 3 backups and the current file of 10 KB", len(got))
	}
}

func TestLogSkipsDamagedAndUnfinishedLines(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := time.Now()
	l.Record(event(base, 0))
	f, err := os.OpenFile(filepath.Join(dir, "audit.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{\"time\": \"cut short\n")
	f.Close()
	l.Record(event(base, 1))
	f, _ = os.OpenFile(filepath.Join(dir, "audit.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-01-01T00:00:00Z","method":"POST"`)
	f.Close()
	got := readAll(t, l, time.Time{})
	if len(got) != 2 || got[0].Args["name"] != "repo-0" || got[1].Args["name"] != "repo-1" {
		t.Errorf("read %+v, want the two whole events", got)
	}
}
