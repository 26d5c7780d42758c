package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

// TestIndicatorOfMatchesFromRecord projects indicators of every shape the
// matcher distinguishes and checks that indexing them from what the
// projection decoded (indicatorOf with ApplyDecoded's fields) gives what
// detect.FromRecord gives from the bytes, and that the projection did hand
// over the indicators it decoded cleanly.
func TestIndicatorOfMatchesFromRecord(t *testing.T) {
	ctx := context.Background()
	p, err := projection.Open(ctx, filepath.Join(t.TempDir(), "projection.db"))
	if err != nil {
		t.Fatalf("open projection: %v", err)
	}
	defer p.Close()
	const head = `{"type":"indicator","spec_version":"2.1","id":"indicator--0000aaaa-1111-4111-8111-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-02T00:00:00.000Z"`
	objects := []struct {
		rest      string
		handedOff bool
	}{
		{`,"pattern":"[domain-name:value = 'a.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":70,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`, true},
		{`,"pattern":"[ipv4-addr:value = '203.0.113.0/24']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00.5Z","revoked":true}`, true},
		{`,"pattern":"alert tcp any any -> any any","pattern_type":"snort","valid_from":"2026-01-01T00:00:00Z"}`, true},
		{`,"pattern":"[url:value = 'http://b.example/']","pattern_type":"stix","valid_from":"not a time"}`, true},
		{`,"pattern":"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":"high"}`, false},
		{`,"pattern":"[domain-name:value = 'c.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","hashes":"x"}`, false},
	}
	recs := make([]record.Record, len(objects))
	for i, o := range objects {
		id := fmt.Sprintf("indicator--0000aaaa-1111-4111-8111-%012d", i)
		recs[i] = record.Record{Index: uint64(i), Height: 1, TxHash: make([]byte, 32), Author: "alice",
			ObjectID: id, Type: "indicator", Modified: "2026-01-02T00:00:00.000Z",
			Object: []byte(fmt.Sprintf(head, i) + o.rest)}
	}
	decoded, err := p.ApplyDecoded(ctx, recs)
	if err != nil {
		t.Fatalf("ApplyDecoded: %v", err)
	}
	for i, r := range recs {
		if got := decoded[r.Index] != nil; got != objects[i].handedOff {
			t.Fatalf("record %d: handed over %v, want %v", i, got, objects[i].handedOff)
		}
		want, wantOK, wantErr := detect.FromRecord(r)
		got, gotOK, gotErr := indicatorOf(r, decoded[r.Index])
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || gotOK != wantOK || !reflect.DeepEqual(got, want) {
			t.Errorf("record %d: indicatorOf = %+v, %v, %v; FromRecord = %+v, %v, %v", i, got, gotOK, gotErr, want, wantOK, wantErr)
		}
	}
}
