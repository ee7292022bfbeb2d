package dockerengine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Start starts a created container, or a stopped one again.
func (e *Client) Start(ctx context.Context, id string) error {
	return e.Call(ctx, http.MethodPost, "/containers/"+id+"/start", nil, nil, nil)
}

// Remove kills and removes a container with its anonymous volumes; a
// container that is already gone is not an error.
func (e *Client) Remove(ctx context.Context, id string) error {
	err := e.Call(ctx, http.MethodDelete, "/containers/"+id, url.Values{"force": {"1"}, "v": {"1"}}, nil, nil)
	if IsStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// Container is a container as listed by the engine.
type Container struct {
	ID     string `json:"Id"`
	Names  []string
	Labels map[string]string
}

// List returns every container, running or not, that has all the labels
// ("key=value", or "key" for any value).
func (e *Client) List(ctx context.Context, labels ...string) ([]Container, error) {
	var out []Container
	err := e.Call(ctx, http.MethodGet, "/containers/json", url.Values{"all": {"1"}, "filters": {Filters(map[string][]string{"label": labels})}}, nil, &out)
	return out, err
}

// Filters is the filters parameter of the engine's list and events calls
// that keeps what matches every one of the values of each key ("label":
// "key=value" or "key", "type": "container", …).
func Filters(f map[string][]string) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// Logs copies what a container wrote to stdout and stderr, interleaved, to
// w: its last tail lines, or all of it if tail is "all", at most limit
// bytes of the stream.
func (e *Client) Logs(ctx context.Context, w io.Writer, id, tail string, limit int64) error {
	q := url.Values{"stdout": {"1"}, "stderr": {"1"}, "tail": {tail}}
	resp, err := e.Send(ctx, http.MethodGet, "/containers/"+id+"/logs", q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := demux(w, io.LimitReader(resp.Body, limit)); err != nil {
		return fmt.Errorf("read the logs of container %s: %w", id, err)
	}
	return nil
}

// demux copies the payload of the engine's multiplexed log stream (frames
// of an 8-byte header, whose last 4 bytes are the big-endian length, and
// the payload) to w, stdout and stderr interleaved.
func demux(w io.Writer, r io.Reader) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		} else if err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint32(hdr[4:]))
		if _, err := io.CopyN(w, r, n); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
