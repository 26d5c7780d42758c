package tx

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/phalanx-ledger/phalanx/internal/edsig"
)

// Version 2 transactions carry items (the STIX objects of a publish, the
// sealed envelopes of a sealed publish) beside a small signed header that
// commits to them by an RFC 6962 Merkle root, so one item can later be
// proven signed with the header, the item and its audit path alone,
// without the rest of the transaction:
//
//	Tx v2  = CBOR array [ header: bstr, signature: bstr(64), items: [ bstr, … ] ]
//	header = canonical CBOR map {1: chain_id tstr, 2: type uint, 3: author tstr,
//	                             4: nonce uint, 5: item_count uint, 6: items_root bstr(32)}
//	signature  = Ed25519(sign_key, "phalanx/tx/v2" 0x00 || header)
//	items_root = RFC 6962 root of the items (leaf H(0x00 || item),
//	             node H(0x01 || left || right)), see ItemTree
//
// Only publish and sealed transactions use version 2; every other type
// stays version 1. A v1 transaction is a 2-element array, a v2 one a
// 3-element array: the first byte of the encoding tells them apart.
//
// The items of a v2 transaction may instead travel compressed
// (compress.go): the third element is then one byte string, the S2
// compression of the items array, and the header commits to those exact
// bytes by their SHA-256 (key 7).

// signPrefixV2 separates v2 header signatures from v1 body signatures and
// any other use of the key.
const signPrefixV2 = "phalanx/tx/v2\x00"

// Header is the signed part of a v2 transaction.
type Header struct {
	ChainID   string `cbor:"1,keyasint"`
	Type      Type   `cbor:"2,keyasint"`
	Author    string `cbor:"3,keyasint"`
	Nonce     uint64 `cbor:"4,keyasint"`
	ItemCount uint64 `cbor:"5,keyasint"`
	ItemsRoot []byte `cbor:"6,keyasint"`
	// PayloadHash is the SHA-256 of the compressed items (compress.go);
	// absent when the items travel as an array.
	PayloadHash []byte `cbor:"7,keyasint,omitempty"`
}

type envelopeV2 struct {
	_         struct{} `cbor:",toarray"`
	Header    []byte
	Signature []byte
	Items     [][]byte
}

// ErrItems means a v2 transaction's items do not match its signed header
// (count or root).
var ErrItems = errors.New("items do not match the signed header")

// SignItems builds and signs a v2 transaction of type typ (publish or
// sealed) carrying items; h's ItemCount and ItemsRoot are computed here.
func SignItems(h Header, items [][]byte, key ed25519.PrivateKey) ([]byte, error) {
	if h.Type != TypePublish && h.Type != TypeSealed {
		return nil, fmt.Errorf("sign %s transaction: only publish and sealed transactions carry items", h.Type)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("sign %s transaction: no items", h.Type)
	}
	h.ItemCount = uint64(len(items))
	h.ItemsRoot = NewItemTree(items).Root()
	h.PayloadHash = nil
	return signHeader(h, key, func(hb, sig []byte) any { return envelopeV2{Header: hb, Signature: sig, Items: items} })
}

// signHeader encodes and signs h, then encodes the envelope that env
// makes of the header and its signature.
func signHeader(h Header, key ed25519.PrivateKey, env func(header, sig []byte) any) ([]byte, error) {
	hb, err := encMode.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode tx header: %w", err)
	}
	out, err := encMode.Marshal(env(hb, ed25519.Sign(key, SignedHeaderBytes(hb))))
	if err != nil {
		return nil, fmt.Errorf("encode tx: %w", err)
	}
	return out, nil
}

// SignedHeaderBytes is what the author's key signs in a v2 transaction.
func SignedHeaderBytes(header []byte) []byte {
	b := make([]byte, 0, len(signPrefixV2)+len(header))
	return append(append(b, signPrefixV2...), header...)
}

