package record

import (
	"bytes"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
)

// TestLeafHashIsRFC6962 checks LeafHash against the RFC 6962 hasher over
// LeafData, for plaintext and sealed records and empty fields.
func TestLeafHashIsRFC6962(t *testing.T) {
	records := []Record{
		{Index: 7, Height: 3, Time: time.Unix(1_800_000_000, 5).UTC(), TxHash: bytes.Repeat([]byte{1}, 32),
			Author: "member1", ObjectID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Type: "indicator",
			Modified: "2016-04-06T20:03:48Z", Object: []byte(`{"type":"indicator"}`)},
		{Index: 1 << 40, Height: 1, Time: time.Unix(0, 0).UTC(), Author: "m", ObjectID: "x--y", Sealed: []byte{9, 9, 9}},
		{},
	}
	for i, r := range records {
		if got, want := r.LeafHash(), rfc6962.DefaultHasher.HashLeaf(r.LeafData()); !bytes.Equal(got, want) {
			t.Errorf("record %d: LeafHash %x, want %x", i, got, want)
		}
	}
}
