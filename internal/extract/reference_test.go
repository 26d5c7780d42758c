package extract

// The straightforward extractor the fast Scan replaced, kept as the
// reference model: TestScanMatchesReference and FuzzScanMatchesReference
// check that Scan reports exactly what refScan reports.

import "net/netip"

const (
	refCTok     uint16 = 1 << iota // part of a refToken
	refCDigit                      // 0-9
	refCHex                        // a-f A-F
	refCAlpha                      // g-z G-Z
	refCUpper                      // A-Z
	refCDot                        // .
	refCColon                      // :
	refCAt                         // @
	refCOther                      // _ + -
	refCURLStop                    // ends a URL
)

var refClass = func() (t [256]uint16) {
	for c := '0'; c <= '9'; c++ {
		t[c] = refCTok | refCDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = refCTok | refCAlpha
		t[c-'a'+'A'] = refCTok | refCAlpha | refCUpper
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = refCTok | refCHex
		t[c-'a'+'A'] = refCTok | refCHex | refCUpper
	}
	t['.'] = refCTok | refCDot
	t[':'] = refCTok | refCColon
	t['@'] = refCTok | refCAt
	for _, c := range "_+-" {
		t[c] = refCTok | refCOther
	}
	for c := 0; c <= ' '; c++ {
		t[c] |= refCURLStop
	}
	for _, c := range "\"'<>`\\^{}|\x7f" {
		t[c] |= refCURLStop
	}
	return t
}()

// refScan reports every value in b to fn, in order of position; offsets are
// base plus the position in b.
func refScan(b []byte, base int, fn func(Candidate)) {
	n := len(b)
	for i := 0; i < n; {
		for i < n && refClass[b[i]]&refCTok == 0 {
			i++
		}
		start := i
		var flags uint16
		for i < n {
			c := refClass[b[i]]
			if c&refCTok == 0 {
				break
			}
			flags |= c
			i++
		}
		if start == i {
			return
		}
		if b[i-1] == ':' && i+1 < n && b[i] == '/' && b[i+1] == '/' {
			if end := refScanURL(b, start, i, base, fn); end > 0 {
				i = end
				continue
			}
		}
		refToken(b[start:i], flags, base+start, fn)
	}
}

// refScanURL reports the URL whose scheme is b[start:refColon+1] and its refHost; it
// returns the URL's end, or 0 when b[start:refColon] is not a scheme.
func refScanURL(b []byte, start, afterColon, base int, fn func(Candidate)) int {
	// The scheme is the refToken's trailing run of letters (e.g. "hxxp" in
	// "url:hxxp" is not special: any letters).
	s := afterColon - 1
	for s > start && refClass[b[s-1]]&(refCHex|refCAlpha) != 0 {
		s--
	}
	if s == afterColon-1 {
		return 0
	}
	if s > start {
		refToken(b[start:s], refTokenFlags(b[start:s]), base+start, fn)
	}
	end := afterColon + 2
	for end < len(b) && refClass[b[end]]&refCURLStop == 0 {
		end++
	}
	for end > afterColon+2 && (b[end-1] == '.' || b[end-1] == ',' || b[end-1] == ';') {
		end--
	}
	hostStart := afterColon + 2
	if hostStart == end {
		return end
	}
	fn(Candidate{Kind: URL, Off: base + s, Value: b[s:end]})
	refHost(b[hostStart:end], base+hostStart, fn)
	return end
}

// refHost reports the refHost of a URL authority (userinfo and port removed).
func refHost(b []byte, base int, fn func(Candidate)) {
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
					fn(Candidate{Kind: IPv6, Off: base + 1, Value: v, Addr: a})
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
	if f := refTokenFlags(auth); f&^(refCTok|refCDigit|refCHex|refCAlpha|refCUpper|refCDot|refCOther) == 0 {
		refDotted(auth, f, base, fn)
	}
}

func refTokenFlags(b []byte) uint16 {
	var f uint16
	for _, c := range b {
		f |= refClass[c]
	}
	return f
}

// refToken classifies one refToken.
func refToken(t []byte, flags uint16, off int, fn func(Candidate)) {
	switch {
	case flags&refCAt != 0:
		refEmail(t, off, fn)
	case flags&refCColon != 0:
		refColon(t, flags, off, fn)
	case flags&refCDot != 0:
		refDotted(t, flags, off, fn)
	case flags&^(refCTok|refCDigit|refCHex|refCUpper) == 0:
		refHash(t, off, fn)
	}
}

