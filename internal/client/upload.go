package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Limits of an Upload's pipeline: chunks are checked against the server
// in batches of up to missingBatch IDs by uploadWorkers goroutines, which
// also encode and send the missing ones. Cut chunks queued, being checked
// or being sent hold at most bytesInFlight bytes of data (sixteen of the
// largest chunks of the default parameters); the Packer waits while they
// do. The server writes a chunk before it answers, and a write waits on
// the disk, so many in flight keep the disk busy: 16 senders put 1 GiB
// about a fifth faster than 4 did.
const (
	uploadWorkers = 16
	bytesInFlight = 64 << 20
	missingBatch  = 64
)

// An Upload collects file operations and sends them as one atomic
// modification: file content is cut into chunks here, only the chunks the
// server does not have yet are sent, and Commit then applies every
// operation together.
type Upload struct {
	c      *Client
	ctx    context.Context
	packer *chunk.Packer
	g      *errgroup.Group
	gctx   context.Context
	work   chan chunk.Chunk
	budget *semaphore.Weighted // of the data of the chunks in work or in a sender
	closed bool

	seenMu sync.Mutex
	seen   map[string]bool // chunks already handed to the workers

	mu  sync.Mutex
	ops []tusk.FileOp

	// Bytes counts content bytes read so far; Sent counts encoded bytes
	// uploaded (deduplicated chunks are not sent).
	Bytes, Sent atomic.Int64
}

// An UploadOption changes how an upload sends its chunks.
type UploadOption func(*uploadSettings)

type uploadSettings struct{ senders int }

// Senders sets how many requests an upload keeps in flight at once (at
// least one).
func Senders(n int) UploadOption {
	return func(s *uploadSettings) { s.senders = max(n, 1) }
}

// NewUpload starts an upload. It cuts data with the server's chunking
// parameters so that chunks deduplicate against what it holds.
func (c *Client) NewUpload(ctx context.Context, opts ...UploadOption) (*Upload, error) {
	settings := uploadSettings{senders: uploadWorkers}
	for _, o := range opts {
		o(&settings)
	}
	params, err := c.chunkParams(ctx)
	if err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	u := &Upload{c: c, ctx: ctx, g: g, gctx: gctx, work: make(chan chunk.Chunk, missingBatch),
		budget: semaphore.NewWeighted(bytesInFlight), seen: map[string]bool{}}
	for range settings.senders {
		g.Go(u.sender)
	}
	u.packer, err = chunk.NewPacker(params, u.queue)
	if err != nil {
		close(u.work)
		g.Wait()
		return nil, err
	}
	return u, nil
}

// queue hands a chunk to the senders, once per upload: a chunk that
// repeats is checked and sent by whichever sender got it first.
func (u *Upload) queue(ch chunk.Chunk) error {
	u.seenMu.Lock()
	dup := u.seen[ch.ID]
	u.seen[ch.ID] = true
	u.seenMu.Unlock()
	if dup {
		ch.Release()
		return nil
	}
	if err := u.budget.Acquire(u.gctx, weight(ch)); err != nil {
		return err
	}
	select {
	case u.work <- ch:
		return nil
	case <-u.gctx.Done():
		return u.gctx.Err()
	}
}

// weight is what a chunk takes of the budget: its size, but never more
// than all of it.
func weight(ch chunk.Chunk) int64 {
	return min(int64(len(ch.Data)), bytesInFlight)
}

// sender asks the server which of the queued chunks it lacks, a batch at
// a time, and uploads those.
func (u *Upload) sender() error {
	batch := make([]chunk.Chunk, 0, missingBatch)
	ids := make([]string, 0, missingBatch)
	for ch := range u.work {
		batch, ids = append(batch[:0], ch), append(ids[:0], ch.ID)
	more:
		for len(batch) < missingBatch {
			select {
			case ch, ok := <-u.work:
				if !ok {
					break more
				}
				batch, ids = append(batch, ch), append(ids, ch.ID)
			default:
				break more
			}
		}
		var resp struct {
			Missing []string `json:"missing"`
		}
		if err := u.c.call(u.gctx, http.MethodPost, "/v1/chunks/missing", nil, map[string][]string{"ids": ids}, &resp); err != nil {
			return fmt.Errorf("check %d chunks: %w", len(ids), err)
		}
		missing := make(map[string]bool, len(resp.Missing))
		for _, id := range resp.Missing {
			missing[id] = true
		}
		for i, ch := range batch {
			if missing[ch.ID] {
				if err := u.put(ch); err != nil {
					return err
				}
			}
			u.budget.Release(weight(ch))
			ch.Release()
			batch[i] = chunk.Chunk{}
		}
	}
	return nil
}

// put encodes and uploads one chunk.
func (u *Upload) put(ch chunk.Chunk) error {
	format, payload := chunk.EncodeParts(ch.Data)
	body := sizedReader{io.MultiReader(bytes.NewReader([]byte{format}), bytes.NewReader(payload)), 1 + len(payload)}
	r, err := u.c.do(u.gctx, http.MethodPut, "/v1/chunks/"+url.PathEscape(ch.ID), nil, body, "application/octet-stream")
	if err != nil {
		return fmt.Errorf("upload chunk %s: %w", ch.ID, err)
	}
	r.Body.Close()
	u.Sent.Add(int64(body.n))
	return nil
}

