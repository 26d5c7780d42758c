//go:build amd64

package extract

import (
	"encoding/binary"
	"math/bits"
	"slices"

	"golang.org/x/sys/cpu"
)

// useVector is set when the processor and the operating system support
// AVX-512 F and BW, what the kernels in kernels_amd64.s use besides VBMI
// (see useVBMI).
var useVector = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// scan appends the values of b[from:] to out (see Values) and returns where
// it stopped. On amd64 it classifies 64 bytes at a time with AVX-512 when
// the processor has it (scanVector, its kernels in kernels_amd64.s), else
// eight at a time (scanWords).
func scan(b []byte, from int, out *sink) int {
	if useVector {
		return scanVector(b, from, out)
	}
	return scanWords(b, from, out)
}

// Vector reports whether Scan uses vector instructions.
func Vector() bool { return useVector }

// stopNibbles are the tables of a nibble look-up (VPSHUFB, 16 entries
// repeated in each of the four 16-byte lanes) that finds the bytes ending
// a URL (cURLStop; stopIndex, classifyRanges): byte c is a stop when
// lo[c&15] & hi[c>>4] != 0. Each distinct set of low nibbles that the
// stops of one high nibble have gets a bit; hi[h] is the bit of h's set,
// lo[l] the bits of the sets that hold l. The bytes above 127 are no
// stops: hi[8] to hi[15] are 0.
var stopNibbles = func() (t struct{ lo, hi [64]byte }) {
	var sets []uint16
	for h := range 16 {
		var set uint16 // the low nibbles of the stops whose high nibble is h
		for l := range 16 {
			if class[h<<4|l]&cURLStop != 0 {
				set |= 1 << l
			}
		}
		if set == 0 {
			continue
		}
		k := slices.Index(sets, set)
		if k < 0 {
			k = len(sets)
			sets = append(sets, set)
		}
		if k >= 8 {
			panic("extract: the URL stops need more than 8 nibble sets")
		}
		for lane := 0; lane < 64; lane += 16 {
			t.hi[lane+h] = 1 << k
			for l := range 16 {
				if set>>l&1 != 0 {
					t.lo[lane+l] |= 1 << k
				}
			}
		}
	}
	return t
}()

// urlEnd is the first byte at or after from that ends a URL (a control
// byte, a space, one of "'<>`\^{}| or DEL), or len(b): 64 bytes at a time.
func urlEnd(b []byte, from int) int {
	if !useVector {
		return urlEndBytes(b, from)
	}
	rest := b[from:]
	if k := stopIndex(rest); k < len(rest)&^63 {
		return from + k
	}
	return urlEndBytes(b, from+len(rest)&^63)
}

// masks has one bit per byte of a 64-byte window for each byte class.
type masks struct {
	tok, dot, colon, at, digit, hex, alpha, other uint64
	stop, slash                                   uint64 // bytes that end a URL; '/'
	// What IPv4 addresses need (octetValues), computed for the window
	// when octets is set.
	octets         bool
	runEnd, badRun uint64
	runVal         [64 + 4]byte
}

// vconst holds the bytes classifyRanges compares with, each repeated 64
// times (a memory operand costs less than a broadcast); kernels_amd64.s
// reads them by offset (64 times the index).
var vconst = func() (t [16][64]byte) {
	for i, c := range []byte{0x20, '0', 10, 'a', 6, 'g', 20, '.', ':', '@', '_', '-', '+', ' ' + 1, '/', 0x0f} {
		for j := range t[i] {
			t[i][j] = c
		}
	}
	return t
}()

// classify computes the class masks of w's 64 bytes (classifyWindow:
// with AVX-512 VBMI one look-up of each byte's class in a 128-byte table,
// else comparisons with the classes' ranges) and forgets the octets of
// the window before.
func (m *masks) classify(w *[64]byte) {
	classifyWindow(w, m)
	m.octets = false
}

// Class codes of classifyTable, one per mask.
const (
	codeDigit = iota + 1
	codeHex
	codeAlpha
	codeDot
	codeColon
	codeAt
	codeOther
	codeStop  // a byte that ends a URL (not a token byte)
	codeSlash // '/'
)

// codeTable is each ASCII byte's class code (classifyTable); codes holds
// the codes and 128 (the index of every byte above 127: its code is 0, as
// NUL's would be but for the URL stop), 64 times each.
var codeTable, codes = func() (t [128]byte, k [11][64]byte) {
	for c := range 128 {
		cl := class[c]
		switch {
		case cl&cDigit != 0:
			t[c] = codeDigit
		case cl&cHex != 0:
			t[c] = codeHex
		case cl&cAlpha != 0:
			t[c] = codeAlpha
		case cl&cDot != 0:
			t[c] = codeDot
		case cl&cColon != 0:
			t[c] = codeColon
		case cl&cAt != 0:
			t[c] = codeAt
		case cl&cOther != 0:
			t[c] = codeOther
		case cl&cURLStop != 0:
			t[c] = codeStop
		case c == '/':
			t[c] = codeSlash
		}
	}
	t[0] = 0 // NUL, a URL stop, is found by its value: the bytes above 127 share its entry
	for i := range k {
		for j := range k[i] {
			k[i][j] = byte(i)
		}
	}
	for j := range k[10] {
		k[10][j] = 128
	}
	return t, k
}()

