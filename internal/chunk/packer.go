package chunk

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
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
	blk  *block // that Data is in
}

// Release tells the Packer that Data is no longer needed, so that its
// buffer can be reused. Call it at most once per emitted chunk, and not
// at all to keep Data for good.
func (c Chunk) Release() {
	if c.blk != nil {
		c.blk.release()
	}
}

// File describes a file added to a Packer once every chunk holding it has
// been cut.
type File struct {
	Size int64
	Hash string // hex BLAKE3-256: of the content, or of the chunks of a large file (chunksHash)
	Refs []Ref
}

// Buffer sizes of a Packer. Reads go straight into the buffer, at most
// readSize at a time so that the file hash reads them from cache; the
// buffer starts at firstBuffer (room for one read) and grows to
// maxBuffer, so a small upload stays small.
// A full buffer is replaced by another (a reused one, see block.go),
// because emitted chunks point into it: only the bytes not yet in a
// chunk move.
const (
	readSize    = 1 << 20
	minRead     = 64 << 10
	firstBuffer = readSize
	maxBuffer   = 16 << 20
)

// maxHashers bounds the goroutines hashing chunks, each holding one: a
// few cores of BLAKE3 outrun the single pass that finds cut points.
const maxHashers = 4

type span struct {
	id         string
	start, end int64
}

type pending struct {
	start, end int64
	hash       string // of the content; empty for a large file, hashed by its chunks
	done       func(File)
}

// job is a cut chunk on its way to a hashing goroutine.
type job struct {
	seq   int64
	start int64
	data  []byte
	blk   *block
}

// A Packer cuts the concatenation of the files added to it into chunks.
// Add and Close must not be called concurrently. Chunks are hashed by
// goroutines of the Packer, which call emit for each chunk, concurrently
// and in any order; Data stays as it is until the chunk is released (see
// Chunk.Release), which emit or whoever it hands the chunk to does. Done
// callbacks of Add are called from those goroutines or from Add itself,
// one at a time and in the order the files were added, once the chunks
// holding the file have been emitted.
type Packer struct {
	cdc    cutter
	emit   func(Chunk) error
	hashes chan job
	wg     sync.WaitGroup
	sum    *fileSum // of the file being added
	closed bool

	blk    *block      // that buf is in
	free   chan *block // blocks to reuse
	buf    []byte      // buf[cut:] is not in a chunk yet
	cut    int
	offset int64 // stream offset of buf[cut]
	seq    int64 // sequence number of the next chunk

	mu      sync.Mutex
	err     error          // first error of emit
	open    int64          // start of the file being added, or the end of the stream
	ready   map[int64]span // hashed chunks waiting for earlier ones
	next    int64          // sequence number of the first chunk not in window
	emitted int64          // bytes covered by emitted chunks, in order
	window  []span         // emitted chunks that unresolved files may need
	queue   []pending
}

// NewPacker starts a Packer that calls emit for every chunk.
func NewPacker(p Params, emit func(Chunk) error) (*Packer, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	workers := min(runtime.GOMAXPROCS(0), maxHashers)
	pk := &Packer{
		cdc:    newCutter(p),
		emit:   emit,
		hashes: make(chan job, workers),
		sum:    newFileSum(),
		free:   make(chan *block, freeBlocks),
		ready:  map[int64]span{},
	}
	pk.wg.Add(workers)
	for range workers {
		go pk.hasher()
	}
	return pk, nil
}

// hasher addresses cut chunks and emits them.
func (pk *Packer) hasher() {
	defer pk.wg.Done()
	for j := range pk.hashes {
		pk.mu.Lock()
		failed := pk.err != nil
		pk.mu.Unlock()
		if failed {
			j.blk.release()
			continue
		}
		c := Chunk{ID: ID(j.data), Data: j.data, blk: j.blk}
		err := pk.emit(c)
		pk.mu.Lock()
		if err != nil {
			if pk.err == nil {
				pk.err = err
			}
		} else if pk.err == nil {
			pk.ready[j.seq] = span{c.ID, j.start, j.start + int64(len(j.data))}
			pk.advanceLocked()
		}
		pk.mu.Unlock()
	}
}

// advanceLocked moves the chunks that are now emitted in order into the
// window and resolves the files they complete.
func (pk *Packer) advanceLocked() {
	for {
		s, ok := pk.ready[pk.next]
		if !ok {
			break
		}
		delete(pk.ready, pk.next)
		pk.next++
		pk.window = append(pk.window, s)
		pk.emitted = s.end
	}
	pk.resolveLocked()
}

