package console

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"
)

// previewCap bounds the bytes of a file read for a preview.
const previewCap = 1 << 20

// maxTableRows bounds the rows of a CSV or TSV preview.
const maxTableRows = 500

// Kinds of preview.
const (
	kindText   = "text"
	kindTable  = "table"
	kindJSON   = "json"
	kindImage  = "image"
	kindBinary = "binary"
)

var imageTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".svg": "image/svg+xml", ".bmp": "image/bmp", ".ico": "image/x-icon", ".avif": "image/avif",
}

// previewKind chooses how to show a file from its name and its first
// bytes: images, tables and JSON by extension, text when the bytes are
// UTF-8 without NULs, anything else as a download.
func previewKind(name string, head []byte) string {
	ext := strings.ToLower(path.Ext(name))
	if _, ok := imageTypes[ext]; ok {
		return kindImage
	}
	if !isText(head) {
		return kindBinary
	}
	switch ext {
	case ".csv", ".tsv":
		return kindTable
	case ".json", ".geojson", ".ipynb":
		return kindJSON
	}
	return kindText
}

// isText reports whether b looks like text: no NUL byte and valid UTF-8,
// allowing a rune cut off at the end.
func isText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// contentType is the type the raw route serves a file with. Types a
// browser would run as a document (HTML, XML) are served as plain text.
func contentType(name string, head []byte) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := imageTypes[ext]; ok {
		return t
	}
	t := mime.TypeByExtension(ext)
	if t == "" {
		t = http.DetectContentType(head)
	}
	mt, _, _ := mime.ParseMediaType(t)
	switch {
	case mt == "text/html", mt == "application/xhtml+xml", strings.HasSuffix(mt, "xml"), mt == "text/javascript":
		return "text/plain; charset=utf-8"
	case strings.HasPrefix(mt, "text/") && !strings.Contains(t, "charset"):
		return t + "; charset=utf-8"
	}
	return t
}

// preview is what the file page shows of a file.
type preview struct {
	Kind      string
	Text      string     // text and JSON
	Rows      [][]string // table: header first
	Truncated bool       // only part of the file is shown
}

// readPreview builds the preview of a file of the given size from its
// content, reading at most previewCap bytes.
func readPreview(name string, size int64, r io.Reader) (preview, error) {
	data, err := io.ReadAll(io.LimitReader(r, previewCap))
	if err != nil {
		return preview{}, err
	}
	p := preview{Kind: previewKind(name, data), Truncated: size > int64(len(data))}
	switch p.Kind {
	case kindTable:
		p.Rows, p.Truncated = readTable(data, strings.EqualFold(path.Ext(name), ".tsv"), p.Truncated)
		if p.Rows == nil {
			p.Kind, p.Text = kindText, string(data)
		}
	case kindJSON:
		var out bytes.Buffer
		if p.Truncated || json.Indent(&out, data, "", "  ") != nil {
			p.Kind, p.Text = kindText, string(data)
		} else {
			p.Text = out.String()
		}
	case kindText:
		p.Text = string(data)
	}
	return p, nil
}

// readTable parses CSV or TSV rows, up to maxTableRows; it returns nil if
// the data does not parse. A row cut by the size cap is dropped.
func readTable(data []byte, tabs, cut bool) ([][]string, bool) {
	if cut {
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	if tabs {
		cr.Comma = '\t'
	}
	var rows [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, cut
		}
		if err != nil {
			return nil, cut
		}
		if len(rows) == maxTableRows {
			return rows, true
		}
		rows = append(rows, rec)
	}
}
