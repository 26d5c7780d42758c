// Package ioc classifies and normalises indicator values (IP addresses,
// CIDR blocks, domains, URLs, e-mail addresses, file hashes), undoes their
// defanging, and turns them into STIX patterns and deterministic indicator
// ids. Import and export share it.
package ioc

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// namespace is the UUIDv5 namespace of indicators derived from IOC values: the
// id is UUIDv5(iocNS, type ":" normalised value), the same on every node
// and in every import.
var namespace = uuid.MustParse("1f6f6a4e-2a43-5b8e-9d0c-6c7e9f3a0b21")

// Types and the STIX pattern each becomes.
var patterns = map[string]string{
	"ipv4":   "[ipv4-addr:value = '%s']",
	"ipv6":   "[ipv6-addr:value = '%s']",
	"cidr":   "", // ipv4-addr or ipv6-addr by family
	"domain": "[domain-name:value = '%s']",
	"url":    "[url:value = '%s']",
	"email":  "[email-addr:value = '%s']",
	"md5":    "[file:hashes.MD5 = '%s']",
	"sha1":   "[file:hashes.'SHA-1' = '%s']",
	"sha256": "[file:hashes.'SHA-256' = '%s']",
	"sha512": "[file:hashes.'SHA-512' = '%s']",
}