// Add streams r into the pack. done is called with the file's refs once all
// of its chunks have been emitted, which may be after Add returns (at the
// latest during Close).
//
// A file smaller than the largest chunk shares chunks with the files
// around it and its hash is that of its content. A larger one is cut on
// its own, from its first byte to its last, so that its chunks are the
// same wherever it is put, and its hash is that of its list of chunks
// (see chunksHash): past its first few MiB, which the file hash reads
// until the file is known to be large, the content is then hashed once
// instead of twice.
func (pk *Packer) Add(r io.Reader, done func(File)) error {
	if pk.closed {
		return errors.New("pack: packer is closed")
	}
	start := pk.offset + int64(len(pk.buf)-pk.cut)
	pk.mu.Lock()
	pk.open = start
	err := pk.err
	pk.mu.Unlock()
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	pk.sum.reset()
	defer pk.sum.wait()
	// Until the file is known to be large, nothing past its start is cut,
	// so that a large one can still start a chunk of its own.
	large := false
	empty := 0
	for {
		if cap(pk.buf)-len(pk.buf) < minRead {
			pk.grow()
		}
		free := pk.buf[len(pk.buf):min(cap(pk.buf), len(pk.buf)+readSize)]
		n, err := r.Read(free)
		if n > 0 {
			empty = 0
			pk.buf = pk.buf[:len(pk.buf)+n]
			if !large {
				pk.sum.write(free[:n], pk.blk)
				if pk.bufOffset(len(pk.buf))-start >= int64(pk.cdc.max) {
					large = true
					if cerr := pk.cutBefore(pk.bufIndex(start)); cerr != nil {
						return cerr
					}
				}
			}
			if large {
				if cerr := pk.cutFull(); cerr != nil {
					return cerr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("pack: %w", err)
		}
		if n == 0 {
			if empty++; empty == 100 {
				return fmt.Errorf("pack: %w", io.ErrNoProgress)
			}
		}
	}
	f := pending{start: start, end: pk.bufOffset(len(pk.buf)), done: done}
	if large {
		if err := pk.cutBefore(len(pk.buf)); err != nil {
			return err
		}
	} else {
		f.hash = pk.sum.sum()
		if err := pk.cutFull(); err != nil {
			return err
		}
	}
	pk.mu.Lock()
	defer pk.mu.Unlock()
	pk.open = f.end
	pk.queue = append(pk.queue, f)
	pk.resolveLocked()
	return nil
}

// bufOffset returns the stream offset of buf[i].
func (pk *Packer) bufOffset(i int) int64 { return pk.offset + int64(i-pk.cut) }

// bufIndex returns the index in buf of a stream offset not yet cut.
func (pk *Packer) bufIndex(off int64) int { return pk.cut + int(off-pk.offset) }

// cutBefore cuts every buffered byte before buf[end], the last chunk
// ending there whatever follows, as at the end of the stream.
func (pk *Packer) cutBefore(end int) error {
	for pk.cut < end {
		if err := pk.send(pk.cdc.cut(pk.buf[pk.cut:end])); err != nil {
			return err
		}
	}
	return nil
}

// grow replaces the buffer by one with room to read, keeping the bytes not
// yet cut. Chunks already emitted keep the old one until released.
func (pk *Packer) grow() {
	rest := pk.buf[pk.cut:]
	size := max(min(2*cap(pk.buf), maxBuffer), len(rest)+readSize)
	blk := newBlock(size, pk.free)
	buf := blk.data[:len(rest)]
	copy(buf, rest)
	pk.dropBlock()
	pk.blk, pk.buf, pk.cut = blk, buf, 0
}

// dropBlock lets go of the current buffer.
func (pk *Packer) dropBlock() {
	if pk.blk != nil {
		pk.blk.release()
		pk.blk, pk.buf = nil, nil
	}
}

// cutFull cuts chunks while a whole MaxSize window is buffered: the cut
// point of such a window does not depend on what follows.
func (pk *Packer) cutFull() error {
	for len(pk.buf)-pk.cut >= pk.cdc.max {
		if err := pk.send(pk.cdc.cut(pk.buf[pk.cut:])); err != nil {
			return err
		}
	}
	return nil
}

// send hands the next n buffered bytes as a chunk to the hashers.
func (pk *Packer) send(n int) error {
	pk.mu.Lock()
	err := pk.err
	pk.mu.Unlock()
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	data := pk.buf[pk.cut : pk.cut+n : pk.cut+n]
	pk.blk.hold()
	pk.hashes <- job{seq: pk.seq, start: pk.offset, data: data, blk: pk.blk}
	pk.seq++
	pk.cut += n
	pk.offset += int64(n)
	return nil
}

// Close cuts the last chunks, waits for every done callback and returns the
// first error of the Packer.
func (pk *Packer) Close() error {
	if pk.closed {
		return errors.New("pack: packer is closed")
	}
	pk.closed = true
	_ = pk.cutBefore(len(pk.buf)) // an error of emit, returned below
	close(pk.hashes)
	pk.wg.Wait()
	pk.dropBlock()
	pk.mu.Lock()
	defer pk.mu.Unlock()
	if pk.err != nil {
		return fmt.Errorf("pack: %w", pk.err)
	}
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
			if s.start >= f.end {
				break
			}
			if lo, hi := max(s.start, f.start), min(s.end, f.end); lo < hi {
				out.Refs = append(out.Refs, Ref{Chunk: s.id, Offset: lo - s.start, Length: hi - lo})
			}
		}
		if out.Hash == "" {
			out.Hash = chunksHash(out.Refs)
		}
		f.done(out)
	}
	keep := pk.open
	if len(pk.queue) > 0 {
		keep = pk.queue[0].start
	}
	i := 0
	for i < len(pk.window) && pk.window[i].end <= keep {
		i++
	}
	pk.window = pk.window[i:]
}
