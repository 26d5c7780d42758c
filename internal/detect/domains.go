package detect

import (
	"encoding/binary"
	"math/bits"
)

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

// lastLabelWord is the last label of domain d, or its last eight bytes
// when it is longer, in lower case in the low bytes of a word (the same
// word for the same label however the name before it runs). ok is false
// when d is empty or ends with a dot (its last label is not decided here).
func lastLabelWord(d []byte) (w uint64, ok bool) { return lastLabelWordAt(d, 0, len(d)) }

// lastLabelWordAt is lastLabelWord of data[start:end], which reads the
// eight bytes before end when there are eight (in data, d's or not).
func lastLabelWordAt(data []byte, start, end int) (w uint64, ok bool) {
	n := end - start
	if n <= 0 || data[end-1] == '.' {
		return 0, false
	}
	if end >= 8 {
		w = binary.LittleEndian.Uint64(data[end-8 : end])
	} else {
		var t [8]byte
		copy(t[8-end:], data[:end])
		w = binary.LittleEndian.Uint64(t[:])
	}
	return lowerWord(labelBytes(w, n)), true
}

// labelBytes is lastLabelWord's word, before lower-casing, for a name of
// n bytes (not ending with a dot) whose last eight bytes (or all, in the
// high bytes) are w. (Small enough to inline.)
func labelBytes(w uint64, n int) uint64 {
	t := w ^ '.'*lsb
	m := ^((t&low7 + low7) | t | low7) // the high bit of each '.'
	shift := 0
	if n < 8 {
		m &= ^uint64(0) << (8 * (8 - n)) // the name's bytes only
		shift = 8 * (8 - n)
	}
	if m != 0 {
		shift = 63 - bits.LeadingZeros64(m) + 1 // the bytes after the last dot
	}
	return w >> shift
}

// lastBit is the bit of dLast for a last label's word.
func lastBit(w uint64) (word, bit uint64) {
	m := w * 0x9E3779B97F4A7C15 >> (64 - lastBits)
	return m >> 6, 1 << (m & 63)
}

// labelBit is the bit of dLabels for a name of n labels.
func labelBit(n int) uint64 { return 1 << min(n, 63) }

// addDomainGates records domain key d (normalised: lower case, no
// leading or trailing dot) in the gates.
func (x *Index) addDomainGates(d []byte) {
	x.dLabels |= labelBit(len(labelStarts(d, []int{0})))
	if x.dLast == nil {
		x.dLast = new([lastWords]uint64)
	}
	if w, ok := lastLabelWord(d); ok {
		lw, b := lastBit(w)
		x.dLast[lw] |= b
	} else if len(d) > 0 {
		x.dUngated = true // not made by normDomain: no gate
	}
}

// mayEndLikeKey reports whether domain data[start:end] (as in the input:
// any case) may have a suffix on a label boundary that is a domain key:
// whether some key ends with its last label.
func (x *Index) mayEndLikeKey(data []byte, start, end int) bool {
	if x.dLast == nil {
		return false // no domain key
	}
	w, ok := lastLabelWordAt(data, start, end)
	if !ok || x.dUngated {
		return true
	}
	lw, b := lastBit(w)
	return x.dLast[lw]&b != 0
}

// addParents adds probes for domain d at block offset off and each of its
// parents, longest first (the per-line path's order), hashed in one pass
// from the end (suffixHashes). hashBatch has already dropped the domains
// no key ends like (mayEndLikeKey); the label counts skip the suffixes
// with a count no key has, and suffixes with more labels than the longest
// key are not even hashed.
func (s *lineScanner) addParents(off int32, d []byte) {
	x := s.x
	most := 63 - bits.LeadingZeros64(x.dLabels)
	if most == 63 {
		most = len(d) + 1 // some key has 63 labels or more: every suffix
	}
	s.hashes, s.starts = suffixHashes(x.seed, s.data, int(off), int(off)+len(d), most, x.dLabels, s.hashes[:0], s.starts[:0])
	if len(s.hashes) > 64 {
		for k := len(s.hashes) - 1; k >= 0; k-- {
			if x.dLabels&labelBit(k+1) != 0 && x.mayHave(s.hashes[k]^domainMix) {
				s.addSuffix(off, d, k)
			}
		}
		return
	}
	// The filter tests first, in one loop of independent reads (their
	// misses overlap), then the probes longest first.
	var pass uint64
	for k, h := range s.hashes {
		if x.dLabels&labelBit(k+1) != 0 && x.mayHave(h^domainMix) {
			pass |= 1 << k
		}
	}
	for pass != 0 {
		k := 63 - bits.LeadingZeros64(pass)
		pass &^= 1 << k
		s.addSuffix(off, d, k)
	}
}

// addSuffix adds the probe of the suffix of domain d (at block offset
// off) that addParents hashed k-th.
func (s *lineScanner) addSuffix(off int32, d []byte, k int) {
	i := s.starts[k]
	q := s.slot()
	q.off, q.vlen = off, int32(len(d))
	q.kind, q.from = kDomain, fromLower
	q.koff, q.klen = off+int32(i), int32(len(d)-i)
	q.hash = s.hashes[k] ^ domainMix
}
