package detect

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"unsafe"

	"github.com/phalanx-ledger/phalanx/internal/extract"
)

// The block path matches plain text a block at a time instead of a line at
// a time: the extractor runs over the whole block (a newline ends every
// value, so the values are the same), line numbers are counted only where
// a hit is, and index lookups are made in batches. The extractor hands over
// a batch of typed values (extract.Values: kind, place, an IPv4 address's
// number, a URL's authority), with no call per value. One tight loop over
// the batch hashes each key and prefetches its Bloom filter word
// (hashBatch); the next batch is extracted while those words arrive; then
// a second loop tests them, keeping a probe only for the few that pass
// (collect); a third reads the table slots of those, a fourth probes the
// table for them (flush). The table reads of different values do not
// depend on each other, so their cache misses overlap instead of coming
// one after the other. Hits come out in the order the per-line path
// reports them.
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
	look lookup
}

// lookup says how a probe is looked up.
type lookup uint8

const (
	lookKey lookup = iota // its key, one probe
	// lookWalk: a longest-prefix walk over the blocks of s.walks[koff]
	// (an IPv6 address, or an IPv4 address written as IPv6).
	lookWalk
	// lookPrefix: one prefix length of an IPv4 longest-prefix walk
	// (addWalkV4); skipped when a longer one of the same value was found.
	lookPrefix
)

// keyFrom says where a probe's key bytes are. Only the few probes that
// pass the Bloom filter need them, so the usual values (addresses,
// domains) are hashed straight from the input and their keys made later.
type keyFrom uint8

const (
	fromKeys  keyFrom = iota // s.keys[koff : koff+klen]
	fromV4                   // the four bytes of v4
	fromLower                // s.data[koff : koff+klen] in lower case
	// fromURL: the hash is the URL's authority's; the key is the URL
	// s.data[off : off+vlen] normalised, made if the authority passes the
	// filter.
	fromURL
)

// batchSize is the number of values the extractor hands over at a time
// (6 KiB of values, and probes only for the few that pass the filter: they
// stay in L1).
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
	// Software pipelining: a batch's filter words are prefetched when it is
	// hashed, then the next batch is extracted while they arrive, and only
	// then is the batch tested and looked up.
	var pos int
	s.vals, pos = extract.Values(data, 0, s.vals[:0], batchSize)
	s.hashBatch(s.vals)
	for len(s.vals) > 0 || pos < len(data) {
		s.next = s.next[:0]
		if pos < len(data) {
			s.next, pos = extract.Values(data, pos, s.next, batchSize)
		}
		s.collect(s.vals)
		s.flush()
		s.vals, s.next = s.next, s.vals
		s.hashBatch(s.vals)
	}
	if len(s.pending) > 0 {
		s.resolve()
	}
	j.lines = int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		j.lines++
	}
	s.data = nil
}

