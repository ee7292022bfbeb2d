package cli

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusktest"
)

func TestProgress(t *testing.T) {
	if p := startProgress(&bytes.Buffer{}, false, "x", 10, func() int64 { return 0 }); p != nil {
		t.Fatal("startProgress without show returned a bar")
	}
	var nilBar *progress
	nilBar.finish() // must be a no-op

	var buf tusktest.Buffer
	var n atomic.Int64
	p := startProgress(&buf, true, "uploading", 8<<20, n.Load)
	n.Store(4 << 20)
	time.Sleep(250 * time.Millisecond)
	p.finish()
	if out := buf.String(); !strings.Contains(out, "uploading") || !strings.Contains(out, "MiB") {
		t.Errorf("progress bar output %q lacks the description or sizes", out)
	}
}
