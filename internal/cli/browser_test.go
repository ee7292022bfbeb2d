package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
)

func TestOpenBrowser(t *testing.T) {
	dir := t.TempDir()
	opened := filepath.Join(dir, "opened")
	script := "#!/bin/sh\necho \"$1\" > " + opened + ".tmp && mv " + opened + ".tmp " + opened + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	const url = "http://127.0.0.1:1/authorize?state=x"
	if openBrowser(envOf(map[string]string{}), url) {
		t.Error("opened a browser without a display")
	}
	if !openBrowser(envOf(map[string]string{"DISPLAY": ":0"}), url) {
		t.Fatal("did not open a browser on a display")
	}
	var b []byte
	testenv.Eventually(t, 10*time.Second, "xdg-open is run", func() bool {
		var err error
		b, err = os.ReadFile(opened)
		return err == nil
	})
	if string(b) != url+"\n" {
		t.Errorf("the browser was given %q, want %q", b, url)
	}
}
