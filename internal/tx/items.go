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

var itemRange = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

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
func nodesSize(n uint64) uint64 {
	var s uint64
	for ; n > 0; n >>= 1 {
		s += n
	}
	return s * hashSize
}

// node is the stored hash of the complete subtree id.
func (t *ItemTree) node(id compact.NodeID) []byte {
	off := uint64(0)
	for l := uint(0); l < id.Level; l++ {
		off += t.count >> l
	}
	off = (off + id.Index) * hashSize
	return t.nodes[off : off+hashSize]
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
	return n.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}
