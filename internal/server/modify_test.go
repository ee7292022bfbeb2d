package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestModifyAppliesOperationsInOrder puts 1000 files in one upload,
// writing one path twice, and reads back what the last operation said.
func TestModifyAppliesOperationsInOrder(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if _, err := c.CreateRepo(ctx, "many", ""); err != nil {
		t.Fatal(err)
	}
	up, err := c.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	for i := range n {
		if err := up.PutFile(fmt.Sprintf("/f%04d", i), strings.NewReader(fmt.Sprint(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := up.PutFile("/f0001", strings.NewReader("last"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := up.Commit("many@master"); err != nil {
		t.Fatal(err)
	}
	files := 0
	if err := c.ListFiles(ctx, "many@master:/", "", 0, func(tusk.FileInfo) error { files++; return nil }); err != nil {
		t.Fatal(err)
	}
	if files != n {
		t.Errorf("%d files, want %d", files, n)
	}
	for path, want := range map[string]string{"/f0001": "last", fmt.Sprintf("/f%04d", n-1): fmt.Sprint(n - 1)} {
		r, _, err := c.GetFile(ctx, "many@master:"+path, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
}

// TestModifyRejectsBadLines says which operation does not decode, and
// applies none of them, not even the valid one before it.
func TestModifyRejectsBadLines(t *testing.T) {
	addr, token := newTestServer(t)
	c, _ := client.New(addr, client.WithToken(token))
	ctx := context.Background()
	if _, err := c.CreateRepo(ctx, "bad", ""); err != nil {
		t.Fatal(err)
	}
	modify := func(body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/files/modify?ref=bad@master", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, msg
	}
	commits := func() int {
		t.Helper()
		n := 0
		if err := c.ListCommits(ctx, "bad", "", 0, func(tusk.Commit) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// An empty file: its hash is the BLAKE3 of no bytes.
	valid := `{"op":"put","path":"/a","size":0,"hash":"af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"}` + "\n"
	if code, msg := modify(valid + "\n" + `{"op":"put","path":` + "\n"); code != http.StatusBadRequest || !bytes.Contains(msg, []byte("file operation 2")) {
		t.Errorf("status %d, body %s: want 400 naming file operation 2", code, msg)
	}
	if n := commits(); n != 0 {
		t.Errorf("%d commits after a rejected modify, want none", n)
	}
	if code, msg := modify(valid); code != http.StatusOK || commits() != 1 {
		t.Errorf("the valid operation alone: status %d, body %s; want it committed", code, msg)
	}
}
