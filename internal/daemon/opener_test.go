package daemon

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// TestOpenerKeysAndRefusals: after a key rotation, records sealed to the
// retired key still open and new ones open with the current key; records
// for others, altered records, records whose content contradicts their
// header and withdrawn records are not projected.
func TestOpenerKeysAndRefusals(t *testing.T) {
	dir := t.TempDir()
	old, _ := keys.Generate("b")
	cur, _ := keys.Generate("b")
	other, _ := keys.Generate("c")
	if err := old.Save(filepath.Join(dir, retiredDir, "old.json")); err != nil {
		t.Fatal(err)
	}
	if err := cur.Save(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	obj := func(n int, name string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--0000000` + string(rune('0'+n)) + `-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"` + name + `","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`
	}
	sealRec := func(n int, body, id string, to ...*keys.Identity) record.Record {
		var ks []seal.Key
		for _, k := range to {
			ks = append(ks, seal.Key{Member: k.Member, Public: k.SealPublic()})
		}
		e, err := seal.Seal(seal.Meta{ID: id, Modified: "2026-01-01T00:00:00Z", Author: "a", Level: uint8(tlp.Amber)}, []byte(body), ks)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := e.Encode()
		return record.Record{Index: uint64(n), ObjectID: id, Modified: "2026-01-01T00:00:00Z", Sealed: b}
	}
	id := func(n int) string { return "indicator--0000000" + string(rune('0'+n)) + "-0000-4000-8000-000000000000" }
	tampered := sealRec(3, obj(3, "x"), id(3), cur)
	tampered.Sealed[len(tampered.Sealed)-1] ^= 1
	recs := []record.Record{
		sealRec(0, obj(0, "to the retired key"), id(0), old),
		sealRec(1, obj(1, "to the current key"), id(1), cur),
		sealRec(2, obj(2, "not for b"), id(2), other),
		tampered,
		sealRec(4, obj(5, "header names another id"), id(4), cur),
		sealRec(5, obj(6, "withdrawn"), id(6), cur),
		{Index: 6, ObjectID: id(7), Object: []byte(obj(7, "plaintext"))},
	}
	o := newOpener(dir, "b", func(gotID, _ string) (bool, error) { return gotID == id(6), nil })
	out, probs := o.open(recs)
	for i, want := range []string{"to the retired key", "to the current key", "", "", "", "", "plaintext"} {
		got := string(out[i].Object)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("record %d: opened %q; want %q", i, got, want)
		}
	}
	if out[0].Access == nil || out[0].Access.Level != uint8(tlp.Amber) || len(out[0].Access.Recipients) != 1 {
		t.Errorf("access of an opened record: %+v", out[0].Access)
	}
	if recs[0].Object != nil {
		t.Error("open modified its input")
	}
	whys := map[uint64]string{}
	for _, p := range probs {
		whys[p.index] = p.why
	}
	if len(whys) != 2 || !strings.Contains(whys[3], "altered") || !strings.Contains(whys[4], "differs from its header") {
		t.Errorf("problems %+v", probs)
	}
	for _, p := range probs {
		if strings.Contains(p.why, "header names another id") {
			t.Error("a problem report carries plaintext")
		}
	}
}
