package ledger

import (
	"fmt"
	"testing"

	"github.com/bits-and-blooms/bloom/v3"
)

// TestIDFilterNoFalseNegatives: every id added is reported as possibly
// present, even far past the capacity the filter was sized for; and the
// filter does answer "no" for most ids never added while within capacity.
func TestIDFilterNoFalseNegatives(t *testing.T) {
	f := newIDFilter(0) // sized for idFilterMinIDs
	id := func(i int) string { return fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i) }
	for i := range 50000 {
		f.add(id(i))
	}
	absent := 0
	for i := 50000; i < 60000; i++ {
		if !f.mayContain(id(i)) {
			absent++
		}
	}
	if absent < 9900 {
		t.Fatalf("only %d of 10,000 absent ids answered no", absent)
	}
	small := &idFilter{f: bloom.New(1024, idFilterProbes)} // 1,024 bits for 50,000 ids
	for i := range 50000 {
		small.add(id(i))
	}
	for i := range 50000 {
		if !f.mayContain(id(i)) || !small.mayContain(id(i)) {
			t.Fatalf("id %d was added but is reported absent", i)
		}
	}
}

// TestIDFilterAcrossRestart: objects committed before a restart are found
// after it (the filter is rebuilt from the store), so a second version by
// another member is refused as not its own and a repeated version as a
// duplicate, exactly as before the restart; new ids are still accepted.
func TestIDFilterAcrossRestart(t *testing.T) {
	alice, bob := newMember("alice"), newMember("bob")
	kv := NewMemKV()
	a := newAppOn(t, kv, nil, alice, bob)
	res := finalize(t, a, 1, publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z")))
	if res.TxResults[0].Code != CodeOK {
		t.Fatalf("publish: %+v", res.TxResults[0])
	}
	a, err := New(kv, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"indicator--00000001-0000-4000-8000-000000000000", "indicator--00000002-0000-4000-8000-000000000000"} {
		if !a.ids.mayContain(id) {
			t.Fatalf("%s not in the filter after restart", id)
		}
	}
	res = finalize(t, a, 2,
		publishTx(t, bob, testChain, 1, indicator(1, "2026-03-01T00:00:00.000Z")),
		publishTx(t, alice, testChain, 2, indicator(2, "2026-01-01T00:00:00.000Z")),
		publishTx(t, alice, testChain, 2, indicator(3, "2026-01-01T00:00:00.000Z")),
	)
	for i, want := range []uint32{CodeNotOwner, CodeDuplicate, CodeOK} {
		if got := res.TxResults[i].Code; got != want {
			t.Fatalf("tx %d: code %d (%s), want %d", i, got, res.TxResults[i].Log, want)
		}
	}
	if !a.ids.mayContain("indicator--00000003-0000-4000-8000-000000000000") {
		t.Fatal("an id committed after the restart is not in the filter")
	}
}
