package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// TestSeveralServers checks that a client of several servers sends each
// request to one, moves on to the next when that one cannot be reached or
// answers that it is unavailable, and stays with one that answers.
func TestSeveralServers(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // refuses connections
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"error": tusk.Errorf(tusk.KindUnavailable, "the metadata store does not answer")})
	}))
	defer busy.Close()
	var served int
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served++
		json.NewEncoder(w).Encode(Info{Version: "up"})
	}))
	defer up.Close()
	c, err := New(down.URL + "," + busy.URL + ", " + up.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, next := range []string{busy.URL, up.URL} {
		if _, err := c.Info(ctx); tusk.KindOf(err) != tusk.KindUnavailable {
			t.Fatalf("Info = %v, want an error of kind unavailable", err)
		}
		if got := c.Address(); got != next {
			t.Fatalf("after the failure, Address = %s, want %s", got, next)
		}
	}
	for range 3 {
		if i, err := c.Info(ctx); err != nil || i.Version != "up" {
			t.Fatalf("Info = %+v, %v; want the server that answers", i, err)
		}
	}
	if served != 3 || c.As("other").Address() != up.URL {
		t.Errorf("the server that answers served %d requests, want 3; As uses %s, want %s", served, c.As("other").Address(), up.URL)
	}
	for _, bad := range []string{"a:1,,b:2", "a:1,unix:///run/tusk.sock", ""} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted the address", bad)
		}
	}
}

// TestServerThatStalls checks that a client moves on to the next server
// when one does not answer a request before its deadline, or within its
// ResponseTimeout, which a request that the server holds (NextTasks) may
// exceed.
func TestServerThatStalls(t *testing.T) {
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stalled.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/workers/next" {
			// Time is what is tested: the server holds the claim longer
			// than the ResponseTimeout, which a held request may exceed.
			time.Sleep(300 * time.Millisecond)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		json.NewEncoder(w).Encode(Info{Version: "up"})
	}))
	defer up.Close()
	c, err := New(stalled.URL+","+up.URL, ResponseTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Info(context.Background()); tusk.KindOf(err) != tusk.KindUnavailable {
		t.Fatalf("Info of a stalled server = %v, want it unavailable", err)
	}
	if i, err := c.Info(context.Background()); err != nil || i.Version != "up" {
		t.Fatalf("the next Info = %+v, %v; want the next server's answer", i, err)
	}
	if tasks, err := c.NextTasks(context.Background(), "p", "w", time.Second); err != nil || tasks != nil {
		t.Fatalf("NextTasks held longer than the ResponseTimeout = %v, %v; want no tasks, no error", tasks, err)
	}
	c, err = New(stalled.URL + "," + up.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Info(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Info of a stalled server = %v, want its deadline exceeded", err)
	}
	if c.Address() != up.URL {
		t.Fatalf("after a request past its deadline, Address = %s, want %s", c.Address(), up.URL)
	}
}
