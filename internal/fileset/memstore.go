package fileset

import (
	"context"
	"fmt"
	"sync"
)

// MemStore is a NodeStore in memory, for tests. It counts the calls made
// to it. The zero value is ready to use and it is safe for concurrent use.
type MemStore struct {
	mu    sync.Mutex
	nodes map[string][]byte
	gets  int
	puts  int
}

// GetNode returns the node stored under id, or an error wrapping
// ErrNodeNotFound.
func (m *MemStore) GetNode(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	data, ok := m.nodes[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNodeNotFound, id)
	}
	return data, nil
}

// PutNode stores a copy of data under id.
func (m *MemStore) PutNode(ctx context.Context, id string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	if m.nodes == nil {
		m.nodes = make(map[string][]byte)
	}
	m.nodes[id] = append([]byte(nil), data...)
	return nil
}

// Counts returns the number of GetNode and PutNode calls since the last
// ResetCounts.
func (m *MemStore) Counts() (gets, puts int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets, m.puts
}

// ResetCounts sets the call counts to zero.
func (m *MemStore) ResetCounts() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets, m.puts = 0, 0
}

// Len returns the number of stored nodes.
func (m *MemStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.nodes)
}
