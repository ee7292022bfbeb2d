package fileset

import "github.com/tuskdata/tusk/internal/lru"

// A NodeCache keeps decoded nodes, so that repeated walks of the same
// trees (a datum's inputs, a page of a listing) do not read, verify and
// decode them again. Nodes are immutable and named by their hash, so one
// cache can serve every tree of a store. It is safe for concurrent use.
type NodeCache struct {
	nodes *lru.Cache[string, *node]
}

// NewNodeCache returns a cache of decoded nodes whose stored forms add up
// to at most budget bytes.
func NewNodeCache(budget int) *NodeCache {
	return &NodeCache{nodes: lru.New[string, *node](budget)}
}

// Cached returns a NodeStore that reads through st and keeps the nodes
// it decodes in c.
func Cached(st NodeStore, c *NodeCache) NodeStore { return cachedStore{st, c} }

type cachedStore struct {
	NodeStore
	cache *NodeCache
}
