package fileset

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"
)

// decoder decompresses nodes; DecodeAll is safe for concurrent use.
var decoder = mustDecoder()

func mustDecoder() *zstd.Decoder {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(MaxNodeSize),
	)
	if err != nil {
		panic(fmt.Sprintf("fileset: zstd decoder: %v", err))
	}
	return dec
}

// Smallest encodings, used to bound counts before allocating: a key takes
// at least two bytes, a hash 32, a varint one.
const (
	minItemSize = 2 + hashLen + 1 + 1
	minRefSize  = hashLen + 1 + 1
)

// decodeNode decompresses and parses a stored node.
func decodeNode(data []byte) (*node, error) {
	raw, err := decoder.DecodeAll(data, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
	}
	return parseNode(raw)
}

// parseNode parses an uncompressed node. It accepts only what the encoder
// produces: keys in strictly increasing order and compressed against the
// longest common prefix, minimal varints, values that fit int64, no
// trailing bytes. Re-encoding a parsed node gives back the same bytes.
func parseNode(raw []byte) (*node, error) {
	r := &reader{b: raw}
	if v := r.u8(); r.err == nil && v != formatVersion {
		return nil, fmt.Errorf("%w: format version %d, want %d", ErrCorrupt, v, formatVersion)
	}
	level := r.uvarint()
	count := r.uvarint()
	switch {
	case r.err != nil:
		return nil, r.err
	case level > maxLevel:
		return nil, fmt.Errorf("%w: level %d", ErrCorrupt, level)
	case count == 0 || count > uint64(len(r.b)/minItemSize):
		return nil, fmt.Errorf("%w: %d items in %d bytes", ErrCorrupt, count, len(r.b))
	}
	n := &node{level: int(level)}
	if n.level == 0 {
		n.entries = make([]File, count)
		prev := ""
		for i := range n.entries {
			f := &n.entries[i]
			f.Path = r.key(prev)
			prev = f.Path
			f.Size = r.int64()
			f.Hash = r.hash()
			if nrefs := r.uvarint(); nrefs > 0 && r.err == nil {
				if nrefs > uint64(len(r.b)/minRefSize) {
					return nil, fmt.Errorf("%w: %d refs in %d bytes", ErrCorrupt, nrefs, len(r.b))
				}
				f.Refs = make([]DataRef, nrefs)
				for j := range f.Refs {
					f.Refs[j] = DataRef{Chunk: r.hash(), Offset: r.int64(), Length: r.int64()}
				}
			}
			if r.err == nil && !addStats(&n.count, &n.bytes, 1, f.Size) {
				r.fail("total size overflows")
			}
		}
	} else {
		n.refs = make([]ref, count)
		prev := ""
		for i := range n.refs {
			c := &n.refs[i]
			c.Last = r.key(prev)
			prev = c.Last
			c.ID = r.hash()
			c.Count = r.int64()
			c.Bytes = r.int64()
			if r.err == nil && c.Count == 0 {
				r.fail("empty subtree")
			}
			if r.err == nil && !addStats(&n.count, &n.bytes, c.Count, c.Bytes) {
				r.fail("totals overflow")
			}
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return n, nil
}

// reader parses an encoded node. The first error sticks: later reads
// return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

func (r *reader) take(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("truncated")
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u8() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

// uvarint reads a minimally encoded unsigned varint.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	switch {
	case n <= 0:
		r.fail("bad varint")
		return 0
	case n > 1 && r.b[n-1] == 0:
		r.fail("non-minimal varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) int64() int64 {
	v := r.uvarint()
	if v > math.MaxInt64 {
		r.fail("value %d overflows int64", v)
		return 0
	}
	return int64(v)
}

func (r *reader) hash() string {
	if p := r.take(hashLen); p != nil {
		return hex.EncodeToString(p)
	}
	return ""
}

// key reads a key prefix-compressed against prev and checks that it sorts
// after prev and uses the longest common prefix, as the encoder does.
func (r *reader) key(prev string) string {
	shared := r.uvarint()
	n := r.uvarint()
	if r.err == nil && shared > uint64(len(prev)) {
		r.fail("shared prefix %d longer than previous key", shared)
	}
	suffix := r.take(n)
	if r.err != nil {
		return ""
	}
	if len(suffix) > 0 && shared < uint64(len(prev)) && suffix[0] == prev[shared] {
		r.fail("shared prefix %d is not the longest", shared)
		return ""
	}
	key := prev[:shared] + string(suffix)
	if key <= prev {
		r.fail("key %q does not sort after %q", key, prev)
		return ""
	}
	return key
}
