package datum

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
)

// ID identifies a datum by what it reads, not by the content it reads: the
// SHA-256, in hex, of the name, repo, branch and matched path of each of
// its inputs in order, each written after its length so that no two
// datums share an encoding. The repo is written as "project/repo" when a
// project is set. The commit is left out, so a datum keeps its ID from one
// job to the next; that is how unchanged datums are recognised.
func ID(d Datum) string {
	h := sha256.New()
	for _, in := range d.Inputs {
		repo := in.Repo
		if in.Project != "" {
			repo = in.Project + "/" + repo
		}
		writeString(h, in.Name)
		writeString(h, repo)
		writeString(h, in.Branch)
		writeString(h, in.Path)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Hash tells whether a datum must be processed again: the SHA-256, in hex,
// of its ID, the path and content hash of every file of each input (but
// those of reference inputs, whose content does not count), and the
// pipeline's salt. A datum whose hash matches that of a datum processed
// successfully by an earlier job can be skipped.
func Hash(d Datum, salt string) string {
	_, hash := IDHash(d, salt)
	return hash
}

// IDHash returns both ID(d) and Hash(d, salt), for the cost of one more
// hash than ID alone.
func IDHash(d Datum, salt string) (id, hash string) {
	id = ID(d)
	h := sha256.New()
	writeString(h, id)
	for _, in := range d.Inputs {
		if in.Reference {
			writeInt(h, 0)
			continue
		}
		writeInt(h, uint64(len(in.Files)))
		for _, f := range in.Files {
			writeString(h, f.Path)
			writeString(h, f.Hash)
		}
	}
	writeString(h, salt)
	return id, hex.EncodeToString(h.Sum(nil))
}

// A Fingerprint is 128 bits of a datum ID: enough to tell the datums of
// a job apart, in a quarter of the memory of the ID.
type Fingerprint [16]byte

// FingerprintOf returns the fingerprint of a datum ID: its first 128
// bits, or those of its SHA-256 if it is not an ID made by ID.
func FingerprintOf(id string) Fingerprint {
	var f Fingerprint
	if len(id) >= 2*len(f) {
		if _, err := hex.Decode(f[:], []byte(id[:2*len(f)])); err == nil {
			return f
		}
	}
	sum := sha256.Sum256([]byte(id))
	return Fingerprint(sum[:len(f)])
}

func writeInt(h hash.Hash, n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	h.Write(b[:])
}

func writeString(h hash.Hash, s string) {
	writeInt(h, uint64(len(s)))
	io.WriteString(h, s)
}
