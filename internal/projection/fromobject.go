package projection

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// extractRecord reads the indexed fields of a record's object: from the
// parse the record carries (record.Record.Parsed) when there is one and
// it holds all extract would read, else by extract from the JSON. Both
// give the same fields (FuzzFieldsOf, TestFieldsOfTestdata).
func extractRecord(r *record.Record) (fields, error) {
	if o, ok := r.Parsed.(*stix.Object); ok && bytes.Equal(o.Raw, r.Object) {
		if f, ok := fieldsOf(o); ok {
			return f, nil
		}
	}
	return extract(r.Object)
}

// fieldsOf returns what extract returns for o.Raw, built from o, an object
// stix.Parse accepted, without decoding Raw again; ok is false when o may
// hold something o's fields do not carry as extract reads it, and the
// caller must extract. That leaves out SCOs, marking definitions and
// observed data (their values and markings follow other rules), objects
// with granular markings (extract reads them as encoding/json does, which
// STIX validation does not pin down), and objects with a custom property
// extract reads, but for a custom name or description that o shows to be
// a string. For everything else STIX validation guarantees what extract
// would find: the properties it reads that the type does not define are
// absent, and those it defines hold the JSON types extract decodes (the
// common properties' checks apply to every type here), so extract's
// decode is clean.
func fieldsOf(o *stix.Object) (fields, bool) {
	switch {
	case o.IsSCO(), o.Type == "marking-definition", o.Type == "observed-data", o.GranularMarkings > 0,
		hasAny(o.Custom, customFallback...),
		// a custom name or description can be of any JSON type: o's
		// non-empty string says it is a string
		o.Name == "" && has(o.Custom, "name"), o.Description == "" && has(o.Custom, "description"):
		return fields{}, false
	}
	conf, ok := confidence(o.Written.Confidence)
	if !ok {
		return fields{}, false
	}
	f := fields{
		Name:        o.Name,
		Description: o.Description,
		Created:     o.Written.Created,
		Revoked:     o.Revoked,
		Labels:      o.Labels,
		Level:       tlp.OfRefs(o.Markings, tlp.Green), // no granular markings: Markings are object_marking_refs
	}
	if o.Type != "indicator" {
		return f, true
	}
	f.Pattern = o.Pattern
	f.Indicator = &Indicator{Type: o.Type, ID: o.ID, Pattern: o.Pattern, PatternType: o.PatternType, Revoked: o.Revoked,
		ValidFrom: o.Written.ValidFrom, ValidUntil: o.Written.ValidUntil, Confidence: conf, Markings: o.Markings}
	if f.Pattern != "" && (o.PatternType == "" || o.PatternType == "stix") {
		f.Values = patternValues(f.Pattern)
		slices.Sort(f.Values)
		f.Values = slices.Compact(f.Values)
	}
	return f, true
}

// customFallback are the properties extract reads that STIX defines only
// for SCOs (value, path, number, hashes), observed data (objects) or
// indicators (pattern, pattern_type, valid_from, valid_until): custom, of
// any JSON type, on the other types.
var customFallback = []string{"hashes", "number", "objects", "path", "pattern", "pattern_type", "valid_from", "valid_until", "value"}

// confidence decodes a confidence as written, as encoding/json decodes
// it into an *int: nil when absent; ok is false for a literal that is not
// a plain integer (such as 50.0 or 5e1, a type error for encoding/json).
func confidence(lit string) (*int, bool) {
	if lit == "" {
		return nil, true
	}
	digits := lit
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" || len(digits) > 9 {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, false
		}
	}
	n, err := strconv.Atoi(lit)
	if err != nil {
		return nil, false
	}
	return &n, true
}

// has reports whether sorted holds name.
func has(sorted []string, name string) bool {
	_, ok := slices.BinarySearch(sorted, name)
	return ok
}

func hasAny(sorted []string, names ...string) bool {
	for _, n := range names {
		if has(sorted, n) {
			return true
		}
	}
	return false
}
