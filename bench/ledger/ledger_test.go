package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/bench/internal/dataset"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

func testDataset(t *testing.T, n int) *dataset.Dataset {
	t.Helper()
	ds := &dataset.Dataset{}
	for i := range n {
		o, err := stix.Parse(fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-6666-4666-8666-666666666666",`+
			`"created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","name":"ledger bench %d",`+
			`"pattern":"[domain-name:value = 'host%d.bench.example']","pattern_type":"stix","valid_from":"2026-05-01T00:00:00Z"}`, i, i, i))
		if err != nil {
			t.Fatal(err)
		}
		ds.Objects = append(ds.Objects, o)
	}
	return ds
}

// A run delivers every transaction in blocks, accepted, and two runs on
// fresh databases end at the same app hash.
func TestRunOnceIsDeterministic(t *testing.T) {
	txs, err := signAll(testDataset(t, 45), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 5 {
		t.Fatalf("%d transactions for 45 objects in tens, want 5", len(txs))
	}
	gen, err := genesis()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{block: 2, tmp: t.TempDir()}
	first, err := runOnce(cfg, gen, txs)
	if err != nil {
		t.Fatal(err)
	}
	second, err := runOnce(cfg, gen, txs)
	if err != nil {
		t.Fatal(err)
	}
	if first.blocks != 3 || len(first.appHash) != 32 || !bytes.Equal(first.appHash, second.appHash) {
		t.Fatalf("blocks %d, app hashes %X and %X: want 3 blocks and equal 32-byte hashes", first.blocks, first.appHash, second.appHash)
	}
}

// A transaction the ledger refuses stops the run with its reason.
func TestRunOnceReportsARefusal(t *testing.T) {
	txs, err := signAll(testDataset(t, 4), 2)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := genesis()
	if err != nil {
		t.Fatal(err)
	}
	txs[1] = txs[0] // a replayed nonce
	_, err = runOnce(config{block: 2, tmp: t.TempDir()}, gen, txs)
	if err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("a replayed transaction: %v, want a nonce refusal", err)
	}
}
