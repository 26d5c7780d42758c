package proof

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// Formats of the JSON documents this package reads and writes.
const (
	BundleFormat      = "phalanx-proof-bundle/v1" // carries the whole (version 1) transaction
	BundleFormatV2    = "phalanx-proof-bundle/v2" // carries the signed header of a version 2 transaction and one item
	CheckpointFormat  = "phalanx-checkpoint/v1"
	ConsistencyFormat = "phalanx-consistency-proof/v1"
)

// MaxBundleBytes bounds a bundle (a transaction is at most 64 MiB, base64
// makes it a third larger).
const MaxBundleBytes = 96 << 20

// HexBytes is a byte string written as lower-case hex in JSON.
type HexBytes []byte

// MarshalJSON implements json.Marshaler.
func (h HexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// UnmarshalJSON implements json.Unmarshaler.
func (h *HexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a hex string: %w", err)
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%q is not hex", s)
	}
	*h = v
	return nil
}

// Record is a record as a bundle carries it: every field the leaf hashes.
// Object holds the exact STIX JSON of a plaintext record; Sealed, for a
// sealed record, the envelope the ledger committed (public header and
// ciphertext, canonical CBOR), which a verifier hashes into the v2 leaf
// without decrypting it. Exactly one of the two is set.
type Record struct {
	Index        uint64   `json:"index"`
	Height       int64    `json:"height"`
	TimeUnixNano int64    `json:"time_unix_nano"`
	TxHash       HexBytes `json:"tx_hash"`
	Author       string   `json:"author"`
	ObjectID     string   `json:"object_id"`
	Type         string   `json:"type"`
	Modified     string   `json:"modified"`
	Object       []byte   `json:"object"`           // base64 in JSON
	Sealed       []byte   `json:"sealed,omitempty"` // base64 in JSON
}

// RecordOf converts a ledger record.
func RecordOf(r record.Record) Record {
	return Record{Index: r.Index, Height: r.Height, TimeUnixNano: r.Time.UnixNano(), TxHash: r.TxHash,
		Author: r.Author, ObjectID: r.ObjectID, Type: r.Type, Modified: r.Modified, Object: r.Object, Sealed: r.Sealed}
}

// Ledger converts back to a record.Record.
func (r Record) Ledger() record.Record {
	return record.Record{Index: r.Index, Height: r.Height, Time: time.Unix(0, r.TimeUnixNano).UTC(), TxHash: r.TxHash,
		Author: r.Author, ObjectID: r.ObjectID, Type: r.Type, Modified: r.Modified, Object: r.Object, Sealed: r.Sealed}
}

// content is what the record's transaction must carry at its position:
// the envelope of a sealed record, the object of a plaintext one.
func (r Record) content() []byte {
	if r.Sealed != nil {
		return r.Sealed
	}
	return r.Object
}

// SignedCheckpoint is a checkpoint with what makes it binding: the header
// of the block after the checkpoint's height (whose app hash commits to
// it) and the validators' commit over that header.
type SignedCheckpoint struct {
	Format string `json:"format"`
	Note   string `json:"note"`   // C2SP signed note (tlog-checkpoint)
	Header []byte `json:"header"` // protobuf cometbft.types.v1.Header of block height+1 (base64)
	Commit []byte `json:"commit"` // protobuf cometbft.types.v1.Commit for block height+1 (base64)
}

