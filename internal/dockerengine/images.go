package dockerengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Image is the part of a local image's inspection Tusk reads.
type Image struct {
	ID string `json:"Id"`
	// RepoDigests are the registry references of the image
	// ("host/name@sha256:…"), one per repository it was pulled from or
	// pushed to; none for an image built or loaded on this engine.
	RepoDigests []string
}

// InspectImage returns the local image that ref (a reference or an ID)
// names.
func (e *Client) InspectImage(ctx context.Context, ref string) (Image, error) {
	var img Image
	err := e.Call(ctx, http.MethodGet, "/images/"+ref+"/json", nil, nil, &img)
	return img, err
}

// Pull has the engine pull image name at tag (a tag or a digest) from its
// registry, with auth, the X-Registry-Auth header, if not "". The engine
// answers an error status for a failure it sees before the download
// starts (an unknown manifest, a denied login), and reports one during
// the download in its stream of progress messages: either is returned
// with the engine's message, which holds the registry's.
func (e *Client) Pull(ctx context.Context, name, tag, auth string) error {
	q := url.Values{"fromImage": {name}, "tag": {tag}}
	var header http.Header
	if auth != "" {
		header = http.Header{"X-Registry-Auth": {auth}}
	}
	resp, err := e.SendWith(ctx, http.MethodPost, "/images/create", q, header, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Error       string
			ErrorDetail struct{ Message string }
		}
		switch err := dec.Decode(&msg); {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("read the engine's progress: %w", err)
		case msg.ErrorDetail.Message != "":
			return errors.New(msg.ErrorDetail.Message)
		case msg.Error != "":
			return errors.New(msg.Error)
		}
	}
}
