package ledger

import (
	"bytes"
	"slices"
	"strings"
)

// writeSet is a block's state writes: the last value of each key, and the
// keys in the order they were first written. A block writes tens of
// thousands of keys, most of them in key order already within their kind
// (record indexes and tree nodes count up); sorted uses that order instead
// of sorting every key from scratch.
type writeSet struct {
	index map[string]int // key → its position in keys and vals
	keys  [][]byte
	vals  [][]byte
}

func newWriteSet(hint int) *writeSet {
	return &writeSet{index: make(map[string]int, hint), keys: make([][]byte, 0, hint), vals: make([][]byte, 0, hint)}
}

// set writes v under k. The write set keeps k and v: callers must not
// change them afterwards.
func (w *writeSet) set(k, v []byte) {
	if i, ok := w.index[string(k)]; ok {
		w.vals[i] = v
		return
	}
	w.index[string(k)] = len(w.keys)
	w.keys = append(w.keys, k)
	w.vals = append(w.vals, v)
}

// get returns the value written under k in this block, if any.
func (w *writeSet) get(k []byte) ([]byte, bool) {
	i, ok := w.index[string(k)]
	if !ok {
		return nil, false
	}
	return w.vals[i], true
}

// bucketLen is how many leading bytes group keys into buckets for sorted:
// enough to separate each kind of key ("rec/", "ver/", "node/" and its
// level byte …).
const bucketLen = 6

// sorted returns the writes in key order, exactly as sorting every key
// would. Keys are grouped by their first bucketLen bytes (a shorter key
// is a bucket of its own); buckets are put in order of those bytes, and a
// bucket is sorted only if its keys were not written in order. Keys of
// different buckets compare as their buckets do: where neither prefix is
// a prefix of the other they differ within it, and a prefix that is a
// whole (shorter) key sorts before every longer key that starts with it.
func (w *writeSet) sorted() []Pair {
	buckets := map[bucket][]int{}
	var names []bucket
	for i, k := range w.keys {
		var name bucket
		name.n = uint8(copy(name.b[:], k))
		if _, ok := buckets[name]; !ok {
			names = append(names, name)
		}
		buckets[name] = append(buckets[name], i)
	}
	slices.SortFunc(names, func(x, y bucket) int { return bytes.Compare(x.b[:x.n], y.b[:y.n]) })
	pairs := make([]Pair, 0, len(w.keys))
	for _, name := range names {
		idx := buckets[name]
		if !slices.IsSortedFunc(idx, w.compareAt) {
			slices.SortFunc(idx, w.compareAt)
		}
		for _, i := range idx {
			pairs = append(pairs, Pair{Key: w.keys[i], Value: w.vals[i]})
		}
	}
	return pairs
}

// bucket is the first bucketLen bytes of a key (n of them if shorter).
type bucket struct {
	b [bucketLen]byte
	n uint8
}

func (w *writeSet) compareAt(i, j int) int { return bytes.Compare(w.keys[i], w.keys[j]) }

// sortedPairs returns the writes of a map in key order.
func sortedPairs(writes map[string][]byte) []Pair {
	keys := make([]string, 0, len(writes))
	for k := range writes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	pairs := make([]Pair, len(keys))
	for i, k := range keys {
		pairs[i] = Pair{Key: []byte(k), Value: writes[k]}
	}
	return pairs
}
