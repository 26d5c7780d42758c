// Package warninglist reads MISP warninglists (lists of known-benign or
// special-purpose values: public DNS resolvers, top domains, cloud ranges,
// RFC 1918 space) and says whether a value is on one.
//
// The format is MISP's list.json: {"name", "version", "description",
// "matching_attributes": [MISP attribute types], "type": "cidr" |
// "hostname" | "string" | "substring" | "regex", "list": [...]}. A list
// applies to the STIX types its matching_attributes name (ip-src → ipv4-addr
// and ipv6-addr, domain → domain-name, url → url, md5 → md5 and so on), or
// to every type when it names none. Matching: cidr — the address is in a
// listed block (bare addresses are /32 or /128); hostname — the domain (or
// a URL's or e-mail address's host) is listed or a subdomain of a listed
// one; string — equal, ignoring case; substring — contains, ignoring case;
// regex — RE2 match (MISP's /.../ delimiters and the i flag understood;
// entries RE2 cannot compile are skipped and counted in Skipped).
package warninglist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// List is one warninglist as compiled for matching.
type List struct {
	Name    string
	Type    string
	Types   []string // STIX types it applies to; empty means all
	Skipped int      // regex entries RE2 could not compile

	prefixes map[netip.Prefix]bool
	bits     []int // prefix lengths present, longest first
	strs     map[string]bool
	subs     []string
	regexps  []*regexp.Regexp
}

// file is list.json as MISP writes it.
type file struct {
	Name               string   `json:"name"`
	Version            any      `json:"version"`
	Description        string   `json:"description"`
	MatchingAttributes []string `json:"matching_attributes"`
	Type               string   `json:"type"`
	List               []string `json:"list"`
	Categories         []string `json:"category"`
}

// attributeTypes maps MISP attribute types to STIX types.
var attributeTypes = map[string][]string{
	"ip-src": {"ipv4-addr", "ipv6-addr"}, "ip-dst": {"ipv4-addr", "ipv6-addr"},
	"ip-src|port": {"ipv4-addr", "ipv6-addr"}, "ip-dst|port": {"ipv4-addr", "ipv6-addr"},
	"domain|ip": {"ipv4-addr", "ipv6-addr", "domain-name"}, "domain": {"domain-name"}, "hostname": {"domain-name"},
	"hostname|port": {"domain-name"}, "url": {"url"}, "uri": {"url"}, "link": {"url"},
	"email": {"email-addr"}, "email-src": {"email-addr"}, "email-dst": {"email-addr"}, "target-email": {"email-addr"},
	"md5": {"md5"}, "sha1": {"sha1"}, "sha256": {"sha256"}, "sha512": {"sha512"},
	"filename|md5": {"md5"}, "filename|sha1": {"sha1"}, "filename|sha256": {"sha256"}, "filename|sha512": {"sha512"},
}

// Parse reads one list.json.
func Parse(data []byte) (*List, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode warninglist: %w", err)
	}
	if f.Name == "" || f.List == nil {
		return nil, fmt.Errorf("warninglist needs a name and a list")
	}
	l := &List{Name: f.Name, Type: f.Type}
	for _, a := range f.MatchingAttributes {
		for _, t := range attributeTypes[a] {
			if !slices.Contains(l.Types, t) {
				l.Types = append(l.Types, t)
			}
		}
	}
	if len(f.MatchingAttributes) > 0 && len(l.Types) == 0 {
		l.Types = []string{"none"} // only attribute types the matcher never sees
	}
	switch f.Type {
	case "cidr":
		return l, l.addCIDRs(f.List)
	case "hostname", "string":
		l.strs = map[string]bool{}
		for _, v := range f.List {
			l.strs[strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v)), ".")] = true
		}
	case "substring":
		for _, v := range f.List {
			if v = strings.ToLower(v); v != "" {
				l.subs = append(l.subs, v)
			}
		}
	case "regex":
		for _, v := range f.List {
			if re, err := compileMISPRegex(v); err == nil {
				l.regexps = append(l.regexps, re)
			} else {
				l.Skipped++
			}
		}
	default:
		return nil, fmt.Errorf("warninglist %q: unknown type %q (want cidr, hostname, string, substring or regex)", f.Name, f.Type)
	}
	return l, nil
}

