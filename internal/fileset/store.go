package fileset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// getNode fetches and decodes the node stored under id, checking that the
// bytes hash to id, or takes it from the store's NodeCache. Callers must
// not change the node: it may be shared.
func getNode(ctx context.Context, st NodeStore, id string) (*node, error) {
	cs, cached := st.(cachedStore)
	if cached {
		if n, ok := cs.cache.nodes.Get(id); ok {
			return n, nil
		}
	}
	data, err := st.GetNode(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get node %s: %w", id, err)
	}
	if err := CheckNode(id, data); err != nil {
		return nil, err
	}
	n, err := decodeNode(data)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", id, err)
	}
	if cached {
		cs.cache.nodes.Add(id, n, len(data))
	}
	return n, nil
}

// CheckNode checks that a node's stored bytes hash to its id.
func CheckNode(id string, data []byte) error {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != id {
		return fmt.Errorf("node %s: %w: content does not hash to its id", id, ErrCorrupt)
	}
	return nil
}

// loadChild fetches the child that r points to and checks it against r:
// its level, last key and aggregates, and that its first key sorts after
// lo, the last key of the previous sibling ("" for none).
func loadChild(ctx context.Context, st NodeStore, r ref, level int, lo string) (*node, error) {
	n, err := getNode(ctx, st, r.ID)
	if err != nil {
		return nil, err
	}
	var msg string
	switch {
	case n.level != level:
		msg = fmt.Sprintf("level %d, parent expects %d", n.level, level)
	case n.lastKey() != r.Last:
		msg = fmt.Sprintf("last key %q, parent expects %q", n.lastKey(), r.Last)
	case n.key(0) <= lo:
		msg = fmt.Sprintf("first key %q does not sort after %q", n.key(0), lo)
	case n.count != r.Count || n.bytes != r.Bytes:
		msg = fmt.Sprintf("holds %d files, %d bytes, parent expects %d, %d", n.count, n.bytes, r.Count, r.Bytes)
	default:
		return n, nil
	}
	return nil, fmt.Errorf("node %s: %w: %s", r.ID, ErrCorrupt, msg)
}
