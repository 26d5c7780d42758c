// Package tx is the wire format of Phalanx transactions: a canonical CBOR
// body (RFC 8949 core deterministic encoding) signed with the author's
// Ed25519 key. Publish and sealed transactions use version 2 (v2.go): the
// author signs a small header that commits to the items by a Merkle root.
//
// Encoding of version 1 on the wire:
//
//	Tx   = CBOR array [ body: bstr, signature: bstr(64) ]
//	body = canonical CBOR map {1: chain_id tstr, 2: type uint, 3: author tstr,
//	                           4: nonce uint, 5: payload bstr}
//	signature = Ed25519(sign_key, "phalanx/tx/v1" 0x00 || body)
//
// The signature covers the exact body bytes, and Decode refuses a body that
// is not in canonical form, so one logical transaction has exactly one
// encoding and one hash.
package tx

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/phalanx-ledger/phalanx/internal/edsig"
)

// Type says what a transaction asks the ledger to do.
type Type uint8

// Transaction types.
const (
	// TypePublish adds STIX objects to the ledger (payload: Publish).
	TypePublish Type = 1
	// TypePropose opens a governance proposal (payload: Propose).
	TypePropose Type = 2
	// TypeVote votes on an open proposal (payload: Vote).
	TypeVote Type = 3
	// TypeSealed adds sealed records (payload: Sealed).
	TypeSealed Type = 4
	// TypeGroup creates or changes a sharing group (payload: ledger.GroupOp).
	TypeGroup Type = 5
	// TypeWithdraw withdraws a sealed record (payload: ledger.Withdraw).
	TypeWithdraw Type = 6
	// TypeProfile replaces the author's member profile (payload:
	// ledger.ProfileUpdate).
	TypeProfile Type = 7
)

// String names the type.
func (t Type) String() string {
	switch t {
	case TypePublish:
		return "publish"
	case TypePropose:
		return "propose"
	case TypeVote:
		return "vote"
	case TypeSealed:
		return "sealed"
	case TypeGroup:
		return "group"
	case TypeWithdraw:
		return "withdraw"
	case TypeProfile:
		return "profile"
	default:
		return fmt.Sprintf("type(%d)", uint8(t))
	}
}

// signPrefix separates Phalanx transaction signatures from any other use of
// the same key.
const signPrefix = "phalanx/tx/v1\x00"

// Body is the signed part of a transaction.
type Body struct {
	ChainID string `cbor:"1,keyasint"`
	Type    Type   `cbor:"2,keyasint"`
	Author  string `cbor:"3,keyasint"`
	Nonce   uint64 `cbor:"4,keyasint"`
	Payload []byte `cbor:"5,keyasint"`
}

// Tx is a decoded transaction: the body, its exact encoding and signature.
// A version 2 transaction (v2.go) fills Body with its header's chain id,
// type, author and nonce (no Payload), BodyBytes with the exact header
// bytes it signs, and Header and Items.
type Tx struct {
	Version   int // 1 or 2
	Body      Body
	BodyBytes []byte
	Signature []byte
	Header    Header   // version 2 only
	Items     [][]byte // version 2 only
	// Payload is the compressed form of Items, for a v2 transaction whose
	// items travel compressed (compress.go); nil otherwise.
	Payload []byte

	tree     *ItemTree // version 2: the items' tree, once computed
	expanded int       // with Payload: the transaction's size uncompressed
}

type envelope struct {
	_         struct{} `cbor:",toarray"`
	Body      []byte
	Signature []byte
}

// Publish is the payload of a TypePublish transaction: STIX objects as
// compact JSON, in the order the author gave them.
type Publish struct {
	Objects [][]byte `cbor:"1,keyasint"`
}

// Sealed is the payload of a TypeSealed transaction: sealed records
// (internal/seal envelopes, canonical CBOR), in the order the author gave.
type Sealed struct {
	Records [][]byte `cbor:"1,keyasint"`
}

// Errors returned by Decode and Verify. Callers map them to ledger codes.
var (
	ErrMalformed = errors.New("malformed transaction")
	ErrSignature = errors.New("bad signature")
)

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	if decMode, err = StrictDecOptions(1<<20, 1<<10, 8).DecMode(); err != nil {
		panic(err)
	}
}

