// Package stix parses and validates STIX 2.1 content (OASIS STIX Version 2.1,
// 10 June 2021) as it enters the ledger.
//
// Validation follows the specification and rejects what the OASIS STIX 2.1
// JSON schemas reject. Where the two differ the specification wins: rules it
// states that the schemas cannot express (modified >= created, reference
// target types, pattern syntax, ...) are enforced, and known defects of the
// schemas are not copied (the tests list both kinds of difference). Custom
// object types and custom properties are accepted and kept as written in
// Object.Raw.
//
// Everything here is deterministic, as it runs inside a replicated state
// machine: numbers are compared as exact decimals, never as floats, maps are
// walked in sorted key order so the first error reported is always the same,
// and nothing reads the clock, random numbers or starts goroutines.
package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Object is one validated STIX 2.1 object.
type Object struct {
	ID, Type, SpecVersion string // SpecVersion is "2.1" (also for SCOs without spec_version)
	// Created and Modified are normalised (UTC, RFC 3339 with the fraction
	// trimmed of trailing zeros); "" when absent, as on SCOs.
	Created, Modified string
	Revoked           bool
	CreatedByRef      string
	Labels            []string
	// Markings are the marking-definition ids the object references: its
	// object_marking_refs, then the marking_ref of each granular marking,
	// as written.
	Markings    []string
	Name        string
	Description string
	Pattern     string
	PatternType string
	// ValidFrom and ValidUntil are the indicator's, normalised like Created.
	ValidFrom, ValidUntil string
	// Values are the object's observable values for a search index,
	// deduplicated, in order of first appearance: for an SCO its value,
	// name (file, mutex, software), path (directory), number
	// (autonomous-system) and hash values in algorithm-name order; for
	// observed-data those of its embedded SCOs; for an indicator with a
	// STIX pattern the quoted literals its comparisons test against (not
	// LIKE/MATCHES patterns, nor t'', b'' or h'' literals). Hex hash values
	// are lowercased; everything else is kept as written.
	Values []string
	// GranularMarkings is how many granular markings the object has.
	GranularMarkings int
	// Custom are the names of the object's custom top-level properties
	// (those STIX 2.1 does not define for its type: their values may be
	// of any JSON type), sorted; nil when there are none.
	Custom []string
	// Written holds properties as the object writes them where the fields
	// above normalise them.
	Written Written
	// Raw is the object's JSON as encoding/json.Compact writes it: the input
	// with insignificant whitespace removed and nothing else changed. It is
	// what gets stored.
	Raw []byte

	// patternToks are the tokens of Pattern when Parse checked it as a
	// STIX pattern, kept for PatternTree; they point into Pattern.
	patternToks []token
}

// Written are top-level properties of an object exactly as written, for
// readers that must show or index them so (the projection reads an
// object's fields from its Object instead of decoding Raw again); each is
// "" when the property is absent or not of the JSON type named.
type Written struct {
	// Created, ValidFrom and ValidUntil are the strings as written, where
	// Object's fields of the same names are normalised (and set for some
	// types only).
	Created, ValidFrom, ValidUntil string
	// Confidence is the number as written: its JSON literal.
	Confidence string
}

// writtenOf returns the Written properties of a decoded object.
func writtenOf(m map[string]any) Written {
	conf, _ := m["confidence"].(json.Number)
	return Written{Created: stringOf(m["created"]), ValidFrom: stringOf(m["valid_from"]),
		ValidUntil: stringOf(m["valid_until"]), Confidence: string(conf)}
}

// Version returns the object's version: Modified if set, else Created, else
// "" (SCOs are not versioned).
func (o *Object) Version() string {
	if o.Modified != "" {
		return o.Modified
	}
	return o.Created
}

// IsSCO reports whether the object is a STIX Cyber-observable Object. A
// custom object type counts as one when it has neither created nor modified.
func (o *Object) IsSCO() bool {
	if def := typeDefs[o.Type]; def != nil {
		return def.class == classSCO
	}
	return o.Created == "" && o.Modified == ""
}

// ValidationError says why some input is not acceptable STIX 2.1.
type ValidationError struct {
	Index    int    // index of the object in the bundle; -1 when not in a bundle
	ObjectID string // id of the offending object (or bundle), when known
	Field    string // JSON path of the offending property, e.g. "objects[3].valid_until"; "" for the whole object
	Msg      string // what is wrong
}

