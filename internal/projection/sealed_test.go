package projection

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// TestSealedRecordsAndWithdrawal: an opened sealed record is stored with
// its access data and found by search; a sealed record this node cannot
// open only advances the index; a withdrawal deletes the opened copy so
// that no file of the projection holds its text any more.
func TestSealedRecordsAndWithdrawal(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	var l ledger
	const canary = "canaryzx81q"
	l.add("a", indicator(1, "2026-01-01T00:00:00Z", "plain", "[ipv4-addr:value = '198.51.100.1']"))
	opened := l.add("a", indicator(2, "2026-01-01T00:00:00Z", "secret "+canary, "[domain-name:value = '"+canary+".example']", canary+"-label"))
	opened.Sealed = []byte{1}
	opened.Access = &record.Access{Level: 4, Recipients: []string{"a", "b"}}
	l.recs[1] = opened
	unreadable := l.add("a", indicator(3, "2026-01-01T00:00:00Z", "x", "[ipv4-addr:value = '198.51.100.3']"))
	unreadable.Object, unreadable.Sealed = nil, []byte{2}
	l.recs[2] = unreadable
	mustApply(t, s, l.recs...)
	if n, _ := s.NextIndex(ctx); n != 3 {
		t.Fatalf("NextIndex = %d, want 3", n)
	}
	if _, err := s.Get(ctx, stixID("indicator", 3), false); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("unreadable sealed record: %v", err)
	}
	vs, err := s.Get(ctx, stixID("indicator", 2), false)
	if err != nil || vs[0].TLP != 4 || !vs[0].Sealed || len(vs[0].Recipients) != 2 {
		t.Fatalf("opened record: %+v %v", vs, err)
	}
	if p := mustSearch(t, s, Query{Text: canary}); len(p.Items) != 1 {
		t.Fatalf("search for the canary: %d items", len(p.Items))
	}
	if p := mustSearch(t, s, Query{Text: canary + ".example"}); len(p.Items) != 1 {
		t.Fatalf("value search: %d items", len(p.Items))
	}
	if hits := testutil.ScanTree(t, filepath.Dir(path), []byte(canary)); len(hits) == 0 {
		t.Fatal("the scan does not find the canary of an opened record: it proves nothing")
	}
	if err := s.Withdraw(ctx, stixID("indicator", 2), "2026-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, stixID("indicator", 2), true); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("withdrawn record still readable: %v", err)
	}
	if p := mustSearch(t, s, Query{Text: canary}); len(p.Items) != 0 {
		t.Fatal("withdrawn record still found by search")
	}
	if hits := testutil.ScanTree(t, filepath.Dir(path), []byte(canary)); len(hits) != 0 {
		t.Fatalf("canary still on disk after withdrawal in %v", hits)
	}
	// the plaintext record is untouched
	if _, err := s.Get(ctx, stixID("indicator", 1), false); err != nil {
		t.Fatal(err)
	}
}
