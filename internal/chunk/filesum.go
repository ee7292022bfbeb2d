package chunk

import (
	"encoding/binary"
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
	h     hash.Hash
	n     int64
	parts chan part     // to the hashing goroutine, once the file is large
	done  chan struct{} // closed when that goroutine has hashed every block
}

func newFileSum() *fileSum { return &fileSum{h: blake3.New()} }

// reset starts a new file.
func (s *fileSum) reset() {
	s.wait()
	s.h.Reset()
	s.n = 0
}

// part is data of blk on its way to the hashing goroutine.
type part struct {
	data []byte
	blk  *block
}

// write adds b, which is in blk, to the hash. b must not change until it
// is hashed: write holds blk until then.
func (s *fileSum) write(b []byte, blk *block) {
	s.n += int64(len(b))
	if s.parts == nil && s.n <= inlineSum {
		s.h.Write(b)
		return
	}
	if s.parts == nil {
		parts, done, h := make(chan part, 8), make(chan struct{}), s.h
		go func() {
			defer close(done)
			for p := range parts {
				h.Write(p.data)
				p.blk.release()
			}
		}()
		s.parts, s.done = parts, done
	}
	blk.hold()
	s.parts <- part{b, blk}
}

// wait returns once every byte written is hashed.
func (s *fileSum) wait() {
	if s.parts != nil {
		close(s.parts)
		<-s.done
		s.parts, s.done = nil, nil
	}
}

// sum returns the hex BLAKE3-256 of the file.
func (s *fileSum) sum() string {
	s.wait()
	return hex.EncodeToString(s.h.Sum(nil))
}

// chunksHash is the hash of a file cut on its own into the chunks of
// refs, each whole: the BLAKE3-256 of a domain string, then of each chunk
// its 32-byte ID and its length as 8 bytes, little-endian. The cut points
// depend only on the content and the store's chunking parameters, so
// equal content has equal hashes within a store, and the chunk IDs stand
// for the content itself.
func chunksHash(refs []Ref) string {
	h := blake3.New()
	h.WriteString("tusk file hash from chunks v1\n")
	var b [40]byte
	for _, r := range refs {
		hex.Decode(b[:32], []byte(r.Chunk))
		binary.LittleEndian.PutUint64(b[32:], uint64(r.Length))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