// hashBatch hashes the usual values of a batch (an IPv4 address, a domain
// in exact mode, a URL with a bare host) into s.vhash, 0 for the others
// (noProbe for a domain whose last label no key has, with subdomain
// semantics on), and prefetches the filter word of each hash: the filter
// is 1 MiB and the input streaming through evicts it from L2, so most
// tests would miss the cache. A prefetch neither faults nor makes anything wait; by the
// time collect tests the words (after the next batch is extracted) they
// are in L1.
func (s *lineScanner) hashBatch(vals []extract.Value) {
	n := len(vals)
	if cap(s.vhash) < n {
		s.vhash = make([]uint64, n, 2*n)
		s.vword = make([]uint32, n, 2*n)
	}
	hs, ws := s.vhash[:n], s.vword[:n]
	cover := s.vcover[:0]
	x, exact, seed := s.x, s.opts.Exact, s.x.seed
	for k := range vals {
		v := &vals[k]
		var h uint64
		f := uint64(0) // the hash whose filter word is prefetched
		switch v.Kind {
		case extract.IPv4:
			h = hashV4(seed, v.V4) ^ v4Mix
			f = h
			if !exact && x.v4Cover16 != nil && x.v4Cover16[v.V4>>22]&(1<<((v.V4>>16)&63)) != 0 {
				// Some block overlaps its /16: collectOne decides with the
				// /24 map (2 MiB, mostly not in cache), whose word is
				// prefetched here.
				h = 0
				cover = append(cover, v.V4>>14)
			}
		case extract.Domain:
			if exact {
				h = hashLower(seed, s.data[v.Off:v.Off+int(v.Len)]) ^ domainMix
				f = h
			} else if !x.mayEndLikeKey(s.data, v.Off, v.Off+int(v.Len)) {
				h = noProbe // no key ends with its last label: no parent to look up
			}
		case extract.URL:
			if v.Host > 0 {
				if a, ok := authorityHash(seed, s.data[v.Off:v.Off+int(v.Len)], int(v.Host)); ok {
					h = a ^ urlAuthMix
					f = h
				}
			}
		}
		if h == noProbe && f != 0 {
			h = 0 // a real hash that is noProbe: collectOne makes its probe
		}
		hs[k] = h
		w, _ := x.filterWord(f)
		ws[k] = uint32(w)
	}
	if n > 0 {
		prefetchWords(&x.filter[0], &ws[0], n)
	}
	if len(cover) > 0 {
		prefetchWords(&x.v4Cover[0], &cover[0], len(cover))
	}
	s.vcover = cover
	s.vhash = hs
}

// noProbe is the hash hashBatch gives a value with no probe to make.
const noProbe = 1

// collect adds the probes of a batch of values, hashed by hashBatch, to
// the batch: addresses and domains are hashed straight from the input,
// and a URL by its authority. A value hashBatch did not hash (hash 0)
// takes the per-kind code; one it found needs no probe (noProbe) is
// skipped.
func (s *lineScanner) collect(vals []extract.Value) {
	x := s.x
	hs := s.vhash[:len(vals)]
	for k := range vals {
		v := &vals[k]
		h := hs[k]
		if h <= noProbe {
			if h == 0 {
				s.collectOne(v)
			}
			continue
		}
		if !x.mayHave(h) {
			continue
		}
		q := s.slot()
		q.off, q.vlen = int32(v.Off), int32(v.Len)
		q.hash = h
		switch v.Kind {
		case extract.IPv4:
			q.kind, q.bits, q.from, q.v4 = kIPv4, 32, fromV4, v.V4
		case extract.Domain:
			// The extractor reports domains without leading or trailing
			// dots or spaces, so the key is the value in lower case.
			q.kind, q.from = kDomain, fromLower
			q.koff, q.klen = q.off, q.vlen
		default: // extract.URL with a bare host
			q.kind, q.from = kURL, fromURL
		}
	}
}

