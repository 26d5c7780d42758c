package dataset

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// benchTime is the created, modified and valid_from of every generated
// indicator: fixed, so that a run's data set (and its app hashes) is the same
// every time. SDOs need millisecond precision on created and modified.
const benchTime = "2026-11-01T00:00:00.000Z"

// idNamespace is the UUIDv5 namespace of generated indicator ids (itself a
// random v4 UUID, fixed here).
var idNamespace = [16]byte{0x5b, 0x0c, 0x1e, 0x7a, 0x43, 0x2d, 0x4f, 0x0e, 0x9a, 0x61, 0x3c, 0x58, 0xd2, 0x17, 0x8e, 0x94}

// Kind is the STIX observable an IOC value is.
type Kind int

// Observable kinds an IOC list yields.
const (
	KindIPv4 Kind = iota
	KindIPv6
	KindDomain
	KindURL
	KindEmail
	KindMD5
	KindSHA1
	KindSHA256
)

// objectPath is the STIX pattern object path that tests a value of kind k.
func (k Kind) objectPath() string {
	switch k {
	case KindIPv4:
		return "ipv4-addr:value"
	case KindIPv6:
		return "ipv6-addr:value"
	case KindDomain:
		return "domain-name:value"
	case KindURL:
		return "url:value"
	case KindEmail:
		return "email-addr:value"
	case KindMD5:
		return "file:hashes.MD5"
	case KindSHA1:
		return "file:hashes.'SHA-1'"
	default:
		return "file:hashes.'SHA-256'"
	}
}

// String names the kind as the summary of a data set does.
func (k Kind) String() string {
	return [...]string{"ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256"}[k]
}

// IOC is one indicator value taken from a list, with where it came from.
type IOC struct {
	Kind   Kind
	Value  string // re-fanged, normalised value
	Source string // list name, e.g. "ipsum" or "infoblox:usps_cta_20231219"
	Label  string // a label for the indicator, e.g. "malicious" (may be "")
	Note   string // free text for the description (may be "")
}

// key identifies the IOC's value for deduplication.
func (c IOC) key() string { return c.Kind.String() + ":" + c.Value }

// indicator is the JSON shape of a generated STIX 2.1 indicator.
type indicator struct {
	Type           string   `json:"type"`
	SpecVersion    string   `json:"spec_version"`
	ID             string   `json:"id"`
	Created        string   `json:"created"`
	Modified       string   `json:"modified"`
	Name           string   `json:"name"`
	Description    string   `json:"description,omitempty"`
	IndicatorTypes []string `json:"indicator_types"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	Labels         []string `json:"labels"`
}

// Indicator turns the IOC into a STIX 2.1 indicator and validates it with
// stix.Parse, exactly as the node would.
func (c IOC) Indicator() (*stix.Object, error) {
	labels := []string{c.Kind.String(), sourceLabel(c.Source)}
	if c.Label != "" {
		labels = append(labels, c.Label)
	}
	ind := indicator{
		Type: "indicator", SpecVersion: "2.1", ID: "indicator--" + uuidV5(c.key()),
		Created: benchTime, Modified: benchTime, ValidFrom: benchTime,
		Name: c.Kind.String() + " " + c.Value, Description: c.Note,
		IndicatorTypes: []string{"malicious-activity"},
		Pattern:        "[" + c.Kind.objectPath() + " = '" + escapePatternString(c.Value) + "']",
		PatternType:    "stix", Labels: labels,
	}
	raw, err := json.Marshal(ind)
	if err != nil {
		return nil, fmt.Errorf("encode indicator for %s: %w", c.key(), err)
	}
	obj, err := stix.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("indicator for %s (from %s): %w", c.key(), c.Source, err)
	}
	return obj, nil
}

// sourceLabel is the list part of a source ("infoblox:usps" → "infoblox").
func sourceLabel(source string) string {
	name, _, _ := strings.Cut(source, ":")
	return name
}

// escapePatternString escapes a value for a STIX pattern string literal,
// whose only escapes are \' and \\.
func escapePatternString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// uuidV5 is the RFC 4122 name-based (SHA-1) UUID of name in idNamespace.
func uuidV5(name string) string {
	h := sha1.New()
	h.Write(idNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	hex.Encode(b[9:13], u[4:6])
	hex.Encode(b[14:18], u[6:8])
	hex.Encode(b[19:23], u[8:10])
	hex.Encode(b[24:36], u[10:16])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return string(b[:])
}
