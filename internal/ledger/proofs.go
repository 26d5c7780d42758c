package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// prefixCheckpoint keys the per-height checkpoint bookkeeping: what the
// app hash of each committed height was made of. It is meta (not hashed):
// it is derived from the blocks, and lets the node serve proofs against
// any past height.
var prefixCheckpoint = []byte("meta/ckpt/")

// prefixTxFirst keys, by transaction hash, the index of the first record a
// publish transaction added (meta: lets a proof name the record's position
// in its transaction without decoding it).
var prefixTxFirst = []byte("meta/txrec/")

func txFirstKey(txHash []byte) []byte {
	return append(append([]byte(nil), prefixTxFirst...), txHash...)
}

// TxPosition returns the position of a record's object in the transaction
// that carried it; ok is false when the ledger did not keep it (state
// written by an older version).
func (a *App) TxPosition(r record.Record) (pos int, ok bool, err error) {
	v, err := a.kv.Get(txFirstKey(r.TxHash))
	if err != nil || len(v) != 8 {
		return 0, false, err
	}
	first := binary.BigEndian.Uint64(v)
	if first > r.Index {
		return 0, false, fmt.Errorf("record %d precedes its transaction's first record %d", r.Index, first)
	}
	return int(r.Index - first), true, nil
}

func checkpointKey(height int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefixCheckpoint...), uint64(height))
}

// storedCheckpoint is the bookkeeping kept for one height.
type storedCheckpoint struct {
	Size      uint64 `cbor:"1,keyasint"`
	StateHash []byte `cbor:"2,keyasint"`
}

// Checkpoint is what the app hash of one committed height binds: the size
// and RFC 6962 root of the record log, and the state hash.
type Checkpoint struct {
	ChainID   string
	Height    int64
	Size      uint64
	Root      []byte
	StateHash []byte
	AppHash   []byte
}

// ErrNoCheckpoint is returned for a height the ledger has no checkpoint of.
var ErrNoCheckpoint = fmt.Errorf("no checkpoint recorded at that height")

// AppHashOf recomputes an app hash from its parts (the formula every
// verifier re-implements; see docs/verification.md).
func AppHashOf(size uint64, root, stateHash []byte) []byte {
	return computeAppHash(size, root, stateHash)
}

// Checkpoint returns what the app hash after height committed to. Heights
// committed before the ledger kept checkpoints yield ErrNoCheckpoint.
func (a *App) Checkpoint(height int64) (Checkpoint, error) {
	v, err := a.kv.Get(checkpointKey(height))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint %d: %w", height, err)
	}
	if v == nil || height > a.committedHeight() {
		return Checkpoint{}, fmt.Errorf("height %d: %w", height, ErrNoCheckpoint)
	}
	var s storedCheckpoint
	if err := cborDec.Unmarshal(v, &s); err != nil {
		return Checkpoint{}, fmt.Errorf("decode checkpoint %d: %w", height, err)
	}
	root, err := a.RootAt(s.Size)
	if err != nil {
		return Checkpoint{}, err
	}
	a.mu.RLock()
	chain := a.chainID
	a.mu.RUnlock()
	return Checkpoint{ChainID: chain, Height: height, Size: s.Size, Root: root, StateHash: s.StateHash,
		AppHash: computeAppHash(s.Size, root, s.StateHash)}, nil
}

