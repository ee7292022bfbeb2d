package chunk

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/blake3"
)

// The first byte of an encoded chunk says how the rest is stored.
const (
	formatRaw  byte = 1
	formatZstd byte = 2
)

// ErrCorrupt is returned when a chunk does not decode or does not match its
// address.
var ErrCorrupt = errors.New("corrupt chunk")

var (
	encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(64<<20))
)

// ID returns the address of a chunk: the hex BLAKE3-256 of its plaintext.
func ID(plain []byte) string {
	sum := blake3.Sum256(plain)
	return hex.EncodeToString(sum[:])
}

// Key returns the object-store key of a chunk.
func Key(id string) string {
	return "chunks/" + id[:2] + "/" + id
}

// Encode returns the stored form of a chunk. Data that does not compress
// (checked on a sample first, so random data costs little) is stored raw.
func Encode(plain []byte) []byte {
	format, payload := EncodeParts(plain)
	return append([]byte{format}, payload...)
}

// EncodeParts returns the stored form of a chunk as its format byte and
// payload, without copying plaintext that is stored raw: the payload is
// then plain itself.
func EncodeParts(plain []byte) (format byte, payload []byte) {
	sample := plain
	if len(sample) > 64<<10 {
		sample = sample[:64<<10]
	}
	if len(sample) > 0 && len(encoder.EncodeAll(sample, nil)) < len(sample)*19/20 {
		out := encoder.EncodeAll(plain, make([]byte, 0, len(plain)/2+16))
		if len(out) < len(plain) {
			return formatZstd, out
		}
	}
	return formatRaw, plain
}

// Decode returns the plaintext of a stored chunk and checks it against its
// address id; a mismatch is ErrCorrupt.
func Decode(id string, stored []byte) ([]byte, error) {
	if len(stored) == 0 {
		return nil, fmt.Errorf("chunk %s: empty object: %w", id, ErrCorrupt)
	}
	var plain []byte
	switch stored[0] {
	case formatRaw:
		plain = stored[1:]
	case formatZstd:
		var err error
		plain, err = decoder.DecodeAll(stored[1:], nil)
		if err != nil {
			return nil, fmt.Errorf("chunk %s: %v: %w", id, err, ErrCorrupt)
		}
	default:
		return nil, fmt.Errorf("chunk %s: unknown format byte %d: %w", id, stored[0], ErrCorrupt)
	}
	if ID(plain) != id {
		return nil, fmt.Errorf("chunk %s: content does not match its address: %w", id, ErrCorrupt)
	}
	return plain, nil
}