// sizedReader is a request body of known length that is not one buffer.
// Client.do sends its length, so that the server reads it into one buffer.
type sizedReader struct {
	io.Reader
	n int
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// PutFile adds a file's content at path (overwriting, or appending).
func (u *Upload) PutFile(path string, r io.Reader, appendTo bool) error {
	u.mu.Lock()
	i := len(u.ops)
	u.ops = append(u.ops, tusk.FileOp{Op: tusk.OpPut, Path: path, Append: appendTo})
	u.mu.Unlock()
	err := u.packer.Add(countingReader{r, &u.Bytes}, func(f chunk.File) {
		u.mu.Lock()
		defer u.mu.Unlock()
		op := &u.ops[i]
		op.Size, op.Hash = f.Size, f.Hash
		op.Refs = make([]tusk.DataRef, len(f.Refs))
		for j, ref := range f.Refs {
			op.Refs[j] = tusk.DataRef{Chunk: ref.Chunk, Offset: ref.Offset, Length: ref.Length}
		}
	})
	if err != nil {
		if gerr := u.gctx.Err(); gerr != nil {
			return fmt.Errorf("put file %s: %w", path, u.fail())
		}
		return fmt.Errorf("put file %s: %w", path, err)
	}
	return nil
}

// fail ends the upload and returns its first error.
func (u *Upload) fail() error {
	u.packer.Close()
	u.stop()
	return u.g.Wait()
}

func (u *Upload) stop() {
	if !u.closed {
		u.closed = true
		close(u.work)
	}
}

// DeleteFile removes a file or directory ("/" removes everything).
func (u *Upload) DeleteFile(path string) {
	u.mu.Lock()
	u.ops = append(u.ops, tusk.FileOp{Op: tusk.OpDelete, Path: path})
	u.mu.Unlock()
}

// CopyFile copies src ("repo@ref:/path", a file or directory) to path on
// the server, without moving data.
func (u *Upload) CopyFile(src, path string, appendTo bool) {
	u.mu.Lock()
	u.ops = append(u.ops, tusk.FileOp{Op: tusk.OpCopy, Path: path, Src: src, Append: appendTo})
	u.mu.Unlock()
}

// Commit waits for every chunk to be stored and applies the operations to
// ref ("repo@branch" or an open commit's "repo@id").
func (u *Upload) Commit(ref string) (tusk.Commit, error) {
	if u.closed {
		return tusk.Commit{}, errors.New("upload already finished")
	}
	perr := u.packer.Close()
	u.stop()
	if err := u.g.Wait(); err != nil {
		return tusk.Commit{}, err
	}
	if perr != nil {
		return tusk.Commit{}, perr
	}
	pr, pw := io.Pipe()
	go func() {
		// Buffered: a pipe write per operation would wake the sending
		// goroutine for every file.
		bw := bufio.NewWriterSize(pw, 64<<10)
		enc := json.NewEncoder(bw)
		for _, op := range u.ops {
			if err := enc.Encode(op); err != nil {
				pw.CloseWithError(fmt.Errorf("encode operation on %s: %w", op.Path, err))
				return
			}
		}
		pw.CloseWithError(bw.Flush())
	}()
	resp, err := u.c.do(u.ctx, http.MethodPost, "/v1/files/modify", url.Values{"ref": {ref}}, pr, "application/x-ndjson")
	pr.Close()
	if err != nil {
		return tusk.Commit{}, err
	}
	defer closeBody(resp.Body)
	var c tusk.Commit
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return tusk.Commit{}, fmt.Errorf("decode commit: %w", err)
	}
	return c, nil
}

// Abort ends the upload without applying anything. Chunks already sent
// are garbage for the collector once their lease ends.
func (u *Upload) Abort() {
	if !u.closed {
		u.fail()
	}
}

// Stage waits for every chunk to be stored and returns the operations
// without applying them; a worker hands them to the server with its datum
// result, which attaches them to the output commit only if the attempt
// counts.
func (u *Upload) Stage() ([]tusk.FileOp, error) {
	if u.closed {
		return nil, errors.New("upload already finished")
	}
	perr := u.packer.Close()
	u.stop()
	if err := u.g.Wait(); err != nil {
		return nil, err
	}
	return u.ops, perr
}

// chunkParams asks the server for its chunking parameters once: they are
// fixed when a store is created, so a worker uploading the output of
// thousands of datums asks only the first time.
func (c *Client) chunkParams(ctx context.Context) (chunk.Params, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.params != nil {
		return *c.params, nil
	}
	info, err := c.Info(ctx)
	if err != nil {
		return chunk.Params{}, err
	}
	var params chunk.Params
	if err := json.Unmarshal(info.ChunkParams, &params); err != nil {
		return chunk.Params{}, fmt.Errorf("server chunking parameters: %w", err)
	}
	c.params = &params
	return params, nil
}
