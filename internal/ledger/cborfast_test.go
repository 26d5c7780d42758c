package ledger

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFastCBORMatchesLibrary checks the hand-written encodings of records
// and owners against the CBOR library's canonical encoding, with fields
// nil, empty and of lengths around every head size, and integers around
// every head size on both signs.
func TestFastCBORMatchesLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	lengths := []int{0, 1, 23, 24, 255, 256, 65535, 65536}
	someBytes := func() []byte {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []byte{}
		}
		b := make([]byte, lengths[r.IntN(len(lengths))])
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	someText := func() string { return strings.Repeat("é", lengths[r.IntN(len(lengths))]/2) + "x"[:r.IntN(2)] }
	ints := []int64{0, 1, 23, 24, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -24, -25, -256, -257, -65536, -65537, math.MinInt64, 1_800_000_000_000_000_000}
	someInt := func() int64 { return ints[r.IntN(len(ints))] }
	for range 3000 {
		s := storedRecord{Height: someInt(), TimeNano: someInt(), TxHash: someBytes(), Author: someText(),
			ObjectID: someText(), Type: someText(), Modified: someText(), Object: someBytes(), Sealed: someBytes()}
		if got, want := encodeRecord(s), mustEncode(s); !bytes.Equal(got, want) {
			t.Fatalf("record %+v:\n got %x\nwant %x", s, got, want)
		}
		o := owner{Author: someText(), Type: someText(), Created: someText(), Sealed: r.IntN(2) == 0}
		if got, want := encodeOwner(o), mustEncode(o); !bytes.Equal(got, want) {
			t.Fatalf("owner %+v:\n got %x\nwant %x", o, got, want)
		}
	}
}

// TestMarshalOutsMatchesJSON checks a publish transaction's result data
// against encoding/json, for plain ids and versions and for strings that
// need escaping.
func TestMarshalOutsMatchesJSON(t *testing.T) {
	cases := [][]recordOut{
		nil,
		{},
		{{ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Version: "2016-04-06T20:03:48Z", Index: 0}},
		{{ID: "a", Version: "", Index: 1}, {ID: "b--c", Version: "2026-01-01T00:00:00.5Z", Index: math.MaxUint64}},
		{{ID: `x"y`, Version: "v", Index: 2}},
		{{ID: "x", Version: `<&>\` + "\n\u00e9\u2028", Index: 3}},
	}
	for _, outs := range cases {
		want, err := json.Marshal(outs)
		if err != nil {
			t.Fatal(err)
		}
		if got := marshalOuts(outs); !bytes.Equal(got, want) {
			t.Errorf("marshalOuts(%+v) = %s, want %s", outs, got, want)
		}
	}
}
