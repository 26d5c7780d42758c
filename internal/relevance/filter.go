// Package relevance decides what matters to whom: per-user subscriptions
// (filters on type, label, sector, marking and observable value kind) and
// the member's profile (sectors, regions, technologies) rank each user's
// feed and decide which new records raise a notification.
//
// The package is pure: it reads STIX objects and profiles handed to it and
// imports only the standard library, internal/errs and internal/tlp. What a
// user may read at all is decided elsewhere (internal/access); callers pass
// only readable records in.
//
// # Matching
//
// A filter matches a record when every dimension it names matches (AND
// across dimensions); within a dimension any listed value does (OR). All
// comparisons ignore case.
//
//   - type: the STIX type;
//   - label: one of the object's labels;
//   - sector: a sector of the author member's profile, or one the object
//     itself names (an identity's sectors, or a custom x_phalanx_sectors
//     list on any object);
//   - tlp: the record's TLP level (CLEAR, GREEN, AMBER, AMBER+STRICT, RED);
//   - kind: a kind of observable value the object carries (ipv4, ipv6,
//     cidr, domain, url, hash, email), from a cyber-observable's own value
//     or the comparisons of an indicator's STIX pattern.
package relevance

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Limits of a filter.
const (
	MaxValues   = 20  // values per dimension
	MaxValueLen = 100 // bytes per value
)

// Value kinds an object may carry.
const (
	KindIPv4   = "ipv4"
	KindIPv6   = "ipv6"
	KindCIDR   = "cidr"
	KindDomain = "domain"
	KindURL    = "url"
	KindHash   = "hash"
	KindEmail  = "email"
)

var kinds = []string{KindCIDR, KindDomain, KindEmail, KindHash, KindIPv4, KindIPv6, KindURL}

// Filter selects records. Empty dimensions do not filter; values are kept
// lower-case (TLP levels in their canonical upper-case names), sorted and
// unique by Normalize.
type Filter struct {
	Types      []string `json:"types,omitempty"`
	Labels     []string `json:"labels,omitempty"`
	Sectors    []string `json:"sectors,omitempty"`
	Markings   []string `json:"markings,omitempty"` // TLP level names
	ValueKinds []string `json:"value_kinds,omitempty"`
}

// dimension names of the filter syntax, in the order String writes them.
var dimensions = []string{"type", "label", "sector", "tlp", "kind"}

func (f *Filter) dim(name string) *[]string {
	switch name {
	case "type":
		return &f.Types
	case "label":
		return &f.Labels
	case "sector":
		return &f.Sectors
	case "tlp":
		return &f.Markings
	case "kind":
		return &f.ValueKinds
	}
	return nil
}

// Empty reports whether f filters nothing (it matches every record).
func (f Filter) Empty() bool {
	return len(f.Types)+len(f.Labels)+len(f.Sectors)+len(f.Markings)+len(f.ValueKinds) == 0
}

// Normalize validates f and returns it in canonical form, or an
// errs.Invalid error naming the offending value.
func (f Filter) Normalize() (Filter, error) {
	var out Filter
	for _, name := range dimensions {
		vals := *f.dim(name)
		if len(vals) > MaxValues {
			return Filter{}, errs.Errorf(errs.Invalid, "filter %s: %d values, at most %d", name, len(vals), MaxValues)
		}
		norm := make([]string, 0, len(vals))
		for _, v := range vals {
			n, err := normValue(name, v)
			if err != nil {
				return Filter{}, err
			}
			norm = append(norm, n)
		}
		slices.Sort(norm)
		if norm = slices.Compact(norm); len(norm) > 0 {
			*out.dim(name) = norm
		}
	}
	return out, nil
}

func normValue(dim, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", errs.Errorf(errs.Invalid, "filter %s: empty value", dim)
	case len(v) > MaxValueLen:
		return "", errs.Errorf(errs.Invalid, "filter %s: value longer than %d bytes", dim, MaxValueLen)
	case !utf8.ValidString(v):
		return "", errs.Errorf(errs.Invalid, "filter %s: value %q is not UTF-8", dim, v)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == ',' || r == '=' || r == ' ' || r == '\t' {
			return "", errs.Errorf(errs.Invalid, "filter %s: value %q has a space, comma, '=' or control character", dim, v)
		}
	}
	switch dim {
	case "tlp":
		l, err := tlp.Parse(v)
		if err != nil {
			return "", errs.Errorf(errs.Invalid, "filter tlp: %v", err)
		}
		return l.String(), nil
	case "kind":
		k := strings.ToLower(v)
		if !slices.Contains(kinds, k) {
			return "", errs.Errorf(errs.Invalid, "filter kind %q: want one of %s", v, strings.Join(kinds, ", "))
		}
		return k, nil
	}
	return strings.ToLower(v), nil
}

// ParseFilter reads the filter syntax of the CLI: space-separated terms
// DIM=VALUE[,VALUE…] where DIM is type, label, sector, tlp or kind, e.g.
// "type=indicator label=ransomware,wiper tlp=GREEN". A dimension may be
// repeated (its values add up). The result is normalised.
func ParseFilter(s string) (Filter, error) {
	if len(s) > 8192 {
		return Filter{}, errs.Errorf(errs.Invalid, "filter longer than 8192 bytes")
	}
	var f Filter
	for _, term := range strings.Fields(s) {
		name, vals, ok := strings.Cut(term, "=")
		d := f.dim(strings.ToLower(name))
		switch {
		case !ok:
			return Filter{}, errs.Errorf(errs.Invalid, "filter term %q: want DIM=VALUE[,VALUE…]", term)
		case d == nil:
			return Filter{}, errs.Errorf(errs.Invalid, "filter term %q: unknown dimension %q (want type, label, sector, tlp or kind)", term, name)
		}
		for _, v := range strings.Split(vals, ",") {
			if len(*d) >= MaxValues {
				return Filter{}, errs.Errorf(errs.Invalid, "filter %s: more than %d values", name, MaxValues)
			}
			*d = append(*d, v)
		}
	}
	return f.Normalize()
}

// String writes f in the syntax ParseFilter reads; "" for the empty filter.
func (f Filter) String() string {
	var terms []string
	for _, name := range dimensions {
		if vals := *f.dim(name); len(vals) > 0 {
			terms = append(terms, fmt.Sprintf("%s=%s", name, strings.Join(vals, ",")))
		}
	}
	return strings.Join(terms, " ")
}

// Match reports whether the filter selects it, whose author has profile
// author, and the dimensions that matched, as human-readable reasons
// ("label=ransomware"). f must be normalised.
func (f Filter) Match(it Item, author Profile) (bool, []string) {
	var why []string
	check := func(dim string, want, have []string) bool {
		if len(want) == 0 {
			return true
		}
		for _, w := range want {
			if containsFold(have, w) {
				why = append(why, dim+"="+w)
				return true
			}
		}
		return false
	}
	ok := check("type", f.Types, []string{it.Type}) &&
		check("label", f.Labels, it.Labels) &&
		check("sector", f.Sectors, append(slices.Clone(author.Sectors), it.Sectors...)) &&
		check("tlp", f.Markings, []string{it.Level.String()}) &&
		check("kind", f.ValueKinds, it.ValueKinds)
	if !ok {
		return false, nil
	}
	return true, why
}

func containsFold(have []string, want string) bool {
	return slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, want) })
}
