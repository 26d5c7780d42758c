package relevance

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Item is what relevance reads of one record version.
type Item struct {
	ID     string    `json:"id"`
	Type   string    `json:"type"`
	Author string    `json:"author"` // member id of the author
	Index  uint64    `json:"index"`  // ledger index: newer is larger
	Level  tlp.Level `json:"-"`
	Labels []string  `json:"-"`
	// Sectors, Regions and Technologies the object itself names.
	Sectors, Regions, Technologies []string `json:"-"`
	ValueKinds                     []string `json:"-"` // sorted, unique
}

// Profile is a member's profile: what its sectors, regions and
// technologies are, as the ledger records them.
type Profile struct {
	Member       string   `json:"member"`
	Sectors      []string `json:"sectors"`
	Regions      []string `json:"regions"`
	Technologies []string `json:"technologies"`
}

// stixFields is the subset of STIX properties relevance reads. Custom
// properties x_phalanx_sectors, x_phalanx_regions and
// x_phalanx_technologies let any object name them.
type stixFields struct {
	Labels      []string          `json:"labels"`
	Sectors     []string          `json:"sectors"` // identity
	XSectors    []string          `json:"x_phalanx_sectors"`
	XRegions    []string          `json:"x_phalanx_regions"`
	XTechs      []string          `json:"x_phalanx_technologies"`
	Region      string            `json:"region"`  // location
	Country     string            `json:"country"` // location
	Name        string            `json:"name"`    // software, tool
	Pattern     string            `json:"pattern"`
	PatternType string            `json:"pattern_type"`
	Value       string            `json:"value"`
	Hashes      map[string]string `json:"hashes"`
}

// ItemOf reads an Item from a record version's STIX object. A property of
// an unexpected shape is ignored (relevance never fails a record).
func ItemOf(id, typ, author string, index uint64, level tlp.Level, object []byte) Item {
	var o stixFields
	_ = json.Unmarshal(object, &o) // partial decode on type errors is fine
	it := Item{ID: id, Type: typ, Author: author, Index: index, Level: level, Labels: o.Labels,
		Sectors: append(slices.Clone(o.Sectors), o.XSectors...), Regions: slices.Clone(o.XRegions),
		Technologies: slices.Clone(o.XTechs)}
	if typ == "location" {
		it.Regions = appendNonEmpty(it.Regions, o.Region, o.Country)
	}
	if typ == "software" || typ == "tool" {
		it.Technologies = appendNonEmpty(it.Technologies, o.Name)
	}
	it.ValueKinds = valueKinds(typ, o)
	return it
}

func appendNonEmpty(dst []string, vals ...string) []string {
	for _, v := range vals {
		if v != "" {
			dst = append(dst, v)
		}
	}
	return dst
}

// patternTerm finds the comparisons of a STIX pattern that name an
// observable value: object path, then the first quoted literal after it.
var patternTerm = regexp.MustCompile(`(ipv4-addr|ipv6-addr|domain-name|url|email-addr|file)\s*:\s*(value|hashes)[^']*'((?:[^'\\]|\\.)*)'`)

func valueKinds(typ string, o stixFields) []string {
	var ks []string
	switch typ {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr":
		ks = append(ks, kindOf(typ, o.Value))
	case "file":
		if len(o.Hashes) > 0 {
			ks = append(ks, KindHash)
		}
	case "indicator":
		if o.PatternType == "" || o.PatternType == "stix" {
			for _, m := range patternTerm.FindAllStringSubmatch(o.Pattern, 64) {
				if m[1] == "file" {
					if m[2] == "hashes" {
						ks = append(ks, KindHash)
					}
					continue
				}
				ks = append(ks, kindOf(m[1], m[3]))
			}
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

func kindOf(objType, value string) string {
	switch objType {
	case "ipv4-addr", "ipv6-addr":
		if strings.Contains(value, "/") {
			return KindCIDR
		}
		if objType == "ipv4-addr" {
			return KindIPv4
		}
		return KindIPv6
	case "domain-name":
		return KindDomain
	case "url":
		return KindURL
	}
	return KindEmail
}
