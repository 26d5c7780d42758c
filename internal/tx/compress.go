package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/klauspost/compress/s2"
)

// A v2 transaction's items may travel compressed:
//
//	Tx v2, compressed = CBOR array [ header: bstr, signature: bstr(64), payload: bstr ]
//	payload           = S2 block encoding of the canonical CBOR array [ item: bstr, … ]
//	header            = the v2 header with 7: payload_hash bstr(32) = SHA-256(payload)
//
// Feeds of STIX objects repeat property names, marking ids and identity
// refs from object to object, so a batch of them shrinks four- to
// five-fold, and every node hashes, encrypts, stores and copies a
// transaction's bytes several times (CometBFT's mempool, block parts,
// block store and p2p connections): docs/benchmarks.md, "Session 8".
//
// The header, and so the signature, commits to the payload's exact bytes:
// however another encoder would compress the same items, one transaction
// still has one encoding and one hash. The items root is over the items
// themselves, so an item's proof (header, signature, item, audit path)
// is the same whether its transaction was compressed or not.

// MaxExpandedBytes bounds the items a compressed payload may expand to:
// the largest transaction any ledger parameter allows (max_tx_bytes is at
// most 64 MiB). The ledger also holds the expanded size to max_tx_bytes.
const MaxExpandedBytes = 64 << 20

// ErrTooLarge means a compressed payload expands beyond MaxExpandedBytes.
var ErrTooLarge = errors.New("transaction too large")

// SignItemsCompressed is SignItems with the items compressed, when that
// makes the transaction at least an eighth smaller; otherwise it returns
// what SignItems does. Publish transactions compress well; sealed ones
// (ciphertext) do not, and are never compressed.
func SignItemsCompressed(h Header, items [][]byte, key ed25519.PrivateKey) ([]byte, error) {
	if h.Type != TypePublish || len(items) == 0 {
		return SignItems(h, items, key)
	}
	array, err := encMode.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("encode tx items: %w", err)
	}
	payload := s2.Encode(nil, array)
	if len(payload)+2+sha256.Size > len(array)-len(array)/8 { // the header grows by key 7
		return SignItems(h, items, key)
	}
	sum := sha256.Sum256(payload)
	h.ItemCount, h.ItemsRoot, h.PayloadHash = uint64(len(items)), NewItemTree(items).Root(), sum[:]
	return signHeader(h, key, func(hb, sig []byte) any { return compressedEnvelope{Header: hb, Signature: sig, Payload: payload} })
}

type compressedEnvelope struct {
	_         struct{} `cbor:",toarray"`
	Header    []byte
	Signature []byte
	Payload   []byte
}

// compressedForm reports whether raw, a 3-element array, has a byte string
// (a compressed payload) as its third element rather than an item array.
// It only chooses the decoder: decodeCompressed checks the whole form.
func compressedForm(raw []byte) bool {
	p := 1
	for range 2 {
		n, q, ok := canonicalHead(raw, p, majorBstr)
		if !ok || n > uint64(len(raw)-q) {
			return false
		}
		p = q + int(n)
	}
	return p < len(raw) && raw[p]>>5 == majorBstr
}

// decodeCompressed decodes a v2 transaction whose items travel compressed:
// the envelope and header in canonical form, a header committing to a
// payload, a payload that expands to at most MaxExpandedBytes of canonical
// item array. The items are slices of the expanded payload.
func decodeCompressed(raw []byte) (*Tx, error) {
	var env compressedEnvelope
	if err := decMode.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if re, err := encMode.Marshal(env); err != nil || !bytes.Equal(re, raw) {
		return nil, fmt.Errorf("%w: envelope is not canonical CBOR", ErrMalformed)
	}
	h, err := DecodeHeader(env.Header)
	if err != nil {
		return nil, err
	}
	if h.PayloadHash == nil {
		return nil, fmt.Errorf("%w: compressed items under a header that commits to no payload", ErrMalformed)
	}
	array, items, err := expand(env.Payload)
	if err != nil {
		return nil, err
	}
	t, err := newTxV2(h, envelopeV2{Header: env.Header, Signature: env.Signature, Items: items})
	if err != nil {
		return nil, err
	}
	t.Payload, t.expanded = env.Payload, len(raw)-len(env.Payload)+len(array)
	return t, nil
}