// RootAt returns the RFC 6962 root of the first size records, from the
// stored hashes of the complete subtrees that make up [0, size).
func (a *App) RootAt(size uint64) ([]byte, error) {
	if size == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	if end := a.logSize(); size > end {
		return nil, fmt.Errorf("tree size %d is beyond the log's %d records", size, end)
	}
	hashes, err := a.nodeHashes(compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	r, err := rangeFn.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("range [0,%d): %w", size, err)
	}
	return r.GetRootHash(nil)
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index in the
// tree of the first size records.
func (a *App) InclusionProof(index, size uint64) ([][]byte, error) {
	if end := a.logSize(); size > end {
		return nil, fmt.Errorf("tree size %d is beyond the log's %d records", size, end)
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return a.rehash(n)
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of the first size1 and size2 records.
func (a *App) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	if end := a.logSize(); size2 > end {
		return nil, fmt.Errorf("tree size %d is beyond the log's %d records", size2, end)
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return a.rehash(n)
}

// logSize is the committed number of records.
func (a *App) logSize() uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.tree.End()
}

func (a *App) rehash(n proof.Nodes) ([][]byte, error) {
	hashes, err := a.nodeHashes(n.IDs)
	if err != nil {
		return nil, err
	}
	return n.Rehash(hashes, tx.HashChildren)
}

func (a *App) nodeHashes(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if h, ok := a.nodes.get(id); ok {
			out[i] = h
			continue
		}
		h, err := a.kv.Get(nodeKey(id))
		if err != nil {
			return nil, fmt.Errorf("read tree node %d/%d: %w", id.Level, id.Index, err)
		}
		if len(h) != sha256Size {
			return nil, fmt.Errorf("tree node %d/%d is missing or damaged", id.Level, id.Index)
		}
		a.nodes.put(id, h)
		out[i] = h
	}
	return out, nil
}

const sha256Size = 32

// WarmProofCache loads stored tree nodes into the proof node cache, from
// the top level down to the leaves, each level until the cache takes no
// more of it or ctx is done, and returns how many it loaded. Without it the
// cache fills only as proofs read nodes, and a node's first ~10^6 proofs of
// random records each read nodes from the store; at 1,000,000 records
// warming reads ~2,000,000 nodes (~34 MB in maps from level 2 up, 48 MB in
// the flat arrays of levels 0 and 1) in about a second. A read path only:
// the state machine neither calls it nor reads the cache.
func (a *App) WarmProofCache(ctx context.Context) (int, error) {
	n := 0
	for level := 63; level >= 0; level-- {
		if level >= nodeCacheLevel && a.nodes.full() {
			continue
		}
		start := append(bytes.Clone(prefixNode), byte(level))
		end := append(bytes.Clone(prefixNode), byte(level+1))
		err := a.kv.Iterate(start, end, func(k, v []byte) error {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != len(prefixNode)+9 || len(v) != sha256Size {
				return fmt.Errorf("tree node key %x: %d-byte value", k, len(v))
			}
			id := compact.NodeID{Level: uint(level), Index: binary.BigEndian.Uint64(k[len(prefixNode)+1:])}
			if !a.nodes.takes(id) {
				return errCacheFull // nodes come in index order: the rest of the level would not fit either
			}
			a.nodes.put(id, v)
			n++
			return nil
		})
		if err != nil && !errors.Is(err, errCacheFull) {
			return n, fmt.Errorf("warm proof cache at level %d: %w", level, err)
		}
	}
	return n, nil
}

// errCacheFull stops WarmProofCache's scan of a level once the cache
// takes no more nodes.
var errCacheFull = errors.New("proof cache full")

// RecordAt returns the record with leaf index idx.
func (a *App) RecordAt(idx uint64) (record.Record, bool, error) {
	v, err := a.kv.Get(recordKey(idx))
	if err != nil || v == nil {
		return record.Record{}, false, err
	}
	var s storedRecord
	if err := cborDec.Unmarshal(v, &s); err != nil {
		return record.Record{}, false, fmt.Errorf("decode record %d: %w", idx, err)
	}
	return toRecord(idx, s), true, nil
}

// RecordByVersion returns the record of one object version.
func (a *App) RecordByVersion(id, version string) (record.Record, bool, error) {
	v, err := a.kv.Get(versionKey(id, version))
	if err != nil || v == nil {
		return record.Record{}, false, err
	}
	if len(v) != 8 {
		return record.Record{}, false, fmt.Errorf("version index of %s %s: %d bytes", id, version, len(v))
	}
	return a.RecordAt(binary.BigEndian.Uint64(v))
}

// prefixTxItems keys, by transaction hash, what proofs of a version 2
// transaction's records carry instead of the transaction: its signed
// header, the signature and the upper part of its item tree; under the
// hash and a chunk number, the lower levels of the tree in chunks of 32
// items (tx.ItemTree.Upper and Chunk), so a proof reads ~2 KB twice or
// three times whatever the transaction's size (meta: derived from the
// block, not hashed).
var prefixTxItems = []byte("meta/txitems/")

func txItemsKey(txHash []byte) []byte {
	return append(append([]byte(nil), prefixTxItems...), txHash...)
}

func txChunkKey(txHash []byte, k uint64) []byte {
	return binary.BigEndian.AppendUint32(txItemsKey(txHash), uint32(k))
}

// storedTxItems is the value under meta/txitems/<hash>.
type storedTxItems struct {
	Header    []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
	Count     uint64 `cbor:"3,keyasint"`
	Upper     []byte `cbor:"4,keyasint"`
	First     uint64 `cbor:"5,keyasint"` // leaf index of the record of item 0
}

// txItemsPairs are the meta writes of an accepted version 2 transaction
// whose items became the records from leaf index first on.
func txItemsPairs(txHash []byte, t *tx.Tx, first uint64) []Pair {
	tr := t.ItemTree() // computed when the signature was verified
	out := []Pair{{txItemsKey(txHash), mustEncode(storedTxItems{Header: t.BodyBytes, Signature: t.Signature,
		Count: tr.Count(), Upper: tr.Upper(), First: first})}}
	for k := range tr.Chunks() {
		out = append(out, Pair{txChunkKey(txHash, k), tr.Chunk(k)})
	}
	return out
}

// TxItems is what proves a record of a version 2 transaction signed: the
// header its author signed, the signature, and (Path) the audit path of
// an item to the header's items root.
type TxItems struct {
	Header    []byte
	Signature []byte
	Count     uint64
	First     uint64 // leaf index of the record of item 0: item i is record First+i

	a      *App
	txHash []byte
	upper  []byte
}

// TxItems returns the signed header of a committed version 2 transaction;
// ok is false for a version 1 transaction. The result may be shared with
// other callers: its slices must not be changed.
func (a *App) TxItems(txHash []byte) (TxItems, bool, error) {
	if t, ok := a.txItems.get(txHash); ok {
		return t, true, nil
	}
	v, err := a.kv.Get(txItemsKey(txHash))
	if err != nil || v == nil {
		return TxItems{}, false, err
	}
	var s storedTxItems
	if err := cborDec.Unmarshal(v, &s); err != nil {
		return TxItems{}, false, fmt.Errorf("decode items of transaction %x: %w", txHash, err)
	}
	t := TxItems{Header: s.Header, Signature: s.Signature, Count: s.Count, First: s.First, a: a,
		txHash: bytes.Clone(txHash), upper: s.Upper}
	a.txItems.put(t)
	return t, true, nil
}

// Path returns the audit path of item i to the signed items root.
func (t TxItems) Path(i uint64) ([][]byte, error) {
	return tx.ItemPathFrom(i, t.Count, t.upper, func(k uint64) ([]byte, error) {
		c, err := t.a.kv.Get(txChunkKey(t.txHash, k))
		if err != nil {
			return nil, fmt.Errorf("read item chunk %d of transaction %x: %w", k, t.txHash, err)
		}
		return c, nil
	})
}
