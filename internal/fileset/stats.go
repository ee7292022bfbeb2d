package fileset

import (
	"context"
	"fmt"
)

// Stat returns the number of files and their total size in the tree rooted
// at root, from the aggregates of the root node.
func Stat(ctx context.Context, st NodeStore, root string) (files, bytes int64, err error) {
	if root == "" {
		return 0, 0, nil
	}
	n, err := getNode(ctx, st, root)
	if err != nil {
		return 0, 0, fmt.Errorf("fileset: stat: %w", err)
	}
	return n.count, n.bytes, nil
}

// RangeStats returns the number and total size of the files whose paths p
// satisfy lo ≤ p < hi; hi == "" means no upper bound. It adds up the
// aggregates of subtrees that lie entirely in the range, so it reads only
// the nodes along the two edges of the range. See DirRange.
func RangeStats(ctx context.Context, st NodeStore, root, lo, hi string) (files, bytes int64, err error) {
	if root == "" || hi != "" && hi <= lo {
		return 0, 0, nil
	}
	n, err := getNode(ctx, st, root)
	if err != nil {
		return 0, 0, fmt.Errorf("fileset: range stats: %w", err)
	}
	s := rangeSum{st: st, lo: lo, hi: hi}
	if err := s.node(ctx, n, ""); err != nil {
		return 0, 0, fmt.Errorf("fileset: range stats: %w", err)
	}
	return s.files, s.bytes, nil
}

// DirRange returns the key range [lo, hi) of the paths inside directory
// dir ("/a/b" or "/" for the root), for RangeStats and DiffRange.
func DirRange(dir string) (lo, hi string) {
	if dir == "/" {
		return "/", "0"
	}
	return dir + "/", dir + "0"
}

type rangeSum struct {
	st           NodeStore
	lo, hi       string
	files, bytes int64
}

func (s *rangeSum) below(key string) bool { return s.hi == "" || key < s.hi }

// node adds the entries of n, whose keys sort after lower, that lie in the
// range.
func (s *rangeSum) node(ctx context.Context, n *node, lower string) error {
	if n.level == 0 {
		for _, f := range n.entries {
			if f.Path >= s.lo && s.below(f.Path) {
				s.files++
				s.bytes += f.Size
			}
		}
		return nil
	}
	for _, r := range n.refs {
		lo := lower
		lower = r.Last
		switch {
		case r.Last < s.lo:
			// Entirely before the range.
		case !s.below(succ(lo)):
			// Entirely after the range, and so are the next ones.
			return nil
		case succ(lo) >= s.lo && s.below(r.Last):
			s.files += r.Count
			s.bytes += r.Bytes
		default:
			c, err := loadChild(ctx, s.st, r, n.level-1, lo)
			if err != nil {
				return err
			}
			if err := s.node(ctx, c, lo); err != nil {
				return err
			}
		}
	}
	return nil
}
