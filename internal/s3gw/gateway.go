package s3gw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/grant"
	"github.com/tuskdata/tusk/internal/tusk"
)

// FS is what the gateway needs of the versioned file system (pfs.API).
type FS interface {
	ListRepos(ctx context.Context) ([]tusk.Repo, error)
	InspectRepo(ctx context.Context, name string) (tusk.Repo, error)
	ListBranches(ctx context.Context, repo string) ([]tusk.Branch, error)
	InspectBranch(ctx context.Context, repo, name string) (tusk.Branch, error)
	InspectCommit(ctx context.Context, ref tusk.Ref) (tusk.Commit, error)
	InspectFile(ctx context.Context, ref tusk.Ref) (tusk.FileInfo, error)
	// ScanFiles calls fn for the files whose paths are ≥ from, in path
	// order; a path fn returns is where it goes on from.
	ScanFiles(ctx context.Context, ref tusk.Ref, from string, fn func(fileset.File) (skipTo string, err error)) error
	OpenFile(ctx context.Context, ref tusk.Ref, offset int64) (io.Reader, tusk.FileInfo, error)

	ChunkParams() chunk.Params
	PutChunk(ctx context.Context, id string, encoded []byte) error
	// StageFiles checks the chunks of puts and leases them for ttl.
	StageFiles(ctx context.Context, ops []tusk.FileOp, ttl time.Duration) ([]fileset.File, error)
	// ModifyEach makes each group of operations a commit of its own, in
	// order, sharing their durable writes.
	ModifyEach(ctx context.Context, ref tusk.Ref, groups [][]tusk.FileOp) ([]tusk.Commit, []error, error)
	CreateBranch(ctx context.Context, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger) (tusk.Branch, error)
}

// Identities tells who a token is and what they may do.
type Identities interface {
	// AuthActive reports whether authentication is on; when it is off,
	// every request may do anything, as on the API.
	AuthActive() bool
	Authenticate(ctx context.Context, token string) (grant.Grants, error)
}

// Gateway is the S3 API over a file system.
type Gateway struct {
	fs      FS
	ids     Identities
	guard   func(*http.Request) error
	log     *slog.Logger
	uploads uploads
	// committer groups the commits of concurrent PutObjects to a branch.
	committer committer
}

// New returns a gateway over fs that authenticates callers with ids.
// guard, when not nil, refuses requests before anything else (the
// server's checks of what browsers send).
func New(fs FS, ids Identities, guard func(*http.Request) error, log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.Default()
	}
	return &Gateway{fs: fs, ids: ids, guard: guard, log: log}
}

// ServeHTTP answers one S3 request, path style: /, /BUCKET, /BUCKET/KEY.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	w.Header().Set("x-amz-request-id", strings.ToUpper(hex.EncodeToString(id)))
	w.Header().Set("Server", "Tusk")
	if g.guard != nil {
		if err := g.guard(r); err != nil {
			g.writeError(w, r, accessDenied("%v", err))
			return
		}
	}
	grants, sig, err := g.authenticate(r)
	if err != nil {
		g.writeError(w, r, err)
		return
	}
	req := &request{w: w, r: r, g: g, grants: grants, sig: sig}
	name, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case name == "":
		err = req.service()
	case key == "":
		err = req.bucketOp(name)
	default:
		err = req.objectOp(name, key)
	}
	if err != nil {
		g.writeError(w, r, err)
	}
}

// request is one request being answered, with what its caller may do.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	g      *Gateway
	grants grant.Grants
	sig    *signature // nil when authentication is off
}

func (q *request) ctx() context.Context { return q.r.Context() }

