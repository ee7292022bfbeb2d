package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBodyOverTheLimitIsRefusedUnread sends only the headers of requests
// whose Content-Length is over their route's limit: the server must
// answer 413 at once, from the headers, rather than wait for the body.
func TestBodyOverTheLimitIsRefusedUnread(t *testing.T) {
	addr, _ := newTestServer(t)
	for _, tc := range []struct {
		method, path string
		contentType  string
		length       int64
		limit        string
	}{
		{"PUT", "/v1/chunks/0123", "application/octet-stream", 1 << 40, "67108864"},
		{"POST", "/v1/repos", "application/json", 16<<20 + 1, "16777216"},
		{"POST", "/v1/pipelines", "application/yaml", 1 << 30, "16777216"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", tc.method, tc.path, addr, tc.contentType, tc.length)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s %s with Content-Length %d and no body: %v (want an answer before the body)", tc.method, tc.path, tc.length, err)
		}
		var body struct {
			Error struct {
				Kind, Message, Hint string
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		conn.Close()
		if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || body.Error.Kind != "invalid" ||
			!strings.Contains(body.Error.Message, fmt.Sprint(tc.length)) || !strings.Contains(body.Error.Message, "limit of "+tc.limit+" bytes") {
			t.Errorf("%s %s of %d bytes: %s %+v, %v; want 413 with the size and the limit", tc.method, tc.path, tc.length, resp.Status, body.Error, err)
		}
	}
}

// TestBodyWithoutLengthIsCutAtTheLimit streams a JSON body without a
// Content-Length past the limit: the server stops reading it there and
// answers 413.
func TestBodyWithoutLengthIsCutAtTheLimit(t *testing.T) {
	addr, token := newTestServer(t)
	body := io.MultiReader(strings.NewReader(`{"name": "`), bytes.NewReader(bytes.Repeat([]byte("a"), 16<<20)), strings.NewReader(`"}`))
	req, err := http.NewRequest("POST", "http://"+addr+"/v1/repos", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "over the limit of 16777216 bytes") {
		t.Errorf("a streamed body over the limit: %s %s, want 413", resp.Status, msg)
	}
}
