// Package loggen generates realistic telemetry — DNS resolver, web proxy and
// firewall lines, Zeek dns/http logs, Suricata EVE JSON — with known
// indicator values planted at known places, and decoys that look like them
// but must not match (11.2.3.45 for 1.2.3.4, notevil.example for
// evil.example). Tests and the match benchmark use it; it does not call the
// matcher, so it can check it.
package loggen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Plant is one indicator value written into the log.
type Plant struct {
	Line     int64  // 1-based
	Offset   int    // byte offset of Observed in the line
	Value    string // the indicator value
	Observed string // as written (a variant of Value for IPv6 and URLs)
}

// Generator writes log lines. Indicators are the values it plants; Avoid
// holds every value no benign or decoy value may equal (usually the same
// set).
type Generator struct {
	Rand       *rand.Rand
	Indicators []string
	Avoid      map[string]bool
	// PlantEvery plants an indicator on about one line in PlantEvery.
	PlantEvery int
	// Variants writes half the planted IPv6 addresses, hashes and URLs in
	// another form that means the same (expanded, upper case, default
	// port, fragment); off, values are planted exactly as listed (for
	// comparing with substring tools).
	Variants bool
}

var (
	benignDomains = []string{"www.google.com", "api.github.com", "cdn.jsdelivr.net", "login.microsoftonline.com",
		"updates.example.org", "mail.corp.example", "static.wikimedia.org", "ocsp.digicert.com", "time.windows.com"}
	qtypes = []string{"A", "AAAA", "MX", "TXT", "HTTPS"}
	paths  = []string{"/", "/index.html", "/api/v1/items?id=42", "/static/app.js", "/images/logo.png", "/login"}
)

// Text writes about size bytes of mixed DNS, proxy and firewall lines and
// returns the planted values in order.
func (g *Generator) Text(w io.Writer, size int64) ([]Plant, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	var plants []Plant
	var written int64
	var line []byte
	for n := int64(1); written < size; n++ {
		line = line[:0]
		plant := g.PlantEvery > 0 && g.Rand.IntN(g.PlantEvery) == 0 && len(g.Indicators) > 0
		var p *Plant
		line, p = g.textLine(line, plant)
		if p != nil {
			p.Line = n
			plants = append(plants, *p)
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return nil, err
		}
		written += int64(len(line))
	}
	return plants, bw.Flush()
}

// textLine appends one line; with plant set it embeds an indicator.
func (g *Generator) textLine(b []byte, plant bool) ([]byte, *Plant) {
	ts := fmt.Sprintf("Nov 26 %02d:%02d:%02d", g.Rand.IntN(24), g.Rand.IntN(60), g.Rand.IntN(60))
	var p *Plant
	var value, observed string
	kind := "none"
	if plant {
		value = g.Indicators[g.Rand.IntN(len(g.Indicators))]
		observed = g.variant(value)
		kind = kindOf(value)
	}
	// put writes the planted value when this slot is for its kind, else
	// the benign (or decoy) alternative.
	put := func(b []byte, slot, alt string) []byte {
		if kind == slot && p == nil {
			p = &Plant{Offset: len(b), Value: value, Observed: observed}
			return append(b, observed...)
		}
		return append(b, alt...)
	}
	line := g.Rand.IntN(3)
	switch kind {
	case "url":
		line = 1
	case "hash":
		line = 3
	}
	switch line {
	case 0: // dnsmasq
		b = append(b, ts...)
		b = fmt.Appendf(b, " resolver dnsmasq[%d]: query[%s] ", 100+g.Rand.IntN(900), qtypes[g.Rand.IntN(len(qtypes))])
		b = put(b, "domain", g.decoyOr(g.benignHost()))
		b = append(b, " from "...)
		b = put(b, "ip", g.decoyOr(g.benignIP()))
	case 1: // squid access log
		b = fmt.Appendf(b, "%d.%03d %d %s TCP_MISS/200 %d GET ", 1764115200+g.Rand.IntN(86400), g.Rand.IntN(1000),
			g.Rand.IntN(3000), g.privateIP("10"), g.Rand.IntN(100000))
		if kind == "url" {
			b = put(b, "url", "")
		} else {
			b = append(b, "http://"...)
			b = put(b, "domain", g.decoyOr(g.benignHost()))
			b = append(b, paths[g.Rand.IntN(len(paths))]...)
		}
		b = append(b, " - HIER_DIRECT/"...)
		b = put(b, "ip", g.benignIP())
		b = append(b, " text/html"...)
	case 2: // iptables
		b = append(b, ts...)
		b = fmt.Appendf(b, " fw kernel: IN=eth0 OUT=eth1 SRC=%s DST=", g.privateIP("192.168"))
		b = put(b, "ip", g.decoyOr(g.benignIP()))
		b = fmt.Appendf(b, " LEN=%d PROTO=TCP SPT=%d DPT=443 SNI=", 40+g.Rand.IntN(1400), 1024+g.Rand.IntN(60000))
		b = put(b, "domain", g.benignHost())
	default: // endpoint antivirus
		b = append(b, ts...)
		b = fmt.Appendf(b, " edr[%d]: blocked process pid=%d sha256=", 100+g.Rand.IntN(900), g.Rand.IntN(65536))
		b = put(b, "hash", "")
		b = append(b, ` path="C:\\Users\\Public\\update.exe"`...)
	}
	return b, p
}