// Types lists the IOC types, sorted.
func Types() []string {
	out := make([]string, 0, len(patterns))
	for t := range patterns {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// IOC is one typed, normalised indicator value.
type IOC struct {
	Type, Value string
}

// Pattern returns the IOC's STIX pattern.
func (i IOC) Pattern() string {
	lit := strings.ReplaceAll(strings.ReplaceAll(i.Value, `\`, `\\`), `'`, `\'`)
	if i.Type == "cidr" {
		if strings.Contains(i.Value, ":") {
			return fmt.Sprintf("[ipv6-addr:value = '%s']", lit)
		}
		return fmt.Sprintf("[ipv4-addr:value = '%s']", lit)
	}
	return fmt.Sprintf(patterns[i.Type], lit)
}

// ID returns the deterministic STIX id of the IOC's indicator.
func (i IOC) ID() string {
	return "indicator--" + uuid.NewSHA1(namespace, []byte(i.Type+":"+i.Value)).String()
}

// refanger undoes the bracketed forms of defanging. A Replacer is safe for
// concurrent use and builds its tables once, on first use.
var refanger = strings.NewReplacer("[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "[:]", ":", "[@]", "@", "[at]", "@", "[://]", "://")

// Refang undoes the usual defanging of IOC values: hxxp, [.], (.), [:],
// [@], [at] and [dot].
func Refang(s string) string {
	s = refanger.Replace(strings.TrimSpace(s))
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "hxxp"):
		s = "http" + s[4:]
	case strings.HasPrefix(lower, "fxp://"):
		s = "ftp" + s[3:]
	}
	return s
}

// Classify refangs and normalises v and decides its type; forced, when
// set, is the only type accepted.
func Classify(v, forced string) (IOC, error) {
	v = Refang(v)
	if v == "" {
		return IOC{}, fmt.Errorf("empty value")
	}
	if len(v) > 2048 {
		return IOC{}, fmt.Errorf("value longer than 2048 bytes")
	}
	if forced != "" {
		ioc, ok := asType(v, forced)
		if !ok {
			return IOC{}, fmt.Errorf("%q is not a valid %s", clip(v), forced)
		}
		return ioc, nil
	}
	for _, t := range []string{"md5", "sha1", "sha256", "sha512", "ipv4", "ipv6", "cidr", "email", "domain", "url"} {
		if ioc, ok := asType(v, t); ok {
			return ioc, nil
		}
	}
	return IOC{}, fmt.Errorf("%q is not an IP, CIDR, domain, URL, hash or e-mail address", clip(v))
}

var hashLen = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

// asType reports whether v is a valid IOC of type t, normalised.
func asType(v, t string) (IOC, bool) {
	switch t {
	case "md5", "sha1", "sha256", "sha512":
		if len(v) != hashLen[t] {
			return IOC{}, false
		}
		if _, err := hex.DecodeString(v); err != nil {
			return IOC{}, false
		}
		return IOC{t, strings.ToLower(v)}, true
	case "ipv4", "ipv6":
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" || (t == "ipv4") != a.Is4() {
			return IOC{}, false
		}
		return IOC{t, a.String()}, true
	case "cidr":
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return IOC{}, false
		}
		return IOC{t, p.Masked().String()}, true
	case "email":
		local, domain, ok := strings.Cut(v, "@")
		if !ok || local == "" || strings.ContainsAny(local, " \t<>\"'@") || !isDomain(strings.ToLower(domain)) {
			return IOC{}, false
		}
		return IOC{t, local + "@" + strings.ToLower(domain)}, true
	case "url":
		return asURL(v)
	case "domain":
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if !isDomain(d) {
			return IOC{}, false
		}
		return IOC{t, d}, true
	}
	return IOC{}, false
}

// asURL accepts absolute URLs with a host, and scheme-less "host/path"
// (taken as http).
func asURL(v string) (IOC, bool) {
	if strings.ContainsAny(v, " \t\r\n") {
		return IOC{}, false
	}
	s := v
	if !strings.Contains(v, "://") {
		host, _, _ := strings.Cut(v, "/")
		if !(isDomain(strings.ToLower(hostOnly(host))) || isIP(hostOnly(host))) {
			return IOC{}, false
		}
		s = "http://" + v // scheme-less "host/path" (or a bare host given as a URL)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return IOC{}, false
	}
	h := u.Hostname()
	if !isDomain(strings.ToLower(h)) && !isIP(h) {
		return IOC{}, false
	}
	return IOC{"url", s}, true
}

func hostOnly(hostport string) string {
	if h, _, ok := strings.Cut(hostport, ":"); ok {
		return h
	}
	return hostport
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return err == nil
}

// isDomain reports whether s is a plausible DNS name with at least two
// labels and an alphabetic (or punycode) top-level label.
func isDomain(s string) bool {
	if len(s) < 3 || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	return !slices.ContainsFunc([]byte(tld), func(c byte) bool { return c < 'a' || c > 'z' }) && len(tld) >= 2
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// Valid reports whether t is an IOC type.
func Valid(t string) bool {
	_, ok := patterns[t]
	return ok
}

// scoNamespace is STIX 2.1's namespace for the deterministic ids of cyber
// observables (§2.9): UUIDv5 over the canonical JSON of the object's
// id-contributing properties.
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// hashNames are the STIX hash algorithm names of the hash types.
var hashNames = map[string]string{"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}

// Observable returns the STIX cyber observable the IOC denotes: its type,
// its id-contributing properties and its deterministic id (the same on
// every node for the same value).
func (i IOC) Observable() (typ string, props map[string]any, id string) {
	switch i.Type {
	case "ipv4", "ipv6", "cidr":
		typ = "ipv4-addr"
		if strings.Contains(i.Value, ":") {
			typ = "ipv6-addr"
		}
		props = map[string]any{"value": i.Value}
	case "domain":
		typ, props = "domain-name", map[string]any{"value": i.Value}
	case "url":
		typ, props = "url", map[string]any{"value": i.Value}
	case "email":
		typ, props = "email-addr", map[string]any{"value": i.Value}
	default: // a hash
		typ, props = "file", map[string]any{"hashes": map[string]any{hashNames[i.Type]: i.Value}}
	}
	return typ, props, typ + "--" + uuid.NewSHA1(scoNamespace, canonicalJSON(props)).String()
}

// canonicalJSON encodes the id-contributing properties as RFC 8785 does for
// these shapes (one-key objects of ASCII strings): sorted keys, no
// whitespace, no HTML escaping.
func canonicalJSON(v any) []byte {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // maps of strings: cannot fail
	return []byte(strings.TrimSuffix(b.String(), "\n"))
}
