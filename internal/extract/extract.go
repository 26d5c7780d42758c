// Package extract pulls observable values — IPv4 and IPv6 addresses,
// domain names, URLs, e-mail addresses and MD5/SHA-1/SHA-256/SHA-512 hashes —
// out of telemetry, with the byte offset of each.
//
// The text extractor makes one pass over the bytes with a byte-class table
// and no regular expressions: it cuts the input into tokens of
// [A-Za-z0-9.:@_+-], classifies each token from the classes it contains, and
// follows "scheme://" into a URL. Values are reported as written (no case
// folding); the consumer normalises them. The extractor is liberal (a file
// name such as "setup.exe" is reported as a domain candidate): the index,
// not the extractor, decides what is an indicator. Boundaries are strict: a
// token "11.2.3.45" is that address and never "1.2.3.4", "notevil.example"
// is never "evil.example".
//
// On amd64 with AVX-512, Scan classifies 64 bytes at a time
// (scan_vector.go, its kernels in kernels_amd64.s); elsewhere it reads the
// input eight bytes at a time (scanWords). Both report exactly what the
// reference extractor in the tests reports.
package extract

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"unsafe"
)

// Kind is the type of an extracted value.
type Kind uint8

// Kinds of observable values.
const (
	IPv4 Kind = iota + 1
	IPv6
	Domain
	URL
	Email
	MD5
	SHA1
	SHA256
	SHA512
)

