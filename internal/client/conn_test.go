package client

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// TestConnectionsAreReused checks that the client reads every response to
// its end, so that requests one after the other share one connection: a
// worker makes several requests per datum, and a new connection for each
// cost it a fifth of its CPU.
func TestConnectionsAreReused(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/info", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(Info{Version: "test"})
	})
	mux.HandleFunc("POST /v1/workers/done", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		json.NewEncoder(w).Encode(struct{}{})
	})
	mux.HandleFunc("POST /v1/workers/next", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]tusk.Task{{Pipeline: "p", Job: "j", Datum: "d"}})
	})
	mux.HandleFunc("POST /v1/workers/inputs", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		tw := tar.NewWriter(w)
		tw.WriteHeader(&tar.Header{Name: "0/in/a", Mode: 0o644, Size: 1})
		tw.Write([]byte("a"))
		tw.Close()
	})
	srv := httptest.NewUnstartedServer(mux)
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 10 {
		if _, err := c.Info(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Done(ctx, []tusk.TaskResult{{Datum: "d"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.NextTasks(ctx, "p", "w", 0); err != nil {
			t.Fatal(err)
		}
		rc, err := c.TaskInputs(ctx, nil, 1, 1, true)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			if _, err := tr.Next(); err != nil {
				break
			}
		}
		rc.Close()
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("40 requests one after the other opened %d connections, want 1", n)
	}
}