// Error formats the error as
//
//	object 3 (indicator--…): valid_until: must be later than valid_from
//
// omitting the parts that are unknown.
func (e *ValidationError) Error() string {
	var b strings.Builder
	switch {
	case e.Index >= 0:
		fmt.Fprintf(&b, "object %d", e.Index)
		if e.ObjectID != "" {
			fmt.Fprintf(&b, " (%s)", e.ObjectID)
		}
		b.WriteString(": ")
	case e.ObjectID != "":
		b.WriteString(e.ObjectID + ": ")
	}
	if f := e.objectField(); f != "" {
		b.WriteString(f + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// objectField is Field relative to the object named by Index.
func (e *ValidationError) objectField() string {
	if e.Index < 0 {
		return e.Field
	}
	prefix := "objects[" + strconv.Itoa(e.Index) + "]"
	f, ok := strings.CutPrefix(e.Field, prefix)
	if !ok {
		return e.Field
	}
	return strings.TrimPrefix(f, ".")
}

// Parse parses and fully validates exactly one STIX 2.1 object (not a
// bundle). Errors are *ValidationError with Index -1.
func Parse(data []byte) (*Object, error) {
	if o := parseFast(data); o != nil {
		return o, nil
	}
	return parseGeneral(data)
}

// parseGeneral is Parse without the fast path: the single source of its
// errors.
func parseGeneral(data []byte) (*Object, error) {
	top, err := decodeTop(data, "")
	if err != nil {
		return nil, err
	}
	if top.m["type"] == "bundle" {
		return nil, &ValidationError{Index: -1, ObjectID: stringOf(top.m["id"]), Field: "type",
			Msg: "a bundle is not a STIX object; use ParseInput for bundles"}
	}
	return build(top.m, top.compact(data), -1)
}

// ParseInput parses a STIX 2.1 bundle, {"type":"bundle","id":"bundle--UUID",
// "objects":[...]}, or a single object, and validates every object. It
// returns the objects in input order, or the first error found as a
// *ValidationError naming the object's index in the bundle. A bundle's
// spec_version, which STIX 2.0 bundles carry, is tolerated; its objects are
// still checked one by one.
func ParseInput(data []byte) ([]*Object, error) {
	if o := parseFast(data); o != nil {
		return []*Object{o}, nil
	}
	if objs := parseBundleFast(data); objs != nil {
		return objs, nil
	}
	return parseInputGeneral(data)
}

// parseInputGeneral is ParseInput without the fast path: the single source
// of its errors.
func parseInputGeneral(data []byte) ([]*Object, error) {
	top, err := decodeTop(data, "objects")
	if err != nil {
		return nil, err
	}
	if top.m["type"] != "bundle" {
		o, err := build(top.m, top.compact(data), -1)
		if err != nil {
			return nil, err
		}
		return []*Object{o}, nil
	}
	items, verr := checkBundle(top.m)
	if verr != nil {
		return nil, verr
	}
	objs := make([]*Object, len(items))
	for i, item := range items {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, &ValidationError{Index: i, Field: fmt.Sprintf("objects[%d]", i), Msg: "must be a JSON object"}
		}
		span := top.spans[i]
		o, err := build(obj, top.compact(data[span[0]:span[1]]), i)
		if err != nil {
			return nil, err
		}
		objs[i] = o
	}
	return objs, nil
}

// topLevel is the decoded top-level object of an input.
type topLevel struct {
	m      map[string]any // the decoded object
	spans  [][2]int       // byte spans in the input of the elements of m[spanKey]
	spaced bool           // the input has whitespace outside strings
}

// compact returns a copy of part of the input (all of it, or a span) in
// compact form. An input the decoder found no whitespace in is compact
// already (the ledger accepts only such objects), so it is copied as is.
func (t *topLevel) compact(part []byte) []byte {
	if !t.spaced {
		return bytes.Clone(part)
	}
	return compacted(part)
}

// decodeTop decodes the input's top-level object, recording the spans of
// the elements of the array under spanKey. Error offsets refer to the input.
func decodeTop(data []byte, spanKey string) (*topLevel, error) {
	d := decoder{data: data, spanKey: spanKey}
	m, err := d.topObject()
	if err != nil {
		if d.inSpans { // the error lies in element len(d.spans) of the bundle
			i := len(d.spans)
			return nil, &ValidationError{Index: i, Field: fmt.Sprintf("objects[%d]", i), Msg: err.Error()}
		}
		return nil, &ValidationError{Index: -1, Msg: err.Error()}
	}
	return &topLevel{m: m, spans: d.spans, spaced: d.spaced}, nil
}

// compacted returns data without insignificant whitespace: for JSON the
// decoder has accepted, exactly what encoding/json.Compact produces (which
// removes whitespace outside strings and changes nothing else), in a
// fraction of the time.
func compacted(data []byte) []byte {
	out := make([]byte, 0, len(data))
	start := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			i = stringEnd(data, i)
		case ' ', '\t', '\n', '\r':
			out = append(out, data[start:i]...)
			start = i + 1
		}
	}
	return append(out, data[start:]...)
}

