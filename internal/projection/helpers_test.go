package projection

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

// t0 is the block time of record 0; record i is committed at t0 + i seconds.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type obj map[string]any

// uid returns a deterministic, random-looking (version 4 style) UUID for n,
// so that ids spread over the id index as real ones do.
func uid(n int) string {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(n)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

func stixID(typ string, n int) string { return typ + "--" + uid(n) }

func indicator(n int, modified, name, pattern string, labels ...string) obj {
	return obj{
		"type": "indicator", "spec_version": "2.1", "id": stixID("indicator", n),
		"created": "2026-01-01T00:00:00Z", "modified": modified,
		"name": name, "pattern": pattern, "pattern_type": "stix",
		"valid_from": "2026-01-01T00:00:00Z", "labels": labels,
	}
}

func sco(typ string, n int, value string) obj {
	return obj{"type": typ, "spec_version": "2.1", "id": stixID(typ, n), "value": value}
}

// ledger builds consecutive records as the ledger would commit them.
type ledger struct{ recs []record.Record }

func (l *ledger) add(author string, o obj) record.Record {
	idx := uint64(len(l.recs))
	raw, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	version, _ := o["modified"].(string)
	if version == "" {
		version, _ = o["created"].(string)
	}
	tx := sha256.Sum256(binary.BigEndian.AppendUint64(nil, idx))
	r := record.Record{
		Index: idx, Height: int64(idx/4 + 1), Time: t0.Add(time.Duration(idx) * time.Second),
		TxHash: tx[:], Author: author, ObjectID: o["id"].(string), Type: o["type"].(string),
		Modified: version, Object: raw,
	}
	l.recs = append(l.recs, r)
	return r
}

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "projection.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// reopen closes s and opens the store at path again, as a restart does.
func reopen(t testing.TB, s *Store, path string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

func mustApply(t testing.TB, s *Store, recs ...record.Record) {
	t.Helper()
	if err := s.Apply(context.Background(), recs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func mustSearch(t testing.TB, s *Store, q Query) Page {
	t.Helper()
	p, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return p
}

// indexes returns the ledger indexes of a page's items, in order.
func indexes(vs []Version) []uint64 {
	out := make([]uint64, len(vs))
	for i, v := range vs {
		out[i] = v.Index
	}
	return out
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := errs.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func wantIndexes(t testing.TB, got []Version, want ...uint64) {
	t.Helper()
	if want == nil {
		want = []uint64{}
	}
	if g := indexes(got); !slices.Equal(g, want) {
		t.Fatalf("indexes %v, want %v", g, want)
	}
}