// kindOf classifies an indicator value for placement.
func kindOf(v string) string {
	switch {
	case isAddr(v):
		return "ip"
	case strings.Contains(v, "://"):
		return "url"
	case !strings.Contains(v, ".") && len(v) >= 32:
		return "hash"
	}
	return "domain"
}

func isAddr(v string) bool {
	_, err := netip.ParseAddr(v)
	return err == nil
}

// variant writes an indicator value the way telemetry might: IPv6 fully
// expanded, URLs with an upper-case host, a default port and a fragment.
func (g *Generator) variant(v string) string {
	if !g.Variants {
		return v
	}
	if a, err := netip.ParseAddr(v); err == nil && a.Is6() && g.Rand.IntN(2) == 0 {
		return a.StringExpanded()
	}
	if kindOf(v) == "hash" && g.Rand.IntN(2) == 0 {
		return strings.ToUpper(v)
	}
	if scheme, rest, ok := strings.Cut(v, "://"); ok && g.Rand.IntN(2) == 0 {
		host, path, _ := strings.Cut(rest, "/")
		port := ":80"
		if scheme == "https" {
			port = ":443"
		}
		if strings.Contains(host, ":") {
			port = ""
		}
		return scheme + "://" + strings.ToUpper(host) + port + "/" + path + "#frag"
	}
	return v
}

// decoyOr returns, one time in four, a decoy of a random indicator (a
// value that contains or resembles it but must not match), else v.
func (g *Generator) decoyOr(v string) string {
	if len(g.Indicators) == 0 || g.Rand.IntN(4) != 0 {
		return v
	}
	ind := g.Indicators[g.Rand.IntN(len(g.Indicators))]
	var d string
	if a, err := netip.ParseAddr(ind); err == nil && a.Is4() {
		o := a.As4()
		switch g.Rand.IntN(2) {
		case 0:
			d = fmt.Sprintf("1%d.%d.%d.%d", o[0], o[1], o[2], o[3]) // 1.2.3.4 → 11.2.3.4
		default:
			d = fmt.Sprintf("%d.%d.%d.%d5", o[0], o[1], o[2], o[3]) // 1.2.3.4 → 1.2.3.45
		}
	} else if !strings.Contains(ind, "://") && !isAddr(ind) && strings.Contains(ind, ".") {
		switch g.Rand.IntN(2) {
		case 0:
			d = "not" + ind
		default:
			d = ind + "x"
		}
	}
	if d == "" || g.Avoid[d] || !valid(d) {
		return v
	}
	return d
}

// valid rejects decoys that are not what they claim (an address octet
// over 255 makes a token the extractor ignores, which is fine but useless).
func valid(d string) bool {
	if strings.Trim(d, "0123456789.") == "" {
		return isAddr(d)
	}
	return true
}