// StrictDecOptions are the CBOR decoding rules of every signed or hashed
// structure (transactions, sealed envelopes): duplicate map keys, unknown
// fields, indefinite lengths and tags are refused, and sizes are bounded
// by the given limits.
func StrictDecOptions(maxArray, maxMapPairs, maxNesting int) cbor.DecOptions {
	return cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxArrayElements:  maxArray,
		MaxMapPairs:       maxMapPairs,
		MaxNestedLevels:   maxNesting,
	}
}

// Sign encodes body canonically and signs it.
func Sign(body Body, key ed25519.PrivateKey) ([]byte, error) {
	bb, err := encMode.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode tx body: %w", err)
	}
	sig := ed25519.Sign(key, signedBytes(bb))
	out, err := encMode.Marshal(envelope{Body: bb, Signature: sig})
	if err != nil {
		return nil, fmt.Errorf("encode tx: %w", err)
	}
	return out, nil
}

// Decode parses a transaction of either version and checks that it is in
// canonical form (and, for version 2, that it carries as many items as its
// header commits to: ErrItems). It does not verify the signature or the
// items root (Verify does: the verifier needs the author's key).
func Decode(raw []byte) (*Tx, error) {
	switch {
	case len(raw) == 0:
		return nil, fmt.Errorf("%w: empty transaction", ErrMalformed)
	case raw[0] == 0x83: // array(3): version 2
		return decodeV2(raw)
	}
	var env envelope
	if err := decMode.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var body Body
	if err := decMode.Unmarshal(env.Body, &body); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if err := canonical(raw, env, body); err != nil {
		return nil, err
	}
	if len(env.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(env.Signature), ed25519.SignatureSize)
	}
	return &Tx{Version: 1, Body: body, BodyBytes: env.Body, Signature: env.Signature}, nil
}

func canonical(raw []byte, env envelope, body Body) error {
	bb, err := encMode.Marshal(body)
	if err != nil || !bytes.Equal(bb, env.Body) {
		return fmt.Errorf("%w: body is not canonical CBOR", ErrMalformed)
	}
	re, err := encMode.Marshal(env)
	if err != nil || !bytes.Equal(re, raw) {
		return fmt.Errorf("%w: envelope is not canonical CBOR", ErrMalformed)
	}
	return nil
}

// Verify checks the signature with the author's public key; for version
// 2, the signature over the header (ErrSignature), then that the items
// hash to the root the header commits to (ErrItems).
func (t *Tx) Verify(pub ed25519.PublicKey) error {
	if t.Version == 2 {
		return t.verifyV2(pub)
	}
	if len(pub) != ed25519.PublicKeySize || !edsig.Verify(pub, signedBytes(t.BodyBytes), t.Signature) {
		return ErrSignature
	}
	return nil
}

func signedBytes(body []byte) []byte {
	b := make([]byte, 0, len(signPrefix)+len(body))
	return append(append(b, signPrefix...), body...)
}

// EncodePublish encodes a publish payload.
func EncodePublish(p Publish) ([]byte, error) {
	b, err := encMode.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode publish payload: %w", err)
	}
	return b, nil
}

// DecodePublish decodes a publish payload, refusing non-canonical forms.
func DecodePublish(b []byte) (Publish, error) {
	var p Publish
	if err := decMode.Unmarshal(b, &p); err != nil {
		return Publish{}, fmt.Errorf("%w: publish payload: %v", ErrMalformed, err)
	}
	re, err := encMode.Marshal(p)
	if err != nil || !bytes.Equal(re, b) {
		return Publish{}, fmt.Errorf("%w: publish payload is not canonical CBOR", ErrMalformed)
	}
	return p, nil
}

// EncodePayload encodes any payload struct canonically.
func EncodePayload(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	return b, nil
}

// DecodePayload decodes a payload into v (a pointer), refusing unknown
// fields and non-canonical forms.
func DecodePayload(b []byte, v any) error {
	if err := decMode.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	re, err := encMode.Marshal(v)
	if err != nil || !bytes.Equal(re, b) {
		return fmt.Errorf("%w: payload is not canonical CBOR", ErrMalformed)
	}
	return nil
}
