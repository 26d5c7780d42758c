// Package detect is the detection matcher: an in-memory index of the
// indicators a member may read, and the scanner that matches telemetry
// against it.
//
// The index stores every key (address or CIDR block, domain, normalised
// URL, e-mail address, binary hash) once in a byte arena and finds it
// through an open-addressing table of 64-bit hashes, verified against the
// arena; indicator metadata sits in a slice of fixed-size records. There
// are no per-indicator Go strings or pointers (except for the rare patterns
// with AND, LIKE or MATCHES), so a million indicators cost little memory
// and nothing to the garbage collector.
//
// Lookups: an address looks up each prefix length present in the index,
// longest first, and reports the longest match; a domain looks up each of
// its suffixes on label boundaries (a.b.evil.example → a.b.evil.example,
// b.evil.example, evil.example, example); everything else is one exact
// lookup. Options.Exact turns CIDR and subdomain matching off.
//
// Live updates take a write lock for the duration of one Add or Remove;
// scanners hold the read lock per block of input (about 128 KiB), so an update
// waits at most one block and a scan never sees half an update.
package detect

import (
	"encoding/hex"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/extract"
)

// Indicator is one indicator version handed to the index.
type Indicator struct {
	ID         string // indicator--UUID
	Version    time.Time
	Author     string    // member id that published it
	Marking    string    // e.g. "tlp:green"; "" when unmarked
	Confidence int       // 0-100; -1 when absent
	ValidFrom  time.Time // not matched before; zero: always
	ValidUntil time.Time // not matched from then on; zero: never expires
	Revoked    bool
	Pattern    *Compiled // nil for a revoked version
}

// entry is one (key, indicator, term) in the index.
type entry struct {
	hash uint64
	off  uint32 // key bytes in the arena
	ind  uint32 // indicator slot
	next uint32 // next entry (index+1) with the same key; 0 ends the chain
	klen uint16
	kind kind
	bits uint8
	term uint8
}

// meta is the fixed-size record of one indicator version.
type meta struct {
	version    int64 // unix nanoseconds
	validUntil int64 // unix nanoseconds; 0 when unbounded
	validFrom  int64 // unix nanoseconds; 0 when unset
	idOff      uint32
	author     uint32 // index into strs
	marking    uint32
	expr       uint32 // index+1 into exprs for patterns that are not simple, or that use LIKE/MATCHES
	idLen      uint8
	confidence int8
	dead       bool
}

// scanRef is a LIKE or MATCHES term, tested against every candidate of its
// kind.
type scanRef struct {
	ind  uint32
	term uint8
	kind kind
}

// maxTerms bounds the comparisons of one pattern (term numbers are bytes,
// AND evaluation uses a 64-bit set).
const maxTerms = 64

// Index is the in-memory indicator index. It is safe for concurrent use.
type Index struct {
	mu      sync.RWMutex
	seed    uint64 // of the key hash (hash.go)
	arena   []byte
	entries []entry
	slots   []uint64 // a chain's head: hash tag << 32 | entry index+1; 0 empty
	// filter is a blocked Bloom filter of the keys (three bits in one word
	// per key, 4 bits per slot): most telemetry values are not indicators,
	// and the filter answers for them with one access to a table 16 times
	// smaller than the slots, likely in cache.
	filter []uint64
	fshift uint
	used   int
	v4Lens uint64 // bit b: some IPv4 key has prefix length b
	// v4Cover has a bit per /24 that some IPv4 block shorter than /32
	// overlaps (2 MiB, made with the first such block): an address outside
	// every block costs one lookup, not one per prefix length. v4Cover16
	// has a bit per /16 that holds a marked /24 (8 KiB, in L1), so most
	// addresses never touch the bigger map.
	v4Cover   []uint64
	v4Cover16 []uint64
	// v4Lens16 has, per /16, bit n set when some IPv4 block of length
	// n < 32 overlaps that /16 (256 KiB, made with v4Cover): the
	// longest-prefix walk tests only those lengths (and /32), not every
	// length the index has.
	v4Lens16 []uint32
	v6Lens   [3]uint64 // bit b: some IPv6 key has prefix length b
	// The subdomain gates (domains.go): dLabels has bit n set when some
	// domain key has n labels (63: 63 or more), dLast a bit per last label
	// of some domain key (8 KiB). A domain whose last label no key ends
	// with has no parent to look up; of the others, only the suffixes with
	// a label count some key has are hashed and tested.
	dLabels  uint64
	dLast    *[lastWords]uint64
	dUngated bool // a domain key without a last label: dLast says nothing
	metas    []meta
	exprs    []*Compiled
	scans    []scanRef
	strs     []string
	strIdx   map[string]uint32
	live     int
}