// expand decompresses a payload and reads its item array.
func expand(payload []byte) (array []byte, items [][]byte, err error) {
	n, err := s2.DecodedLen(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: compressed items: %v", ErrMalformed, err)
	}
	if n > MaxExpandedBytes {
		return nil, nil, fmt.Errorf("%w: compressed items expand to %d bytes; the limit is %d", ErrTooLarge, n, MaxExpandedBytes)
	}
	if array, err = s2.Decode(nil, payload); err != nil {
		return nil, nil, fmt.Errorf("%w: compressed items: %v", ErrMalformed, err)
	}
	items, ok := canonicalItems(array)
	if !ok {
		return nil, nil, fmt.Errorf("%w: compressed items are not a canonical CBOR array of non-empty byte strings", ErrMalformed)
	}
	return array, items, nil
}

// canonicalItems reads a canonical CBOR array of non-empty byte strings
// that fills b exactly; the items are capped slices of b.
func canonicalItems(b []byte) ([][]byte, bool) {
	n, p, ok := canonicalHead(b, 0, majorArray)
	if !ok || n == 0 || n > maxItems || n > uint64(len(b)-p)/2 {
		return nil, false
	}
	items := make([][]byte, n)
	for i := range items {
		if items[i], p, ok = canonicalBstr(b, p); !ok {
			return nil, false
		}
	}
	return items, p == len(b)
}

// verifyPayload checks that compressed items are the payload the signed
// header commits to.
func (t *Tx) verifyPayload() error {
	if t.Payload == nil {
		return nil
	}
	if sum := sha256.Sum256(t.Payload); !bytes.Equal(sum[:], t.Header.PayloadHash) {
		return fmt.Errorf("%w: the compressed items hash to %x, the signed header commits to %x", ErrItems, sum, t.Header.PayloadHash)
	}
	return nil
}

// ExpandedSize is the transaction's size with its items uncompressed
// (for one without compressed items, len(raw)): what the ledger holds to
// max_tx_bytes.
func (t *Tx) ExpandedSize(raw []byte) int {
	if t.Payload == nil {
		return len(raw)
	}
	return t.expanded
}

// PeekItemCount returns the item count the header of a v2 transaction
// (compressed or not) commits to, without decoding or expanding its
// items; ok is false for anything else. It checks nothing: it is a sizing
// hint, and Decode is what validates.
func PeekItemCount(raw []byte) (n uint64, ok bool) {
	if len(raw) == 0 || raw[0] != 0x83 {
		return 0, false
	}
	hb, _, ok := canonicalBstr(raw, 1)
	if !ok {
		return 0, false
	}
	h, err := DecodeHeader(hb)
	if err != nil {
		return 0, false
	}
	return h.ItemCount, true
}

// ClaimedExpandedSize is what ExpandedSize would be for raw, a
// transaction whose items travel compressed, as its payload's S2 header
// claims, read without expanding anything; ok is false for any other
// transaction and for a payload whose header does not read. A claim is
// not checked: Decode fails if the payload does not expand to it.
func ClaimedExpandedSize(raw []byte) (n int, ok bool) {
	if len(raw) == 0 || raw[0] != 0x83 || !compressedForm(raw) {
		return 0, false
	}
	p := 1
	for range 2 {
		l, q, _ := canonicalHead(raw, p, majorBstr) // compressedForm read them
		p = q + int(l)
	}
	l, q, ok := canonicalHead(raw, p, majorBstr)
	if !ok || l > uint64(len(raw)-q) {
		return 0, false
	}
	claimed, err := s2.DecodedLen(raw[q : q+int(l)])
	if err != nil {
		return 0, false
	}
	return len(raw) - int(l) + claimed, true
}
