// Package fileset stores the file listing of a commit as an immutable,
// content-addressed, history-independent search tree: a "prolly tree", a
// B-tree whose node boundaries are chosen by the keys themselves.
//
// The tree maps canonical file paths ("/a/b.txt") to [File] entries. Every
// node is encoded (see docs/format.md), compressed, and stored in a [NodeStore]
// under the hex SHA-256 of its bytes, so a tree is named by the id of its
// root node and the empty tree by "".
//
// A node at level L ends right after an item whose key has height at least
// L+1, where the height of a key is derived from a hash of the key alone
// (see [BoundaryBits]). The shape of a tree is therefore a pure function of
// its set of entries: two trees holding the same entries have the same root
// id whatever sequence of edits produced them, which makes deduplication
// across commits and repositories automatic.
//
// Because boundaries only move near edited keys, [Apply] rewrites O(k·log n)
// nodes for k changes in a tree of n entries and reuses every untouched
// subtree by id, [Diff] skips subtrees whose ids match, and [RangeStats]
// answers "how many files and bytes under this directory" from per-subtree
// aggregates. [Iterator] streams entries in path order holding only one
// root-to-leaf path in memory, and [Walk] enumerates the nodes reachable from
// a set of roots for garbage collection.
package fileset
