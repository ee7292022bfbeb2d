package scheduler

import "sync"

// signals lets goroutines wait for "something changed" about a key (a
// pipeline's work, its logs, any job) without polling: wait returns a
// channel that the next fire of the key closes.
type signals struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func newSignals() *signals { return &signals{m: map[string]chan struct{}{}} }

func (s *signals) wait(key string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.m[key]
	if !ok {
		ch = make(chan struct{})
		s.m[key] = ch
	}
	return ch
}

func (s *signals) fire(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.m[key]; ok {
		close(ch)
		delete(s.m, key)
	}
}

// fireAll fires every key.
func (s *signals) fireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ch := range s.m {
		close(ch)
		delete(s.m, k)
	}
}
