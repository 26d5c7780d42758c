package projection

import (
	"context"
	"reflect"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/phalanx-ledger/phalanx/internal/detect"
)

// TestApplyDecodedHandsOverIndicators applies indicators and an
// observable: ApplyDecoded returns, by record index, exactly what the
// matcher's decoder gives for each indicator, nothing for the observable,
// for an indicator with a property of an unexpected shape or for a record
// applied before, and projects the records as Apply does.
func TestApplyDecodedHandsOverIndicators(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var l ledger
	first := l.add("alice", indicator(1, "2026-01-02T00:00:00Z", "one", "[ipv4-addr:value = '10.0.0.1']"))
	mustApply(t, s, first)
	odd := indicator(3, "2026-01-02T00:00:00Z", "odd", "[domain-name:value = 'odd.example']")
	odd["hashes"] = "x" // not a dictionary: the projection skips it, the matcher does not read it
	withConf := indicator(4, "2026-01-02T00:00:00Z", "conf", "[url:value = 'http://x.example/']")
	withConf["confidence"] = 70
	withConf["object_marking_refs"] = []string{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}
	withConf["valid_until"] = "2027-01-01T00:00:00Z"
	recs := []struct {
		o    obj
		want bool
	}{
		{indicator(2, "2026-01-02T00:00:00Z", "two", "[ipv4-addr:value = '10.0.0.2']"), true},
		{sco("domain-name", 5, "a.example"), false},
		{odd, false},
		{withConf, true},
	}
	batch := l.recs[:1:1] // the record applied already comes again
	for _, c := range recs {
		batch = append(batch, l.add("bob", c.o))
	}
	decoded, err := s.ApplyDecoded(ctx, batch)
	if err != nil {
		t.Fatalf("ApplyDecoded: %v", err)
	}
	if _, ok := decoded[first.Index]; ok {
		t.Errorf("record %d, applied before, handed over again", first.Index)
	}
	for i, c := range recs {
		r := batch[i+1]
		ind, ok := decoded[r.Index]
		if ok != c.want {
			t.Fatalf("record %d (%s): handed over %v, want %v", r.Index, r.ObjectID, ok, c.want)
		}
		if !ok {
			continue
		}
		var want detect.IndicatorFields
		if err := jsonv1.Unmarshal(r.Object, &want); err != nil {
			t.Fatalf("matcher decode of record %d: %v", r.Index, err)
		}
		if got := detect.IndicatorFields(*ind); !reflect.DeepEqual(got, want) {
			t.Errorf("record %d: handed over\n%+v\nthe matcher decodes\n%+v", r.Index, got, want)
		}
	}
	next, err := s.NextIndex(ctx)
	if err != nil {
		t.Fatalf("NextIndex: %v", err)
	}
	if want := uint64(len(batch)); next != want {
		t.Errorf("NextIndex = %d after ApplyDecoded, want %d", next, want)
	}
}
