package ledger

import (
	"bytes"
	"sort"
	"sync"
)

// KV is the durable key-value store under the ledger state. The ledger does
// no I/O itself: the node hands it an adapter (pebble on disk) or MemKV.
type KV interface {
	// Get returns the value of key, or nil when absent.
	Get(key []byte) ([]byte, error)
	// Iterate calls fn for every key in [start, end) in ascending order;
	// fn must not keep the slices.
	Iterate(start, end []byte, fn func(key, value []byte) error) error
	// Write applies all pairs atomically and durably.
	Write(pairs []Pair) error
}

// Pair is one key and value to write.
type Pair struct {
	Key, Value []byte
}

// MemKV is an in-memory KV for tests and for replaying blocks.
type MemKV struct {
	mu sync.RWMutex
	m  map[string][]byte
}

var _ KV = (*MemKV)(nil)

// NewMemKV returns an empty in-memory store.
func NewMemKV() *MemKV { return &MemKV{m: map[string][]byte{}} }

// Get implements KV.
func (s *MemKV) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return bytes.Clone(s.m[string(key)]), nil
}

// Iterate implements KV.
func (s *MemKV) Iterate(start, end []byte, fn func(k, v []byte) error) error {
	s.mu.RLock()
	keys := make([]string, 0)
	for k := range s.m {
		if k >= string(start) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		vals[i] = s.m[k]
	}
	s.mu.RUnlock()
	for i, k := range keys {
		if err := fn([]byte(k), vals[i]); err != nil {
			return err
		}
	}
	return nil
}

// Write implements KV.
func (s *MemKV) Write(pairs []Pair) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pairs {
		s.m[string(p.Key)] = bytes.Clone(p.Value)
	}
	return nil
}
