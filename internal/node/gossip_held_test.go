package node

import (
	"testing"

	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/types"
)

// fakeEntry is a mempool entry added at a height.
type fakeEntry struct{ h int64 }

func (e *fakeEntry) Tx() types.Tx           { return types.Tx("x") }
func (e *fakeEntry) Height() int64          { return e.h }
func (e *fakeEntry) GasWanted() int64       { return 0 }
func (e *fakeEntry) IsSender(_ p2p.ID) bool { return false }

// TestHeldSetHoldsOnce: an entry held again (the iterator starting over)
// is kept once, in first-hold order, and falls due RelayAfterHeights
// blocks after the height it entered the mempool at.
func TestHeldSetHoldsOnce(t *testing.T) {
	a, b := &fakeEntry{h: 10}, &fakeEntry{h: 12}
	var s heldSet
	s.hold(a)
	s.hold(b)
	s.hold(a)
	if len(s.list) != 2 || s.list[0].entry != a || s.list[1].entry != b {
		t.Fatalf("held %+v", s.list)
	}
	if s.anyDue(10 + RelayAfterHeights - 1) {
		t.Fatal("due before RelayAfterHeights blocks")
	}
	if !s.anyDue(10 + RelayAfterHeights) {
		t.Fatal("not due after RelayAfterHeights blocks")
	}
}
