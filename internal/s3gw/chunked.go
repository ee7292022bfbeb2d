package s3gw

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxChunkLine bounds a line of an aws-chunked body (a chunk's header or
// a trailer).
const maxChunkLine = 4 << 10

// maxAWSChunk bounds the data of one chunk of an aws-chunked body, which
// is held whole while its signature is checked.
const maxAWSChunk = 16 << 20

// chunkedReader decodes an aws-chunked body (Content-Encoding:
// aws-chunked): chunks of "SIZE[;chunk-signature=SIG]\r\nDATA\r\n", a
// last one of size 0, then trailers up to an empty line. verify, when not
// nil, checks each chunk's signature before its data is read.
type chunkedReader struct {
	r      *bufio.Reader
	verify func(sig string, data []byte) error
	buf    []byte // the rest of the current chunk
	done   bool
	err    error
}

func newChunkedReader(r io.Reader, verify func(sig string, data []byte) error) *chunkedReader {
	return &chunkedReader{r: bufio.NewReaderSize(r, 64<<10), verify: verify}
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		c.err = c.next()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// next reads the next chunk into buf.
func (c *chunkedReader) next() error {
	line, err := c.line()
	if err != nil {
		return err
	}
	sizeText, ext, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
	if err != nil || size < 0 || size > maxAWSChunk {
		return invalidArgument("aws-chunked body: bad chunk header %q", line)
	}
	sig := ""
	if ext != "" {
		name, value, _ := strings.Cut(ext, "=")
		if name != "chunk-signature" {
			return invalidArgument("aws-chunked body: unknown chunk extension %q", ext)
		}
		sig = value
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(c.r, data); err != nil {
		return fmt.Errorf("aws-chunked body: %w", err)
	}
	if c.verify != nil {
		if err := c.verify(sig, data); err != nil {
			return err
		}
	}
	if size == 0 {
		// Trailers (checksums the gateway does not keep) up to an empty
		// line, or the end of the body.
		for {
			l, err := c.line()
			if err == io.EOF || err == nil && l == "" {
				break
			}
			if err != nil {
				return err
			}
		}
		c.done = true
		return nil
	}
	if crlf, err := c.line(); err != nil || crlf != "" {
		return invalidArgument("aws-chunked body: chunk of %d bytes not followed by CRLF", size)
	}
	c.buf = data
	return nil
}

// line reads a line ended by CRLF (or LF) and returns it without the end.
func (c *chunkedReader) line() (string, error) {
	var b []byte
	for {
		part, isPrefix, err := c.r.ReadLine()
		if err != nil {
			if err == io.EOF && len(b) == 0 {
				return "", io.EOF
			}
			return "", fmt.Errorf("aws-chunked body: %w", err)
		}
		b = append(b, part...)
		if len(b) > maxChunkLine {
			return "", invalidArgument("aws-chunked body: a line longer than %d bytes", maxChunkLine)
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}
