package chunk

import (
	"sync"
	"sync/atomic"
)

// A block is a buffer that a Packer reads data into and cuts chunks from.
// Emitted chunks and the file hash read from it after the Packer has
// moved on, so it is counted: the Packer holds it while reading into it,
// and so does every chunk cut from it until released, and every part the
// file hash has yet to read. When the count drops to zero a block of the
// largest size goes back to its Packer's free list. Reusing it spares an
// allocation that the runtime would zero, fault in and collect again: for
// a large upload that cost about a fifth of the CPU of cutting and
// hashing it. (A sync.Pool would not do: it is emptied at every garbage
// collection, and an upload collects often.)
type block struct {
	data []byte
	refs atomic.Int32
	free chan *block // where it goes back to
}

// freeBlocks is how many unused blocks a Packer keeps: about what an
// upload has in flight.
const freeBlocks = 6

// firstBlocks keeps the blocks every Packer starts with (firstBuffer
// bytes) for the next Packer of the process. A worker makes an upload for
// the output of each datum or two, a few bytes each: allocating, zeroing
// and collecting a fresh first block for every one of them cost a worker
// about a third of its CPU. Here a sync.Pool does: these blocks are
// small, and a process that uploads many small outputs seldom collects.
var firstBlocks = sync.Pool{New: func() any { return &block{data: make([]byte, firstBuffer)} }}

// newBlock returns a block of size bytes, held once, from free when it
// has one of that size (or from firstBlocks for a first block).
func newBlock(size int, free chan *block) *block {
	var b *block
	switch size {
	case maxBuffer:
		select {
		case b = <-free:
		default:
		}
	case firstBuffer:
		b = firstBlocks.Get().(*block)
	}
	if b == nil {
		b = &block{data: make([]byte, size)}
	}
	b.free = free
	b.refs.Store(1)
	return b
}

func (b *block) hold() { b.refs.Add(1) }

// release drops one hold; the last one returns a block of the largest
// size to its free list, if that has room, and a first block to
// firstBlocks.
func (b *block) release() {
	if b.refs.Add(-1) != 0 {
		return
	}
	switch len(b.data) {
	case maxBuffer:
		select {
		case b.free <- b:
		default:
		}
	case firstBuffer:
		b.free = nil
		firstBlocks.Put(b)
	}
}
