package tx

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

const hashSize = 32

// ItemTree is the RFC 6962 Merkle tree over the items of a v2 transaction:
// leaf hash H(0x00 || item), node hash H(0x01 || left || right), the tree
// over n items split at the largest power of two smaller than n. It keeps
// the hash of every complete subtree, level by level, which is all an
// audit path (RFC 9162 inclusion proof) of any item is made of.
type ItemTree struct {
	count uint64
	nodes []byte // level 0 (leaf hashes), then level 1, …: level l holds count>>l hashes
}

var itemRange = &compact.RangeFactory{Hash: HashChildren}

// NewItemTree hashes items into their tree.
func NewItemTree(items [][]byte) *ItemTree {
	t := &ItemTree{count: uint64(len(items))}
	t.nodes = make([]byte, nodesSize(t.count))
	r := itemRange.NewEmptyRange(0)
	for _, it := range items {
		leaf := rfc6962.DefaultHasher.HashLeaf(it)
		if err := r.Append(leaf, func(id compact.NodeID, h []byte) { copy(t.node(id), h) }); err != nil {
			panic(fmt.Sprintf("tx: item tree: %v", err)) // appending to a range from 0 cannot fail
		}
	}
	return t
}

// ItemTreeOf rebuilds a tree from its count and Nodes (as stored).
func ItemTreeOf(count uint64, nodes []byte) (*ItemTree, error) {
	if count == 0 || uint64(len(nodes)) != nodesSize(count) {
		return nil, fmt.Errorf("item tree of %d items: %d bytes of node hashes, want %d", count, len(nodes), nodesSize(count))
	}
	return &ItemTree{count: count, nodes: nodes}, nil
}

// nodesSize is the bytes of every complete subtree hash of n leaves.
func nodesSize(n uint64) uint64 { return levelsSize(n, 0, 64) }

// node is the stored hash of the complete subtree id.
func (t *ItemTree) node(id compact.NodeID) []byte {
	off := t.offset(id)
	return t.nodes[off : off+hashSize]
}

// offset is where the hash of the complete subtree id starts in nodes.
func (t *ItemTree) offset(id compact.NodeID) uint64 {
	return levelsSize(t.count, 0, id.Level) + id.Index*hashSize
}

// Count is the number of items.
func (t *ItemTree) Count() uint64 { return t.count }

// Nodes is every complete subtree hash, level by level (the stored form).
func (t *ItemTree) Nodes() []byte { return t.nodes }

// Root is the tree's RFC 6962 root (of zero items: H of the empty string).
func (t *ItemTree) Root() []byte {
	if t.count == 0 {
		return rfc6962.DefaultHasher.EmptyRoot()
	}
	ids := compact.RangeNodes(0, t.count, nil)
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		hashes[i] = t.node(id)
	}
	r, err := itemRange.NewRange(0, t.count, hashes)
	if err != nil {
		panic(fmt.Sprintf("tx: item tree root: %v", err)) // the range's nodes are exactly those
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		panic(fmt.Sprintf("tx: item tree root: %v", err))
	}
	return root
}

// Path is the audit path (RFC 9162 inclusion proof) of item i, leaf to
// root.
func (t *ItemTree) Path(i uint64) ([][]byte, error) {
	n, err := proof.Inclusion(i, t.count)
	if err != nil {
		return nil, fmt.Errorf("audit path of item %d of %d: %w", i, t.count, err)
	}
	hashes := make([][]byte, len(n.IDs))
	for k, id := range n.IDs {
		hashes[k] = t.node(id)
	}
	return n.Rehash(hashes, HashChildren)
}

// ItemChunkLevel splits an item tree for storage: the nodes below this
// level are kept in chunks of 1<<ItemChunkLevel items (Chunk), those at or
// above it together (Upper), so an audit path reads the upper part and at
// most two chunks (the item's, and the last for a ragged right edge).
const ItemChunkLevel = 5

const chunkItems = 1 << ItemChunkLevel

// Chunks is the number of chunks of the tree's items.
func (t *ItemTree) Chunks() uint64 { return (t.count + chunkItems - 1) / chunkItems }

// Upper is the hash of every complete subtree at level ItemChunkLevel or
// above, level by level.
func (t *ItemTree) Upper() []byte {
	return t.nodes[levelsSize(t.count, 0, ItemChunkLevel):]
}

// Chunk is the hash of every complete subtree below level ItemChunkLevel
// within chunk k (items [32k, 32k+32)), level by level.
func (t *ItemTree) Chunk(k uint64) []byte {
	m := chunkLen(t.count, k)
	out := make([]byte, 0, levelsSize(m, 0, ItemChunkLevel))
	for l := uint(0); l < ItemChunkLevel; l++ {
		off := t.offset(compact.NewNodeID(l, k<<(ItemChunkLevel-l)))
		out = append(out, t.nodes[off:off+(m>>l)*hashSize]...)
	}
	return out
}

// chunkLen is the number of items in chunk k of count.
func chunkLen(count, k uint64) uint64 { return min(chunkItems, count-k*chunkItems) }

// levelsSize is the bytes of the complete subtree hashes at levels
// [from, to) of m leaves.
func levelsSize(m uint64, from, to uint) uint64 {
	var s uint64
	for l := from; l < to; l++ {
		s += m >> l
	}
	return s * hashSize
}

// ItemPathFrom is the audit path of item i among count items, from a
// tree stored as Upper and Chunks: chunk returns the stored Chunk(k).
func ItemPathFrom(i, count uint64, upper []byte, chunk func(k uint64) ([]byte, error)) ([][]byte, error) {
	if want := levelsSize(count, ItemChunkLevel, 64); uint64(len(upper)) != want {
		return nil, fmt.Errorf("item tree of %d items: upper part is %d bytes, want %d", count, len(upper), want)
	}
	n, err := proof.Inclusion(i, count)
	if err != nil {
		return nil, fmt.Errorf("audit path of item %d of %d: %w", i, count, err)
	}
	chunks := map[uint64][]byte{}
	hashes := make([][]byte, len(n.IDs))
	for j, id := range n.IDs {
		if id.Level >= ItemChunkLevel {
			off := (levelsSize(count, ItemChunkLevel, id.Level) + id.Index*hashSize)
			hashes[j] = upper[off : off+hashSize]
			continue
		}
		k := id.Index >> (ItemChunkLevel - id.Level)
		c, ok := chunks[k]
		if !ok {
			if c, err = chunk(k); err != nil {
				return nil, err
			}
			m := chunkLen(count, k)
			if want := levelsSize(m, 0, ItemChunkLevel); uint64(len(c)) != want {
				return nil, fmt.Errorf("item tree chunk %d of %d items: %d bytes, want %d", k, count, len(c), want)
			}
			chunks[k] = c
		}
		m := chunkLen(count, k)
		off := levelsSize(m, 0, id.Level) + (id.Index-k<<(ItemChunkLevel-id.Level))*hashSize
		hashes[j] = c[off : off+hashSize]
	}
	return n.Rehash(hashes, HashChildren)
}
