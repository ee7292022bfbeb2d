package fileset

import (
	"context"
	"fmt"
)

// Walk visits the nodes reachable from root, for garbage collection. For
// each node it first calls seen with the node's id: seen records the id and
// reports whether it was recorded before, in which case Walk skips the
// node and its subtree. Sharing one seen across many roots therefore visits
// each shared subtree once. Walk calls file for every entry of each newly
// visited leaf. If file returns an error, Walk stops and returns it.
func Walk(ctx context.Context, st NodeStore, root string, seen func(id string) bool, file func(File) error) error {
	if root == "" || seen(root) {
		return nil
	}
	n, err := getNode(ctx, st, root)
	if err != nil {
		return fmt.Errorf("fileset: walk: %w", err)
	}
	return walk(ctx, st, n, "", seen, file)
}

// walk visits n, whose keys sort after lo, and the unseen nodes under it.
func walk(ctx context.Context, st NodeStore, n *node, lo string, seen func(string) bool, file func(File) error) error {
	for _, f := range n.entries {
		if err := file(f); err != nil {
			return err
		}
	}
	for _, r := range n.refs {
		if !seen(r.ID) {
			c, err := loadChild(ctx, st, r, n.level-1, lo)
			if err != nil {
				return fmt.Errorf("fileset: walk: %w", err)
			}
			if err := walk(ctx, st, c, lo, seen, file); err != nil {
				return err
			}
		}
		lo = r.Last
	}
	return nil
}
