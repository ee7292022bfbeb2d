package s3gw

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/tusk"
)

// uploadTTL is how long the parts of a multipart upload are kept: their
// chunks are leased for that long, and an upload not completed by then
// is forgotten.
const uploadTTL = 24 * time.Hour

// maxParts is the most parts an upload may have, as on S3.
const maxParts = 10000

// An upload is a multipart upload in progress. Uploads live in the
// memory of the server that began them (docs/s3.md).
type upload struct {
	repo, branch, path string
	started            time.Time
	mu                 sync.Mutex
	parts              map[int]chunk.File
}

// uploads are the multipart uploads in progress, by ID.
type uploads struct {
	mu sync.Mutex
	m  map[string]*upload
}

func (u *uploads) get(id string, b bucket, p string) (*upload, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	up, ok := u.m[id]
	if ok && time.Since(up.started) > uploadTTL {
		delete(u.m, id)
		ok = false
	}
	if !ok || up.repo != b.repo || up.branch != b.branch || up.path != p {
		return nil, errorf("NoSuchUpload", http.StatusNotFound, "no multipart upload %q to %s%s: it was completed, aborted, is older than %v, or began on another server", id, b.name, p, uploadTTL)
	}
	return up, nil
}

// forget drops an upload.
func (u *uploads) forget(id string) {
	u.mu.Lock()
	delete(u.m, id)
	u.mu.Unlock()
}

type initiateResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

// createUpload answers CreateMultipartUpload.
func (q *request) createUpload(b bucket, key string) error {
	p, err := filePath(key)
	if err != nil {
		return err
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	id := hex.EncodeToString(raw)
	u := &q.g.uploads
	u.mu.Lock()
	if u.m == nil {
		u.m = map[string]*upload{}
	}
	for k, up := range u.m {
		if time.Since(up.started) > uploadTTL {
			delete(u.m, k)
		}
	}
	u.m[id] = &upload{repo: b.repo, branch: b.branch, path: p, started: time.Now(), parts: map[int]chunk.File{}}
	u.mu.Unlock()
	writeXML(q.w, initiateResult{Bucket: b.name, Key: key, UploadID: id})
	return nil
}

// uploadPart answers UploadPart: the part's chunks are stored and leased
// for uploadTTL, and its file kept until the upload completes.
func (q *request) uploadPart(b bucket, key string) error {
	number := q.r.URL.Query().Get("partNumber")
	n, err := strconv.Atoi(number)
	if err != nil || n < 1 || n > maxParts {
		return invalidArgument("partNumber %q: want 1 to %d", number, maxParts)
	}
	p, _, up, err := q.upload(b, key)
	if err != nil {
		return err
	}
	f, err := q.g.store(q.ctx(), q.body())
	if err != nil {
		return fmt.Errorf("upload part %d of %s/%s: %w", n, b.name, key, err)
	}
	if _, err := q.g.fs.StageFiles(q.ctx(), []tusk.FileOp{putOp(p, f, false)}, uploadTTL); err != nil {
		return fmt.Errorf("upload part %d of %s/%s: %w", n, b.name, key, err)
	}
	up.mu.Lock()
	up.parts[n] = f
	up.mu.Unlock()
	q.w.Header().Set("ETag", etag(f.Hash))
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// upload returns the path of key and the upload its request's uploadId
// names.
func (q *request) upload(b bucket, key string) (p, id string, up *upload, err error) {
	if p, err = filePath(key); err != nil {
		return "", "", nil, err
	}
	id = q.r.URL.Query().Get("uploadId")
	up, err = q.g.uploads.get(id, b, p)
	return p, id, up, err
}

type completeRequest struct {
	Parts []struct {
		PartNumber int
		ETag       string
	} `xml:"Part"`
}

type completeResult struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Bucket  string
	Key     string
	ETag    string
}

// completeUpload answers CompleteMultipartUpload: the parts named, in
// order, become the file at key in one commit (the first put, the others
// appended, so its hash is the chain hash of docs/format.md).
func (q *request) completeUpload(b bucket, key string) error {
	p, id, up, err := q.upload(b, key)
	if err != nil {
		return err
	}
	var req completeRequest
	if err := q.readXML(&req, "CompleteMultipartUpload"); err != nil {
		return err
	}
	if len(req.Parts) == 0 {
		return errorf("MalformedXML", http.StatusBadRequest, "CompleteMultipartUpload names no parts")
	}
	up.mu.Lock()
	ops := make([]tusk.FileOp, 0, len(req.Parts))
	for i, part := range req.Parts {
		f, ok := up.parts[part.PartNumber]
		if !ok || strings.Trim(part.ETag, `"`) != strings.Trim(etag(f.Hash), `"`) {
			up.mu.Unlock()
			return errorf("InvalidPart", http.StatusBadRequest, "part %d of upload %s was not uploaded, or its ETag is not %s", part.PartNumber, id, part.ETag)
		}
		if i > 0 && part.PartNumber <= req.Parts[i-1].PartNumber {
			up.mu.Unlock()
			return errorf("InvalidPartOrder", http.StatusBadRequest, "the parts must be listed in ascending order of their numbers")
		}
		ops = append(ops, putOp(p, f, i > 0))
	}
	up.mu.Unlock()
	if _, err := q.commit(b, ops...); err != nil {
		return err
	}
	info, err := q.g.fs.InspectFile(q.ctx(), tusk.Ref{Repo: b.repo, Branch: b.branch, Path: p, HasPath: true})
	if err != nil {
		return err
	}
	q.g.uploads.forget(id)
	writeXML(q.w, completeResult{Bucket: b.name, Key: key, ETag: etag(info.Hash)})
	return nil
}

// abortUpload answers AbortMultipartUpload: the upload is forgotten, and
// its parts' chunks are collected once their leases end.
func (q *request) abortUpload(b bucket, key string) error {
	_, id, _, err := q.upload(b, key)
	if err != nil {
		return err
	}
	q.g.uploads.forget(id)
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type listPartsResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket   string
	Key      string
	UploadID string    `xml:"UploadId"`
	Parts    []partXML `xml:"Part"`
}

type partXML struct {
	PartNumber int
	ETag       string
	Size       int64
}

// listParts answers ListParts, all of them in one page.
func (q *request) listParts(b bucket, key string) error {
	_, id, up, err := q.upload(b, key)
	if err != nil {
		return err
	}
	res := listPartsResult{Bucket: b.name, Key: key, UploadID: id}
	up.mu.Lock()
	for n, f := range up.parts {
		res.Parts = append(res.Parts, partXML{PartNumber: n, ETag: etag(f.Hash), Size: f.Size})
	}
	up.mu.Unlock()
	slices.SortFunc(res.Parts, func(a, b partXML) int { return a.PartNumber - b.PartNumber })
	writeXML(q.w, res)
	return nil
}