// New returns an empty index with room for about n keys.
func New(n int) *Index {
	size := 1024
	for size < 2*n {
		size <<= 1
	}
	x := &Index{
		seed:    rand.Uint64(),
		slots:   make([]uint64, size),
		entries: make([]entry, 0, n),
		metas:   make([]meta, 0, n),
		arena:   make([]byte, 0, 32*n),
		strIdx:  map[string]uint32{"": 0},
		strs:    []string{""},
	}
	x.resetFilter()
	return x
}

// resetFilter sizes the filter to 4 bits per slot (8 to 16 per key),
// empty.
func (x *Index) resetFilter() {
	words := len(x.slots) / 16
	x.filter = make([]uint64, words)
	x.fshift = uint(64 - bits.TrailingZeros(uint(words)))
}

// filterWord is the word of hash h in the filter and the three bits it sets
// there (a blocked filter: one memory access per test).
func (x *Index) filterWord(h uint64) (uint64, uint64) {
	m := h * 0x9E3779B97F4A7C15
	return m >> x.fshift, 1<<(m&63) | 1<<((m>>6)&63) | 1<<((m>>12)&63)
}

func (x *Index) mayHave(h uint64) bool {
	w, b := x.filterWord(h)
	return x.filter[w]&b == b
}

func (x *Index) addFilter(h uint64) {
	w, b := x.filterWord(h)
	x.filter[w] |= b
}

// Len returns the number of live (not revoked, not replaced) indicators,
// expired ones included.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// Add adds an indicator version. A version older than the one indexed is
// ignored; a newer one replaces it; a revoked one removes the indicator.
func (x *Index) Add(in Indicator) error {
	idKey := idKeyOf(in.ID)
	x.mu.Lock()
	defer x.mu.Unlock()
	idEntry := x.find(idKey, x.hashKey(idKey))
	if idEntry >= 0 {
		old := &x.metas[x.entries[idEntry].ind]
		if old.version > in.Version.UnixNano() {
			return nil
		}
		if !old.dead {
			old.dead = true
			x.live--
		}
	}
	if in.Pattern != nil && len(in.Pattern.terms) > maxTerms {
		return fmt.Errorf("index indicator %s: more than %d comparisons", in.ID, maxTerms)
	}
	slot := uint32(len(x.metas))
	m := meta{version: in.Version.UnixNano(), author: x.intern(in.Author), marking: x.intern(in.Marking),
		confidence: int8(in.Confidence), dead: in.Revoked || in.Pattern == nil}
	if in.Confidence < 0 || in.Confidence > 100 {
		m.confidence = -1
	}
	if !in.ValidUntil.IsZero() {
		m.validUntil = in.ValidUntil.UnixNano()
	}
	if !in.ValidFrom.IsZero() {
		m.validFrom = in.ValidFrom.UnixNano()
	}
	m.idOff, m.idLen = uint32(len(x.arena)), uint8(len(idKey.b))
	x.arena = append(x.arena, idKey.b...)
	if idEntry >= 0 {
		x.entries[idEntry].ind = slot
	} else {
		x.insert(idKey, slot, 0)
	}
	if !m.dead {
		x.live++
		m.expr = x.addPattern(slot, in.Pattern)
	}
	x.metas = append(x.metas, m)
	return nil
}

// AddValue indexes a bare indicator value (see CompileValue for the types
// it recognises) under a fixed id, without the id table: such indicators
// are never replaced or revoked. It is the fast path for large local lists.
func (x *Index) AddValue(id [16]byte, value, author string) error {
	k := guessKind(value)
	kv, err := parseKey(k, value)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	slot := uint32(len(x.metas))
	m := meta{author: x.intern(author), confidence: -1, idOff: uint32(len(x.arena)), idLen: 16}
	x.arena = append(x.arena, id[:]...)
	x.metas = append(x.metas, m)
	x.insert(kv, slot, 0)
	x.live++
	return nil
}