func (l *List) addCIDRs(list []string) error {
	l.prefixes = map[netip.Prefix]bool{}
	seen := map[int]bool{}
	for _, v := range list {
		v = strings.TrimSpace(v)
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
		if err != nil {
			return fmt.Errorf("warninglist %q: %q is not an address or CIDR block", l.Name, v)
		}
		p = p.Masked()
		l.prefixes[p] = true
		if b := p.Bits() + boolInt(p.Addr().Is6())*1000; !seen[b] {
			seen[b] = true
			l.bits = append(l.bits, b)
		}
	}
	slices.Sort(l.bits)
	slices.Reverse(l.bits)
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// compileMISPRegex compiles "/re/flags" or a bare expression.
func compileMISPRegex(v string) (*regexp.Regexp, error) {
	if len(v) > 1 && v[0] == '/' {
		if end := strings.LastIndexByte(v, '/'); end > 0 {
			flags := v[end+1:]
			v = v[1:end]
			if strings.Contains(flags, "i") {
				v = "(?i)" + v
			}
		}
	}
	return regexp.Compile(v)
}

// applies reports whether the list is for values of STIX type typ.
func (l *List) applies(typ string) bool {
	return len(l.Types) == 0 || slices.Contains(l.Types, typ)
}

// Contains reports whether value, of STIX type typ, is on the list.
func (l *List) Contains(typ, value string) bool {
	if !l.applies(typ) {
		return false
	}
	v := strings.ToLower(strings.TrimSpace(value))
	switch l.Type {
	case "cidr":
		return l.containsAddr(v)
	case "hostname":
		return l.containsHost(hostOf(typ, v))
	case "string":
		return l.strs[v]
	case "substring":
		for _, s := range l.subs {
			if strings.Contains(v, s) {
				return true
			}
		}
	case "regex":
		for _, re := range l.regexps {
			if re.MatchString(value) {
				return true
			}
		}
	}
	return false
}

func (l *List) containsAddr(v string) bool {
	a, err := netip.ParseAddr(strings.Trim(v, "[]"))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, b := range l.bits {
		if (b >= 1000) != a.Is6() {
			continue
		}
		p, err := a.Prefix(b % 1000)
		if err == nil && l.prefixes[p] {
			return true
		}
	}
	return false
}

// hostOf is the host a hostname list judges: the domain itself, a URL's
// host or an e-mail address's domain.
func hostOf(typ, v string) string {
	switch typ {
	case "url":
		if u, err := url.Parse(v); err == nil {
			return u.Hostname()
		}
	case "email-addr":
		if i := strings.LastIndexByte(v, '@'); i >= 0 {
			return v[i+1:]
		}
	}
	return strings.TrimSuffix(v, ".")
}

func (l *List) containsHost(h string) bool {
	for h != "" {
		if l.strs[h] {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return false
		}
		h = h[i+1:]
	}
	return false
}

// Set is several warninglists.
type Set struct{ Lists []*List }

// LoadDir reads every *.json file of dir except schema.json (MISP's schema
// of the format), in name order.
func LoadDir(dir string) (*Set, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no warninglists (*.json) in %s", dir)
	}
	s := &Set{}
	for _, p := range paths {
		if filepath.Base(p) == "schema.json" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read warninglist: %w", err)
		}
		l, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		s.Lists = append(s.Lists, l)
	}
	return s, nil
}

// Benign returns the name of the first list holding value (of STIX type
// typ: ipv4-addr, ipv6-addr, domain-name, url, email-addr, md5, sha1,
// sha256, sha512).
func (s *Set) Benign(typ, value string) (string, bool) {
	if s == nil {
		return "", false
	}
	for _, l := range s.Lists {
		if l.Contains(typ, value) {
			return l.Name, true
		}
	}
	return "", false
}
