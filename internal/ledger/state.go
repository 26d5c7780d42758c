package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// Key layout of the ledger state. Everything except meta/ is hashed into
// the state hash; meta/ is derived bookkeeping.
var (
	keyHeight    = []byte("meta/height")
	keyAppHash   = []byte("meta/apphash")
	keyStateHash = []byte("meta/statehash")
	keyTree      = []byte("meta/tree")
	keyChainID   = []byte("meta/chainid")
	keyParams    = []byte("gov/params") // hashed: parameters change by vote
	keyNextProp  = []byte("gov/next")   // next proposal id

	prefixMember    = []byte("mem/")
	prefixNonce     = []byte("nonce/")
	prefixObject    = []byte("obj/")
	prefixVersion   = []byte("ver/")
	prefixRecord    = []byte("rec/")
	prefixNode      = []byte("node/")
	prefixProp      = []byte("prop/")
	prefixVote      = []byte("vote/")
	prefixPending   = []byte("pend/")
	prefixGroup     = []byte("grp/") // sharing groups by name
	prefixWithdrawn = []byte("wd/")  // withdrawn sealed records: id 0x00 version → height
)

func groupKey(name string) []byte { return append(bytes.Clone(prefixGroup), name...) }
func withdrawnKey(id, version string) []byte {
	k := append(bytes.Clone(prefixWithdrawn), id...)
	return append(append(k, 0), version...)
}

func memberKey(id string) []byte { return append(bytes.Clone(prefixMember), id...) }
func nonceKey(id string) []byte  { return append(bytes.Clone(prefixNonce), id...) }
func objectKey(id string) []byte { return append(bytes.Clone(prefixObject), id...) }
func versionKey(id, version string) []byte {
	k := append(bytes.Clone(prefixVersion), id...)
	return append(append(k, 0), version...)
}
func recordKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(prefixRecord), index)
}
func propKey(id uint64) []byte { return binary.BigEndian.AppendUint64(bytes.Clone(prefixProp), id) }
func voteKey(id uint64, member string) []byte {
	return append(binary.BigEndian.AppendUint64(bytes.Clone(prefixVote), id), member...)
}

// pendingKey indexes open proposals by the height whose block tallies them.
func pendingKey(end int64, id uint64) []byte {
	k := binary.BigEndian.AppendUint64(bytes.Clone(prefixPending), uint64(end))
	return binary.BigEndian.AppendUint64(k, id)
}

func nodeKey(id compact.NodeID) []byte { return appendNodeKey(nil, id) }

// appendNodeKey appends nodeKey(id) to b.
func appendNodeKey(b []byte, id compact.NodeID) []byte {
	b = append(append(b, prefixNode...), byte(id.Level))
	return binary.BigEndian.AppendUint64(b, id.Index)
}

// owner is what the ledger remembers of an object id: who may version it.
type owner struct {
	Author  string `cbor:"1,keyasint"`
	Type    string `cbor:"2,keyasint"`
	Created string `cbor:"3,keyasint"`
	// Sealed: the id was first published sealed, so created is not known
	// to the ledger and is not compared across versions.
	Sealed bool `cbor:"4,keyasint,omitempty"`
}

// storedRecord is the on-ledger form of a record.Record.
type storedRecord struct {
	Height   int64  `cbor:"1,keyasint"`
	TimeNano int64  `cbor:"2,keyasint"`
	TxHash   []byte `cbor:"3,keyasint"`
	Author   string `cbor:"4,keyasint"`
	ObjectID string `cbor:"5,keyasint"`
	Type     string `cbor:"6,keyasint"`
	Modified string `cbor:"7,keyasint"`
	Object   []byte `cbor:"8,keyasint"`
	Sealed   []byte `cbor:"9,keyasint,omitempty"` // sealed envelope; Object is empty then
}

// tree is the persisted compact range of the record log.
type tree struct {
	Size   uint64   `cbor:"1,keyasint"`
	Hashes [][]byte `cbor:"2,keyasint"`
}

var (
	cborEnc cbor.EncMode
	cborDec cbor.DecMode
	rangeFn = &compact.RangeFactory{Hash: tx.HashChildren}
)

func init() {
	var err error
	if cborEnc, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	if cborDec, err = (cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF}).DecMode(); err != nil {
		panic(err)
	}
}

func mustEncode(v any) []byte {
	b, err := cborEnc.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ledger: encode %T: %v", v, err)) // only plain structs are encoded
	}
	return b
}

func toRecord(index uint64, s storedRecord) record.Record {
	return record.Record{
		Index: index, Height: s.Height, Time: unixNano(s.TimeNano), TxHash: s.TxHash,
		Author: s.Author, ObjectID: s.ObjectID, Type: s.Type, Modified: s.Modified, Object: s.Object, Sealed: s.Sealed,
	}
}

func fromRecord(r record.Record) storedRecord {
	return storedRecord{
		Height: r.Height, TimeNano: r.Time.UnixNano(), TxHash: r.TxHash, Author: r.Author,
		ObjectID: r.ObjectID, Type: r.Type, Modified: r.Modified, Object: r.Object, Sealed: r.Sealed,
	}
}

// rootOf returns the RFC 6962 root of a compact range starting at 0.
func rootOf(r *compact.Range) []byte {
	if r.End() == 0 {
		return rfc6962.DefaultHasher.EmptyRoot()
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		panic(fmt.Sprintf("ledger: root of range [0,%d): %v", r.End(), err)) // cannot fail for ranges from 0
	}
	return root
}

// nextStateHash chains the previous state hash with every state write of a
// block (sorted: the writes in key order, as sortedPairs returns them). A
// block that writes nothing keeps the state hash, so
// empty blocks keep the app hash and CometBFT need not make proof blocks
// forever.
func nextStateHash(prev []byte, height int64, sorted []Pair) []byte {
	if len(sorted) == 0 && prev != nil {
		return prev
	}
	h := sha256.New()
	h.Write([]byte("phalanx/state/v1\x00"))
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(height))
	h.Write(n[:])
	// The length-prefixed keys and values go to the hash through a buffer:
	// four small writes per pair cost more than hashing the bytes.
	buf := make([]byte, 0, stateHashBuf)
	for _, p := range sorted {
		if len(buf)+8+len(p.Key)+len(p.Value) > stateHashBuf {
			h.Write(buf)
			buf = buf[:0]
		}
		buf = appendLenPrefixed(buf, p.Key)
		buf = appendLenPrefixed(buf, p.Value)
	}
	h.Write(buf)
	return h.Sum(nil)
}

// stateHashBuf is the size of nextStateHash's buffer. A pair larger than
// it is still hashed whole: the buffer grows for it.
const stateHashBuf = 64 << 10

// appendLenPrefixed appends b with its length as 4 bytes big-endian.
func appendLenPrefixed(buf, b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(buf, uint32(len(b))), b...)
}

// computeAppHash binds the record log (size and root) and the state hash:
// SHA-256("phalanx/apphash/v1" 0x00 || u64be(size) || root || state hash).
func computeAppHash(size uint64, root, state []byte) []byte {
	h := sha256.New()
	h.Write([]byte("phalanx/apphash/v1\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], size)
	h.Write(n[:])
	h.Write(root)
	h.Write(state)
	return h.Sum(nil)
}
