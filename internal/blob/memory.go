package blob

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is a Store that keeps objects in memory. It is safe for concurrent
// use and lists in lexical order. Its contents vanish with it.
type Memory struct {
	mu      sync.RWMutex
	objects map[string]memObject
}

type memObject struct {
	data    []byte
	modTime time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{objects: make(map[string]memObject)}
}

// Put implements Putter.
func (m *Memory) Put(ctx context.Context, key string, data []byte) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	obj := memObject{data: slices.Clone(data), modTime: time.Now()}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = obj
	return nil
}

// Get implements Getter.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	data, err := m.get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return append([]byte{}, data...), nil
}

// GetRange implements Getter.
func (m *Memory) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	data, err := m.get(ctx, key)
	if err == nil {
		err = CheckRange(off, n, int64(len(data)))
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return append([]byte{}, data[off:off+n]...), nil
}

// get returns the object's stored bytes, which are never changed (Put
// replaces them): the caller copies what it returns.
func (m *Memory) get(ctx context.Context, key string) ([]byte, error) {
	if err := check(ctx, key); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	obj, ok := m.objects[key]
	if !ok {
		return nil, ErrNotFound
	}
	return obj.data, nil
}

// Stat implements Getter.
func (m *Memory) Stat(ctx context.Context, key string) (Info, error) {
	if err := check(ctx, key); err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	obj, ok := m.objects[key]
	if !ok {
		return Info{}, fmt.Errorf("stat %s: %w", key, ErrNotFound)
	}
	return Info{Key: key, Size: int64(len(obj.data)), ModTime: obj.modTime}, nil
}

// List implements Lister. It works on a snapshot taken when it starts, so
// fn may use the store.
func (m *Memory) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	if err := CheckPrefix(prefix); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	var infos []Info
	m.mu.RLock()
	for key, obj := range m.objects {
		if strings.HasPrefix(key, prefix) {
			infos = append(infos, Info{Key: key, Size: int64(len(obj.data)), ModTime: obj.modTime})
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if err := fn(info); err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
	}
	return nil
}

// Delete implements Deleter.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

// Close implements Store. The objects stay readable through m.
func (m *Memory) Close() error { return nil }

// check returns ctx's error if it is done, or the key's if it is invalid.
func check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return CheckKey(key)
}
