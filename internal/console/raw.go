package console

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"

	"github.com/tuskdata/tusk/internal/tusk"
)

// raw streams a file's content with a content type guessed from its name
// and first bytes, or as an attachment with ?download=1. The content is
// sandboxed so that a file cannot run script on the console's origin.
func (c *console) raw(w http.ResponseWriter, r *http.Request) {
	cm, ok := c.inspectCommit(w, r)
	if !ok {
		return
	}
	p := path.Clean("/" + r.PathValue("path"))
	ref := cm.Repo + "@" + cm.ID + ":" + p
	rc, size, err := c.as(r).GetFile(r.Context(), ref, 0)
	if err != nil {
		c.fail(w, r, fmt.Errorf("get file %s: %w", ref, err))
		return
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 512)
	head, _ := br.Peek(512)
	h := w.Header()
	h.Set("Content-Type", contentType(p, head))
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "no-store")
	if cm.ID == r.PathValue("id") && cm.State == tusk.CommitFinished {
		h.Set("Cache-Control", "private, max-age=86400") // a finished commit's files never change
	}
	if r.URL.Query().Get("download") != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(p)}))
	}
	if _, err := io.Copy(w, br); err != nil {
		c.log.Warn("console file download interrupted", "ref", ref, "err", err)
	}
}