// flags is the OR of class[] over the bytes of span (a token's bits),
// without cUpper: every test of flags lets it through.
func (m *masks) flags(span uint64) uint16 {
	f := cTok
	if m.digit&span != 0 {
		f |= cDigit
	}
	if m.hex&span != 0 {
		f |= cHex
	}
	if m.alpha&span != 0 {
		f |= cAlpha
	}
	if m.dot&span != 0 {
		f |= cDot
	}
	if m.colon&span != 0 {
		f |= cColon
	}
	if m.at&span != 0 {
		f |= cAt
	}
	if m.other&span != 0 {
		f |= cOther
	}
	return f
}

// dotted is the extractor's dotted for a token of letters, digits and
// dots (the bits span of the window at b[i:]), with the masks instead of
// loops: the dots around the token are trimmed, digits and dots only make
// an IPv4 address, else a domain needs no empty label and a letter in its
// last label.
func (m *masks) dotted(b []byte, i int, span uint64, out *sink) {
	body := span &^ m.dot
	if body == 0 {
		return
	}
	s := uint(bits.TrailingZeros64(body))
	e := uint(bits.Len64(body))
	inner := (uint64(1)<<e - 1) &^ (1<<s - 1)
	dots := m.dot & inner
	letters := (m.hex | m.alpha) & span
	if letters == 0 {
		if v, ok := m.ipv4(b, i, dots, inner, s, e); ok {
			out.addV4(i+int(s), int(e-s), v)
		}
		return
	}
	if dots == 0 || dots&(dots>>1) != 0 || letters>>(bits.Len64(dots)-1) == 0 {
		return
	}
	out.add(Domain, i+int(s), int(e-s))
}

// ipv4 is parseIPv4 for the digits and dots of the window at b[i:] whose
// bits are inner (from digit s to digit e-1; its dots are dots). Four
// digit runs between three single dots make an address when no run is
// bad (octetValues); the address is then the four run values that follow
// the window's runs before s.
func (m *masks) ipv4(b []byte, i int, dots, inner uint64, s, e uint) (uint32, bool) {
	if bits.OnesCount64(dots) != 3 || dots&(dots>>1) != 0 {
		return 0, false
	}
	if !useVBMI {
		if i+66 <= len(b) {
			return ipv4((*[66]byte)(b[i:i+66]), dots, s, e)
		}
		return parseIPv4(b[i+int(s) : i+int(e)])
	}
	if !m.octets {
		m.octetValues((*[64]byte)(b[i : i+64]))
	}
	if m.badRun&inner != 0 {
		return 0, false
	}
	k := bits.OnesCount64(m.runEnd & (1<<s - 1))
	return binary.BigEndian.Uint32(m.runVal[k&63:]), true
}

// useVBMI is set when the processor has the byte permutations and
// compression of AVX-512 VBMI and VBMI2 (classifyTable, octetValues).
var useVBMI = useVector && cpu.X86.HasAVX512VBMI && cpu.X86.HasAVX512VBMI2

// Tables for octetValues, 64 bytes each: the indices that move each byte
// one and two places up, and ten and a hundred times a digit (mod 256).
var (
	prev1, prev2, tens, hundreds [64]byte
	two, c55                     [64]byte
)

func init() {
	for k := range 64 {
		prev1[k] = byte(k-1) & 63
		prev2[k] = byte(k-2) & 63
		two[k], c55[k] = 2, 55
	}
	for d := range 10 {
		tens[d] = byte(10 * d)
		hundreds[d] = byte(100 * d)
	}
}

// octetValues computes, for every run of digits in the window w (the
// window the masks are of), the value of the run's last three digits as
// an octet, in order of the runs (runVal), the runs' last digits (runEnd),
// and the digits of runs that cannot be an octet (badRun: four digits or
// more, a leading zero, a value over 255), all at once: per digit d at
// position k, lo = 10*d[k-1] + d[k] and hi = d[k-2] when they are in the
// same run, and the octet is 100*hi + lo.
func (m *masks) octetValues(w *[64]byte) {
	over, zeros := octetRuns(w, m.digit, (*[64]byte)(m.runVal[:64]))
	ends := m.digit &^ (m.digit >> 1)
	starts := m.digit &^ (m.digit << 1)
	long := m.digit & (m.digit >> 1) & (m.digit >> 2) & (m.digit >> 3)
	m.badRun = long | zeros&starts&(m.digit>>1) | over&ends
	m.runEnd = ends
	m.octets = true
}

