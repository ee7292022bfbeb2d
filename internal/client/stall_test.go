package client

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestStalledTransfer checks that with a ResponseTimeout a download or an
// upload that stops moving fails, while one that moves slowly, for longer
// than the timeout in all, does not.
func TestStalledTransfer(t *testing.T) {
	const idle = 2 * time.Second
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stall": // begins to answer, then stops
			w.Write([]byte("part of a body"))
			w.(http.Flusher).Flush()
			<-release
		case "/trickle": // a byte every 100 ms for 4 s: time is what is tested, a transfer longer than idle that keeps moving
			for range 40 {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		case "/deaf": // never reads what it is sent
			<-release
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(srv.URL, ResponseTimeout(idle))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (string, error) {
		resp, err := c.http.Get(srv.URL + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if b, err := get("/stall"); err == nil {
		t.Errorf("a download that stalled after %q ended without an error", b)
	}
	if b, err := get("/trickle"); err != nil || b != strings.Repeat("x", 40) {
		t.Errorf("a slow download: %d bytes, %v; want 40 bytes and no error", len(b), err)
	}
	resp, err := c.http.Post(srv.URL+"/deaf", "application/octet-stream", bytes.NewReader(make([]byte, 256<<20)))
	if err == nil {
		resp.Body.Close()
		t.Error("an upload to a server that reads nothing ended without an error")
	}
}