// Bundle is a self-contained proof that a record is on the ledger. A
// record of a version 1 transaction is proven with the whole transaction
// (Format BundleFormat, Tx); a record of a version 2 transaction with the
// header its author signed, the signature and the audit path of the
// record's content among the transaction's items (BundleFormatV2).
type Bundle struct {
	Format      string           `json:"format"`
	Record      Record           `json:"record"`
	LeafHash    HexBytes         `json:"leaf_hash"`
	Tx          []byte           `json:"tx,omitempty"`           // v1: the signed transaction that carried the record (base64)
	TxHeader    []byte           `json:"tx_header,omitempty"`    // v2: the transaction's signed header, canonical CBOR (base64)
	TxSignature HexBytes         `json:"tx_signature,omitempty"` // v2: the author's Ed25519 signature of the header
	TxObject    int              `json:"tx_object"`              // position of the record's object (item) in the transaction
	ItemPath    []HexBytes       `json:"item_path,omitempty"`    // v2: RFC 6962 audit path of the item to the header's items root
	Inclusion   []HexBytes       `json:"inclusion"`              // RFC 6962 inclusion proof, leaf to root
	Checkpoint  SignedCheckpoint `json:"checkpoint"`
}

// ConsistencyProof proves the log at checkpoint To extends the log at From.
type ConsistencyProof struct {
	Format string           `json:"format"`
	From   SignedCheckpoint `json:"from"`
	To     SignedCheckpoint `json:"to"`
	Hashes []HexBytes       `json:"hashes"` // RFC 6962 consistency proof
}

// decodeStrict decodes one JSON document of a known format.
func decodeStrict(b []byte, v any, what string) error {
	if len(b) > MaxBundleBytes {
		return fmt.Errorf("%s is %d bytes; the limit is %d", what, len(b), MaxBundleBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: trailing data after the JSON document", what)
	}
	return nil
}

// ParseBundle decodes a proof bundle strictly (unknown fields, trailing
// data and other formats are refused).
func ParseBundle(b []byte) (*Bundle, error) {
	var bu Bundle
	if err := decodeStrict(b, &bu, "proof bundle"); err != nil {
		return nil, err
	}
	switch bu.Format {
	case BundleFormat:
		if bu.TxHeader != nil || bu.TxSignature != nil || bu.ItemPath != nil {
			return nil, fmt.Errorf("proof bundle: %s carries the whole transaction, not tx_header, tx_signature or item_path", BundleFormat)
		}
	case BundleFormatV2:
		if bu.Tx != nil || bu.TxHeader == nil || bu.TxSignature == nil {
			return nil, fmt.Errorf("proof bundle: %s carries tx_header and tx_signature, not tx", BundleFormatV2)
		}
	default:
		return nil, fmt.Errorf("proof bundle: format %q, want %q or %q", bu.Format, BundleFormat, BundleFormatV2)
	}
	if len(bu.Inclusion) > 64 || len(bu.ItemPath) > 64 {
		return nil, fmt.Errorf("proof bundle: inclusion proof has %d hashes, item path %d; at most 64 each", len(bu.Inclusion), len(bu.ItemPath))
	}
	return &bu, nil
}

// ParseCheckpoint decodes a signed checkpoint document strictly.
func ParseCheckpoint(b []byte) (*SignedCheckpoint, error) {
	var sc SignedCheckpoint
	if err := decodeStrict(b, &sc, "checkpoint"); err != nil {
		return nil, err
	}
	if sc.Format != CheckpointFormat {
		return nil, fmt.Errorf("checkpoint: format %q, want %q", sc.Format, CheckpointFormat)
	}
	return &sc, nil
}

// ParseConsistency decodes a consistency proof document strictly.
func ParseConsistency(b []byte) (*ConsistencyProof, error) {
	var cp ConsistencyProof
	if err := decodeStrict(b, &cp, "consistency proof"); err != nil {
		return nil, err
	}
	if cp.Format != ConsistencyFormat {
		return nil, fmt.Errorf("consistency proof: format %q, want %q", cp.Format, ConsistencyFormat)
	}
	if len(cp.Hashes) > 128 {
		return nil, fmt.Errorf("consistency proof has %d hashes; at most 128", len(cp.Hashes))
	}
	return &cp, nil
}

// Kind names the format of a JSON document, for commands that take any.
func Kind(b []byte) string {
	var probe struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return ""
	}
	return probe.Format
}