// url is scanURL for the URL whose scheme is the token s..e-1 of the
// window at b[i:] (its last byte is the colon, "//" follows): when the
// token is only the scheme and the host ends in the window, the host is
// found and checked with the masks. It returns the URL's end; 0 when the
// token is no scheme; -1, having reported nothing, when the host does not
// end in the window and the token is not at its start (the next window
// is to start at the token).
func (m *masks) url(b []byte, i int, s, e uint, out *sink) int {
	letters := m.hex | m.alpha
	if uint(bits.Len64(^letters&(1<<((e-1)&63)-1))) != s || s == e-1 {
		return scanURL(b, i+int(s), i+int(e), out) // text before the scheme, or no scheme
	}
	start, hostStart := i+int(s), i+int(e)+2
	if e+2 >= 64 {
		return m.cross(b, i, s, e, out)
	}
	// The URL ends at its first stop byte (in this window or after it),
	// its trailing '.', ',' and ';' dropped.
	end := hostStart + bits.TrailingZeros64(m.stop>>(e+2))
	if end >= i+64 {
		end = urlEnd(b, i+64)
	}
	for end > hostStart && (b[end-1] == '.' || b[end-1] == ',' || b[end-1] == ';') {
		end--
	}
	if hostStart == end {
		return end
	}
	// The host ends at the first byte that is no token byte, ':' or '@',
	// or at the URL's end; a bare host ends at '/', '?', '#' or the end.
	h := min(hostStart+bits.TrailingZeros64((^m.tok|m.colon|m.at)>>(e+2)), end)
	if h >= i+64 {
		return m.cross(b, i, s, e, out)
	}
	if h < end && b[h] != '/' && b[h] != '?' && b[h] != '#' {
		return scanURL(b, start, i+int(e), out)
	}
	u := len(out.v)
	out.add(URL, start, end-start)
	span := (uint64(1)<<((h-i)&63) - 1) &^ (uint64(1)<<(e+2) - 1)
	if m.other&span != 0 {
		dotted(b[hostStart:h], m.flags(span), hostStart, out)
	} else if m.dot&span != 0 {
		m.dotted(b, i, span, out)
	}
	out.v[u].Host = uint32(h - start)
	return end
}

// cross handles a URL whose host does not end in the window (see url).
func (m *masks) cross(b []byte, i int, s, e uint, out *sink) int {
	if s > 0 {
		return -1
	}
	return scanURL(b, i+int(s), i+int(e), out)
}

// octetMul holds, for an octet of 1, 2 or 3 digits, what its first three
// digits are worth.
var octetMul = [4][3]uint{{}, {1, 0, 0}, {10, 1, 0}, {100, 10, 1}}

// ipv4 is parseIPv4 for the digits and dots w[s:e] whose dots are the bits
// dots, without a branch per octet: the dots give the octets' bounds, and
// each octet's value is its first three digits times what octetMul says
// they are worth (w has two bytes after the window, read and ignored).
func ipv4(w *[66]byte, dots uint64, s, e uint) (uint32, bool) {
	if bits.OnesCount64(dots) != 3 {
		return 0, false
	}
	p1 := uint(bits.TrailingZeros64(dots))
	dots &= dots - 1
	p2 := uint(bits.TrailingZeros64(dots))
	dots &= dots - 1
	p3 := uint(bits.TrailingZeros64(dots))
	// Each octet's value is its first three digits times what octetMul
	// says they are worth for its length (written out four times: as a
	// function it is too big for the compiler to inline).
	var bad uint
	a0, l0 := s&63, p1-s
	m0 := &octetMul[l0&3]
	d0 := uint(w[a0] - '0')
	v0 := d0*m0[0] + uint(w[a0+1]-'0')*m0[1] + uint(w[a0+2]-'0')*m0[2]
	bad |= b2u(l0-1 > 2) | b2u(d0 == 0)&b2u(l0 > 1) | v0>>8
	a1, l1 := (p1+1)&63, p2-(p1+1)
	m1 := &octetMul[l1&3]
	d1 := uint(w[a1] - '0')
	v1 := d1*m1[0] + uint(w[a1+1]-'0')*m1[1] + uint(w[a1+2]-'0')*m1[2]
	bad |= b2u(l1-1 > 2) | b2u(d1 == 0)&b2u(l1 > 1) | v1>>8
	a2, l2 := (p2+1)&63, p3-(p2+1)
	m2 := &octetMul[l2&3]
	d2 := uint(w[a2] - '0')
	v2 := d2*m2[0] + uint(w[a2+1]-'0')*m2[1] + uint(w[a2+2]-'0')*m2[2]
	bad |= b2u(l2-1 > 2) | b2u(d2 == 0)&b2u(l2 > 1) | v2>>8
	a3, l3 := (p3+1)&63, e-(p3+1)
	m3 := &octetMul[l3&3]
	d3 := uint(w[a3] - '0')
	v3 := d3*m3[0] + uint(w[a3+1]-'0')*m3[1] + uint(w[a3+2]-'0')*m3[2]
	bad |= b2u(l3-1 > 2) | b2u(d3 == 0)&b2u(l3 > 1) | v3>>8
	if bad != 0 {
		return 0, false
	}
	return uint32(v0)<<24 | uint32(v1)<<16 | uint32(v2)<<8 | uint32(v3), true
}

