package detect

import (
	"fmt"
	"strings"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// tlpNames names the TLP marking definitions of STIX 2.1 (§7.2.1.4) and the
// TLP 2.0 extension's.
var tlpNames = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "tlp:clear",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "tlp:green",
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "tlp:amber",
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "tlp:red",
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "tlp:clear",
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "tlp:green",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "tlp:amber",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "tlp:amber+strict",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "tlp:red",
}

// MarkingName names a marking reference: "tlp:green" for the TLP
// definitions, the reference itself otherwise.
func MarkingName(ref string) string {
	if n, ok := tlpNames[ref]; ok {
		return n
	}
	return ref
}

// IndicatorFields is the part of an indicator's JSON the matcher reads. A
// caller that has decoded the object already, with encoding/json's
// semantics and no error, passes these to FromFields instead of having
// FromRecord decode the object again (the projection does: see
// projection.Indicator, a type convertible to this one).
type IndicatorFields struct {
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	Pattern     string   `json:"pattern"`
	PatternType string   `json:"pattern_type"`
	Revoked     bool     `json:"revoked"`
	ValidFrom   string   `json:"valid_from"`
	ValidUntil  string   `json:"valid_until"`
	Confidence  *int     `json:"confidence"`
	Markings    []string `json:"object_marking_refs"`
}

// FromRecord turns a committed record into an index entry. It reports false
// for records that are not STIX-patterned indicators (other pattern types
// are not matched). A pattern outside the supported subset (published
// before publish-time checking) is an error.
func FromRecord(r record.Record) (Indicator, bool, error) {
	if r.Type != "indicator" {
		return Indicator{}, false, nil
	}
	var j IndicatorFields
	// encoding/json's semantics on the faster v2 engine: this decode runs
	// for every indicator a node commits that the projection has not
	// decoded (see projection's object.decode).
	if err := jsonv1.Unmarshal(r.Object, &j); err != nil {
		return Indicator{}, false, fmt.Errorf("decode indicator %s: %w", r.ObjectID, err)
	}
	return FromFields(r, j)
}

// FromFields is FromRecord for a record whose object is decoded already:
// j must be what decoding r.Object into IndicatorFields gives, without
// error. Records that are not indicators give false.
func FromFields(r record.Record, j IndicatorFields) (Indicator, bool, error) {
	if r.Type != "indicator" {
		return Indicator{}, false, nil
	}
	version, err := time.Parse(time.RFC3339Nano, r.Modified)
	if err != nil {
		return Indicator{}, false, fmt.Errorf("indicator %s version %q: %w", r.ObjectID, r.Modified, err)
	}
	in := Indicator{ID: r.ObjectID, Version: version, Author: r.Author, Revoked: j.Revoked, Confidence: -1}
	if j.Confidence != nil {
		in.Confidence = *j.Confidence
	}
	markings := make([]string, 0, len(j.Markings))
	for _, m := range j.Markings {
		markings = append(markings, MarkingName(m))
	}
	in.Marking = strings.Join(markings, ",")
	if j.ValidFrom != "" {
		if in.ValidFrom, err = time.Parse(time.RFC3339Nano, j.ValidFrom); err != nil {
			return Indicator{}, false, fmt.Errorf("indicator %s valid_from: %w", r.ObjectID, err)
		}
	}
	if j.ValidUntil != "" {
		if in.ValidUntil, err = time.Parse(time.RFC3339Nano, j.ValidUntil); err != nil {
			return Indicator{}, false, fmt.Errorf("indicator %s valid_until: %w", r.ObjectID, err)
		}
	}
	if j.Revoked {
		return in, true, nil
	}
	if j.PatternType != "stix" {
		in.Revoked = true // a non-STIX version replaces a STIX one: stop matching it
		return in, true, nil
	}
	if in.Pattern, err = compileRecord(r, j.Pattern); err != nil {
		return Indicator{}, false, fmt.Errorf("indicator %s: %w", r.ObjectID, err)
	}
	return in, true, nil
}

// compileRecord compiles pattern, the STIX pattern of record r: from the
// parse r carries when that is of this very pattern, else from the text.
func compileRecord(r record.Record, pattern string) (*Compiled, error) {
	if o, ok := r.Parsed.(*stix.Object); ok && o.Pattern == pattern && o.PatternType == "stix" {
		return CompileObject(o)
	}
	return CompilePattern(pattern)
}

// CompileValue builds the pattern of a bare indicator value, guessing its
// type: an IP address or CIDR block, an MD5/SHA-1/SHA-256/SHA-512 hex
// digest, a URL (scheme://), an e-mail address (@) or a domain name.
func CompileValue(v string) (*Compiled, error) {
	v = strings.TrimSpace(v)
	k := guessKind(v)
	kv, err := parseKey(k, v)
	if err != nil {
		return nil, err
	}
	return &Compiled{simple: true, terms: []term{{kind: k, op: opEqual, keys: []key{kv}}}, root: &node{term: 0}}, nil
}

func guessKind(v string) kind {
	if strings.Contains(v, "://") {
		return kURL
	}
	if strings.IndexByte(v, '@') >= 0 {
		return kEmail
	}
	if allHexString(v) {
		switch len(v) {
		case 32:
			return kMD5
		case 40:
			return kSHA1
		case 64:
			return kSHA256
		case 128:
			return kSHA512
		}
	}
	if strings.IndexByte(v, ':') >= 0 || strings.Trim(v, "0123456789./") == "" {
		return kIP // parseKey says so if it is not one
	}
	return kDomain
}

func allHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return s != ""
}

// Values lists the values a compiled pattern compares for equality, with
// their STIX types (ipv4-addr, domain-name, url, md5, ...).
func (c *Compiled) Values() (types, values []string) {
	for _, t := range c.terms {
		for _, k := range t.keys {
			types = append(types, k.kind.String())
			values = append(values, k.String())
		}
	}
	return types, values
}

// Warnings names the indicator values among objs that are on a
// warninglist: publishing them is allowed, but they will mostly match
// benign traffic.
func Warnings(objs []*stix.Object, b Benign) []string {
	var out []string
	for i, o := range objs {
		if o.Type != "indicator" || o.PatternType != "stix" || o.Revoked {
			continue
		}
		c, err := CompileObject(o)
		if err != nil {
			continue
		}
		types, values := c.Values()
		for j, v := range values {
			if list, ok := b.Benign(types[j], v); ok {
				out = append(out, fmt.Sprintf("object %d (%s): %s is on the warninglist %q", i, o.ID, v, list))
			}
		}
	}
	return out
}
