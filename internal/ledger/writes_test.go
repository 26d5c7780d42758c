package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/transparency-dev/merkle/compact"
)

// TestWriteSetSortedMatchesFullSort checks that the bucketed sort returns
// exactly what sorting every key does, on key mixes like a block's (record
// indexes and tree nodes counting up, random ids, rewritten nonces) and on
// random short and long byte strings, and that a rewritten key keeps only
// its last value.
func TestWriteSetSortedMatchesFullSort(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	randKey := func() []byte {
		k := make([]byte, r.IntN(10))
		for i := range k {
			k[i] = "abn/\x00\xff"[r.IntN(6)]
		}
		return k
	}
	for round := range 200 {
		w := newWriteSet(0)
		want := map[string][]byte{}
		set := func(k, v []byte) {
			w.set(k, v)
			want[string(k)] = v
		}
		for i := range r.IntN(300) {
			switch r.IntN(6) {
			case 0:
				set(recordKey(uint64(round*1000+i)), u64(uint64(i)))
			case 1:
				set(nodeKey(compact.NewNodeID(uint(r.IntN(4)), uint64(i))), []byte{byte(i)})
			case 2:
				id := fmt.Sprintf("indicator--%x", r.Uint64())
				set(versionKey(id, "2026"), u64(uint64(i)))
				set(objectKey(id), []byte(id))
			case 3:
				set(nonceKey(fmt.Sprintf("member%d", r.IntN(3))), u64(uint64(i)))
			case 4:
				set(randKey(), []byte{byte(i), 1})
			default:
				set(keyParams, []byte{byte(i)})
			}
		}
		got := w.sorted()
		wantPairs := sortedPairs(want)
		if len(got) != len(wantPairs) {
			t.Fatalf("round %d: %d pairs, want %d", round, len(got), len(wantPairs))
		}
		for i := range got {
			if !bytes.Equal(got[i].Key, wantPairs[i].Key) || !bytes.Equal(got[i].Value, wantPairs[i].Value) {
				t.Fatalf("round %d, pair %d: %q=%x, want %q=%x", round, i, got[i].Key, got[i].Value, wantPairs[i].Key, wantPairs[i].Value)
			}
		}
		if v, ok := w.get(keyParams); ok && !bytes.Equal(v, want[string(keyParams)]) {
			t.Fatalf("round %d: get returned %x, want the last value %x", round, v, want[string(keyParams)])
		}
	}
}

// TestNextStateHashIsTheDocumentedChain recomputes the state hash as its
// documentation defines it, one pair at a time, for pairs below, at and
// above the hash's buffer size.
func TestNextStateHashIsTheDocumentedChain(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, 32)
	var pairs []Pair
	for _, n := range []int{0, 1, 100, stateHashBuf - 8, stateHashBuf, 3*stateHashBuf + 5, 17} {
		pairs = append(pairs, Pair{Key: fmt.Appendf(nil, "k%08d", n), Value: bytes.Repeat([]byte{byte(n)}, n)})
	}
	slices.SortFunc(pairs, func(a, b Pair) int { return bytes.Compare(a.Key, b.Key) })
	h := sha256.New()
	h.Write([]byte("phalanx/state/v1\x00"))
	h.Write(prev)
	h.Write(binary.BigEndian.AppendUint64(nil, 42))
	for _, p := range pairs {
		for _, b := range [][]byte{p.Key, p.Value} {
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
			h.Write(b)
		}
	}
	if got, want := nextStateHash(prev, 42, pairs), h.Sum(nil); !bytes.Equal(got, want) {
		t.Fatalf("state hash %x, want %x", got, want)
	}
	if got := nextStateHash(prev, 43, nil); !bytes.Equal(got, prev) {
		t.Fatalf("a block without writes changed the state hash to %x", got)
	}
}
