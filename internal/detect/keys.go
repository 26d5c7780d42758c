package detect

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"slices"
	"strconv"
)

// kind is the type of an index key.
type kind uint8

const (
	kIPv4 kind = iota + 1
	kIPv6
	kDomain
	kURL
	kEmail
	kMD5
	kSHA1
	kSHA256
	kSHA512
	kID // an indicator id (the id table)
	kIP // a pattern path holding either address family (never stored)
	// kURLAuth is the authority prefix of a URL key (see urlAuthority): in
	// the Bloom filter only, so that a URL whose scheme, host and port no
	// URL indicator has is dismissed before its path is normalised.
	kURLAuth
)

var kindNames = [...]string{"", "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "md5", "sha1", "sha256", "sha512", "id", "ip", "url-authority"}

func (k kind) String() string { return kindNames[k] }

// hashLen is the binary length of each hash kind.
var hashLen = [...]int{kMD5: 16, kSHA1: 20, kSHA256: 32, kSHA512: 64, kIP: 0}

// key is one normalised index key.
type key struct {
	kind kind
	b    []byte // domain/URL/e-mail text, hash or address bytes, id
	bits uint8  // prefix length for addresses
}

// String renders the key as an indicator value.
func (k key) String() string {
	switch k.kind {
	case kIPv4, kIPv6:
		a, _ := netip.AddrFromSlice(k.b)
		if int(k.bits) == a.BitLen() {
			return a.String()
		}
		return a.String() + "/" + strconv.Itoa(int(k.bits))
	case kMD5, kSHA1, kSHA256, kSHA512:
		return hex.EncodeToString(k.b)
	}
	return string(k.b)
}

// lower appends b in ASCII lower case to dst.
func lower(b, dst []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(b))[:n+len(b)]
	out := dst[n : n+len(b)]
	for i, c := range b {
		out[i] = lowerTab[c]
	}
	return dst
}

var lowerTab = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c) + 'a' - 'A'
	}
	return t
}()

// normDomain lower-cases a domain name and drops surrounding spaces and
// trailing dots.
func normDomain(b, dst []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '.') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == '.' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return lower(b, dst)
}