func (g *Generator) benignHost() string {
	for {
		var h string
		if g.Rand.IntN(2) == 0 {
			h = benignDomains[g.Rand.IntN(len(benignDomains))]
		} else {
			h = fmt.Sprintf("host%d.svc%d.benign.example", g.Rand.IntN(10000), g.Rand.IntN(100))
		}
		if !g.Avoid[h] {
			return h
		}
	}
}

// privateIP draws an address under prefix ("10" or "192.168") that is not
// to be avoided.
func (g *Generator) privateIP(prefix string) string {
	for {
		ip := fmt.Sprintf("%s.%d.%d.%d", prefix, g.Rand.IntN(256), g.Rand.IntN(256), 1+g.Rand.IntN(254))
		if prefix == "192.168" {
			ip = fmt.Sprintf("192.168.%d.%d", g.Rand.IntN(256), 1+g.Rand.IntN(254))
		}
		if !g.Avoid[ip] {
			return ip
		}
	}
}

func (g *Generator) benignIP() string {
	for {
		ip := fmt.Sprintf("%d.%d.%d.%d", 1+g.Rand.IntN(223), g.Rand.IntN(256), g.Rand.IntN(256), 1+g.Rand.IntN(254))
		if !g.Avoid[ip] {
			return ip
		}
	}
}

// SharedIOCs reads indicator values from ../shared/testdata/iocs (dir):
// IPsum level-5 addresses, signature-base C2 domains and addresses and
// hashes, and the Unit 42 Emotet SHA-256 list. Values are lower-cased.
func SharedIOCs(dir string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		v = strings.ToLower(strings.TrimSpace(v))
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	files := []struct {
		path string
		each func(line string)
	}{
		{"ipsum/levels-5.txt", add},
		{"signature-base/c2-iocs.txt", func(l string) {
			if v, _, _ := strings.Cut(strings.ReplaceAll(l, ";", " "), " "); !strings.ContainsAny(v, "/:") {
				add(v)
			}
		}},
		{"signature-base/hash-iocs.txt", func(l string) { v, _, _ := strings.Cut(l, ";"); add(v) }},
		{"unit42/6908_of_8712_coin_mining_urls_in_pandb.txt", func(l string) {
			if strings.Contains(l, "/") && strings.Trim(l, urlChars) == "" && strings.Trim(l[len(l)-1:], ".,;") != "" {
				add("http://" + l)
			}
		}},
		{"unit42/emotet-may-2019-sha256.txt", func(l string) {
			if len(l) == 64 {
				add(l)
			}
		}},
	}
	for _, f := range files {
		if err := eachLine(filepath.Join(dir, f.path), f.each); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// urlChars are the characters planted URLs are made of (no quotes,
// brackets or spaces, which end a URL in text).
const urlChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./_?=&%~-"

func eachLine(path string, fn func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			fn(l)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// TopUp appends synthetic indicator values to values until it holds n (or
// truncates it to n), each new one unique and recorded in avoid: 40% IPv4,
// 35% domains, 15% SHA-256, 5% MD5, 5% URLs. The match benchmark uses it to
// reach a million values from the shared lists.
func TopUp(r *rand.Rand, values []string, avoid map[string]bool, n int) []string {
	for len(values) < n {
		v := Synthetic(r)
		if !avoid[v] {
			avoid[v] = true
			values = append(values, v)
		}
	}
	return values[:n]
}

// Synthetic makes one indicator value: 40% IPv4, 35% domains, 15% SHA-256,
// 5% MD5, 5% URLs.
func Synthetic(r *rand.Rand) string {
	label := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
		}
		return string(b)
	}
	tlds := []string{"com", "net", "org", "info", "ru", "cn", "xyz", "top", "io"}
	hex := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "0123456789abcdef"[r.IntN(16)]
		}
		return string(b)
	}
	switch p := r.IntN(100); {
	case p < 40:
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	case p < 75:
		return label(5+r.IntN(10)) + "." + tlds[r.IntN(len(tlds))]
	case p < 90:
		return hex(64)
	case p < 95:
		return hex(32)
	default:
		return "http://" + label(6+r.IntN(8)) + "." + tlds[r.IntN(len(tlds))] + "/" + label(4+r.IntN(8)) + ".php"
	}
}
