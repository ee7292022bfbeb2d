package chunk

import (
	"encoding/hex"
	"hash"

	"github.com/zeebo/blake3"
)

// inlineSum is how much of a file its Add hashes itself. Past it, the file
// is large enough for a goroutine of its own to hash it, so that hashing
// overlaps with cutting instead of doubling the serial work.
const inlineSum = readSize

// fileSum computes the BLAKE3-256 of the content of one file at a time.
type fileSum struct {
	h      hash.Hash
	n      int64
	blocks chan []byte   // to the hashing goroutine, once the file is large
	done   chan struct{} // closed when that goroutine has hashed every block
}

func newFileSum() *fileSum { return &fileSum{h: blake3.New()} }

// reset starts a new file.
func (s *fileSum) reset() {
	s.wait()
	s.h.Reset()
	s.n = 0
}

// write adds b to the hash. b must not change afterwards: it may be read
// after write returns.
func (s *fileSum) write(b []byte) {
	s.n += int64(len(b))
	if s.blocks == nil && s.n <= inlineSum {
		s.h.Write(b)
		return
	}
	if s.blocks == nil {
		blocks, done, h := make(chan []byte, 8), make(chan struct{}), s.h
		go func() {
			defer close(done)
			for b := range blocks {
				h.Write(b)
			}
		}()
		s.blocks, s.done = blocks, done
	}
	s.blocks <- b
}

// wait returns once every byte written is hashed.
func (s *fileSum) wait() {
	if s.blocks != nil {
		close(s.blocks)
		<-s.done
		s.blocks, s.done = nil, nil
	}
}

// sum returns the hex BLAKE3-256 of the file.
func (s *fileSum) sum() string {
	s.wait()
	return hex.EncodeToString(s.h.Sum(nil))
}
