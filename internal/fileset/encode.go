package fileset

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// hashLen is the length of a SHA-256 digest, the stored form of every hex
// hash (file hashes, chunk ids, node ids).
const hashLen = sha256.Size

// encoder compresses nodes. Its options are fixed so that compression is
// deterministic; EncodeAll is safe for concurrent use.
var encoder = mustEncoder()

func mustEncoder() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(false), // the node id already covers the bytes
	)
	if err != nil {
		panic(fmt.Sprintf("fileset: zstd encoder: %v", err))
	}
	return enc
}

// encodeLeaf returns the uncompressed encoding of a leaf holding entries.
func encodeLeaf(buf []byte, entries []File) ([]byte, error) {
	buf = append(buf[:0], formatVersion)
	buf = binary.AppendUvarint(buf, 0)
	buf = binary.AppendUvarint(buf, uint64(len(entries)))
	prev := ""
	for i := range entries {
		f := &entries[i]
		ok := f.Path != "" && f.Size >= 0
		buf = appendKey(buf, prev, f.Path)
		prev = f.Path
		buf = binary.AppendUvarint(buf, uint64(f.Size))
		buf, ok = appendHash(buf, f.Hash, ok)
		buf = binary.AppendUvarint(buf, uint64(len(f.Refs)))
		for _, r := range f.Refs {
			ok = ok && r.Offset >= 0 && r.Length >= 0
			buf, ok = appendHash(buf, r.Chunk, ok)
			buf = binary.AppendUvarint(buf, uint64(r.Offset))
			buf = binary.AppendUvarint(buf, uint64(r.Length))
		}
		if !ok {
			return nil, checkFile(f)
		}
	}
	return buf, checkSize(buf)
}

// encodeInternal returns the uncompressed encoding of an internal node at
// level holding refs. Refs come from nodes this package built or decoded,
// so their fields are valid.
func encodeInternal(buf []byte, level int, refs []ref) ([]byte, error) {
	buf = append(buf[:0], formatVersion)
	buf = binary.AppendUvarint(buf, uint64(level))
	buf = binary.AppendUvarint(buf, uint64(len(refs)))
	prev := ""
	for _, r := range refs {
		buf = appendKey(buf, prev, r.Last)
		prev = r.Last
		buf, _ = appendHash(buf, r.ID, true)
		buf = binary.AppendUvarint(buf, uint64(r.Count))
		buf = binary.AppendUvarint(buf, uint64(r.Bytes))
	}
	return buf, checkSize(buf)
}

// seal compresses an encoded node and returns the stored bytes and their id.
func seal(raw []byte) (data []byte, id string) {
	data = encoder.EncodeAll(raw, nil)
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

func checkSize(raw []byte) error {
	if len(raw) > MaxNodeSize {
		return fmt.Errorf("%w: node of %d bytes exceeds MaxNodeSize", ErrInvalid, len(raw))
	}
	return nil
}

// appendKey appends key prefix-compressed against prev: the length of the
// longest common prefix, then the length and bytes of the rest.
func appendKey(buf []byte, prev, key string) []byte {
	shared := 0
	for shared < len(prev) && shared < len(key) && prev[shared] == key[shared] {
		shared++
	}
	buf = binary.AppendUvarint(buf, uint64(shared))
	buf = binary.AppendUvarint(buf, uint64(len(key)-shared))
	return append(buf, key[shared:]...)
}

// appendHash appends the 32 bytes of the lowercase hex 256-bit hash h and
// reports ok && h is valid, the only form that survives the encoding
// unchanged.
func appendHash(buf []byte, h string, ok bool) ([]byte, bool) {
	if len(h) != 2*hashLen {
		return buf, false
	}
	n := len(buf)
	buf = append(buf, make([]byte, hashLen)...)
	dst := buf[n:]
	var bad int8 // negative if a digit is invalid
	for i := range dst {
		hi, lo := hexValue[h[2*i]], hexValue[h[2*i+1]]
		bad |= hi | lo
		dst[i] = byte(hi<<4 | lo)
	}
	return buf, ok && bad >= 0
}

// validHash reports whether h is 64 lowercase hex digits (a BLAKE3-256).
func validHash(h string) bool {
	if len(h) != 2*hashLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		if hexValue[h[i]] < 0 {
			return false
		}
	}
	return true
}

// hexValue maps the lowercase hex digits to their values and other bytes
// to -1.
var hexValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "0123456789abcdef" {
		t[c] = int8(i)
	}
	return t
}()

// checkFile validates the fields of f that the encoding constrains.
func checkFile(f *File) error {
	switch {
	case f.Path == "":
		return fmt.Errorf("%w: empty path", ErrInvalid)
	case f.Size < 0:
		return fmt.Errorf("%w: %s: negative size", ErrInvalid, f.Path)
	case !validHash(f.Hash):
		return fmt.Errorf("%w: %s: hash %q is not 64 lowercase hex digits", ErrInvalid, f.Path, f.Hash)
	}
	for i, r := range f.Refs {
		if !validHash(r.Chunk) {
			return fmt.Errorf("%w: %s: ref %d: chunk %q is not 64 lowercase hex digits", ErrInvalid, f.Path, i, r.Chunk)
		}
		if r.Offset < 0 || r.Length < 0 {
			return fmt.Errorf("%w: %s: ref %d: negative offset or length", ErrInvalid, f.Path, i)
		}
	}
	return nil
}
