package node

import (
	"fmt"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// fillStateKV writes blocks of object, version and record keys shaped like
// the ledger's.
func fillStateKV(tb testing.TB, kv *StateKV, blocks, perBlock int) {
	tb.Helper()
	val := make([]byte, 400)
	for blk := range blocks {
		var pairs []ledger.Pair
		for i := range perBlock {
			id := fmt.Sprintf("indicator--%08d-1111-2222-3333-444444444444", blk*perBlock+i)
			pairs = append(pairs,
				ledger.Pair{Key: []byte("o/" + id), Value: val[:40]},
				ledger.Pair{Key: []byte("v/" + id + "\x002026-01-01T00:00:00Z"), Value: val[:8]},
				ledger.Pair{Key: fmt.Appendf(nil, "r/%016x", blk*perBlock+i), Value: val},
			)
		}
		if err := kv.Write(pairs); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkGetAbsent measures the lookup the ledger makes for every new
// object id (CheckTx and FinalizeBlock): a key that is not there. It also
// reports the share of block reads the cache served: 0 before the cache
// was sized for pebble's memtables (see pebbleOptions), when a lookup cost
// four times the CPU.
func BenchmarkGetAbsent(b *testing.B) {
	kv, err := OpenStateKV(b.TempDir(), "state")
	if err != nil {
		b.Fatal(err)
	}
	defer kv.Close()
	fillStateKV(b, kv, 40, 5000)
	key := []byte("o/indicator--00000000-9999-2222-3333-444444444444")
	for i := 0; b.Loop(); i++ {
		copy(key[13:21], fmt.Sprintf("%08d", i%1000000))
		if v, err := kv.Get(key); err != nil || v != nil {
			b.Fatal(v, err)
		}
	}
	m := kv.db.DB().Metrics().BlockCache
	b.ReportMetric(float64(m.Hits)/float64(max(1, m.Hits+m.Misses)), "cache-hit-ratio")
}
