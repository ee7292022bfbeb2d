package fileset

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"sort"
)

// formatVersion is the first byte of every decompressed node.
const formatVersion = 1

// maxLevel bounds the level of a decoded node. Heights are at most
// 64/BoundaryBits, so real trees stay far below it.
const maxLevel = 64

// boundaryBits is BoundaryBits; tests lower it to grow deep trees from few
// entries.
var boundaryBits = BoundaryBits

// height returns the height of a key: the number of trailing zero bits of
// the first 8 bytes (big-endian) of SHA-256(key), divided by boundaryBits.
func height(key string) int {
	sum := sha256.Sum256([]byte(key))
	return bits.TrailingZeros64(binary.BigEndian.Uint64(sum[:8])) / boundaryBits
}

// ref points from an internal node to a child one level down.
type ref struct {
	Last  string // the last key in the child's subtree
	ID    string // the child's node id
	Count int64  // files in the subtree
	Bytes int64  // sum of File.Size in the subtree
}

// node is a decoded tree node: a leaf (level 0) holds entries, an internal
// node (level ≥ 1) holds refs to children at level-1.
type node struct {
	level   int
	entries []File
	refs    []ref
	count   int64 // files in the subtree
	bytes   int64 // sum of File.Size in the subtree
}

func (n *node) len() int {
	if n.level == 0 {
		return len(n.entries)
	}
	return len(n.refs)
}

// key returns the key of item i: a path for leaves, a child's last key for
// internal nodes.
func (n *node) key(i int) string {
	if n.level == 0 {
		return n.entries[i].Path
	}
	return n.refs[i].Last
}

func (n *node) lastKey() string { return n.key(n.len() - 1) }

// search returns the index of the first item whose key is ≥ key, or n.len().
func (n *node) search(key string) int {
	return sort.Search(n.len(), func(i int) bool { return n.key(i) >= key })
}

// addStats adds c and b to the totals, reporting false on overflow.
func addStats(count, bytes *int64, c, b int64) bool {
	nc, nb := *count+c, *bytes+b
	if nc < *count || nb < *bytes {
		return false
	}
	*count, *bytes = nc, nb
	return true
}

// succ returns the smallest string greater than s, so that the keys k > s
// are exactly the keys k ≥ succ(s).
func succ(s string) string { return s + "\x00" }
