package detect

import (
	"bytes"
	"net/netip"
	"slices"

	"github.com/phalanx-ledger/phalanx/internal/extract"
)

// The block path matches plain text a block at a time instead of a line at
// a time: the extractor runs over the whole block (a newline ends every
// value, so the values are the same), line numbers are counted only where
// a hit is, and index lookups are made in batches. A batch first computes
// every key and its hash, then tests all of them against the Bloom filter
// in one tight loop, then probes the table for the few that pass: the
// filter and table reads of different values do not depend on each other,
// so the processor overlaps their cache misses instead of waiting for each
// in turn. Hits come out in the order the per-line path reports them.
//
// Structured formats, and indexes with LIKE or MATCHES terms (tested
// against every value), take the per-line path.

// probe is one index key to look up for a candidate value.
type probe struct {
	hash uint64
	off  int32 // the candidate's value in the block
	vlen int32
	koff int32 // the key's bytes: in lineScanner.keys, or in the block (from)
	klen int32
	v4   uint32 // the key of an IPv4 address (from == fromV4)
	kind kind
	bits uint8
	from keyFrom
	walk bool // a longest-prefix walk over the blocks of s.walks[koff]
	keep bool
}

// keyFrom says where a probe's key bytes are. Only the few probes that
// pass the Bloom filter need them, so the usual values (addresses,
// domains) are hashed straight from the input and their keys made later.
type keyFrom uint8

const (
	fromKeys  keyFrom = iota // s.keys[koff : koff+klen]
	fromV4                   // the four bytes of v4
	fromLower                // s.data[koff : koff+klen] in lower case
)

// batchSize is the number of probes a batch is flushed at (8 KiB of
// probes: they stay in L1).
const batchSize = 256

// useBlockPath reports whether blocks take the block path (under the
// read lock: LIKE and MATCHES terms may arrive between blocks).
func (s *lineScanner) useBlockPath() bool {
	return s.isText && len(s.x.scans) == 0 && !s.reference
}

// scanText matches a block of plain text lines (under the read lock).
func (s *lineScanner) scanText(j *job) {
	data := j.data
	s.data = data
	s.lineNo, s.lineStart = 1, 0
	s.lineEnd = bytes.IndexByte(data, '\n')
	if s.lineEnd < 0 {
		s.lineEnd = len(data)
	}
	s.field = ""
	extract.Scan(data, 0, s.onCandidate)
	s.flush()
	if len(s.pending) > 0 {
		s.resolve()
	}
	j.lines = int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		j.lines++
	}
	s.data = nil
}

// collect adds the probes of candidate c to the batch.
func (s *lineScanner) collect(c extract.Candidate) {
	if len(s.batch) >= batchSize {
		s.flush() // between candidates: a candidate's probes share its keys
	}
	x := s.x
	off, vlen := int32(c.Off), int32(len(c.Value))
	switch c.Kind {
	case extract.IPv4, extract.IPv6:
		a := c.Addr.Unmap()
		if a.Is4() {
			b := a.As4()
			if !s.opts.Exact && x.covered(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])) {
				s.addWalk(probe{off: off, vlen: vlen}, a)
				return
			}
			v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			q := s.slot()
			q.off, q.vlen = off, vlen
			q.kind, q.bits, q.from, q.v4 = kIPv4, 32, fromV4, v
			q.hash = hashV4(x.seed, v) ^ v4Mix
			return
		}
		if !s.opts.Exact {
			s.addWalk(probe{off: off, vlen: vlen}, a)
			return
		}
		b := a.As16()
		s.addKey(probe{off: off, vlen: vlen}, kIPv6, 128, b[:])
	case extract.Domain:
		// The extractor reports domains without leading or trailing dots
		// or spaces, so the key is the value in lower case.
		d := c.Value
		if s.opts.Exact {
			q := s.slot()
			q.off, q.vlen = off, vlen
			q.kind, q.from = kDomain, fromLower
			q.koff, q.klen = int32(c.Off), int32(len(d))
			q.hash = hashLower(x.seed, d) ^ domainMix
			return
		}
		// The domain and each parent, longest first (the per-line path's
		// order), hashed in one pass from the end.
		starts := append(s.starts[:0], 0)
		for i, ch := range d {
			if ch == '.' && i+1 < len(d) {
				starts = append(starts, i+1)
			}
		}
		s.starts = starts
		s.hashes = slices.Grow(s.hashes[:0], len(starts))[:len(starts)]
		hashSuffixes(x.seed, d, starts, s.hashes)
		for k, i := range starts {
			q := s.slot()
			q.off, q.vlen = off, vlen
			q.kind, q.from = kDomain, fromLower
			q.koff, q.klen = int32(c.Off+i), int32(len(d)-i)
			q.hash = s.hashes[k] ^ domainMix
		}
	case extract.URL:
		if h, ok := urlAuthorityHash(x.seed, c.Value); ok && !x.mayHave(h^urlAuthMix) {
			return // no URL indicator has this scheme, host and port (the usual case)
		}
		start := len(s.keys)
		a, rest, ok := normURLAuthority(c.Value, s.keys)
		if !ok || !x.mayHave(x.hashKey(key{kind: kURLAuth, b: a[start:]})) {
			s.keys = s.keys[:start]
			return // no URL indicator has this scheme, host and port
		}
		s.keys = normURLPath(a, rest)
		s.addStored(probe{off: off, vlen: vlen}, kURL, start)
	case extract.Email:
		start := len(s.keys)
		s.keys = lower(c.Value, s.keys)
		s.addStored(probe{off: off, vlen: vlen}, kEmail, start)
	case extract.MD5, extract.SHA1, extract.SHA256, extract.SHA512:
		k := hashKindOf[c.Kind]
		start := len(s.keys)
		b, ok := decodeHex(c.Value, hashLen[k], s.keys)
		if !ok {
			return
		}
		s.keys = b
		s.addStored(probe{off: off, vlen: vlen}, k, start)
	}
}

