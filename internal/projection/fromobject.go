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
// caller must extract. That leaves out SCOs and marking definitions (their
// values and markings follow other rules), and objects with a property
// extract reads that STIX does not define for their type or whose value's
// JSON type o's fields cannot tell. For everything else STIX validation
// guarantees what extract would find: strings where it decodes strings,
// and so on, so its decode is clean.
func fieldsOf(o *stix.Object) (fields, bool) {
	if o.IsSCO() || o.Type == "marking-definition" || hasAny(o.Props, sightedProps...) {
		return fields{}, false
	}
	isIndicator := o.Type == "indicator"
	if !isIndicator && hasAny(o.Props, indicatorProps...) {
		return fields{}, false
	}
	// name and description are custom properties of some types, of any
	// JSON type: o's non-empty string says the property is a string.
	if oddString(o, "name", o.Name) || oddString(o, "description", o.Description) {
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
	if !isIndicator {
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

var (
	// sightedProps are properties extract reads for observables (or
	// granular markings): an SDO that has one falls back to extract.
	sightedProps = []string{"granular_markings", "hashes", "number", "objects", "path", "value"}
	// indicatorProps are the indicator's properties extract reads: on
	// another type they are custom, of any JSON type.
	indicatorProps = []string{"pattern", "pattern_type", "valid_from", "valid_until"}
)

// oddString reports whether o has a custom property name that o's field
// (value) does not show to be a string.
func oddString(o *stix.Object, name, value string) bool {
	return value == "" && has(o.Props, name) && !o.Defines(name)
}

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
