package docker

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// create creates a container named name and returns its ID and the
// engine's warnings (such as limits the kernel cannot apply).
func (e *engine) create(ctx context.Context, name string, req *createRequest) (string, []string, error) {
	var out struct {
		ID       string
		Warnings []string
	}
	if err := e.call(ctx, http.MethodPost, "/containers/create", url.Values{"name": {name}}, req, &out); err != nil {
		return "", nil, err
	}
	return out.ID, out.Warnings, nil
}

// start starts a created container.
func (e *engine) start(ctx context.Context, id string) error {
	return e.call(ctx, http.MethodPost, "/containers/"+id+"/start", nil, nil, nil)
}

// wait blocks until the container is not running, and returns its exit
// code.
func (e *engine) wait(ctx context.Context, id string) (int, error) {
	var out struct {
		StatusCode int
		Error      *struct{ Message string }
	}
	if err := e.call(ctx, http.MethodPost, "/containers/"+id+"/wait", url.Values{"condition": {"not-running"}}, nil, &out); err != nil {
		return 0, err
	}
	if out.Error != nil && out.Error.Message != "" {
		return 0, fmt.Errorf("wait for container: %s", out.Error.Message)
	}
	return out.StatusCode, nil
}

// containerState is the part of a container's inspection the runner reads.
type containerState struct {
	Status    string
	OOMKilled bool
	Error     string
}

// state returns a container's state.
func (e *engine) state(ctx context.Context, id string) (containerState, error) {
	var out struct{ State containerState }
	err := e.call(ctx, http.MethodGet, "/containers/"+id+"/json", nil, nil, &out)
	return out.State, err
}

// remove kills and removes a container with its anonymous volumes; a
// container that is already gone is not an error.
func (e *engine) remove(ctx context.Context, id string) error {
	err := e.call(ctx, http.MethodDelete, "/containers/"+id, url.Values{"force": {"1"}, "v": {"1"}}, nil, nil)
	if isStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// container is a container as listed by the engine.
type container struct {
	ID     string
	Names  []string
	Labels map[string]string
}

// list returns every container, running or not, that has all the labels
// ("key=value").
func (e *engine) list(ctx context.Context, labels ...string) ([]container, error) {
	filters, err := json.Marshal(map[string][]string{"label": labels})
	if err != nil {
		return nil, err
	}
	var out []container
	err = e.call(ctx, http.MethodGet, "/containers/json", url.Values{"all": {"1"}, "filters": {string(filters)}}, nil, &out)
	return out, err
}

// logs returns the last lines a container wrote to stdout and stderr.
func (e *engine) logs(ctx context.Context, id string, lines int) (string, error) {
	q := url.Values{"stdout": {"1"}, "stderr": {"1"}, "tail": {strconv.Itoa(lines)}}
	resp, err := e.send(ctx, http.MethodGet, "/containers/"+id+"/logs", q, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if err := demux(&buf, io.LimitReader(resp.Body, 64<<10)); err != nil {
		return "", fmt.Errorf("read logs: %w", err)
	}
	return strings.TrimSpace(buf.String()), nil
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