// collectOne adds the probes of value v, which hashBatch did not hash.
func (s *lineScanner) collectOne(v *extract.Value) {
	x, exact, seed := s.x, s.opts.Exact, s.x.seed
	off, vlen := int32(v.Off), int32(v.Len)
	switch v.Kind {
	case extract.IPv4:
		if !exact && x.covered(v.V4) {
			s.addWalkV4(off, vlen, v.V4)
			return
		}
		h := hashV4(seed, v.V4) ^ v4Mix
		if !x.mayHave(h) {
			return
		}
		q := s.slot()
		q.off, q.vlen = off, vlen
		q.kind, q.bits, q.from, q.v4 = kIPv4, 32, fromV4, v.V4
		q.hash = h
	case extract.Domain:
		d := s.data[v.Off : v.Off+int(v.Len)]
		if exact {
			h := hashLower(seed, d) ^ domainMix
			if !x.mayHave(h) {
				return
			}
			q := s.slot()
			q.off, q.vlen = off, vlen
			q.kind, q.from = kDomain, fromLower
			q.koff, q.klen = off, vlen
			q.hash = h
			return
		}
		s.addParents(off, d)
	case extract.URL:
		s.addURL(v)
	default:
		s.addOther(v)
	}
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

const low7 = 0x7f7f7f7f7f7f7f7f

// labelStarts appends to starts the offset after each dot of d that is
// not d's last byte, reading d eight bytes at a time.
func labelStarts(d []byte, starts []int) []int {
	for i := 0; i < len(d); i += 8 {
		var w uint64
		if i+8 <= len(d) {
			w = binary.LittleEndian.Uint64(d[i:])
		} else {
			var tail [8]byte
			copy(tail[:], d[i:])
			w = binary.LittleEndian.Uint64(tail[:])
		}
		t := w ^ '.'*lsb
		for m := ^((t&low7 + low7) | t | low7); m != 0; m &= m - 1 { // the high bit of each '.'
			if j := i + bits.TrailingZeros64(m)/8 + 1; j < len(d) {
				starts = append(starts, j)
			}
		}
	}
	return starts
}

// addURL adds a probe for URL v. The usual URL (a bare host, which the
// extractor says) is probed by its authority, hashed in place: its key is
// made only if some URL indicator has that scheme, host and port.
func (s *lineScanner) addURL(v *extract.Value) {
	x := s.x
	off, vlen := int32(v.Off), int32(v.Len)
	u := s.data[v.Off : v.Off+int(v.Len)]
	if v.Host > 0 {
		if h, ok := authorityHash(x.seed, u, int(v.Host)); ok && x.mayHave(h^urlAuthMix) {
			q := s.slot()
			q.off, q.vlen = off, vlen
			q.kind, q.from = kURL, fromURL
			q.hash = h ^ urlAuthMix
		}
		return // else the host is empty: not a URL normURL takes
	}
	start := len(s.keys)
	a, rest, ok := normURLAuthority(u, s.keys)
	if !ok || !x.mayHave(x.hashKey(key{kind: kURLAuth, b: a[start:]})) {
		s.keys = s.keys[:start]
		return // no URL indicator has this scheme, host and port
	}
	s.keys = normURLPath(a, rest)
	s.addStored(probe{off: off, vlen: vlen}, kURL, start)
}

// addOther adds the probes of an IPv6 address, an e-mail address or a
// hash.
func (s *lineScanner) addOther(v *extract.Value) {
	off, vlen := int32(v.Off), int32(v.Len)
	b := s.data[v.Off : v.Off+int(v.Len)]
	switch v.Kind {
	case extract.IPv6:
		a, err := netip.ParseAddr(unsafe.String(&b[0], len(b))) // not kept: no zone
		if err != nil {
			return // the extractor parsed it: not reached
		}
		a = a.Unmap()
		if a.Is4() {
			// collect's IPv4 case, repeated: there it stays inline, since a
			// call per address in the hottest loop costs more than these lines.
			b := a.As4()
			w := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			if !s.opts.Exact && s.x.covered(w) {
				s.addWalk(probe{off: off, vlen: vlen}, a)
				return
			}
			h := hashV4(s.x.seed, w) ^ v4Mix
			if !s.x.mayHave(h) {
				return
			}
			q := s.slot()
			q.off, q.vlen = off, vlen
			q.kind, q.bits, q.from, q.v4 = kIPv4, 32, fromV4, w
			q.hash = h
			return
		}
		if !s.opts.Exact {
			s.addWalk(probe{off: off, vlen: vlen}, a)
			return
		}
		k := a.As16()
		s.addKey(probe{off: off, vlen: vlen}, kIPv6, 128, k[:])
	case extract.Email:
		start := len(s.keys)
		s.keys = lower(b, s.keys)
		s.addStored(probe{off: off, vlen: vlen}, kEmail, start)
	case extract.MD5, extract.SHA1, extract.SHA256, extract.SHA512:
		k := hashKindOf[v.Kind]
		start := len(s.keys)
		key, ok := decodeHex(b, hashLen[k], s.keys)
		if !ok {
			return
		}
		s.keys = key
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
	if s.x.mayHave(p.hash) {
		s.add(p)
	}
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

// authorityHash is the hash (without kindMix) of the authority key
// normURLAuthority makes of URL u whose "scheme://host" prefix is u[:host]
// (extract.Value.Host: the scheme is letters, the host a bare host),
// computed without copying: the scheme and host in lower case, the host's
// trailing dots dropped. ok is false when the host is only dots (no key).
func authorityHash(seed uint64, u []byte, host int) (uint64, bool) {
	i := bytes.IndexByte(u, ':')
	if i < 0 || host > len(u) {
		return 0, false
	}
	k := host
	for k > i+3 && u[k-1] == '.' {
		k--
	}
	if k <= i+3 {
		return 0, false
	}
	return hashLower(seed, u[:k]), true
}

// addWalkV4 adds the probes of the longest-prefix walk of the IPv4
// address v at block offset off: one per prefix length some block under
// v's /16 has (and /32) whose key passes the filter, longest first. flush
// reads their table slots ahead with the others' and reports the first
// found (walkV4, probed one after the other as the per-line path does,
// would wait for each slot in turn).
func (s *lineScanner) addWalkV4(off, vlen int32, v uint32) {
	x := s.x
	for lens := x.v4Lens & (1<<32 | uint64(x.v4Lens16[v>>16])); lens != 0; {
		n := uint(63 - bits.LeadingZeros64(lens))
		lens &^= 1 << n
		m := v &^ uint32(uint64(1)<<(32-n)-1)
		h := hashV4(x.seed, m) ^ kindMix(kIPv4, uint8(n))
		if !x.mayHave(h) {
			continue
		}
		q := s.slot()
		q.off, q.vlen = off, vlen
		q.kind, q.bits, q.from, q.v4 = kIPv4, uint8(n), fromV4, m
		q.hash = h
		q.look = lookPrefix
	}
}

// addWalk adds a probe for the longest prefix holding a.
func (s *lineScanner) addWalk(p probe, a netip.Addr) {
	p.look, p.koff = lookWalk, int32(len(s.walks))
	s.walks = append(s.walks, a)
	s.add(p)
}

// flush looks the batch up and reports its hits in order.
func (s *lineScanner) flush() {
	x := s.x
	batch := s.batch
	if len(batch) > 0 {
		// The table slots in one pass, so that their misses overlap.
		mask := uint64(len(x.slots) - 1)
		var touch uint64
		for i := range batch {
			if p := &batch[i]; p.look != lookWalk {
				touch += x.slots[p.hash&mask]
			}
		}
		s.touched += touch
		found := int32(-1) // the value whose longest prefix was found
		for i := range batch {
			p := &batch[i]
			s.cur = p
			switch {
			case p.look == lookWalk:
				x.lookupAddr(s.walks[p.koff], false, s.onHead)
				continue
			case p.look == lookPrefix && p.off == found:
				continue
			}
			if p.from == fromURL {
				s.probeURL(p)
				continue
			}
			k := s.keyOf(p)
			if e := x.probe(k, p.hash); e >= 0 {
				s.onHead(e)
				found = p.off
			}
		}
	}
	s.batch = batch[:0]
	s.keys = s.keys[:0]
	s.walks = s.walks[:0]
}

// probeURL looks up the URL of probe p, whose authority passed the
// filter: normalised in full, filtered, then probed.
func (s *lineScanner) probeURL(p *probe) {
	x := s.x
	a, rest, ok := normURLAuthority(s.data[p.off:p.off+p.vlen], s.kbuf[:0])
	if !ok {
		return
	}
	s.kbuf = normURLPath(a, rest)
	k := key{kind: kURL, b: s.kbuf}
	h := x.hashKey(k)
	if !x.mayHave(h) {
		return
	}
	if e := x.probe(k, h); e >= 0 {
		s.onHead(e)
	}
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
			if s.strs == nil {
				s.strs = new(hitStrings)
			}
			s.found(en.ind, en.term, s.strs.value(x, e), en.kind, s.data[off:off+int(p.vlen)], off-s.lineStart)
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