// addPattern indexes a pattern's keys and returns its expr reference.
func (x *Index) addPattern(slot uint32, c *Compiled) uint32 {
	needExpr := !c.simple
	for ti, t := range c.terms {
		if t.op != opEqual {
			needExpr = true
			x.scans = append(x.scans, scanRef{ind: slot, term: uint8(ti), kind: t.kind})
			continue
		}
		for _, k := range t.keys {
			x.insert(k, slot, uint8(ti))
		}
	}
	if !needExpr {
		return 0
	}
	x.exprs = append(x.exprs, c)
	return uint32(len(x.exprs))
}

// Remove drops an indicator (a revocation seen without its pattern).
func (x *Index) Remove(id string) {
	k := idKeyOf(id)
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.find(k, x.hashKey(k)); e >= 0 {
		if m := &x.metas[x.entries[e].ind]; !m.dead {
			m.dead = true
			x.live--
		}
	}
}

func (x *Index) intern(s string) uint32 {
	if i, ok := x.strIdx[s]; ok {
		return i
	}
	x.strs = append(x.strs, s)
	x.strIdx[s] = uint32(len(x.strs) - 1)
	return uint32(len(x.strs) - 1)
}

// idKeyOf keys an indicator id by its UUID's 16 bytes when it has the
// usual form, else by the id's text.
func idKeyOf(id string) key {
	const prefix = "indicator--"
	if len(id) == len(prefix)+36 && id[:len(prefix)] == prefix {
		u := id[len(prefix):]
		var b [16]byte
		if u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-' {
			h := u[:8] + u[9:13] + u[14:18] + u[19:23] + u[24:]
			if _, err := hex.Decode(b[:], []byte(h)); err == nil && hex.EncodeToString(b[:]) == h {
				return key{kind: kID, b: b[:]}
			}
		}
	}
	return key{kind: kID, b: []byte(id)}
}

func (x *Index) idOf(m *meta) string {
	b := x.arena[m.idOff : m.idOff+uint32(m.idLen)]
	if len(b) != 16 {
		return string(b)
	}
	// "indicator--" and the UUID's 36 characters, made in place: one
	// allocation per hit rather than three.
	const prefix = "indicator--"
	var id [len(prefix) + 36]byte
	copy(id[:], prefix)
	u := id[len(prefix):]
	hex.Encode(u[0:8], b[0:4])
	u[8] = '-'
	hex.Encode(u[9:13], b[4:6])
	u[13] = '-'
	hex.Encode(u[14:18], b[6:8])
	u[18] = '-'
	hex.Encode(u[19:23], b[8:10])
	u[23] = '-'
	hex.Encode(u[24:36], b[10:16])
	return string(id[:])
}

func (x *Index) hashKey(k key) uint64 {
	return hashBytes(x.seed, k.b) ^ kindMix(k.kind, k.bits)
}

// tagOf is the part of a hash kept in a slot, so that most probes that
// miss never touch the entries.
func tagOf(h uint64) uint64 { return h >> 32 << 32 }

// find returns the head entry of key k (whose hash is h), or -1.
func (x *Index) find(k key, h uint64) int {
	if !x.mayHave(h) {
		return -1
	}
	return x.probe(k, h)
}

// probe is find without the filter test.
func (x *Index) probe(k key, h uint64) int {
	mask := uint64(len(x.slots) - 1)
	tag := tagOf(h)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return -1
		}
		if s&^0xffffffff != tag {
			continue
		}
		e := &x.entries[uint32(s)-1]
		if e.hash == h && e.kind == k.kind && e.bits == k.bits && int(e.klen) == len(k.b) &&
			string(x.arena[e.off:e.off+uint32(e.klen)]) == string(k.b) {
			return int(uint32(s) - 1)
		}
	}
}

