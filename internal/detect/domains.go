package detect

import "bytes"

// The subdomain gates. With subdomain semantics a domain is looked up with
// each of its parents (a.b.evil.example, b.evil.example, evil.example,
// example), and each lookup tests the 1 MiB Bloom filter at a random
// place: most of those tests miss the cache and almost all say no. Two
// small summaries of the domain keys answer first for most of them:
//
//   - dLast, a bitmap (8 KiB, stays in L1) of the hashes of the keys' last
//     labels. Every parent of a domain ends with the domain's last label,
//     so when no key ends with it (an internal suffix such as .corp or
//     .example, a typo, a file name the extractor took for a domain) none
//     of the parents is looked up.
//   - dLabels, the set of label counts the keys have: a parent with a
//     label count no key has (usually the bare top-level domain, and the
//     long names of hosts) is neither hashed nor tested.
//
// Both only ever gain bits (like the filter): a key removed by revocation
// leaves its bits, which costs a lookup, never a hit.

// lastWords is the size of the last-label bitmap in words (2^16 bits).
const (
	lastBits  = 16
	lastWords = 1 << lastBits / 64
)

// lastBit is the bit of dLast for the hash h (hashLower) of a last label.
func lastBit(h uint64) (word, bit uint64) {
	m := (h ^ domainMix) * 0x9E3779B97F4A7C15 >> (64 - lastBits)
	return m >> 6, 1 << (m & 63)
}

// labelBit is the bit of dLabels for a name of n labels.
func labelBit(n int) uint64 { return 1 << min(n, 63) }

// addDomainGates records domain key d (normalised: lower case) in the
// gates.
func (x *Index) addDomainGates(d []byte) {
	starts := labelStarts(d, []int{0})
	x.dLabels |= labelBit(len(starts))
	if x.dLast == nil {
		x.dLast = new([lastWords]uint64)
	}
	w, b := lastBit(hashBytes(x.seed, d[starts[len(starts)-1]:]))
	x.dLast[w] |= b
}

// mayHaveParents reports whether domain d (as in the input: any case,
// without leading or trailing dots) may have a suffix on a label boundary
// that is a domain key: whether some key ends with d's last label.
func (x *Index) mayHaveParents(d []byte) bool {
	if x.dLast == nil {
		return false
	}
	i := bytes.LastIndexByte(d, '.') + 1
	if i == len(d) {
		return true // a trailing dot: labelStarts's last label is another; not decided here
	}
	w, b := lastBit(hashLower(x.seed, d[i:]))
	return x.dLast[w]&b != 0
}
