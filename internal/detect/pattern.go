package detect

import (
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// The supported subset of STIX patterning (STIX 2.1 §9), as the matcher
// evaluates it against telemetry:
//
//   - one observation expression ([...]), or several joined by OR;
//   - inside it, comparisons joined by AND and OR (with parentheses); AND
//     holds when every side matches a value on the same input line (event);
//   - comparisons on these object paths: ipv4-addr:value, ipv6-addr:value,
//     domain-name:value, url:value, email-addr:value,
//     file:hashes.MD5 / SHA-1 / SHA-256 / SHA-512 (any spelling of the
//     algorithm: 'SHA-256', SHA256, sha256), network-traffic:src_ref.value and
//     dst_ref.value (addresses), email-message:from_ref.value,
//     sender_ref.value, to_refs[*].value, cc_refs[*].value, bcc_refs[*].value
//     (e-mail addresses);
//   - at most 64 comparisons (an IN list counts as one);
//   - operators = and IN with string literals; ISSUBSET with a CIDR on the
//     address paths (= with a CIDR works the same); LIKE (SQL wildcards % and
//     _) and MATCHES (RE2 syntax: PCRE features such as backreferences and
//     lookaround are refused) on any of those paths.
//
// Not supported, and refused at publish time with a message naming the
// construct: AND and FOLLOWEDBY between observations, the WITHIN, REPEATS
// and START/STOP qualifiers, NOT, EXISTS, the operators != < <= > >= and
// ISSUPERSET, non-string literals (numbers, booleans, t'', b'', h''), any
// other object path (ports, file names, registry keys, ...), and hash
// algorithms other than the four above. Indicators whose pattern_type is not
// "stix" (sigma, yara, snort, ...) are accepted and not matched.

// PatternError says why a STIX pattern is outside the subset the matcher
// supports.
type PatternError struct{ Msg string }

// Error says what is not supported.
func (e *PatternError) Error() string { return "STIX pattern not supported by the matcher: " + e.Msg }

func unsupported(format string, args ...any) error {
	return &PatternError{Msg: fmt.Sprintf(format, args...)}
}

// op is a comparison operator of the subset.
type op uint8

const (
	opEqual op = iota + 1 // = and IN (and ISSUBSET: a CIDR)
	opLike
	opMatches
)

// term is one comparison of a compiled pattern.
type term struct {
	kind  kind // kIP for address paths (v4 or v6 chosen per literal)
	op    op
	keys  []key          // opEqual: the values
	match *regexp.Regexp // opLike, opMatches
}

// node is a boolean combination of terms (leaf: term >= 0).
type node struct {
	and      bool
	term     int
	children []*node
}

// Compiled is a STIX pattern compiled for the matcher.
type Compiled struct {
	terms []term
	root  *node
	// simple patterns are ORs of comparisons: any term matching is a hit.
	simple bool
}

// CompilePattern checks that p is in the supported subset and compiles it.
// Errors are *PatternError (outside the subset) or the STIX parser's
// syntax error.
func CompilePattern(p string) (*Compiled, error) {
	tree, err := stix.ParsePattern(p)
	if err != nil {
		return nil, err
	}
	return compileTree(tree)
}

// CompileObject is CompilePattern for a parsed indicator's pattern
// (stix.Object.PatternTree), which spares lexing and checking it again.
// An object without a STIX pattern is an error.
func CompileObject(o *stix.Object) (*Compiled, error) {
	tree, err := o.PatternTree()
	if err != nil {
		return nil, err
	}
	if tree == nil {
		return nil, fmt.Errorf("%s has no STIX pattern", o.ID)
	}
	return compileTree(tree)
}

// compileTree compiles a pattern's syntax tree.
func compileTree(tree *stix.PatternNode) (*Compiled, error) {
	c := &Compiled{simple: true}
	root, err := c.observations(tree)
	if err != nil {
		return nil, err
	}
	if len(c.terms) > maxTerms {
		return nil, unsupported("%d comparisons in one pattern (at most %d; put long value lists in one IN)", len(c.terms), maxTerms)
	}
	c.root = root
	return c, nil
}

func (c *Compiled) observations(n *stix.PatternNode) (*node, error) {
	switch n.Kind {
	case stix.NodeObservationOp:
		if n.Op != "OR" {
			return nil, unsupported("%s between observations (only OR; put comparisons of one event in one [...] joined by AND)", n.Op)
		}
		return c.children(n, false, c.observations)
	case stix.NodeObservation:
		if len(n.Qualifiers) > 0 {
			return nil, unsupported("the %s qualifier", n.Qualifiers[0])
		}
		inner := n.Children[0]
		if inner.Kind == stix.NodeObservationOp || inner.Kind == stix.NodeObservation {
			return c.observations(inner)
		}
		return c.comparisons(inner)
	}
	return nil, unsupported("unexpected pattern structure")
}

func (c *Compiled) children(n *stix.PatternNode, and bool, each func(*stix.PatternNode) (*node, error)) (*node, error) {
	out := &node{and: and, term: -1}
	for _, ch := range n.Children {
		sub, err := each(ch)
		if err != nil {
			return nil, err
		}
		out.children = append(out.children, sub)
	}
	if and {
		c.simple = false
	}
	return out, nil
}

func (c *Compiled) comparisons(n *stix.PatternNode) (*node, error) {
	if n.Kind == stix.NodeComparisonOp {
		return c.children(n, n.Op == "AND", c.comparisons)
	}
	t, err := compileComparison(n)
	if err != nil {
		return nil, err
	}
	c.terms = append(c.terms, t)
	return &node{term: len(c.terms) - 1}, nil
}

// pathKinds maps supported object paths to the kind of value they hold.
var pathKinds = map[string]kind{
	"ipv4-addr:value": kIPv4, "ipv6-addr:value": kIPv6,
	"domain-name:value": kDomain, "url:value": kURL, "email-addr:value": kEmail,
	"network-traffic:src_ref.value": kIP, "network-traffic:dst_ref.value": kIP,
	"email-message:from_ref.value": kEmail, "email-message:sender_ref.value": kEmail,
	"email-message:to_refs.[*].value": kEmail, "email-message:cc_refs.[*].value": kEmail,
	"email-message:bcc_refs.[*].value": kEmail,
}

// hashKinds maps hash algorithm names (upper-case, without '-' or '_') to kinds.
var hashKinds = map[string]kind{"MD5": kMD5, "SHA1": kSHA1, "SHA256": kSHA256, "SHA512": kSHA512}

// hashAlgName drops the separators of a hash algorithm's name ("SHA-256",
// "SHA_256" → "SHA256"). Built once: a Replacer's tables cost 6 KB.
var hashAlgName = strings.NewReplacer("-", "", "_", "")

func pathKind(n *stix.PatternNode) (kind, error) {
	if n.ObjectType == "file" && len(n.Path) == 2 && n.Path[0] == "hashes" {
		alg := hashAlgName.Replace(strings.ToUpper(n.Path[1]))
		if k, ok := hashKinds[alg]; ok {
			return k, nil
		}
		return 0, unsupported("hash algorithm %q (supported: MD5, SHA-1, SHA-256, SHA-512)", n.Path[1])
	}
	path := n.ObjectType + ":" + strings.Join(n.Path, ".")
	if k, ok := pathKinds[path]; ok {
		return k, nil
	}
	return 0, unsupported("object path %s (supported: ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value, email-addr:value, file:hashes.MD5/SHA-1/SHA-256/SHA-512, network-traffic:src_ref.value/dst_ref.value, email-message:*_ref(s).value)", path)
}

func compileComparison(n *stix.PatternNode) (term, error) {
	if n.Exists {
		return term{}, unsupported("EXISTS")
	}
	if n.Negated {
		return term{}, unsupported("NOT")
	}
	k, err := pathKind(n)
	if err != nil {
		return term{}, err
	}
	for _, v := range n.Values {
		if v.Kind != "string" {
			return term{}, unsupported("%s literal in a comparison of %s:%s (only quoted strings)", v.Kind, n.ObjectType, strings.Join(n.Path, "."))
		}
	}
	t := term{kind: k}
	switch n.Operator {
	case "=", "IN":
		t.op = opEqual
	case "ISSUBSET":
		if k != kIPv4 && k != kIPv6 && k != kIP {
			return term{}, unsupported("ISSUBSET on a value that is not an address")
		}
		t.op = opEqual
	case "LIKE":
		t.op = opLike
		t.match = likeRegexp(n.Values[0].Text)
		return t, nil
	case "MATCHES":
		t.op = opMatches
		re, err := compileRE2(n.Values[0].Text)
		if err != nil {
			return term{}, err
		}
		t.match = re
		return t, nil
	default:
		return term{}, unsupported("operator %s (supported: =, IN, LIKE, MATCHES, and ISSUBSET for addresses)", n.Operator)
	}
	for _, v := range n.Values {
		key, err := parseKey(k, v.Text)
		if err != nil {
			return term{}, &PatternError{Msg: err.Error()}
		}
		t.keys = append(t.keys, key)
	}
	return t, nil
}

// likeRegexp turns a SQL LIKE pattern (% any run, _ one character) into an
// anchored regular expression; matching is case-insensitive as the values
// compared are normalised to lower case (URL paths excepted).
func likeRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func compileRE2(p string) (*regexp.Regexp, error) {
	if _, err := syntax.Parse(p, syntax.Perl); err != nil {
		return nil, unsupported("MATCHES regular expression %q: %v (the matcher uses RE2 syntax: no backreferences or lookaround)", p, err)
	}
	return regexp.MustCompile(p), nil
}

// parseKey parses one indicator value of kind k into its index key.
func parseKey(k kind, v string) (key, error) {
	switch k {
	case kIP, kIPv4, kIPv6:
		return parseAddrKey(k, v)
	case kDomain:
		d := normDomain([]byte(v), nil)
		if !domainKey(d) {
			return key{}, fmt.Errorf("%q is not a domain name", v)
		}
		return key{kind: kDomain, b: d}, nil
	case kURL:
		u, ok := normURL([]byte(v), nil)
		if !ok {
			return key{}, fmt.Errorf("%q is not an absolute URL (scheme://host...)", v)
		}
		return key{kind: kURL, b: u}, nil
	case kEmail:
		e := lower([]byte(strings.TrimSpace(v)), nil)
		if i := strings.LastIndexByte(string(e), '@'); i <= 0 || i == len(e)-1 {
			return key{}, fmt.Errorf("%q is not an e-mail address", v)
		}
		return key{kind: kEmail, b: e}, nil
	default:
		b, ok := decodeHex([]byte(v), hashLen[k], nil)
		if !ok {
			return key{}, fmt.Errorf("%q is not a %s hash (%d hex digits)", v, k, 2*hashLen[k])
		}
		return key{kind: k, b: b}, nil
	}
}

// domainKey accepts dot-separated non-empty labels of [a-z0-9_-] (after
// lower-casing), at most 253 bytes: what the extractor can report.
func domainKey(d []byte) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	prev := byte('.')
	for _, c := range d {
		ok := ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' || c == '_' || (c == '.' && prev != '.')
		if !ok {
			return false
		}
		prev = c
	}
	return prev != '.'
}

func parseAddrKey(k kind, v string) (key, error) {
	var p netip.Prefix
	var err error
	if strings.Contains(v, "/") {
		p, err = netip.ParsePrefix(v)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(v); err == nil {
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil || p.Addr().Zone() != "" {
		return key{}, fmt.Errorf("%q is not an IP address or CIDR block", v)
	}
	p = p.Masked()
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	switch {
	case k == kIPv4 && !p.Addr().Is4():
		return key{}, fmt.Errorf("%q is not an IPv4 address or CIDR block", v)
	case k == kIPv6 && p.Addr().Is4():
		return key{}, fmt.Errorf("%q is not an IPv6 address or CIDR block", v)
	}
	return prefixKey(p), nil
}

func prefixKey(p netip.Prefix) key {
	if p.Addr().Is4() {
		a := p.Addr().As4()
		return key{kind: kIPv4, b: a[:], bits: uint8(p.Bits())}
	}
	a := p.Addr().As16()
	return key{kind: kIPv6, b: a[:], bits: uint8(p.Bits())}
}
