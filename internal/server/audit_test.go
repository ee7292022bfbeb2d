package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// auditEvents returns the server's audit log since the zero time.
func auditEvents(t *testing.T, c *client.Client, since time.Time) []tusk.AuditEvent {
	t.Helper()
	var got []tusk.AuditEvent
	if err := c.Audit(context.Background(), since, func(e tusk.AuditEvent) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestAuditRecordsChangesAndTheirResults(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, addr, _ := serveWith(t, Config{DataDir: dir})
	c := newClient(t, s, addr)
	before := time.Now()

	if _, err := c.CreateRepo(ctx, "images", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRepos(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRepo(ctx, "missing", false); err == nil {
		t.Fatal("deleting a missing repo succeeded")
	}
	_, err := c.CreatePipeline(ctx, []byte(`{"pipeline": {"name": "edges"}, "input": {"pfs": {"repo": "nowhere", "glob": "/*"}}, "transform": {"cmd": ["true"]}}`), false, false, false)
	if err == nil {
		t.Fatal("a pipeline over a missing repo was created")
	}
	worker := newClient(t, s, "unix://"+filepath.Join(dir, "tusk.sock"))
	if _, err := worker.CreateRepo(ctx, "from-socket", ""); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/repos?token=s3cret", bytes.NewReader([]byte(`{"name": "q"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A read that the browser guard refuses: a rebound Host.
	req, err = http.NewRequest(http.MethodGet, "http://"+addr+"/v1/repos", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := auditEvents(t, c, time.Time{})
	if len(got) != 6 {
		t.Fatalf("audit log holds %d events, want 6 (the list of repos and the audit reads are not changes):\n%+v", len(got), got)
	}
	create, del, pipeline, socket, secret, refused := got[0], got[1], got[2], got[3], got[4], got[5]
	if create.Method != "POST" || create.Path != "/v1/repos" || create.Route != "POST /v1/repos" || create.Args["name"] != "images" ||
		create.Status != 200 || create.Result != tusk.AuditOK || !strings.HasPrefix(create.Remote, "127.0.0.1:") ||
		create.Time.Before(before.Add(-time.Second)) || create.Who != "user:admin" {
		t.Errorf("create repo: %+v", create)
	}
	if del.Method != "DELETE" || del.Path != "/v1/repos/missing" || del.Status != 404 || del.Result != tusk.AuditFailed || !strings.Contains(del.Error, "not found") {
		t.Errorf("delete a missing repo: %+v", del)
	}
	if pipeline.Args["pipeline"] != "edges" || pipeline.Result != tusk.AuditFailed || !strings.Contains(pipeline.Error, "nowhere") {
		t.Errorf("create a pipeline over a missing repo: %+v", pipeline)
	}
	if socket.Remote != "worker socket" || socket.Args["name"] != "from-socket" {
		t.Errorf("a request on the worker socket: %+v", socket)
	}
	if strings.Contains(secret.Query, "s3cret") || secret.Query != "token=REDACTED" {
		t.Errorf("a token in the query is kept: %q", secret.Query)
	}
	if secret.Status != http.StatusUnauthorized || secret.Result != tusk.AuditDenied || secret.Who != "" {
		t.Errorf("a request without a bearer token: %+v, want denied with 401", secret)
	}

	if refused.Method != "GET" || refused.Status != http.StatusForbidden || refused.Result != tusk.AuditDenied || !strings.Contains(refused.Error, "evil.example") {
		t.Errorf("a refused read: %+v", refused)
	}

	if got := auditEvents(t, c, socket.Time); len(got) != 3 || got[0].Args["name"] != "from-socket" {
		t.Errorf("since the socket's request: %d events, want it and the two next", len(got))
	}
	fi, err := os.Stat(filepath.Join(dir, "audit", "audit.log"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("DATA_DIR/audit/audit.log: %v; want mode 0600", err)
	}
}

func TestAuditRecordsWhoWasDenied(t *testing.T) {
	ctx := context.Background()
	s, addr, _ := serveWith(t, Config{DataDir: t.TempDir()})
	admin := newClient(t, s, addr)
	if _, err := admin.CreateRepo(ctx, "images", ""); err != nil {
		t.Fatal(err)
	}
	bob := robots(t, addr, admin, "bob")[0]
	if err := bob.DeleteRepo(ctx, "images", false); !errors.Is(err, tusk.ErrForbidden) {
		t.Fatalf("bob deletes a repo he has no role on: %v", err)
	}
	err := bob.Audit(ctx, time.Time{}, func(tusk.AuditEvent) error { return nil })
	if !errors.Is(err, tusk.ErrForbidden) {
		t.Fatalf("bob reads the audit log: %v, want forbidden to all but cluster admins", err)
	}

	var denied []tusk.AuditEvent
	for _, e := range auditEvents(t, admin, time.Time{}) {
		if e.Result == tusk.AuditDenied {
			denied = append(denied, e)
		}
	}
	if len(denied) != 2 {
		t.Fatalf("%d denials recorded, want 2: %+v", len(denied), denied)
	}
	del, read := denied[0], denied[1]
	if del.Who != "robot:bob" || del.Method != "DELETE" || del.Path != "/v1/repos/images" || del.Status != http.StatusForbidden || del.Error == "" {
		t.Errorf("bob's delete: %+v", del)
	}
	if read.Who != "robot:bob" || read.Method != "GET" || read.Path != "/v1/audit" || read.Status != http.StatusForbidden {
		t.Errorf("bob's read of the audit log: %+v", read)
	}
	if _, err := admin.InspectRepo(ctx, "images"); err != nil {
		t.Errorf("the repo bob could not delete: %v", err)
	}
}