// insert adds an entry for key k; an existing key gets the entry at the
// head of its chain.
func (x *Index) insert(k key, ind uint32, term uint8) {
	if len(k.b) > 0xffff {
		return // no telemetry value is that long
	}
	h := x.hashKey(k)
	e := entry{hash: h, ind: ind, kind: k.kind, bits: k.bits, term: term, klen: uint16(len(k.b))}
	if head := x.find(k, h); head >= 0 {
		e.off = x.entries[head].off
		e.next = uint32(head + 1)
		x.entries = append(x.entries, e)
		x.replaceHead(h, head, len(x.entries)-1)
		return
	}
	e.off = uint32(len(x.arena))
	x.arena = append(x.arena, k.b...)
	x.entries = append(x.entries, e)
	if 2*(x.used+1) > len(x.slots) {
		x.grow()
	}
	x.place(h, uint32(len(x.entries)))
	x.addFilter(h)
	x.addAuthority(k)
	x.used++
	switch k.kind {
	case kIPv4:
		x.v4Lens |= 1 << k.bits
		x.cover(k)
	case kDomain:
		x.addDomainGates(k.b)
	case kIPv6:
		x.v6Lens[k.bits/64] |= 1 << (k.bits % 64)
	}
}

func (x *Index) place(h uint64, ref uint32) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = tagOf(h) | uint64(ref)
}

func (x *Index) replaceHead(h uint64, old, neu int) {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		if uint32(x.slots[i]) == uint32(old+1) {
			x.slots[i] = tagOf(h) | uint64(neu+1)
			return
		}
	}
}

func (x *Index) grow() {
	old := x.slots
	x.slots = make([]uint64, 2*len(old))
	x.resetFilter()
	for _, s := range old {
		if s != 0 {
			e := &x.entries[uint32(s)-1]
			x.place(e.hash, uint32(s))
			x.addFilter(e.hash)
			x.addAuthority(x.keyOf(e))
		}
	}
}

// addAuthority puts a URL key's authority into the filter.
func (x *Index) addAuthority(k key) {
	if k.kind == kURL {
		x.addFilter(x.hashKey(key{kind: kURLAuth, b: urlAuthority(k.b)}))
	}
}

// cover marks the /24s an IPv4 block shorter than /32 overlaps.
func (x *Index) cover(k key) {
	if k.bits == 32 {
		return
	}
	if x.v4Cover == nil {
		x.v4Cover = make([]uint64, 1<<24/64)
		x.v4Cover16 = make([]uint64, 1<<16/64)
		x.v4Lens16 = make([]uint32, 1<<16)
	}
	first16 := uint32(k.b[0])<<8 | uint32(k.b[1])
	n16 := uint32(1)
	if k.bits < 16 {
		n16 = 1 << (16 - k.bits)
	}
	for i := first16; i < first16+n16; i++ {
		x.v4Lens16[i] |= 1 << k.bits
	}
	first := uint32(k.b[0])<<16 | uint32(k.b[1])<<8 | uint32(k.b[2])
	n := uint32(1)
	if k.bits < 24 {
		n = 1 << (24 - k.bits)
	}
	for i := first; i < first+n; i++ {
		x.v4Cover[i>>6] |= 1 << (i & 63)
		x.v4Cover16[i>>14] |= 1 << ((i >> 8) & 63)
	}
}

// covered reports whether some IPv4 block shorter than /32 may hold the
// address v.
func (x *Index) covered(v uint32) bool {
	return x.v4Cover != nil && x.v4Cover16[v>>22]&(1<<((v>>16)&63)) != 0 && x.v4Cover[v>>14]&(1<<((v>>8)&63)) != 0
}

// live reports whether indicator slot i may match at time now.
func (x *Index) alive(i uint32, now int64) bool {
	m := &x.metas[i]
	return !m.dead && (m.validUntil == 0 || now < m.validUntil) && now >= m.validFrom
}

// keyOf returns the key an entry stores.
func (x *Index) keyOf(e *entry) key {
	return key{kind: e.kind, bits: e.bits, b: x.arena[e.off : e.off+uint32(e.klen)]}
}

// lookupState holds a scanner's scratch space.
type lookupState struct {
	buf []byte
}

