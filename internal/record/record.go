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
	// Object is the STIX object as the author published it (JSON).
	Object []byte
}

// ContentHash is SHA-256 of the object bytes.
func (r *Record) ContentHash() [32]byte { return sha256.Sum256(r.Object) }

// LeafData is the deterministic byte string hashed into the Merkle log:
//
//	"phalanx/record/v1" 0x00
//	u64be(index) u64be(height) u64be(unix nanos of block time)
//	len-prefixed(tx hash) len-prefixed(author) len-prefixed(object id)
//	len-prefixed(modified) sha256(object)
//
// where len-prefixed(x) is u32be(len(x)) followed by x. The RFC 6962 leaf
// hash is SHA-256(0x00 || LeafData).
func (r *Record) LeafData() []byte {
	const tag = "phalanx/record/v1\x00"
	b := make([]byte, 0, len(tag)+24+4*4+len(r.TxHash)+len(r.Author)+len(r.ObjectID)+len(r.Modified)+32)
	b = append(b, tag...)
	b = binary.BigEndian.AppendUint64(b, r.Index)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Height))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixNano()))
	for _, f := range [][]byte{r.TxHash, []byte(r.Author), []byte(r.ObjectID), []byte(r.Modified)} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	h := r.ContentHash()
	return append(b, h[:]...)
}