var kindNames = [...]string{"", "ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "sha512"}

// String names the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Value is one value found by Values, as a matcher takes it: where it is
// and what it is, without a copy of its bytes (b[Off:Off+Len]) and with the
// little a matcher needs beyond them (an IPv4 address's number, a URL's
// authority), so that it need not classify or parse the value again.
type Value struct {
	// Off is the value's position in the scanned slice.
	Off int
	Len uint32
	// V4 is an IPv4 address's number (1.2.3.4 is 0x01020304).
	V4 uint32
	// Host is, for a URL whose authority is a bare host (no user, port or
	// IPv6 literal: letters, digits and "._+-" up to '/', '?', '#' or the
	// URL's end; possibly empty), the length of its "scheme://host"
	// prefix, the host's trailing dots included; 0 for any other URL.
	Host uint32
	Kind Kind
}

// Candidate converts v, found in b, to the Candidate Scan reports (the
// offset plus base, the bytes, the parsed address).
func (v *Value) Candidate(b []byte, base int) Candidate {
	c := Candidate{Kind: v.Kind, Off: base + v.Off, Value: b[v.Off : v.Off+int(v.Len)]}
	switch v.Kind {
	case IPv4:
		c.Addr = netip.AddrFrom4([4]byte{byte(v.V4 >> 24), byte(v.V4 >> 16), byte(v.V4 >> 8), byte(v.V4)})
	case IPv6:
		c.Addr, _ = netip.ParseAddr(unsafeString(c.Value)) // the extractor parsed it: it parses
	}
	return c
}

// Values appends the values of b from position from (0, or what the
// previous call returned) to out until out holds at least min values or the
// input ends, and returns out and the position to continue from (len(b)
// at the end). Values are in order of position, as Scan reports them; a
// call may add a few more than asked for.
func Values(b []byte, from int, out []Value, min int) ([]Value, int) {
	s := sink{v: out, min: min}
	next := scan(b, from, &s)
	return s.v, next
}

// Scan reports every value in b to fn, in order of position; offsets are
// base plus the position in b. It runs Values a batch at a time.
func Scan(b []byte, base int, fn func(Candidate)) {
	var buf [64]Value
	vals := buf[:0]
	for i := 0; i < len(b); {
		vals, i = Values(b, i, vals[:0], 32)
		for k := range vals {
			fn(vals[k].Candidate(b, base))
		}
	}
}

// sink collects the values of a scan.
type sink struct {
	v   []Value
	min int // the scan stops at the first place it may once it holds this many
	// touched is the OR of the bytes read ahead of the scan (touchAhead),
	// kept so that the compiler keeps the reads.
	touched byte
}

// touchAhead is how far ahead of the vector scan the input is read, a
// byte a window, so that it is in the cache when the scan gets there (Go
// has no prefetch instruction; in the word-at-a-time scan a read every
// eight bytes cost what it saved).
const touchAhead = 1024

// full reports whether the scan may stop.
func (s *sink) full() bool { return len(s.v) >= s.min }

func (s *sink) add(k Kind, off, n int) {
	v := s.next()
	v.Off, v.Len, v.V4, v.Host, v.Kind = off, uint32(n), 0, 0, k
}

func (s *sink) addV4(off, n int, a uint32) {
	v := s.next()
	v.Off, v.Len, v.V4, v.Host, v.Kind = off, uint32(n), a, 0, IPv4
}

// next appends a value to be filled in place: one built in a local and
// appended is written field by field and copied in 16-byte pieces, which
// the processor cannot forward from the smaller stores (a stall a value).
func (s *sink) next() *Value {
	n := len(s.v)
	if n == cap(s.v) {
		s.v = append(s.v, Value{})
	} else {
		s.v = s.v[:n+1]
	}
	return &s.v[n]
}

// Candidate is one value found in the input.
type Candidate struct {
	Kind Kind
	// Off is the byte offset of the value in the scanned slice plus the
	// base passed to Scan.
	Off int
	// Value is the value's bytes as written. It aliases the input and is
	// valid only during the callback.
	Value []byte
	// Addr is the parsed address for IPv4 and IPv6.
	Addr netip.Addr
}

const (
	cTok     uint16 = 1 << iota // part of a token
	cDigit                      // 0-9
	cHex                        // a-f A-F
	cAlpha                      // g-z G-Z
	cUpper                      // A-Z
	cDot                        // .
	cColon                      // :
	cAt                         // @
	cOther                      // _ + -
	cURLStop                    // ends a URL
	cNotTok                     // not part of a token (so that tokenFlags shows one)
)

var class = func() (t [256]uint16) {
	for c := '0'; c <= '9'; c++ {
		t[c] = cTok | cDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = cTok | cAlpha
		t[c-'a'+'A'] = cTok | cAlpha | cUpper
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = cTok | cHex
		t[c-'a'+'A'] = cTok | cHex | cUpper
	}
	t['.'] = cTok | cDot
	t[':'] = cTok | cColon
	t['@'] = cTok | cAt
	for _, c := range "_+-" {
		t[c] = cTok | cOther
	}
	for c := range t {
		if t[c]&cTok == 0 {
			t[c] |= cNotTok
		}
	}
	for c := 0; c <= ' '; c++ {
		t[c] |= cURLStop
	}
	for _, c := range "\"'<>`\\^{}|\x7f" {
		t[c] |= cURLStop
	}
	return t
}()

// scanWords is scan without vector instructions, from b[lo:] (b[:lo] is
// done; lo is a token start or a non-token byte). It returns where it
// stopped: len(b), or, once out is full, the end of the last token it
// classified (a place it may resume from).
//
// Only a token holding '.', ':' or '@', or a run of at least 32 hex digits,
// can yield a value, so scanWords looks for those eight bytes at a time
// (SWAR) and classifies only the tokens around them; the rest of the input
// is skipped a word at a time. It reports exactly what a pass over every
// token would (refScan in the tests is that pass).
func scanWords(b []byte, lo int, out *sink) int {
	n := len(b)
	i := lo
	for i+8 <= n {
		w := binary.LittleEndian.Uint64(b[i:])
		m := triggers(w)
		if m == 0 {
			if !hexish(w) {
				i += 8
				continue
			}
			m = 1 // a hex run: classify the token holding b[i]
		}
		p := i + bits.TrailingZeros64(m)/8
		lo = scanToken(b, lo, p, out)
		i = lo
		if out.full() {
			return lo
		}
	}
	for ; i < n; i++ {
		if class[b[i]]&(cDot|cColon|cAt) != 0 {
			lo = scanToken(b, lo, i, out)
			i = lo - 1
		}
	}
	return n
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// triggers has the high bit of the lowest byte of w that is '.', ':' or
// '@' set (higher bits may be false positives, so only the lowest set bit
// counts); 0 when there is none.
func triggers(w uint64) uint64 {
	d := w ^ ('.' * lsb)
	c := w ^ (':' * lsb)
	a := w ^ ('@' * lsb)
	return ((d - lsb) &^ d & msb) | ((c - lsb) &^ c & msb) | ((a - lsb) &^ a & msb)
}

// hexish reports whether every byte of w may be a hex digit: after
// folding case, bit 4 xor bit 6 is set (0x30-0x3f, 0x60-0x6f) and bit 7 is
// clear. It lets a few other bytes through (":;<=>?", "@`", g-o); that
// costs only a look at their token.
func hexish(w uint64) bool {
	y := w | 0x2020202020202020
	return (y^(y>>2))&^(w>>3)&0x1010101010101010 == 0x1010101010101010
}

// scanToken classifies the token holding b[p] (which starts at or after
// lo) and returns where scanning resumes: the token's end, or a URL's.
func scanToken(b []byte, lo, p int, out *sink) int {
	if class[b[p]]&cTok == 0 {
		return p + 1
	}
	start := p
	var flags uint16
	for start > lo {
		c := class[b[start-1]]
		if c&cTok == 0 {
			break
		}
		flags |= c
		start--
	}
	i := p
	for i < len(b) {
		c := class[b[i]]
		if c&cTok == 0 {
			break
		}
		flags |= c
		i++
	}
	if b[i-1] == ':' && i+1 < len(b) && b[i] == '/' && b[i+1] == '/' {
		if end := scanURL(b, start, i, out); end > 0 {
			return end
		}
	}
	token(b[start:i], flags, start, out)
	return i
}

// scanURL reports the URL whose scheme is b[start:colon+1] and its host; it
// returns the URL's end, or 0 when b[start:colon] is not a scheme.
func scanURL(b []byte, start, afterColon int, out *sink) int {
	// The scheme is the token's trailing run of letters (e.g. "hxxp" in
	// "url:hxxp" is not special: any letters).
	s := afterColon - 1
	for s > start && class[b[s-1]]&(cHex|cAlpha) != 0 {
		s--
	}
	if s == afterColon-1 {
		return 0
	}
	if s > start {
		token(b[start:s], tokenFlags(b[start:s]), start, out)
	}
	end := urlEnd(b, afterColon+2)
	for end > afterColon+2 && (b[end-1] == '.' || b[end-1] == ',' || b[end-1] == ';') {
		end--
	}
	hostStart := afterColon + 2
	if hostStart == end {
		return end
	}
	u := len(out.v)
	out.add(URL, s, end-s)
	if n := host(b[hostStart:end], hostStart, out); n >= 0 {
		out.v[u].Host = uint32(hostStart - s + n)
	}
	return end
}

// urlEndBytes is urlEnd one byte at a time: the first byte at or after
// from that ends a URL, or len(b).
func urlEndBytes(b []byte, from int) int {
	for from < len(b) && class[b[from]]&cURLStop == 0 {
		from++
	}
	return from
}

// host reports the host of a URL authority (userinfo and port removed).
// The usual authority, a bare host of token bytes followed by '/', '?',
// '#' or the URL's end, takes one pass, and host returns its length; any
// other goes to hostSlow, and host returns -1.
func host(b []byte, base int, out *sink) int {
	var flags uint16
	j := 0
	for ; j < len(b); j++ {
		c := b[j]
		cl := class[c]
		if cl&cTok == 0 || c == ':' || c == '@' {
			break
		}
		flags |= cl
	}
	if j < len(b) && b[j] != '/' && b[j] != '?' && b[j] != '#' {
		hostSlow(b, base, out)
		return -1
	}
	dotted(b[:j], flags, base, out)
	return j
}

// hostSlow is host for every authority.
func hostSlow(b []byte, base int, out *sink) {
	end := len(b)
	for i, c := range b {
		if c == '/' || c == '?' || c == '#' {
			end = i
			break
		}
	}
	auth := b[:end]
	for i := len(auth) - 1; i >= 0; i-- {
		if auth[i] == '@' {
			base += i + 1
			auth = auth[i+1:]
			break
		}
	}
	if len(auth) > 0 && auth[0] == '[' {
		for i, c := range auth {
			if c == ']' {
				v := auth[1:i]
				if a, err := netip.ParseAddr(unsafeString(v)); err == nil && a.Is6() && a.Zone() == "" {
					out.add(IPv6, base+1, len(v))
				}
				return
			}
		}
		return
	}
	for i, c := range auth {
		if c == ':' {
			auth = auth[:i]
			break
		}
	}
	if f := tokenFlags(auth); f&^(cTok|cDigit|cHex|cAlpha|cUpper|cDot|cOther) == 0 {
		dotted(auth, f, base, out)
	}
}

func tokenFlags(b []byte) uint16 {
	var f uint16
	for _, c := range b {
		f |= class[c]
	}
	return f
}

// token classifies one token.
func token(t []byte, flags uint16, off int, out *sink) {
	switch {
	case flags&cAt != 0:
		email(t, off, out)
	case flags&cColon != 0:
		colon(t, flags, off, out)
	case flags&cDot != 0:
		dotted(t, flags, off, out)
	case flags&^(cTok|cDigit|cHex|cUpper) == 0:
		hash(t, off, out)
	}
}

func hash(t []byte, off int, out *sink) {
	var k Kind
	switch len(t) {
	case 32:
		k = MD5
	case 40:
		k = SHA1
	case 64:
		k = SHA256
	case 128:
		k = SHA512
	default:
		return
	}
	out.add(k, off, len(t))
}

// colon handles tokens with a colon: IPv6 addresses, host:port, key:value.
func colon(t []byte, flags uint16, off int, out *sink) {
	if flags&^(cTok|cDigit|cHex|cUpper|cColon|cDot) == 0 && maybeIPv6(t) {
		v := trimRight(t, '.')
		if a, err := netip.ParseAddr(unsafeString(v)); err == nil && a.Is6() {
			out.add(IPv6, off, len(v))
			return
		}
	}
	// Not an address: classify the pieces between colons. Without a dot
	// only a hash can be among them, and a hash is 32 digits or more.
	if flags&cDot == 0 && len(t) < 32 {
		return
	}
	start := 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == ':' {
			if p := t[start:i]; len(p) > 0 {
				f := tokenFlags(p)
				if f&cDot != 0 {
					dotted(p, f, off+start, out)
				} else if f&^(cTok|cDigit|cHex|cUpper) == 0 {
					hash(p, off+start, out)
				}
			}
			start = i + 1
		}
	}
}

// maybeIPv6 is a cheap test before parsing: an IPv6 address has "::" or
// seven colons (six with a trailing dotted IPv4).
func maybeIPv6(t []byte) bool {
	n := 0
	for i, c := range t {
		if c == ':' {
			if i+1 < len(t) && t[i+1] == ':' {
				return true
			}
			n++
		}
	}
	return n == 7 || n == 6
}

// dotted handles tokens with dots: IPv4 addresses and domain names.
func dotted(t []byte, flags uint16, off int, out *sink) {
	lead := 0
	for lead < len(t) && (t[lead] == '.' || t[lead] == '-' || t[lead] == '_' || t[lead] == '+') {
		lead++
	}
	t = trimRight(t[lead:], '.')
	off += lead
	if len(t) == 0 {
		return
	}
	if flags&^(cTok|cDigit|cDot) == 0 {
		if v, ok := parseIPv4(t); ok {
			out.addV4(off, len(t), v)
		}
		return
	}
	if flags&cColon == 0 && domainOK(t, flags) {
		out.add(Domain, off, len(t))
	}
}

// domainOK is validDomain for a token whose bytes' classes are flags:
// when they are letters, digits and dots only, it checks the rest (no
// empty label, a letter in the last label) without a loop per byte.
func domainOK(t []byte, flags uint16) bool {
	if flags&^(cTok|cDigit|cHex|cAlpha|cUpper|cDot) != 0 {
		return validDomain(t)
	}
	last := bytes.LastIndexByte(t, '.')
	if len(t) > 253 || last <= 0 || last == len(t)-1 || t[0] == '.' || bytes.Contains(t, dotDot) {
		return false
	}
	for _, c := range t[last+1:] {
		if class[c]&(cHex|cAlpha) != 0 {
			return true
		}
	}
	return false
}

var dotDot = []byte("..")

// validDomain accepts dot-separated non-empty labels of [A-Za-z0-9_-],
// at most 253 bytes, whose last label holds a letter.
func validDomain(t []byte) bool {
	if len(t) > 253 {
		return false
	}
	dots, letter := 0, false
	prev := byte('.')
	for _, c := range t {
		cl := class[c]
		switch {
		case c == '.':
			if prev == '.' {
				return false
			}
			dots++
			letter = false
		case cl&(cHex|cAlpha) != 0:
			letter = true
		case cl&cDigit != 0, c == '-', c == '_':
		default:
			return false
		}
		prev = c
	}
	return dots > 0 && letter
}

// parseIPv4 parses dotted-decimal a.b.c.d without leading zeros into its
// number (1.2.3.4 is 0x01020304). It reads from a copy in a 16-byte array
// whose byte after the address is 0, so the parse needs no bounds checks.
func parseIPv4(t []byte) (uint32, bool) {
	n := len(t)
	if n < 7 || n > 15 {
		return 0, false
	}
	var a [16]byte
	copy(a[:], t)
	var ip uint32
	i := uint(0)
	for part := range 4 {
		if part > 0 {
			if a[i&15] != '.' {
				return 0, false
			}
			i++
		}
		v := uint(a[i&15] - '0')
		if v > 9 {
			return 0, false
		}
		i++
		if d := uint(a[i&15] - '0'); d <= 9 {
			if v == 0 {
				return 0, false // leading zero
			}
			v = v*10 + d
			i++
			if d := uint(a[i&15] - '0'); d <= 9 {
				v = v*10 + d
				i++
				if v > 255 {
					return 0, false
				}
			}
		}
		ip = ip<<8 | uint32(v)
	}
	if i != uint(n) {
		return 0, false
	}
	return ip, true
}

// email reports local@domain and the domain.
func email(t []byte, off int, out *sink) {
	at := -1
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == '@' {
			at = i
			break
		}
	}
	dom := trimRight(t[at+1:], '.')
	if len(dom) == 0 {
		return
	}
	f := tokenFlags(dom)
	if f&cColon != 0 {
		for i, c := range dom {
			if c == ':' {
				dom = dom[:i]
				break
			}
		}
	}
	if !validDomain(dom) {
		return
	}
	ls := at
	for ls > 0 && t[ls-1] != ':' && t[ls-1] != '@' {
		ls--
	}
	for ls < at && t[ls] == '.' {
		ls++
	}
	if ls < at {
		out.add(Email, off+ls, at+1+len(dom)-ls)
	}
	out.add(Domain, off+at+1, len(dom))
}

func trimRight(t []byte, c byte) []byte {
	for len(t) > 0 && t[len(t)-1] == c {
		t = t[:len(t)-1]
	}
	return t
}

// unsafeString views b as a string for netip.ParseAddr, which does not keep
// its argument when it succeeds; the result is used before b changes.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
