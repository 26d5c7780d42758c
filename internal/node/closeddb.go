package node

import (
	"errors"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
)

// errDBClosed is what a read of a stopped node's database returns where an
// error can be returned.
var errDBClosed = errors.New("database closed: the node stopped")

// stoppableDB is one of CometBFT's databases that a read racing the node's
// shutdown cannot crash. CometBFT v1.0.1 stops its consensus reactor
// without waiting for the per-peer gossip goroutines; one of them
// (queryMaj23Routine) can load a commit from the block store after
// Node.Stop closed it, and pebble panics on a read of a closed database.
// Here a read after Close finds nothing (a commit not found is skipped by
// that goroutine), and Close waits for reads already running.
type stoppableDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

// Get implements dbm.DB; after Close it finds nothing.
func (s *stoppableDB) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, nil
	}
	return s.DB.Get(key)
}

// Has implements dbm.DB; after Close it finds nothing.
func (s *stoppableDB) Has(key []byte) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, nil
	}
	return s.DB.Has(key)
}

// Iterator implements dbm.DB; after Close it fails.
func (s *stoppableDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errDBClosed
	}
	return s.DB.Iterator(start, end)
}

// ReverseIterator implements dbm.DB; after Close it fails.
func (s *stoppableDB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errDBClosed
	}
	return s.DB.ReverseIterator(start, end)
}

// Close closes the database once, after the reads already running.
func (s *stoppableDB) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.DB.Close()
}