// stringEnd returns the index of the quote closing the string that opens
// at data[i], or len(data) when it does not close. A quote closes it when
// an even number of backslashes precedes it: a run of backslashes pairs
// up from its start (each escaping the next), so an odd run escapes the
// quote after it.
func stringEnd(data []byte, i int) int {
	for from := i + 1; ; {
		q := bytes.IndexByte(data[from:], '"')
		if q < 0 {
			return len(data)
		}
		q += from
		n := 0
		for q-1-n > i && data[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		from = q + 1
	}
}

// checkBundle validates the envelope of a bundle and returns its objects.
func checkBundle(m map[string]any) ([]any, *ValidationError) {
	id, _ := m["id"].(string)
	fail := func(field, msg string) ([]any, *ValidationError) {
		return nil, &ValidationError{Index: -1, ObjectID: id, Field: field, Msg: msg}
	}
	if id == "" {
		return fail("id", "a bundle needs an id of the form bundle--<UUID>")
	}
	if typ, p := identifierProblem(id); p != "" || typ != "bundle" {
		if p == "" {
			p = `must start with "bundle--"`
		}
		return fail("id", fmt.Sprintf("%q: %s", id, p))
	}
	if sv, ok := m["spec_version"]; ok && sv != "2.0" && sv != "2.1" {
		return fail("spec_version", `a bundle's spec_version, when present, must be "2.0" or "2.1"`)
	}
	v, ok := m["objects"]
	if !ok {
		return fail("objects", "bundle has no objects")
	}
	items, ok := v.([]any)
	if !ok {
		return fail("objects", "must be a list of STIX objects")
	}
	if len(items) == 0 {
		return fail("objects", "bundle has no objects")
	}
	return items, nil
}

// build validates one decoded object and assembles its Object. index is
// the object's position in a bundle, or -1.
func build(m map[string]any, raw []byte, index int) (*Object, error) {
	c, verr := validateObject(m)
	if verr != nil {
		verr.Index = index
		verr.ObjectID = stringOf(m["id"])
		if index >= 0 {
			verr.Field = joinField(fmt.Sprintf("objects[%d]", index), verr.Field)
		}
		return nil, verr
	}
	o := &Object{
		ID:          m["id"].(string),
		Type:        c.typ,
		SpecVersion: "2.1",
		Name:        stringOf(m["name"]),
		Description: stringOf(m["description"]),
		Values:      searchValues(c),
		Written:     writtenOf(m),
		Raw:         raw,
	}
	o.Markings, o.GranularMarkings = markingsOf(m)
	if len(c.custom) > 0 {
		o.Custom = c.custom
		slices.Sort(o.Custom)
	}
	if c.class != classSCO {
		o.Created = c.normTime("created")
		o.Modified = c.normTime("modified")
		o.Revoked = m["revoked"] == true
		o.CreatedByRef = stringOf(m["created_by_ref"])
		o.Labels = stringsOf(m["labels"])
	}
	if c.typ == "indicator" {
		o.Pattern = stringOf(m["pattern"])
		o.PatternType = stringOf(m["pattern_type"])
		o.ValidFrom = c.normTime("valid_from")
		o.ValidUntil = c.normTime("valid_until")
		o.patternToks = c.patternToks
	}
	return o, nil
}

// markingsOf returns the marking-definition ids of a validated object
// (object_marking_refs, then each granular marking's marking_ref) and the
// number of its granular markings.
func markingsOf(m map[string]any) ([]string, int) {
	out := stringsOf(m["object_marking_refs"])
	gs, _ := m["granular_markings"].([]any)
	for _, g := range gs {
		gm, _ := g.(map[string]any)
		if ref := stringOf(gm["marking_ref"]); ref != "" {
			out = append(out, ref)
		}
	}
	return out, len(gs)
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	if len(list) == 0 {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
