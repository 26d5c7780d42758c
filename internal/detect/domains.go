package detect

import "math/bits"

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

// addParents adds probes for domain d at block offset off and each of its
// parents, longest first (the per-line path's order), hashed in one pass
// from the end (suffixHashes). The gates skip the domains no key ends
// like (after hashing only the last label) and the suffixes with a label
// count no key has; suffixes with more labels than the longest key are not
// even hashed.
func (s *lineScanner) addParents(off int32, d []byte) {
	x := s.x
	if x.dLast == nil {
		return // no domain key
	}
	most := 63 - bits.LeadingZeros64(x.dLabels)
	if most == 63 {
		most = len(d) + 1 // some key has 63 labels or more: every suffix
	}
	s.hashes, s.starts = suffixHashes(x.seed, d, most, x.dLast, s.hashes[:0], s.starts[:0])
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
