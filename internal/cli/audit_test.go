package cli

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"90m", now.Add(-90 * time.Minute)},
		{"24h", now.Add(-24 * time.Hour)},
		{"2026-01-02T15:04:05Z", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, time.Local)},
	} {
		got, err := parseSince(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"yesterday", "-1h", "2026-13-01"} {
		if _, err := parseSince(in, now); !errors.As(err, new(usageError)) {
			t.Errorf("parseSince(%q) = %v, want a usage error", in, err)
		}
	}
}

func TestE2EAudit(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "images")
	e.fail(1, "delete", "repo", "missing")
	e.run("list", "repo")

	table := e.run("audit")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME") ||
		!strings.Contains(lines[1], "POST /v1/repos name=images") || !strings.Contains(lines[1], "200 ok") ||
		!strings.Contains(lines[2], "DELETE /v1/repos/missing?force=false") || !strings.Contains(lines[2], "404 failed: delete repo missing: repo \"missing\" not found") || strings.Contains(lines[2], "tusk list repo") {
		t.Errorf("tusk audit printed:\n%s", table)
	}

	out := e.run("audit", "--since", "1h", "-o", "json")
	var events []tusk.AuditEvent
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev tusk.AuditEvent
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("tusk audit -o json: %v\n%s", err, out)
		}
		events = append(events, ev)
	}
	if len(events) != 2 || events[0].Result != tusk.AuditOK || events[1].Result != tusk.AuditFailed {
		t.Errorf("tusk audit -o json printed:\n%s", out)
	}
	if out := e.run("audit", "--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); strings.Count(out, "\n") != 1 {
		t.Errorf("tusk audit since a time to come printed:\n%s", out)
	}
}
