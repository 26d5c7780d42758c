package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestCommitPairsAreSorted checks that a block's Commit hands the store
// its pairs in key order, every state write and meta pair once, and that
// mergePairs keeps equal keys of its first list first.
func TestCommitPairsAreSorted(t *testing.T) {
	m := newMember("m1")
	a, _ := newApp(t, m)
	objs := []string{indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z"), indicator(3, "2026-01-01T00:00:00.000Z")}
	b := a.newBlock(1, time.Unix(1_800_000_000, 0), 0)
	for i := range 3 {
		if res := b.deliver(publishTx(t, m, testChain, uint64(i+1), objs[i])); res.Code != CodeOK {
			t.Fatalf("deliver %d: %d %s", i, res.Code, res.Log)
		}
	}
	b.finish()
	pairs, err := b.pairs()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(pairs, comparePairs) {
		t.Fatal("Commit's pairs are not in key order")
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		if seen[string(p.Key)] {
			t.Fatalf("key %q twice", p.Key)
		}
		seen[string(p.Key)] = true
	}
	for _, p := range b.sorted {
		if !seen[string(p.Key)] {
			t.Fatalf("state write %q missing", p.Key)
		}
	}
	for _, k := range [][]byte{keyTree, keyStateHash, keyAppHash, keyHeight, checkpointKey(1)} {
		if !seen[string(k)] {
			t.Fatalf("meta key %q missing", k)
		}
	}
	x := []Pair{{Key: []byte("a"), Value: []byte("x1")}, {Key: []byte("c"), Value: []byte("x2")}}
	y := []Pair{{Key: []byte("a"), Value: []byte("y1")}, {Key: []byte("b")}, {Key: []byte("d")}}
	got := mergePairs(x, y)
	want := "a=x1 a=y1 b= c=x2 d="
	var s []string
	for _, p := range got {
		s = append(s, string(p.Key)+"="+string(p.Value))
	}
	if strings.Join(s, " ") != want {
		t.Fatalf("mergePairs: %s, want %s", strings.Join(s, " "), want)
	}
}