// decodeV2 decodes a version 2 transaction. An envelope in canonical form
// (every signed one) is read in place (fastEnvelopeV2): its items are
// slices of raw, which must not change afterwards. Anything else goes
// through the general decoder and the re-encoding check, which say what
// is wrong.
func decodeV2(raw []byte) (*Tx, error) {
	if compressedForm(raw) {
		return decodeCompressed(raw)
	}
	env, fast := fastEnvelopeV2(raw)
	if !fast {
		if err := decMode.Unmarshal(raw, &env); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	h, err := DecodeHeader(env.Header)
	if err != nil {
		return nil, err
	}
	if h.PayloadHash != nil {
		return nil, fmt.Errorf("%w: the header commits to a compressed payload, the transaction carries an item array", ErrMalformed)
	}
	if !fast {
		if re, err := encMode.Marshal(env); err != nil || !bytes.Equal(re, raw) {
			return nil, fmt.Errorf("%w: envelope is not canonical CBOR", ErrMalformed)
		}
	}
	return newTxV2(h, env)
}

// newTxV2 checks the signature's length and the item count of a decoded
// v2 envelope and returns its transaction.
func newTxV2(h Header, env envelopeV2) (*Tx, error) {
	if len(env.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(env.Signature), ed25519.SignatureSize)
	}
	if uint64(len(env.Items)) != h.ItemCount {
		return nil, fmt.Errorf("%w: the header commits to %d items, the transaction carries %d", ErrItems, h.ItemCount, len(env.Items))
	}
	return &Tx{Version: 2, Body: Body{ChainID: h.ChainID, Type: h.Type, Author: h.Author, Nonce: h.Nonce},
		BodyBytes: env.Header, Signature: env.Signature, Header: h, Items: env.Items}, nil
}

// DecodeHeader decodes a v2 header, refusing non-canonical forms, a root
// that is not 32 bytes and types that carry no items.
func DecodeHeader(b []byte) (Header, error) {
	var h Header
	if err := decMode.Unmarshal(b, &h); err != nil {
		return Header{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if re, err := encMode.Marshal(h); err != nil || !bytes.Equal(re, b) {
		return Header{}, fmt.Errorf("%w: header is not canonical CBOR", ErrMalformed)
	}
	if len(h.ItemsRoot) != 32 {
		return Header{}, fmt.Errorf("%w: items root is %d bytes, want 32", ErrMalformed, len(h.ItemsRoot))
	}
	if h.PayloadHash != nil && len(h.PayloadHash) != 32 {
		return Header{}, fmt.Errorf("%w: payload hash is %d bytes, want 32", ErrMalformed, len(h.PayloadHash))
	}
	if h.Type != TypePublish && h.Type != TypeSealed {
		return Header{}, fmt.Errorf("%w: a version 2 transaction must be a publish or a sealed publish, not %s", ErrMalformed, h.Type)
	}
	return h, nil
}

// VerifyHeader checks a v2 header signature with the author's key.
func VerifyHeader(pub ed25519.PublicKey, header, sig []byte) error {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize ||
		!edsig.Verify(pub, SignedHeaderBytes(header), sig) {
		return ErrSignature
	}
	return nil
}

// verifyV2 checks the header signature, then that compressed items are
// the bytes the header commits to, then that the items hash to the signed
// root.
func (t *Tx) verifyV2(pub ed25519.PublicKey) error {
	if err := VerifyHeader(pub, t.BodyBytes, t.Signature); err != nil {
		return err
	}
	if err := t.verifyPayload(); err != nil {
		return err
	}
	if root := t.ItemTree().Root(); !bytes.Equal(root, t.Header.ItemsRoot) {
		return fmt.Errorf("%w: the items hash to root %x, the signed header commits to %x", ErrItems, root, t.Header.ItemsRoot)
	}
	return nil
}

// ItemTree returns the Merkle tree over a v2 transaction's items (computed
// once per Tx; nil for v1).
func (t *Tx) ItemTree() *ItemTree {
	if t.Version != 2 {
		return nil
	}
	if t.tree == nil {
		t.tree = NewItemTree(t.Items)
	}
	return t.tree
}

// Contents lists what a publish or sealed transaction carries, in order:
// STIX objects (publish) or sealed envelopes (sealed); the items of v2,
// the decoded payload of v1.
func (t *Tx) Contents() ([][]byte, error) {
	if t.Version == 2 {
		return t.Items, nil
	}
	switch t.Body.Type {
	case TypePublish:
		p, err := DecodePublish(t.Body.Payload)
		return p.Objects, err
	case TypeSealed:
		var p Sealed
		if err := DecodePayload(t.Body.Payload, &p); err != nil {
			return nil, err
		}
		return p.Records, nil
	}
	return nil, fmt.Errorf("%w: a %s transaction carries no objects", ErrMalformed, t.Body.Type)
}