func refHash(t []byte, off int, fn func(Candidate)) {
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
	fn(Candidate{Kind: k, Off: off, Value: t})
}

// refColon handles tokens with a refColon: IPv6 addresses, refHost:port, key:value.
func refColon(t []byte, flags uint16, off int, fn func(Candidate)) {
	if flags&^(refCTok|refCDigit|refCHex|refCUpper|refCColon|refCDot) == 0 && refMaybeIPv6(t) {
		v := refTrimRight(t, '.')
		if a, err := netip.ParseAddr(unsafeString(v)); err == nil && a.Is6() {
			fn(Candidate{Kind: IPv6, Off: off, Value: v, Addr: a})
			return
		}
	}
	// Not an address: classify the pieces between colons.
	start := 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == ':' {
			if p := t[start:i]; len(p) > 0 {
				f := refTokenFlags(p)
				if f&refCDot != 0 {
					refDotted(p, f, off+start, fn)
				} else if f&^(refCTok|refCDigit|refCHex|refCUpper) == 0 {
					refHash(p, off+start, fn)
				}
			}
			start = i + 1
		}
	}
}

// refMaybeIPv6 is a cheap test before parsing: an IPv6 address has "::" or
// seven colons (six with a trailing refDotted IPv4).
func refMaybeIPv6(t []byte) bool {
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

// refDotted handles tokens with dots: IPv4 addresses and domain names.
func refDotted(t []byte, flags uint16, off int, fn func(Candidate)) {
	lead := 0
	for lead < len(t) && (t[lead] == '.' || t[lead] == '-' || t[lead] == '_' || t[lead] == '+') {
		lead++
	}
	t = refTrimRight(t[lead:], '.')
	off += lead
	if len(t) == 0 {
		return
	}
	if flags&^(refCTok|refCDigit|refCDot) == 0 {
		if a, ok := refParseIPv4(t); ok {
			fn(Candidate{Kind: IPv4, Off: off, Value: t, Addr: a})
		}
		return
	}
	if flags&refCColon == 0 && refValidDomain(t) {
		fn(Candidate{Kind: Domain, Off: off, Value: t})
	}
}

// refValidDomain accepts dot-separated non-empty labels of [A-Za-z0-9_-],
// at most 253 bytes, whose last label holds a letter.
func refValidDomain(t []byte) bool {
	if len(t) > 253 {
		return false
	}
	dots, letter := 0, false
	prev := byte('.')
	for _, c := range t {
		cl := refClass[c]
		switch {
		case c == '.':
			if prev == '.' {
				return false
			}
			dots++
			letter = false
		case cl&(refCHex|refCAlpha) != 0:
			letter = true
		case cl&refCDigit != 0, c == '-', c == '_':
		default:
			return false
		}
		prev = c
	}
	return dots > 0 && letter
}

// refParseIPv4 parses refDotted-decimal a.b.c.d without leading zeros.
func refParseIPv4(t []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, digits, v := 0, 0, 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == '.' {
			if digits == 0 || part > 3 {
				return netip.Addr{}, false
			}
			ip[part] = byte(v)
			part++
			digits, v = 0, 0
			continue
		}
		if digits > 0 && v == 0 {
			return netip.Addr{}, false // leading zero
		}
		// Fixed here and in parseIPv4 when the fast path replaced this
		// one: a URL host such as "1.2.3.4[" reached this loop, which took
		// '[' for a digit and reported 1.2.3.83.
		if t[i] < '0' || t[i] > '9' {
			return netip.Addr{}, false
		}
		v = v*10 + int(t[i]-'0')
		digits++
		if v > 255 {
			return netip.Addr{}, false
		}
	}
	if part != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

// refEmail reports local@domain and the domain.
func refEmail(t []byte, off int, fn func(Candidate)) {
	at := -1
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == '@' {
			at = i
			break
		}
	}
	dom := refTrimRight(t[at+1:], '.')
	if len(dom) == 0 {
		return
	}
	f := refTokenFlags(dom)
	if f&refCColon != 0 {
		for i, c := range dom {
			if c == ':' {
				dom = dom[:i]
				break
			}
		}
	}
	if !refValidDomain(dom) {
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
		fn(Candidate{Kind: Email, Off: off + ls, Value: t[ls : at+1+len(dom)]})
	}
	fn(Candidate{Kind: Domain, Off: off + at + 1, Value: dom})
}

func refTrimRight(t []byte, c byte) []byte {
	for len(t) > 0 && t[len(t)-1] == c {
		t = t[:len(t)-1]
	}
	return t
}
