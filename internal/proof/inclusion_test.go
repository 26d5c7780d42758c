package proof

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// TestInclusionHoldsAgreesWithLibrary: the verifier's allocation-free
// inclusion check accepts exactly what the merkle library accepts, for
// every leaf of trees of many sizes, and rejects every tampered proof
// (flipped hash, wrong index, wrong size, one hash more or less, wrong
// root) as the library does.
func TestInclusionHoldsAgreesWithLibrary(t *testing.T) {
	const maxSize = 70
	leaves := make([][]byte, maxSize)
	for i := range leaves {
		leaves[i] = rfc6962.DefaultHasher.HashLeaf(binary.BigEndian.AppendUint64(nil, uint64(i)))
	}
	nodes := map[compact.NodeID][]byte{}
	var store func(lvl uint, idx uint64) []byte
	store = func(lvl uint, idx uint64) []byte {
		id := compact.NewNodeID(lvl, idx)
		if h, ok := nodes[id]; ok {
			return h
		}
		var h []byte
		if lvl == 0 {
			h = leaves[idx]
		} else {
			h = rfc6962.DefaultHasher.HashChildren(store(lvl-1, 2*idx), store(lvl-1, 2*idx+1))
		}
		nodes[id] = h
		return h
	}
	agree := func(idx, size uint64, leaf []byte, path [][]byte, root []byte) bool {
		hp := make([]HexBytes, len(path))
		for i := range path {
			hp[i] = path[i]
		}
		lib := proof.VerifyInclusion(rfc6962.DefaultHasher, idx, size, leaf, path, root) == nil
		return inclusionHolds(idx, size, leaf, hp, root) == lib
	}
	for size := uint64(1); size <= maxSize; size++ {
		r, err := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewRange(0, size, rangeHashes(compact.RangeNodes(0, size, nil), store))
		if err != nil {
			t.Fatal(err)
		}
		root, err := r.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		for idx := range size {
			n, err := proof.Inclusion(idx, size)
			if err != nil {
				t.Fatal(err)
			}
			ids := make([][]byte, len(n.IDs))
			for i, id := range n.IDs {
				ids[i] = store(id.Level, id.Index)
			}
			path, err := n.Rehash(ids, rfc6962.DefaultHasher.HashChildren)
			if err != nil {
				t.Fatal(err)
			}
			hp := make([]HexBytes, len(path))
			for i := range path {
				hp[i] = path[i]
			}
			if !inclusionHolds(idx, size, leaves[idx], hp, root) {
				t.Fatalf("a valid proof of %d in %d is refused", idx, size)
			}
			other := sha256.Sum256([]byte("other"))
			cases := map[string]func() bool{
				"wrong root":  func() bool { return agree(idx, size, leaves[idx], path, other[:]) },
				"wrong leaf":  func() bool { return agree(idx, size, other[:], path, root) },
				"next index":  func() bool { return agree(idx+1, size, leaves[idx], path, root) },
				"size + 1":    func() bool { return agree(idx, size+1, leaves[idx], path, root) },
				"hash more":   func() bool { return agree(idx, size, leaves[idx], append(append([][]byte{}, path...), other[:]), root) },
				"short proof": func() bool { return len(path) == 0 || agree(idx, size, leaves[idx], path[:len(path)-1], root) },
			}
			for i := range path {
				flipped := append([][]byte{}, path...)
				flipped[i] = append([]byte{}, path[i]...)
				flipped[i][i%32] ^= 1
				if inclusionHoldsBytes(idx, size, leaves[idx], flipped, root) {
					t.Fatalf("proof of %d in %d with hash %d flipped holds", idx, size, i)
				}
			}
			for name, ok := range cases {
				if !ok() {
					t.Fatalf("%s: proof of %d in %d: fast check and library disagree", name, idx, size)
				}
			}
		}
	}
}

func inclusionHoldsBytes(idx, size uint64, leaf []byte, path [][]byte, root []byte) bool {
	hp := make([]HexBytes, len(path))
	for i := range path {
		hp[i] = path[i]
	}
	return inclusionHolds(idx, size, leaf, hp, root)
}

func rangeHashes(ids []compact.NodeID, store func(uint, uint64) []byte) [][]byte {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = store(id.Level, id.Index)
	}
	return out
}
