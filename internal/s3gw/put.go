package s3gw

import (
	"context"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/grant"
	"github.com/tuskdata/tusk/internal/tusk"
)

// writable resolves a bucket for a write: a branch, on whose repo the
// caller has write.
func (q *request) writable(name string) (bucket, error) {
	b, err := q.bucket(name, grant.Write)
	if err != nil {
		return b, err
	}
	if b.branch == "" {
		return b, accessDenied("bucket %q is a commit, which is read-only; write to a branch's bucket, branch.%s", name, b.repo)
	}
	return b, nil
}

// body returns the content of a request's body, decoded if it is
// aws-chunked, and checked against its signature: each signed chunk's,
// or the SHA-256 the request was signed with, when its reader reaches the
// end.
func (q *request) body() io.Reader {
	chunked := strings.HasPrefix(q.r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") ||
		strings.Contains(q.r.Header.Get("Content-Encoding"), "aws-chunked")
	switch {
	case q.sig != nil && strings.HasPrefix(q.sig.payload, streamingPayload):
		return newChunkedReader(q.r.Body, q.sig.chunkVerifier())
	case chunked:
		return newChunkedReader(q.r.Body, nil)
	case q.sig == nil || q.sig.payload == unsignedPayload:
		return q.r.Body
	}
	return &hashedReader{r: q.r.Body, h: sha256.New(), want: q.sig.payload}
}

// maxXMLBody bounds the XML documents requests send (DeleteObjects takes
// 1000 keys of at most 1 KiB each).
const maxXMLBody = 2 << 20

// readXML decodes the XML document of the request's body into v.
func (q *request) readXML(v any, what string) error {
	b, err := io.ReadAll(io.LimitReader(q.body(), maxXMLBody))
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return errorf("MalformedXML", http.StatusBadRequest, "the %s document: %v", what, err)
	}
	return nil
}

// store cuts r into chunks, stores them, and returns the file they make.
func (g *Gateway) store(ctx context.Context, r io.Reader) (chunk.File, error) {
	pk, err := chunk.NewPacker(g.fs.ChunkParams(), func(c chunk.Chunk) error {
		defer c.Release()
		return g.fs.PutChunk(ctx, c.ID, chunk.Encode(c.Data))
	})
	if err != nil {
		return chunk.File{}, err
	}
	var f chunk.File
	err = pk.Add(r, func(done chunk.File) { f = done })
	if cerr := pk.Close(); err == nil {
		err = cerr
	}
	return f, err
}

// putOp is the operation that puts f at p.
func putOp(p string, f chunk.File, appendTo bool) tusk.FileOp {
	op := tusk.FileOp{Op: tusk.OpPut, Path: p, Append: appendTo, Size: f.Size, Hash: f.Hash, Refs: make([]tusk.DataRef, len(f.Refs))}
	for i, r := range f.Refs {
		op.Refs[i] = tusk.DataRef{Chunk: r.Chunk, Offset: r.Offset, Length: r.Length}
	}
	return op
}

// commit applies ops to the bucket's branch as one commit, in a group
// with the concurrent writes to that branch.
func (q *request) commit(b bucket, ops ...tusk.FileOp) (tusk.Commit, error) {
	c, err := q.g.commitGrouped(q.ctx(), tusk.Ref{Repo: b.repo, Branch: b.branch}, ops)
	if err != nil {
		return c, fmt.Errorf("commit to %s: %w", b.name, err)
	}
	q.w.Header().Set("x-amz-version-id", c.ID)
	return c, nil
}

// putObject answers PutObject: the body becomes the file at key, in a
// commit of its own.
func (q *request) putObject(b bucket, key string) error {
	p, err := filePath(key)
	if err != nil {
		return err
	}
	f, err := q.g.store(q.ctx(), q.body())
	if err != nil {
		return fmt.Errorf("put %s/%s: %w", b.name, key, err)
	}
	if _, err := q.commit(b, putOp(p, f, false)); err != nil {
		return err
	}
	q.w.Header().Set("ETag", etag(f.Hash))
	q.w.WriteHeader(http.StatusOK)
	return nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag         string
	LastModified string
}

