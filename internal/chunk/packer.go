package chunk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	chunkers "github.com/PlakarKorp/go-cdc-chunkers"
)

// Ref locates part of a file's content inside a chunk.
type Ref struct {
	Chunk  string `json:"chunk"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// Chunk is a cut chunk, ready to be encoded and stored.
type Chunk struct {
	ID   string
	Data []byte
}

// File describes a file added to a Packer once every chunk holding it has
// been cut.
type File struct {
	Size int64
	Hash string // hex SHA-256 of the content
	Refs []Ref
}

type span struct {
	id         string
	start, end int64
}

type pending struct {
	start, end int64
	hash       string
	done       func(File)
}

// A Packer cuts the concatenation of the files added to it into chunks.
// Emit is called for each chunk from a goroutine of the Packer; done
// callbacks of Add may be called from that goroutine or from Add itself,
// always in the order the files were added.
type Packer struct {
	pw   *io.PipeWriter
	errc chan error

	mu      sync.Mutex
	written int64 // bytes handed to the chunker
	emitted int64 // bytes covered by emitted chunks
	window  []span
	queue   []pending
}

// NewPacker starts a Packer that calls emit for every chunk.
func NewPacker(p Params, emit func(Chunk) error) (*Packer, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	c, err := chunkers.NewChunker(p.Algorithm, pr, p.opts())
	if err != nil {
		return nil, fmt.Errorf("start chunker: %w", err)
	}
	pk := &Packer{pw: pw, errc: make(chan error, 1)}
	go func() {
		err := pk.run(c, emit)
		pr.CloseWithError(err)
		pk.errc <- err
	}()
	return pk, nil
}

func (pk *Packer) run(c *chunkers.Chunker, emit func(Chunk) error) error {
	for {
		data, err := c.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if len(data) > 0 {
			ch := Chunk{ID: ID(data), Data: append([]byte(nil), data...)}
			if eerr := emit(ch); eerr != nil {
				return eerr
			}
			pk.mu.Lock()
			pk.window = append(pk.window, span{ch.ID, pk.emitted, pk.emitted + int64(len(data))})
			pk.emitted += int64(len(data))
			pk.resolveLocked()
			pk.mu.Unlock()
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// Add streams r into the pack. done is called with the file's refs once all
// of its chunks have been emitted, which may be after Add returns (at the
// latest during Close).
func (pk *Packer) Add(r io.Reader, done func(File)) error {
	h := sha256.New()
	pk.mu.Lock()
	start := pk.written
	pk.mu.Unlock()
	n, err := io.Copy(pk.pw, io.TeeReader(r, h))
	pk.mu.Lock()
	defer pk.mu.Unlock()
	pk.written += n
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	pk.queue = append(pk.queue, pending{start, start + n, hex.EncodeToString(h.Sum(nil)), done})
	pk.resolveLocked()
	return nil
}

// Close cuts the last chunk, waits for every done callback and returns the
// first error of the Packer.
func (pk *Packer) Close() error {
	pk.pw.Close()
	err := <-pk.errc
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	pk.mu.Lock()
	defer pk.mu.Unlock()
	pk.resolveLocked()
	if len(pk.queue) != 0 {
		return fmt.Errorf("pack: %d files left unresolved", len(pk.queue))
	}
	return nil
}

func (pk *Packer) resolveLocked() {
	for len(pk.queue) > 0 && pk.queue[0].end <= pk.emitted {
		f := pk.queue[0]
		pk.queue = pk.queue[1:]
		out := File{Size: f.end - f.start, Hash: f.hash}
		for _, s := range pk.window {
			lo, hi := max(s.start, f.start), min(s.end, f.end)
			if lo < hi {
				out.Refs = append(out.Refs, Ref{Chunk: s.id, Offset: lo - s.start, Length: hi - lo})
			}
		}
		f.done(out)
	}
	keep := pk.written
	if len(pk.queue) > 0 {
		keep = pk.queue[0].start
	}
	i := 0
	for i < len(pk.window) && pk.window[i].end <= keep {
		i++
	}
	pk.window = pk.window[i:]
}
