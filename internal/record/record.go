// Package record holds the domain types shared by every layer of Phalanx: a
// record is one accepted STIX object version as the ledger committed it.
//
// It imports only the standard library, so the ledger state machine, the
// projection and the edges can all speak of records without depending on one
// another.
package record

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Record is one STIX object version accepted by the ledger. Records form an
// append-only log: Index is the record's position in the RFC 6962 Merkle log
// whose root the block's app hash commits to.
type Record struct {
	// Index is the record's leaf index in the ledger's Merkle log (0-based).
	Index uint64
	// Height is the block height at which the record was committed.
	Height int64
	// Time is the block time (the only clock of the ledger), UTC.
	Time time.Time
	// TxHash is the CometBFT hash (SHA-256) of the transaction that carried it.
	TxHash []byte
	// Author is the member id that signed the transaction.
	Author string
	// ObjectID is the STIX id (`type--UUID`).
	ObjectID string
	// Type is the STIX type.
	Type string
	// Modified is the STIX version timestamp (`modified`, or `created` for
	// objects without it), normalised to RFC 3339 in UTC with the object's
	// own sub-second precision.
	Modified string
	// Object is the STIX object as the author published it (JSON). For a
	// sealed record it is empty on the ledger; a recipient's node fills it
	// with the opened plaintext before projecting.
	Object []byte
	// Sealed is the sealed envelope (internal/seal, canonical CBOR) of a
	// record published above TLP:GREEN or to named recipients; nil for a
	// plaintext record.
	Sealed []byte
	// Access is the marking and recipients that decide who may read the
	// record. Not part of the leaf nor of the stored state: the ledger sets
	// it on the plaintext records of the blocks it commits (their TLP level,
	// GREEN when unmarked) and the node's opener on the sealed records it
	// opens; it is nil on records read back from the state.
	Access *Access
	// Parsed is what Object was parsed into, a *stix.Object, when the
	// record comes fresh from the code that parsed it (the ledger's
	// FinalizeBlock, the node's opener), so that readers need not decode
	// Object again; nil otherwise, as on records read back from the state.
	// In memory only: never stored, hashed or sent; a reader that uses it
	// checks that its Raw is Object. (Typed any so that this package keeps
	// to the standard library.)
	Parsed any `json:"-"`
}

// Access is what read paths need to decide who may read a record.
type Access struct {
	// Level is the TLP level (1 CLEAR … 5 RED, see internal/tlp).
	Level uint8
	// Recipients are the member ids a sealed record was sealed for.
	Recipients []string
	// Group is the sharing group the record was addressed to, if any.
	Group string
}

// ContentHash is SHA-256 of what the leaf commits to: the sealed envelope
// of a sealed record, the object bytes of a plaintext one.
func (r *Record) ContentHash() [32]byte {
	if r.Sealed != nil {
		return sha256.Sum256(r.Sealed)
	}
	return sha256.Sum256(r.Object)
}

// LeafData is the deterministic byte string hashed into the Merkle log:
//
//	"phalanx/record/v1" 0x00
//	u64be(index) u64be(height) u64be(unix nanos of block time)
//	len-prefixed(tx hash) len-prefixed(author) len-prefixed(object id)
//	len-prefixed(modified) sha256(object)
//
// where len-prefixed(x) is u32be(len(x)) followed by x. The RFC 6962 leaf
// hash is SHA-256(0x00 || LeafData).
//
// A sealed record uses the tag "phalanx/record/v2" 0x00 and, in place of
// sha256(object), sha256(sealed envelope); the fields are otherwise the
// same. Plaintext leaves keep the v1 encoding byte for byte.
func (r *Record) LeafData() []byte {
	return r.appendLeafData(make([]byte, 0, r.leafDataLen()))
}

// LeafHash is the record's RFC 6962 leaf hash, SHA-256(0x00 || LeafData),
// hashed from one buffer.
func (r *Record) LeafHash() []byte {
	b := r.appendLeafData(append(make([]byte, 0, 1+r.leafDataLen()), 0x00))
	h := sha256.Sum256(b)
	return h[:]
}

func (r *Record) leafDataLen() int {
	return len(leafTagV1) + 24 + 4*4 + len(r.TxHash) + len(r.Author) + len(r.ObjectID) + len(r.Modified) + 32
}

// Leaf data tags: plaintext and sealed records.
const (
	leafTagV1 = "phalanx/record/v1\x00"
	leafTagV2 = "phalanx/record/v2\x00"
)

// appendLeafData appends LeafData to b.
func (r *Record) appendLeafData(b []byte) []byte {
	tag := leafTagV1
	if r.Sealed != nil {
		tag = leafTagV2
	}
	b = append(b, tag...)
	b = binary.BigEndian.AppendUint64(b, r.Index)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Height))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixNano()))
	b = append(binary.BigEndian.AppendUint32(b, uint32(len(r.TxHash))), r.TxHash...)
	for _, f := range [...]string{r.Author, r.ObjectID, r.Modified} {
		b = append(binary.BigEndian.AppendUint32(b, uint32(len(f))), f...)
	}
	h := r.ContentHash()
	return append(b, h[:]...)
}