// copyObject answers CopyObject: the file at x-amz-copy-source, in any
// bucket the caller may read, is copied to key in one commit, without its
// content moving.
func (q *request) copyObject(b bucket, key string) error {
	p, err := filePath(key)
	if err != nil {
		return err
	}
	src, err := url.PathUnescape(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return invalidArgument("x-amz-copy-source %q is not URL-encoded", q.r.Header.Get("X-Amz-Copy-Source"))
	}
	src, _, _ = strings.Cut(src, "?versionId=")
	srcName, srcKey, ok := strings.Cut(strings.TrimPrefix(src, "/"), "/")
	if !ok || srcKey == "" {
		return invalidArgument("x-amz-copy-source %q: want BUCKET/KEY", src)
	}
	sb, err := q.bucket(srcName, grant.Read)
	if err != nil {
		return err
	}
	sp, err := filePath(srcKey)
	if err != nil {
		return err
	}
	info, err := q.file(sb, srcKey, sp)
	if err != nil {
		return err
	}
	if status := conditions(q.r, "X-Amz-Copy-Source-", etag(info.Hash), sb.time); status != 0 {
		return errorf("PreconditionFailed", http.StatusPreconditionFailed, "a precondition of the copy's source does not hold for %q", src)
	}
	c, err := q.commit(b, tusk.FileOp{Op: tusk.OpCopy, Path: p, Src: sb.repo + "@" + sb.head + ":" + sp})
	if err != nil {
		return err
	}
	modified := c.Started
	if c.Finished != nil {
		modified = *c.Finished
	}
	writeXML(q.w, copyObjectResult{ETag: etag(info.Hash), LastModified: s3Time(modified)})
	return nil
}

// file describes the file at key (path p) of a bucket: NoSuchKey if there
// is none.
func (q *request) file(b bucket, key, p string) (tusk.FileInfo, error) {
	if b.head == "" {
		return tusk.FileInfo{}, noSuchKey(key)
	}
	info, err := q.g.fs.InspectFile(q.ctx(), b.ref(p))
	if errors.Is(err, tusk.ErrNotFound) || err == nil && info.Type != "file" {
		return info, noSuchKey(key)
	}
	return info, err
}

// deleteObject answers DeleteObject: the file at key is deleted in a
// commit of its own; deleting a key that has no file changes nothing, and
// succeeds, as on S3.
func (q *request) deleteObject(b bucket, key string) error {
	p, err := filePath(key)
	if err != nil {
		return err
	}
	if _, err := q.file(b, key, p); err != nil {
		if errors.Is(err, errNoSuchKey) {
			q.w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return err
	}
	if _, err := q.commit(b, tusk.FileOp{Op: tusk.OpDelete, Path: p}); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type deleteRequest struct {
	Quiet   bool
	Objects []struct {
		Key string
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name         `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []deletedXML     `xml:"Deleted"`
	Errors  []deleteErrorXML `xml:"Error"`
}

type deletedXML struct{ Key string }

type deleteErrorXML struct {
	Key     string
	Code    string
	Message string
}

// deleteObjects answers DeleteObjects: every file the request names that
// exists is deleted, in one commit.
func (q *request) deleteObjects(b bucket) error {
	var req deleteRequest
	if err := q.readXML(&req, "Delete"); err != nil {
		return err
	}
	if len(req.Objects) > maxKeys {
		return errorf("MalformedXML", http.StatusBadRequest, "%d keys to delete; at most %d at a time", len(req.Objects), maxKeys)
	}
	var res deleteResult
	var ops []tusk.FileOp
	for _, o := range req.Objects {
		p, err := filePath(o.Key)
		if err != nil {
			ae := toAPIError(err)
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, Code: ae.Code, Message: ae.Message})
			continue
		}
		if _, err := q.file(b, o.Key, p); err == nil {
			ops = append(ops, tusk.FileOp{Op: tusk.OpDelete, Path: p})
		} else if !errors.Is(err, errNoSuchKey) {
			return err
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedXML{Key: o.Key})
		}
	}
	if len(ops) > 0 {
		if _, err := q.commit(b, ops...); err != nil {
			return err
		}
	}
	writeXML(q.w, res)
	return nil
}
