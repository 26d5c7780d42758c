package export

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/ioc"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Entry is one observable value an export writes, with where it came
// from.
type Entry struct {
	Kind       string // an ioc type: ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, sha512
	Value      string // normalised
	SourceID   string // STIX id of the indicator or observable
	Name       string
	Labels     []string
	TLP        string // clear, green, amber, red, or "" when unmarked
	Added      time.Time
	ValidUntil time.Time // zero when open-ended
}

// observableTypes are the STIX types an observable export reads.
var observableTypes = []string{"indicator", "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file"}

// observables yields each distinct (kind, value) once, skipping revoked
// objects and indicators whose valid_until has passed.
type observables struct {
	o    Options
	seen map[string]bool
}

func (ob *observables) each(ctx context.Context, fn func(Entry) error) error {
	ob.seen = map[string]bool{}
	return scan(ctx, ob.o, observableTypes, func(v projection.Version) error {
		for _, e := range entriesOf(v) {
			key := e.Kind + "\x00" + e.Value
			if ob.seen[key] || (!e.ValidUntil.IsZero() && !e.ValidUntil.After(ob.o.Now)) {
				continue
			}
			ob.seen[key] = true
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// object is the part of a STIX object the observable exports read.
type object struct {
	Type        string            `json:"type"`
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Pattern     string            `json:"pattern"`
	PatternType string            `json:"pattern_type"`
	Revoked     bool              `json:"revoked"`
	ValidUntil  string            `json:"valid_until"`
	Labels      []string          `json:"labels"`
	Markings    []string          `json:"object_marking_refs"`
	Value       string            `json:"value"`
	Hashes      map[string]string `json:"hashes"`
}

// comparison matches the equality comparisons of a STIX pattern whose
// object path names an observable value: type:value = '…' and
// file:hashes.NAME = '…'.
var comparison = regexp.MustCompile(`(ipv4-addr|ipv6-addr|domain-name|url|email-addr):value\s*=\s*'((?:[^'\\]|\\.)*)'|file:hashes\.(?:'([A-Za-z0-9-]+)'|([A-Za-z0-9_]+))\s*=\s*'((?:[^'\\]|\\.)*)'`)

// kindOfType maps STIX observable types and hash names to ioc types ("" =
// detect: an address or a CIDR block).
var kindOfType = map[string]string{
	"ipv4-addr": "", "ipv6-addr": "", "domain-name": "domain", "url": "url", "email-addr": "email",
	"MD5": "md5", "SHA-1": "sha1", "SHA1": "sha1", "SHA-256": "sha256", "SHA256": "sha256", "SHA-512": "sha512", "SHA512": "sha512",
}

// entriesOf extracts a version's observable values.
func entriesOf(v projection.Version) []Entry {
	var o object
	if json.Unmarshal(v.Object, &o) != nil || o.Revoked {
		return nil
	}
	base := Entry{SourceID: o.ID, Name: o.Name, Labels: o.Labels, TLP: tlpOf(o.Markings), Added: v.Added}
	if t, err := time.Parse(time.RFC3339Nano, o.ValidUntil); err == nil {
		base.ValidUntil = t
	}
	var out []Entry
	add := func(stixType, value string) {
		kind, ok := kindOfType[stixType]
		if !ok {
			return
		}
		i, err := ioc.Classify(value, kind)
		if err != nil || (kind == "" && i.Type != "ipv4" && i.Type != "ipv6" && i.Type != "cidr") {
			return
		}
		e := base
		e.Kind, e.Value = i.Type, i.Value
		out = append(out, e)
	}
	switch o.Type {
	case "indicator":
		if o.PatternType != "stix" {
			return nil
		}
		for _, m := range comparison.FindAllStringSubmatch(o.Pattern, -1) {
			if m[1] != "" {
				add(m[1], unescape(m[2]))
			} else {
				add(m[3]+m[4], unescape(m[5]))
			}
		}
	case "file":
		names := make([]string, 0, len(o.Hashes))
		for name := range o.Hashes {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			add(name, o.Hashes[name])
		}
	default:
		add(o.Type, o.Value)
	}
	return out
}

// unescape undoes a STIX pattern string literal's \' and \\ escapes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// tlpOf returns the most restrictive TLP level among markings.
func tlpOf(markings []string) string {
	var level tlp.Level // zero: no TLP marking
	for _, m := range markings {
		if l, ok := tlp.OfMarking(m); ok && l > level {
			level = l
		}
	}
	if level == 0 {
		return ""
	}
	return strings.ToLower(level.String())
}