// authenticate returns what the caller of r may do, and the signature
// that its body must match (nil with authentication off: then anyone may
// do anything, whatever they sign, as with pachd).
func (g *Gateway) authenticate(r *http.Request) (grant.Grants, *signature, error) {
	s, signedReq, err := parseSigned(r)
	if !g.ids.AuthActive() {
		return grant.Grants{Admin: true}, nil, nil
	}
	if err != nil {
		return grant.Grants{}, nil, err
	}
	if !signedReq {
		return grant.Grants{}, nil, accessDenied("the request is not signed, and authentication is on: sign it with Signature Version 4, with a Tusk token as both the access key and the secret key")
	}
	sig, err := s.verify(r, s.access, time.Now())
	if err != nil {
		return grant.Grants{}, nil, err
	}
	grants, err := g.ids.Authenticate(r.Context(), s.access)
	if err != nil {
		return grant.Grants{}, nil, errorf("InvalidAccessKeyId", http.StatusForbidden, "the access key is not a valid Tusk token: %v", err)
	}
	return grants, sig, nil
}

// service answers requests to "/": ListBuckets.
func (q *request) service() error {
	if q.r.Method != http.MethodGet {
		return errorf("MethodNotAllowed", http.StatusMethodNotAllowed, "%s / is not an S3 request; GET / lists the buckets", q.r.Method)
	}
	return q.listBuckets()
}

// unsupported names the first subresource of the query string that the
// gateway does not answer.
func unsupported(r *http.Request, allowed ...string) string {
	q := r.URL.Query()
	for _, sub := range subresources {
		if q.Has(sub) && !contains(allowed, sub) {
			return sub
		}
	}
	return ""
}

// subresources are the query parameters that select an S3 operation other
// than the plain one of a method.
var subresources = []string{"acl", "accelerate", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering",
	"inventory", "legal-hold", "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls",
	"partNumber", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select",
	"tagging", "torrent", "uploadId", "uploads", "versioning", "versions", "website"}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// bucketOp answers requests to /BUCKET.
func (q *request) bucketOp(name string) error {
	r := q.r
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Has("location") && unsupported(r, "location") == "":
		return q.location(name)
	case r.Method == http.MethodPost && r.URL.Query().Has("delete") && unsupported(r, "delete") == "":
		b, err := q.writable(name)
		if err != nil {
			return err
		}
		return q.deleteObjects(b)
	case r.Method == http.MethodPut && unsupported(r) == "":
		return q.createBucket(name)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && unsupported(r) == "":
		b, err := q.bucket(name, grant.Read)
		if err != nil {
			return err
		}
		if r.Method == http.MethodHead {
			q.w.WriteHeader(http.StatusOK)
			return nil
		}
		return q.list(b)
	}
	if sub := unsupported(r); sub != "" {
		return notImplemented(r.Method + " ?" + sub + " on a bucket")
	}
	return notImplemented(r.Method + " on a bucket")
}

// objectOp answers requests to /BUCKET/KEY.
func (q *request) objectOp(name, key string) error {
	r := q.r
	values := r.URL.Query()
	if sub := unsupported(r, "uploads", "uploadId", "partNumber"); sub != "" {
		return notImplemented(r.Method + " ?" + sub + " on an object")
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if values.Has("uploadId") {
			b, err := q.writable(name)
			if err != nil {
				return err
			}
			return q.listParts(b, key)
		}
		b, err := q.bucket(name, grant.Read)
		if err != nil {
			return err
		}
		return q.getObject(b, key)
	}
	b, err := q.writable(name)
	if err != nil {
		return err
	}
	switch {
	case r.Method == http.MethodPut && values.Has("uploadId"):
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return notImplemented("UploadPartCopy")
		}
		return q.uploadPart(b, key)
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return q.copyObject(b, key)
	case r.Method == http.MethodPut:
		return q.putObject(b, key)
	case r.Method == http.MethodPost && values.Has("uploads"):
		return q.createUpload(b, key)
	case r.Method == http.MethodPost && values.Has("uploadId"):
		return q.completeUpload(b, key)
	case r.Method == http.MethodDelete && values.Has("uploadId"):
		return q.abortUpload(b, key)
	case r.Method == http.MethodDelete:
		return q.deleteObject(b, key)
	}
	return notImplemented(r.Method + " on an object")
}