func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

// scanVector is Scan 64 bytes at a time. Each window starts where the
// previous stopped (a token start or a non-token byte, like scanWords' lo)
// and finds with bit operations the tokens that hold '.', ':' or '@' or a
// run of 32 hex digits; token classifies them with the flags the masks
// give. A token that reaches the window's end is left to the next window,
// which starts at it; one that fills a whole window (a SHA-256 or longer)
// is classified byte by byte (scanToken), as is the input's last 63 bytes.
// A URL whose host does not end in the window starts the next window
// (url); the addresses of a window are read from the octet values of all
// its runs of digits, computed at once (octetValues). It starts at from
// and returns where it stopped (see scan). Each window reads one byte
// touchAhead bytes on, so that the processor fetches the input before the
// window gets there (its first load of a window waited for memory).
func scanVector(b []byte, from int, out *sink) int {
	n := len(b)
	i := from
	var m masks
	var ahead byte
	for i+64 <= n {
		if i+touchAhead < n {
			ahead |= b[i+touchAhead]
		}
		m.classify((*[64]byte)(b[i : i+64]))
		hd := m.digit | m.hex
		run := hd & (hd >> 1) // bit k: bytes k.. are hex for 2, then 4, ... 32 bytes
		run &= run >> 2
		run &= run >> 4
		run &= run >> 8
		run &= run >> 16
		// A token whose only trigger is a colon yields a value only when
		// it may be an IPv6 address ("::", or six colons or more) or a
		// URL's scheme (the colon followed by "//"); a longer one, only
		// when it holds a hex run (a hash between colons). Other colons
		// (a time of day, "kernel:") need no look.
		colons := m.colon
		if bits.OnesCount64(colons) < 6 {
			colons &= colons<<1 | colons>>1 | m.slash>>1&(m.slash>>2|1<<62)
		}
		cand := m.dot | colons | m.at | run
		starts := m.tok &^ (m.tok << 1)
		limit := uint(64)
		if m.tok>>63 != 0 {
			limit = uint(bits.Len64(starts)) - 1 // the last token may go on
			if limit == 0 {
				i = scanToken(b, i, i, out)
				if out.full() {
					return i
				}
				continue
			}
			cand &= 1<<limit - 1
		}
		next := i + int(limit)
		for cand != 0 {
			// Shift counts are masked with 63 (they are below 64) so that
			// the compiler need not handle larger ones.
			p := uint(bits.TrailingZeros64(cand)) & 63
			s := (uint(bits.Len64(starts&(2<<p-1))) - 1) & 63
			e := (p + uint(bits.TrailingZeros64(^m.tok>>p))) & 63 // < limit: the token ends in the window
			if m.colon&(1<<((e-1)&63)) != 0 && i+int(e)+1 < n && b[i+int(e)] == '/' && b[i+int(e)+1] == '/' {
				if end := m.url(b, i, s, e, out); end != 0 {
					if end < 0 {
						end = i + int(s) // the URL's host crosses the window: start the next at the URL
					}
					next = end
					break
				}
			}
			span := (uint64(1)<<e - 1) &^ (1<<s - 1)
			if m.dot&span != 0 && (m.colon|m.at|m.other)&span == 0 {
				m.dotted(b, i, span, out) // the usual value: an address or a domain
			} else if c := m.colon & span; c != 0 && (m.dot|m.at)&span == 0 && e-s < 32 &&
				c&(c>>1) == 0 && bits.OnesCount64(c) < 6 {
				// A time of day, "key:": no "::" and too few colons for
				// an IPv6 address, no dot, too short for a hash (colon
				// would report nothing).
			} else {
				token(b[i+int(s):i+int(e)], m.flags(span), i+int(s), out)
			}
			cand &^= 1<<e - 1
		}
		i = next
		if out.full() {
			out.touched = ahead
			return i
		}
	}
	out.touched = ahead
	return scanWords(b, i, out)
}
