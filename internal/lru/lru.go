// Package lru is a least-recently-used cache bounded by the total cost of
// its values, safe for concurrent use. Tusk keeps immutable,
// content-addressed things in it (decoded chunks, decoded tree nodes), so
// a cached value never goes stale, and short-lived memos that are used
// once (Take) and whose values say themselves until when they hold.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps keys to values, dropping the least recently used ones when
// the sum of their costs exceeds the budget.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	budget int
	cost   int
	order  *list.List // of *entry[K, V], most recent first
	items  map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key   K
	value V
	cost  int
}

// New returns a cache whose values may cost budget in all.
func New[K comparable, V any](budget int) *Cache[K, V] {
	return &Cache[K, V]{budget: budget, order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value of key and marks it recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry[K, V]).value, true
	}
	var zero V
	return zero, false
}

// Take returns the value of key and removes it.
func (c *Cache[K, V]) Take(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		return c.removeLocked(e).value, true
	}
	var zero V
	return zero, false
}

// Add stores a value of the given cost under key, unless the key is
// there already or the value alone exceeds the budget.
func (c *Cache[K, V]) Add(key K, value V, cost int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok || cost > c.budget {
		return
	}
	c.items[key] = c.order.PushFront(&entry[K, V]{key, value, cost})
	c.cost += cost
	for c.cost > c.budget {
		c.removeLocked(c.order.Back())
	}
}

// removeLocked removes an element and returns its entry.
func (c *Cache[K, V]) removeLocked(e *list.Element) *entry[K, V] {
	old := e.Value.(*entry[K, V])
	c.order.Remove(e)
	delete(c.items, old.key)
	c.cost -= old.cost
	return old
}

// Len returns the number of values held.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}