// decodeHex appends the n bytes that 2n hex digits h encode to dst.
func decodeHex(h []byte, n int, dst []byte) ([]byte, bool) {
	if n == 0 || len(h) != 2*n {
		return nil, false
	}
	for i := 0; i < len(h); i += 2 {
		hi, ok1 := unhex(h[i])
		lo, ok2 := unhex(h[i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// normURL appends the normalised form of an absolute URL to dst: scheme and
// host lower-cased, userinfo kept, default port (http 80, https 443, ftp 21)
// removed, percent-encodings of unreserved characters decoded and the rest
// upper-cased, fragment dropped, dot segments of the path resolved, and an
// empty path written as "/". It reports false when u is not scheme://host.
func normURL(u, dst []byte) ([]byte, bool) {
	dst, rest, ok := normURLAuthority(u, dst)
	if !ok {
		return nil, false
	}
	return normURLPath(dst, rest), true
}

// normURLAuthority appends the normalised "scheme://userinfo@host:port" of
// u to dst and returns the rest of u (path, query, fragment). The
// normalised URL is this prefix followed by a path that starts with '/'.
func normURLAuthority(u, dst []byte) ([]byte, []byte, bool) {
	// The usual case in one pass: a lower-case scheme and a bare host, no
	// user, port or IPv6 literal.
	i := 0
	for i < len(u) && 'a' <= u[i] && u[i] <= 'z' {
		i++
	}
	if i == 0 || i+3 > len(u) || u[i] != ':' || u[i+1] != '/' || u[i+2] != '/' {
		return normURLAuthoritySlow(u, dst)
	}
	k := i + 3
	for ; k < len(u); k++ {
		c := u[k]
		if c == '/' || c == '?' || c == '#' {
			break
		}
		if c == '@' || c == ':' || c == '[' {
			return normURLAuthoritySlow(u, dst)
		}
	}
	start := len(dst)
	dst = lower(u[:k], dst)
	host := len(dst)
	for host > start+i+3 && dst[host-1] == '.' {
		host--
	}
	if host == start+i+3 {
		return nil, nil, false
	}
	if k == len(u) {
		return dst[:host], nil, true
	}
	return dst[:host], u[k:], true
}

// normURLAuthoritySlow is normURLAuthority for every URL.
func normURLAuthoritySlow(u, dst []byte) ([]byte, []byte, bool) {
	i := 0
	for i < len(u) && isSchemeChar(u[i], i) {
		i++
	}
	if i == 0 || i+3 > len(u) || u[i] != ':' || u[i+1] != '/' || u[i+2] != '/' {
		return nil, nil, false
	}
	scheme := u[:i]
	rest := u[i+3:]
	start := len(dst)
	dst = lower(scheme, dst)
	dst = append(dst, "://"...)
	ls := len(dst) - start - 3
	auth := rest
	for j, c := range rest {
		if c == '/' || c == '?' || c == '#' {
			auth, rest = rest[:j], rest[j:]
			break
		}
		if j == len(rest)-1 {
			rest = nil
		}
	}
	if len(auth) == 0 {
		return nil, nil, false
	}
	hostStart := 0
	for j := len(auth) - 1; j >= 0; j-- {
		if auth[j] == '@' {
			dst = append(dst, auth[:j+1]...)
			hostStart = j + 1
			break
		}
	}
	host := auth[hostStart:]
	port := []byte(nil)
	for j := len(host) - 1; j >= 0; j-- {
		if host[j] == ']' {
			break
		}
		if host[j] == ':' {
			host, port = host[:j], host[j+1:]
			break
		}
	}
	h := trimDots(host)
	if len(h) == 0 || (host[0] != '[' && bytesHasColon(host)) || (host[0] == '[' && h[len(h)-1] != ']') {
		return nil, nil, false // no host, a colon outside an IPv6 literal, or a literal left open
	}
	dst = lower(h, dst)
	if len(port) > 0 && !defaultPort(dst[start:start+ls], port) {
		dst = append(dst, ':')
		dst = append(dst, port...)
	}
	return dst, rest, true
}

// normURLPath appends the normalised path and query of rest (which is
// empty or starts with '/', '?' or '#') to dst; the fragment is dropped.
func normURLPath(dst, rest []byte) []byte {
	for j, c := range rest {
		if c == '#' {
			rest = rest[:j]
			break
		}
	}
	path, query := rest, []byte(nil)
	for j, c := range rest {
		if c == '?' {
			path, query = rest[:j], rest[j:]
			break
		}
	}
	if len(path) == 0 {
		dst = append(dst, '/')
	} else {
		dst = appendPath(dst, path)
	}
	return appendPercent(dst, query)
}

// urlAuthority is the "scheme://userinfo@host:port" prefix of a
// normalised URL.
func urlAuthority(u []byte) []byte {
	i := bytes.Index(u, []byte("://"))
	if i < 0 {
		return u
	}
	if j := bytes.IndexByte(u[i+3:], '/'); j >= 0 {
		return u[:i+3+j]
	}
	return u
}

func bytesHasColon(b []byte) bool {
	for _, c := range b {
		if c == ':' {
			return true
		}
	}
	return false
}

func trimDots(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return b
}

func isSchemeChar(c byte, i int) bool {
	alpha := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
	return alpha || (i > 0 && (('0' <= c && c <= '9') || c == '+' || c == '-' || c == '.'))
}

func defaultPort(scheme, port []byte) bool {
	switch string(scheme) {
	case "http", "ws":
		return string(port) == "80"
	case "https", "wss":
		return string(port) == "443"
	case "ftp":
		return string(port) == "21"
	}
	return false
}

// appendPath appends path with its percent-encoding normalised and its dot
// segments removed (RFC 3986 §5.2.4).
func appendPath(dst, path []byte) []byte {
	base := len(dst)
	dst = appendPercent(dst, path)
	out := dst[base:]
	if !hasDotSegment(out) {
		return dst
	}
	segs := make([][]byte, 0, 8)
	for _, s := range splitSlash(out[1:]) {
		switch string(s) {
		case ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	last := out[len(out)-1]
	tmp := make([]byte, 0, len(out))
	for _, s := range segs {
		tmp = append(tmp, '/')
		tmp = append(tmp, s...)
	}
	if len(tmp) == 0 || last == '/' || string(lastSeg(out)) == "." || string(lastSeg(out)) == ".." {
		tmp = append(tmp, '/')
	}
	return append(dst[:base], tmp...)
}

func lastSeg(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

func splitSlash(p []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	if len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

func hasDotSegment(p []byte) bool {
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '/' && p[i+1] == '.' {
			rest := p[i+2:]
			if len(rest) == 0 || rest[0] == '/' || (rest[0] == '.' && (len(rest) == 1 || rest[1] == '/')) {
				return true
			}
		}
	}
	return false
}

// appendPercent appends b, decoding %XX of unreserved characters
// (A-Z a-z 0-9 - . _ ~) and upper-casing the hex digits of the others; a
// '%' that starts no escape is written %25.
func appendPercent(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '%' && i+2 < len(b) {
			hi, ok1 := unhex(b[i+1])
			lo, ok2 := unhex(b[i+2])
			if ok1 && ok2 {
				v := hi<<4 | lo
				if isUnreserved(v) {
					dst = append(dst, v)
				} else {
					dst = append(dst, '%', upperHex[hi], upperHex[lo])
				}
				i += 2
				continue
			}
		}
		if c == '%' {
			dst = append(dst, "%25"...) // a stray '%' is a literal percent sign
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

func isUnreserved(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'
}
