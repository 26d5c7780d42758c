package projection

import (
	"context"
	"fmt"
	"testing"
)

// TestIDFilter: every added id is reported as maybe stored; of ids never
// added, few are (about 1% at capacity).
func TestIDFilter(t *testing.T) {
	f := newIDFilter()
	f.reset(10_000)
	for i := range 10_000 {
		f.add(stixID("indicator", i))
	}
	for i := range 10_000 {
		if !f.mayHave(stixID("indicator", i)) {
			t.Fatalf("added id %d reported absent", i)
		}
	}
	falsePositives := 0
	for i := 10_000; i < 30_000; i++ {
		if f.mayHave(stixID("indicator", i)) {
			falsePositives++
		}
	}
	if falsePositives > 600 { // 3%
		t.Fatalf("%d false positives of 20,000", falsePositives)
	}
}

// TestNewVersionsFoundThroughIDFilter: new versions of stored objects
// demote the old ones whether the filter was built at the first Apply
// after opening, rebuilt larger as ids were added, or rebuilt after a
// Reset; a repeated version is still skipped.
func TestNewVersionsFoundThroughIDFilter(t *testing.T) {
	ctx := context.Background()
	const objects = 40
	var l ledger
	for i := range objects {
		l.add("m", indicator(i, "2026-01-01T00:00:00Z", fmt.Sprint("v1 ", i), "[ipv4-addr:value = '198.51.100.1']"))
	}
	for i := range objects {
		l.add("m", indicator(i, "2026-02-01T00:00:00Z", fmt.Sprint("v2 ", i), "[ipv4-addr:value = '198.51.100.2']"))
	}
	l.add("m", indicator(3, "2026-02-01T00:00:00Z", "v2 again", "[ipv4-addr:value = '198.51.100.2']"))

	check := func(s *Store) {
		t.Helper()
		for i := range objects {
			latest, err := s.Get(ctx, stixID("indicator", i), false)
			if err != nil || len(latest) != 1 || latest[0].Index != uint64(objects+i) {
				t.Fatalf("object %d: latest %v (%v), want the one version at index %d", i, indexes(latest), err, objects+i)
			}
			all, err := s.Get(ctx, stixID("indicator", i), true)
			if err != nil || len(all) != 2 || all[0].Latest || !all[1].Latest {
				t.Fatalf("object %d: versions %+v (%v)", i, all, err)
			}
		}
	}

	s, path := openTest(t)
	s.ids.min = 4 // rebuilt several times as ids are added
	for i := 0; i < objects; i += 5 {
		mustApply(t, s, l.recs[i:i+5]...)
	}
	s2 := reopen(t, s, path) // a new filter, built by the first Apply
	mustApply(t, s2, l.recs[objects:]...)
	check(s2)

	if err := s2.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s2, l.recs[:objects]...)
	mustApply(t, s2, l.recs[objects:]...)
	check(s2)
}