// addKey adds a probe for key bytes b (copied to the batch's keys).
func (s *lineScanner) addKey(p probe, k kind, bits uint8, b []byte) {
	start := len(s.keys)
	s.keys = append(s.keys, b...)
	p.bits = bits
	s.addStored(p, k, start)
}

// addStored adds a probe for the key s.keys[start:].
func (s *lineScanner) addStored(p probe, k kind, start int) {
	b := s.keys[start:]
	p.kind, p.koff, p.klen = k, int32(start), int32(len(b))
	p.hash = s.x.hashKey(key{kind: k, b: b, bits: p.bits})
	s.add(p)
}

func (s *lineScanner) add(p probe) { s.batch = append(s.batch, p) }

// slot appends a zero probe to the batch and returns it to be filled in
// place: a probe built in a local and copied in is written field by field
// and read back in 16-byte pieces, which the processor cannot forward from
// the smaller stores (a stall per probe).
func (s *lineScanner) slot() *probe {
	n := len(s.batch)
	if n == cap(s.batch) {
		s.batch = append(s.batch, probe{})
	} else {
		s.batch = s.batch[:n+1]
		s.batch[n] = probe{}
	}
	return &s.batch[n]
}

// Precomputed kindMix values of the keys hashed on the block path.
var (
	v4Mix      = kindMix(kIPv4, 32)
	domainMix  = kindMix(kDomain, 0)
	urlAuthMix = kindMix(kURLAuth, 0)
)

// authStop is 1 for the bytes that end a URL's authority, 2 for those
// that take it off the usual case (userinfo, port, IPv6 literal).
var authStop = func() (t [256]uint8) {
	for _, c := range "/?#" {
		t[c] = 1
	}
	for _, c := range "@:[" {
		t[c] = 2
	}
	return t
}()

// urlAuthorityHash is the hash (without kindMix) of the authority key
// normURLAuthority makes of u, in the usual case (a lower-case scheme and a
// bare host: no user, port or IPv6 literal), computed without copying; ok
// is false for the other cases.
func urlAuthorityHash(seed uint64, u []byte) (uint64, bool) {
	i := 0
	for i < len(u) && 'a' <= u[i] && u[i] <= 'z' {
		i++
	}
	if i == 0 || i+3 > len(u) || u[i] != ':' || u[i+1] != '/' || u[i+2] != '/' {
		return 0, false
	}
	k := i + 3
	for k < len(u) && authStop[u[k]] == 0 {
		k++
	}
	if k < len(u) && authStop[u[k]] == 2 {
		return 0, false
	}
	for k > i+3 && u[k-1] == '.' {
		k--
	}
	if k == i+3 {
		return 0, false
	}
	return hashLower(seed, u[:k]), true
}

// addWalk adds a probe for the longest prefix holding a.
func (s *lineScanner) addWalk(p probe, a netip.Addr) {
	p.walk, p.koff = true, int32(len(s.walks))
	s.walks = append(s.walks, a)
	s.add(p)
}

// flush looks the batch up and reports its hits in order.
func (s *lineScanner) flush() {
	x := s.x
	batch := s.batch
	// One pass over the filter: independent loads, overlapped misses.
	any := false
	for i := range batch {
		p := &batch[i]
		p.keep = p.walk || x.mayHave(p.hash)
		any = any || p.keep
	}
	if any {
		for i := range batch {
			p := &batch[i]
			if !p.keep {
				continue
			}
			s.cur = p
			if p.walk {
				x.lookupAddr(s.walks[p.koff], false, s.onHead)
				continue
			}
			k := s.keyOf(p)
			if e := x.probe(k, p.hash); e >= 0 {
				s.onHead(e)
			}
		}
	}
	s.batch = batch[:0]
	s.keys = s.keys[:0]
	s.walks = s.walks[:0]
}

// keyOf makes the key of probe p.
func (s *lineScanner) keyOf(p *probe) key {
	k := key{kind: p.kind, bits: p.bits}
	switch p.from {
	case fromV4:
		s.kbuf = append(s.kbuf[:0], byte(p.v4>>24), byte(p.v4>>16), byte(p.v4>>8), byte(p.v4))
		k.b = s.kbuf
	case fromLower:
		s.kbuf = lower(s.data[p.koff:p.koff+p.klen], s.kbuf[:0])
		k.b = s.kbuf
	default:
		k.b = s.keys[p.koff : p.koff+p.klen]
	}
	return k
}

// head reports the live indicators on the chain at entry head for the
// current probe.
func (s *lineScanner) head(head int) {
	x := s.x
	p := s.cur
	for e := head; e >= 0; {
		en := &x.entries[e]
		if x.alive(en.ind, s.now) {
			off := int(p.off)
			s.locate(off)
			s.found(en.ind, en.term, x.keyOf(en).String(), en.kind, s.data[off:off+int(p.vlen)], off-s.lineStart)
		}
		e = int(en.next) - 1
	}
}

// locate moves the current line to the one holding block offset off
// (which is at or after the current line's start).
func (s *lineScanner) locate(off int) {
	if off < s.lineEnd {
		return
	}
	d := s.data
	s.lineNo += 1 + int64(bytes.Count(d[s.lineEnd+1:off], []byte{'\n'}))
	s.lineStart = bytes.LastIndexByte(d[:off], '\n') + 1
	if e := bytes.IndexByte(d[off:], '\n'); e >= 0 {
		s.lineEnd = off + e
	} else {
		s.lineEnd = len(d)
	}
}