// lookup calls fn with the head entry of every key that candidate c
// matches.
func (x *Index) lookup(c *extract.Candidate, exact bool, st *lookupState, fn func(head int)) {
	switch c.Kind {
	case extract.IPv4, extract.IPv6:
		x.lookupAddr(c.Addr, exact, fn)
	case extract.Domain:
		st.buf = normDomain(c.Value, st.buf[:0])
		x.lookupDomain(st.buf, exact, fn)
	case extract.URL:
		u, ok := normURL(c.Value, st.buf[:0])
		if !ok {
			return
		}
		st.buf = u
		x.lookupKey(key{kind: kURL, b: u}, fn)
	case extract.Email:
		st.buf = lower(c.Value, st.buf[:0])
		x.lookupKey(key{kind: kEmail, b: st.buf}, fn)
	case extract.MD5, extract.SHA1, extract.SHA256, extract.SHA512:
		k := hashKindOf[c.Kind]
		b, ok := decodeHex(c.Value, hashLen[k], st.buf[:0])
		if !ok {
			return
		}
		st.buf = b
		x.lookupKey(key{kind: k, b: b}, fn)
	}
}

var hashKindOf = map[extract.Kind]kind{extract.MD5: kMD5, extract.SHA1: kSHA1, extract.SHA256: kSHA256, extract.SHA512: kSHA512}

func (x *Index) lookupKey(k key, fn func(int)) {
	if e := x.find(k, x.hashKey(k)); e >= 0 {
		fn(e)
	}
}

// lookupDomain looks d and (unless exact) each parent domain up.
func (x *Index) lookupDomain(d []byte, exact bool, fn func(int)) {
	for i := 0; i < len(d); {
		x.lookupKey(key{kind: kDomain, b: d[i:]}, fn)
		if exact {
			return
		}
		j := i
		for j < len(d) && d[j] != '.' {
			j++
		}
		i = j + 1
	}
}

// walkV4 reports the longest prefix holding the IPv4 address v. It tests
// the filter for every prefix length the index has first, in one loop of
// independent reads (their misses overlap), then probes the table for those
// that pass, longest first.
func (x *Index) walkV4(v uint32, fn func(int)) {
	var pass uint64
	lens := x.v4Lens & (1 << 32)
	if x.v4Lens16 != nil {
		lens = x.v4Lens & (1<<32 | uint64(x.v4Lens16[v>>16]))
	}
	for ; lens != 0; lens &= lens - 1 {
		n := uint(bits.TrailingZeros64(lens))
		m := v &^ uint32(uint64(1)<<(32-n)-1)
		w, b := x.filterWord(hashV4(x.seed, m) ^ kindMix(kIPv4, uint8(n)))
		if x.filter[w]&b == b {
			pass |= 1 << n
		}
	}
	for pass != 0 {
		n := uint(63 - bits.LeadingZeros64(pass))
		pass &^= 1 << n
		m := v &^ uint32(uint64(1)<<(32-n)-1)
		kb := [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
		if e := x.probe(key{kind: kIPv4, b: kb[:], bits: uint8(n)}, hashV4(x.seed, m)^kindMix(kIPv4, uint8(n))); e >= 0 {
			fn(e)
			return
		}
	}
}

// lookupAddr reports the longest prefix holding a (only the full address
// when exact).
func (x *Index) lookupAddr(a netip.Addr, exact bool, fn func(int)) {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		if exact {
			x.lookupKey(key{kind: kIPv4, b: b[:], bits: 32}, fn)
			return
		}
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if !x.covered(v) {
			x.lookupKey(key{kind: kIPv4, b: b[:], bits: 32}, fn)
			return
		}
		x.walkV4(v, fn)
		return
	}
	if exact {
		b := a.As16()
		x.lookupKey(key{kind: kIPv6, b: b[:], bits: 128}, fn)
		return
	}
	for bits := 128; bits >= 0; bits-- {
		if x.v6Lens[bits/64]&(1<<(bits%64)) == 0 {
			continue
		}
		p, _ := a.Prefix(bits)
		b := p.Addr().As16()
		k := key{kind: kIPv6, b: b[:], bits: uint8(bits)}
		if e := x.find(k, x.hashKey(k)); e >= 0 {
			fn(e)
			return
		}
	}
}
