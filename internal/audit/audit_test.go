package audit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// rows is a fake projection: the rows it yields and the next index it
// claims.
type rows struct {
	recs []record.Record
	next uint64
}

func (r rows) Scan(_ context.Context, fn func(record.Record) error) (uint64, error) {
	for _, rec := range r.recs {
		if err := fn(rec); err != nil {
			return 0, err
		}
	}
	return r.next, nil
}

func ledgerOf(n int) []record.Record {
	out := make([]record.Record, n)
	for i := range out {
		out[i] = record.Record{Index: uint64(i), Height: int64(1 + i/3), Time: time.Unix(0, int64(i)).UTC(),
			TxHash: []byte{byte(i)}, Author: "a", ObjectID: "indicator--" + string(rune('a'+i)), Type: "indicator", Object: []byte("{}")}
	}
	return out
}

func source(recs []record.Record) Records {
	return func(from, to uint64, max int) ([]record.Record, error) {
		var out []record.Record
		for _, r := range recs {
			if r.Index >= from && r.Index < to && len(out) < max {
				out = append(out, r)
			}
		}
		return out, nil
	}
}

func TestProjection(t *testing.T) {
	l := ledgerOf(10)
	clone := func() []record.Record { return append([]record.Record(nil), l...) }
	edited := clone()
	edited[4].Object = []byte(`{"x":1}`)
	for name, tc := range map[string]struct {
		proj    rows
		index   uint64
		problem string
	}{
		"equal":           {rows{clone(), 10}, 0, ""},
		"behind":          {rows{clone()[:7], 7}, 0, ""},
		"edited":          {rows{edited, 10}, 4, "object"},
		"deleted":         {rows{append(clone()[:3], clone()[4:]...), 10}, 3, "no row"},
		"deleted last":    {rows{clone()[:9], 10}, 9, "no row"},
		"duplicated":      {rows{append(clone()[:5], clone()[4:]...), 11}, 4, "twice"},
		"ahead of ledger": {rows{clone(), 12}, 10, "claims 12"},
		"row beyond":      {rows{append(clone(), record.Record{Index: 10}), 11}, 10, "does not"},
	} {
		// one batch, several batches read ahead (3 does not divide 10), one
		// record a batch
		for _, size := range []int{batch, 3, 1} {
			diff, _, err := projection(context.Background(), tc.proj, source(l), 10, func() uint64 { return 10 }, size)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if tc.problem == "" {
				if diff != nil {
					t.Errorf("%s, batches of %d: unexpected %v", name, size, diff)
				}
				continue
			}
			if diff == nil || diff.Index != tc.index || !strings.Contains(diff.Problem, tc.problem) {
				t.Errorf("%s, batches of %d: %v, want index %d and %q", name, size, diff, tc.index, tc.problem)
			}
		}
	}
}

// TestProjectionSkipsUnopenedSealed: a sealed record this node cannot open
// (Object nil after opening) is one the projection must not hold: its
// absence is no difference, its presence is one.
func TestProjectionSkipsUnopenedSealed(t *testing.T) {
	l := ledgerOf(6)
	l[2].Object, l[2].Sealed = nil, []byte{0xa1}
	l[5].Object, l[5].Sealed = nil, []byte{0xa1}
	without := func() []record.Record {
		var out []record.Record
		for _, r := range l {
			if r.Object != nil {
				out = append(out, r)
			}
		}
		return out
	}
	if diff, _, err := Projection(context.Background(), rows{without(), 6}, source(l), 6); err != nil || diff != nil {
		t.Fatalf("projection without the unopened records: %v %v", diff, err)
	}
	leaked := append(without()[:2], record.Record{Index: 2, Height: l[2].Height, ObjectID: l[2].ObjectID, Object: []byte("{}")})
	leaked = append(leaked, without()[2:]...)
	if diff, _, _ := Projection(context.Background(), rows{leaked, 6}, source(l), 6); diff == nil || diff.Index != 2 || !strings.Contains(diff.Problem, "cannot open") {
		t.Fatalf("projection holding an unopened sealed record: %v", diff)
	}
	if diff, _, _ := Projection(context.Background(), rows{without()[:3], 6}, source(l), 6); diff == nil || diff.Index != 4 || !strings.Contains(diff.Problem, "no row") {
		t.Fatalf("projection missing a plaintext record after a skipped one: %v", diff)
	}
}

// TestProjectionReadError: a ledger read that fails ahead of the
// comparison is reported as an error, not as a difference.
func TestProjectionReadError(t *testing.T) {
	l := ledgerOf(10)
	failing := func(from, to uint64, max int) ([]record.Record, error) {
		if from >= 6 {
			return nil, errors.New("disk on fire")
		}
		return source(l)(from, to, max)
	}
	diff, n, err := projection(context.Background(), rows{l, 10}, failing, 10, func() uint64 { return 10 }, 3)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || diff != nil || n != 6 {
		t.Fatalf("diff %v after %d records, error %v", diff, n, err)
	}
}

// TestFind: a record is found by index in a batch with or without gaps;
// an index the batch lacks is not.
func TestFind(t *testing.T) {
	var recs []record.Record
	for _, i := range []uint64{3, 4, 5, 8, 9, 12} {
		recs = append(recs, record.Record{Index: i})
	}
	for idx := uint64(0); idx < 15; idx++ {
		r := find(recs, idx)
		want := slices.ContainsFunc(recs, func(r record.Record) bool { return r.Index == idx })
		if (r != nil) != want || (r != nil && r.Index != idx) {
			t.Errorf("find %d: %v, want found=%v", idx, r, want)
		}
	}
	if find(nil, 0) != nil {
		t.Error("found a record in an empty batch")
	}
}
