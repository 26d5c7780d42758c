package tx

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// slowDecodeV2 is decodeV2 without the in-place reader: the general
// decoder and the re-encoding check, as before it. Compressed items go to
// decodeCompressed, as in decodeV2.
func slowDecodeV2(raw []byte) (*Tx, error) {
	if compressedForm(raw) {
		return decodeCompressed(raw)
	}
	var env envelopeV2
	if err := decMode.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	h, err := DecodeHeader(env.Header)
	if err != nil {
		return nil, err
	}
	if re, err := encMode.Marshal(env); err != nil || !bytes.Equal(re, raw) {
		return nil, fmt.Errorf("%w: envelope is not canonical CBOR", ErrMalformed)
	}
	if len(env.Signature) != 64 {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(env.Signature), 64)
	}
	if uint64(len(env.Items)) != h.ItemCount {
		return nil, fmt.Errorf("%w: the header commits to %d items, the transaction carries %d", ErrItems, h.ItemCount, len(env.Items))
	}
	return &Tx{Version: 2, Body: Body{ChainID: h.ChainID, Type: h.Type, Author: h.Author, Nonce: h.Nonce},
		BodyBytes: env.Header, Signature: env.Signature, Header: h, Items: env.Items}, nil
}

// checkSameDecode fails unless decodeV2 and slowDecodeV2 return the same
// error or equal transactions for raw.
func checkSameDecode(t *testing.T, raw []byte) {
	t.Helper()
	got, gotErr := decodeV2(raw)
	want, wantErr := slowDecodeV2(raw)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%x: error %v, the general decoder says %v", raw, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%x: decoded %+v, the general decoder %+v", raw, got, want)
	}
}

// TestFastEnvelopeMatchesDecoder checks the in-place reader against the
// general decoder on signed transactions and on every truncation and
// single-byte change of one, and that it reads items in place without
// letting an append write into the transaction.
func TestFastEnvelopeMatchesDecoder(t *testing.T) {
	key := testKey()
	var raws [][]byte
	for _, n := range []int{1, 2, 23, 24, 300} {
		raw, err := SignItems(Header{ChainID: "chain", Type: TypePublish, Author: "org", Nonce: uint64(n)}, items(n), key)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
		if _, ok := fastEnvelopeV2(raw); !ok {
			t.Fatalf("a signed transaction of %d items is not read in place", n)
		}
		checkSameDecode(t, raw)
	}
	small := raws[1]
	for i := range small {
		checkSameDecode(t, small[:i])
		for _, b := range []byte{0x00, 0x18, 0x19, 0x1f, 0x40, 0x41, 0x58, 0x5f, 0x80, 0x9f, 0xf6, 0xff} {
			mutated := bytes.Clone(small)
			mutated[i] = b
			checkSameDecode(t, mutated)
			mutated[i] ^= 0x01
			checkSameDecode(t, mutated)
		}
	}
	checkSameDecode(t, append(bytes.Clone(small), 0x00))
	tx, err := Decode(raws[0])
	if err != nil {
		t.Fatal(err)
	}
	before := bytes.Clone(raws[0])
	_ = append(tx.Items[0], 'x')
	if !bytes.Equal(raws[0], before) {
		t.Fatal("appending to an item wrote into the transaction")
	}
}

// FuzzFastEnvelopeMatchesDecoder checks the in-place reader against the
// general decoder on any input.
func FuzzFastEnvelopeMatchesDecoder(f *testing.F) {
	key := testKey()
	for _, n := range []int{1, 2, 3, 24} {
		raw, _ := SignItems(Header{ChainID: "chain", Type: TypePublish, Author: "org", Nonce: 1}, items(n), key)
		f.Add(raw)
	}
	f.Add([]byte{0x83, 0x40, 0x40, 0x80})
	f.Add([]byte{0x83, 0x41, 0x00, 0x41, 0x00, 0x81, 0x40})
	f.Add([]byte{0x83, 0x58, 0x01, 0x00, 0x41, 0x00, 0x81, 0x41, 0x00})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 0 && raw[0] == 0x83 {
			checkSameDecode(t, raw)
		}
	})
}
