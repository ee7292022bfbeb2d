package console

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestPreviewKind(t *testing.T) {
	for _, tc := range []struct {
		name, head, want string
	}{
		{"/a/photo.PNG", "\x89PNG\r\n\x1a\n\x00", kindImage},
		{"/logo.svg", "<svg/>", kindImage},
		{"/data.csv", "a,b\n1,2\n", kindTable},
		{"/data.tsv", "a\tb\n", kindTable},
		{"/conf.json", `{"a": 1}`, kindJSON},
		{"/README", "hello\n", kindText},
		{"/total", "42\n", kindText},
		{"/notes.md", "héllo", kindText},
		{"/cut.txt", "caf\xc3", kindText}, // a rune cut by the size cap
		{"/model.bin", "ab\x00cd", kindBinary},
		{"/latin1.txt", "caf\xe9 au lait", kindBinary},
		{"/bad.csv", "\x00\x01", kindBinary},
		{"/empty", "", kindText},
	} {
		if got := previewKind(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("previewKind(%q, %q) = %s, want %s", tc.name, tc.head, got, tc.want)
		}
	}
}

func TestContentType(t *testing.T) {
	for _, tc := range []struct {
		name, head, want string
	}{
		{"/a.png", "", "image/png"},
		{"/page.html", "<html>", "text/plain; charset=utf-8"},
		{"/feed.xml", "<?xml", "text/plain; charset=utf-8"},
		{"/data.csv", "a,b", "text/csv; charset=utf-8"},
		{"/noext", "plain words", "text/plain; charset=utf-8"},
		{"/noext.bin", "\x00\x01\x02", "application/octet-stream"},
	} {
		if got := contentType(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("contentType(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestReadPreview(t *testing.T) {
	p, err := readPreview("/w.csv", 17, strings.NewReader("word,n\nfox,2\na,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"word", "n"}, {"fox", "2"}, {"a", "1"}}; p.Kind != kindTable || !reflect.DeepEqual(p.Rows, want) || p.Truncated {
		t.Errorf("csv preview = %+v", p)
	}
	p, _ = readPreview("/x.json", 11, strings.NewReader(`{"a":[1,2]}`))
	if p.Kind != kindJSON || p.Text != "{\n  \"a\": [\n    1,\n    2\n  ]\n}" {
		t.Errorf("json preview = %+v", p)
	}
	p, _ = readPreview("/x.json", 5, strings.NewReader(`{"a":`))
	if p.Kind != kindText || p.Text != `{"a":` {
		t.Errorf("invalid json preview = %+v, want text", p)
	}
	big := bytes.Repeat([]byte("0123456789abcde\n"), previewCap/16+10)
	p, _ = readPreview("/big.log", int64(len(big)), bytes.NewReader(big))
	if p.Kind != kindText || len(p.Text) != previewCap || !p.Truncated {
		t.Errorf("big text: kind %s, %d bytes, truncated %v; want the first %d bytes", p.Kind, len(p.Text), p.Truncated, previewCap)
	}
	var rows strings.Builder
	for range maxTableRows + 5 {
		rows.WriteString("x,y\n")
	}
	p, _ = readPreview("/many.csv", int64(rows.Len()), strings.NewReader(rows.String()))
	if len(p.Rows) != maxTableRows || !p.Truncated {
		t.Errorf("long csv: %d rows, truncated %v; want %d rows, truncated", len(p.Rows), p.Truncated, maxTableRows)
	}
}
