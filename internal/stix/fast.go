package stix

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the fast path of Parse: it decodes a common top-level SDO or
// SRO straight from its bytes into a list of typed properties (no
// map[string]any, strings not boxed), checks them with the rules and tables
// the general path uses, and builds the Object.
//
// Its safety rule: it only ever accepts, never rejects. Anything it is not
// certain of — a JSON problem of any kind, a duplicate key, a type or
// property kind it does not handle (SCOs, marking definitions, observed
// data, granular markings, ...), any failed check — makes it decline, and
// the general path runs as if it did not exist, so errors are the general
// path's alone. Whatever it accepts, the general path accepts with a deeply
// equal Object (FuzzFastPath, TestFastPathMatchesGeneralPath).

// fvKind is the JSON type of a fast-path property value.
type fvKind uint8

const (
	fvString  fvKind = iota + 1 // s
	fvStrings                   // strs[lo:hi], a non-empty list of strings
	fvBool                      // b
	fvNumber                    // s, the literal
	fvOther                     // v, decoded as the general path decodes it
)

// fastProp is one top-level property of an object on the fast path.
type fastProp struct {
	name   string
	wk     int // its well-known slot, or -1
	kind   fvKind
	b      bool
	s      string
	lo, hi int // fvStrings: the list is fastParser.strs[lo:hi]
	v      any
}

// Well-known property names the fast path reads by slot, not by search.
const (
	wkType = iota
	wkID
	wkSpecVersion
	wkCreated
	wkModified
	wkCreatedByRef
	wkRevoked
	wkLabels
	wkConfidence
	wkName
	wkDescription
	wkObjectMarkingRefs
	wkPattern
	wkPatternType
	wkValidFrom
	wkValidUntil
	wkRelationshipType
	wkIsFamily
	wkCount
)

// wkNames are the well-known property names by slot.
var wkNames = [wkCount]string{
	"type", "id", "spec_version", "created", "modified", "created_by_ref", "revoked", "labels",
	"confidence", "name", "description", "object_marking_refs", "pattern", "pattern_type",
	"valid_from", "valid_until", "relationship_type", "is_family",
}

// wellKnown returns the slot of a well-known property name, or -1.
func wellKnown(name string) int {
	switch name {
	case "type":
		return wkType
	case "id":
		return wkID
	case "spec_version":
		return wkSpecVersion
	case "created":
		return wkCreated
	case "modified":
		return wkModified
	case "created_by_ref":
		return wkCreatedByRef
	case "revoked":
		return wkRevoked
	case "labels":
		return wkLabels
	case "confidence":
		return wkConfidence
	case "name":
		return wkName
	case "description":
		return wkDescription
	case "object_marking_refs":
		return wkObjectMarkingRefs
	case "pattern":
		return wkPattern
	case "pattern_type":
		return wkPatternType
	case "valid_from":
		return wkValidFrom
	case "valid_until":
		return wkValidUntil
	case "relationship_type":
		return wkRelationshipType
	case "is_family":
		return wkIsFamily
	}
	return -1
}

// fastRule is how the fast path applies a type's co-constraints (typeDef.check).
type fastRule uint8

const (
	ruleNone         fastRule = iota + 1 // the type has none
	ruleTimesOnly                        // its check reads only checked timestamps: called as is
	ruleIndicator                        // checkIndicator, on typed values
	ruleRelationship                     // checkRelationship, on typed values
	ruleMalware                          // checkMalware, on typed values
)

// fastRules lists the STIX types the fast path handles (SDOs and SROs whose
// co-constraints it can apply without the decoded map); custom "x-" types
// with created or modified are handled too. TestFastRulesMatchTypeDefs keeps
// it in step with typeDefs.
var fastRules = map[string]fastRule{
	"attack-pattern": ruleNone, "course-of-action": ruleNone, "grouping": ruleNone,
	"identity": ruleNone, "incident": ruleNone, "note": ruleNone, "opinion": ruleNone,
	"report": ruleNone, "tool": ruleNone, "vulnerability": ruleNone,
	"campaign": ruleTimesOnly, "infrastructure": ruleTimesOnly, "intrusion-set": ruleTimesOnly,
	"threat-actor": ruleTimesOnly, "sighting": ruleTimesOnly,
	"indicator": ruleIndicator, "relationship": ruleRelationship, "malware": ruleMalware,
}

// fastType is what the fast path knows of a type it handles.
type fastType struct {
	def   *typeDef // nil for a custom type
	class class
	rule  fastRule
	// specs are the definitions of the well-known properties for the
	// type, as checker.propSpec finds them (defined false: custom).
	specs [wkCount]fastSpec
}

type fastSpec struct {
	p       prop
	defined bool
}

// fastTypes are the types of fastRules, and customFastType is a custom
// object type with created or modified (an SDO to checker.classify).
// makeFastTypes builds both from typeDefs, once at initialisation; they
// are only read afterwards.
var (
	fastTypes      map[string]*fastType
	customFastType *fastType
)

// makeFastTypes returns fastTypes and customFastType.
func makeFastTypes() (map[string]*fastType, *fastType) {
	build := func(def *typeDef, cl class, rule fastRule) *fastType {
		ft := &fastType{def: def, class: cl, rule: rule}
		c := checker{def: def, class: cl}
		for wk, name := range wkNames {
			ft.specs[wk].p, ft.specs[wk].defined = c.propSpec(name)
		}
		return ft
	}
	types := make(map[string]*fastType, len(fastRules))
	for typ, rule := range fastRules {
		if def := typeDefs[typ]; def != nil && (def.class == classSDO || def.class == classSRO) {
			types[typ] = build(def, def.class, rule)
		}
	}
	return types, build(nil, classSDO, ruleNone)
}

// fastParser holds one object on the fast path. It lives on the stack, so
// it holds fixed arrays and counts rather than slices (a slice of its own
// array would make it point at itself, which moves it to the heap): an
// object with more properties, list items, custom properties or timestamps
// than the arrays hold is declined.
type fastParser struct {
	d      decoder
	ft     *fastType
	c      checker       // typ, def, class and patternValues; times are in f.times
	slots  [wkCount]int8 // index+1 in props of each well-known property
	nProps int
	nStrs  int
	nCust  int
	nTimes int
	props  [32]fastProp
	strs   [64]string // the items of every fvStrings property
	custom [16]string
	times  [4]namedTime
	norms  [4]string // as checker.norms
	// depth is the nesting depth of the object in its input: 1 alone, 3
	// in a bundle's objects.
	depth int
	// text is the object's bytes, data[textStart:textEnd], as a string,
	// made on first use: strings without escapes are slices of it, one
	// allocation for all of them.
	text               string
	textStart, textEnd int
	// last is the last timestamp parsed (a typical object repeats one),
	// millis whether it was parsed requiring milliseconds.
	last struct {
		s      string
		t      time.Time
		millis bool
	}
	// lastNorm is the last normalised timestamp and its time.
	lastNorm struct {
		t    time.Time
		text string
	}
}

// parseFast runs the fast path on one top-level object: the Object the
// general path would return, or nil when it declines.
func parseFast(data []byte) *Object {
	var f fastParser
	f.d = decoder{data: data}
	f.depth, f.textEnd = 1, len(data)
	f.d.skipSpace()
	if f.d.pos >= len(data) || data[f.d.pos] != '{' || !f.object() {
		return nil
	}
	f.d.skipSpace()
	if f.d.pos != len(data) {
		return nil
	}
	return f.build(data)
}

// object decodes the object at d.pos ('{') into props.
func (f *fastParser) object() bool {
	d := &f.d
	d.pos++
	d.depth = f.depth
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return false // also an empty object: it has no type
		}
		name, wk, ok := f.key()
		if !ok || f.has(name, wk) || name == "objects" {
			return false // "objects": most likely a bundle, left at once
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return false
		}
		d.pos++
		d.skipSpace()
		if f.nProps == len(f.props) {
			return false
		}
		p := &f.props[f.nProps]
		p.name, p.wk = name, wk
		if !f.value(p) {
			return false
		}
		f.nProps++
		if wk >= 0 {
			f.slots[wk] = int8(f.nProps)
		}
		more, ok := afterItem(d, '}')
		if !ok {
			return false
		}
		if !more {
			d.depth--
			return true
		}
	}
}

// afterItem moves d past the ',' or the closer that follows an object
// member or a list item: more says a ',' came, ok that either did.
func afterItem(d *decoder, closer byte) (more, ok bool) {
	d.skipSpace()
	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ',':
			d.pos++
			return true, true
		case closer:
			d.pos++
			return false, true
		}
	}
	return false, false
}

// key decodes the property name at d.pos and finds its well-known slot.
// A well-known name written plainly is matched in place, without the
// interned lookup or a copy; any other goes through scanStr.
func (f *fastParser) key() (name string, wk int, ok bool) {
	d := &f.d
	start := d.pos + 1
	if i, high := plainRun(d.data, start); i < len(d.data) && d.data[i] == '"' && !high {
		if wk := wellKnown(string(d.data[start:i])); wk >= 0 {
			d.pos = i + 1
			return wkNames[wk], wk, true
		}
	}
	name, err := f.scanStr()
	return name, wellKnown(name), err == nil
}

// scanStr decodes the string at d.pos as decoder.scanStr does. One without escapes is
// a slice of the input's text.
func (f *fastParser) scanStr() (string, error) {
	d := &f.d
	start := d.pos + 1
	i, high := plainRun(d.data, start)
	if i < len(d.data) && d.data[i] == '"' && start >= f.textStart && i <= f.textEnd &&
		(!high || utf8.Valid(d.data[start:i])) {
		if f.text == "" {
			f.text = string(d.data[f.textStart:f.textEnd])
		}
		d.pos = i + 1
		return f.text[start-f.textStart : i-f.textStart], nil
	}
	// An escape, a control character or invalid UTF-8 (which scanStr
	// reports), or a string outside the text.
	s, _, err := d.scanStr()
	return s, err
}

// plainRun returns the index of the first '"', '\\' or control character
// (< 0x20) in b at or after i (len(b) when there is none), and whether a
// byte before it is 0x80 or above. It reads eight bytes at a time while
// none of them is one of those.
func plainRun(b []byte, i int) (int, bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var high uint64
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q, bs := w^(ones*'"'), w^(ones*'\\')
		// A byte of x is zero (or, for w, below 0x20) when its high bit is
		// set here: exact for "is there any", the word's only question.
		if ((w-ones*0x20)&^w|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
			break
		}
		high |= w
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		high |= uint64(c)
	}
	return i, high&highs != 0
}

// has reports whether the object has a property named name, whose
// well-known slot is wk.
func (f *fastParser) has(name string, wk int) bool {
	if wk >= 0 {
		return f.slots[wk] != 0
	}
	for i := range f.nProps {
		if f.props[i].name == name {
			return true
		}
	}
	return false
}

// value decodes the property value at d.pos, typed where it can.
func (f *fastParser) value(p *fastProp) bool {
	d := &f.d
	if d.pos >= len(d.data) {
		return false
	}
	var err error
	switch c := d.data[d.pos]; {
	case c == '"':
		p.kind = fvString
		p.s, err = f.scanStr()
	case c == '[':
		start, lo := d.pos, f.nStrs
		if f.stringList(p) {
			return true
		}
		d.pos, d.depth, f.nStrs = start, f.depth, lo
		p.kind = fvOther
		p.v, err = d.value()
	case c == 't' || c == 'f':
		var v any
		v, err = d.literal()
		p.kind = fvBool
		p.b, _ = v.(bool)
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		n, err = d.number()
		p.kind, p.s = fvNumber, string(n)
	default:
		p.kind = fvOther
		p.v, err = d.value()
	}
	return err == nil
}

// stringList decodes a non-empty list of strings into strs; false when the
// list is anything else (the caller then decodes it generically) or does
// not fit.
func (f *fastParser) stringList(p *fastProp) bool {
	d := &f.d
	d.pos++ // '['
	p.lo = f.nStrs
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' || f.nStrs == len(f.strs) {
			return false
		}
		s, err := f.scanStr()
		if err != nil {
			return false
		}
		f.strs[f.nStrs] = s
		f.nStrs++
		more, ok := afterItem(d, ']')
		if !ok {
			return false
		}
		if !more {
			p.kind, p.hi = fvStrings, f.nStrs
			return true
		}
	}
}

// prop returns the well-known property in slot wk, or nil.
func (f *fastParser) prop(wk int) *fastProp {
	if i := f.slots[wk]; i != 0 {
		return &f.props[i-1]
	}
	return nil
}

// str returns the well-known property's string value, and whether it is one.
func (f *fastParser) str(wk int) (string, bool) {
	if p := f.prop(wk); p != nil && p.kind == fvString {
		return p.s, true
	}
	return "", false
}

// strOf is stringOf for a well-known property.
func (f *fastParser) strOf(wk int) string {
	s, _ := f.str(wk)
	return s
}

// lists is stringsOf for two well-known properties: copies of their
// strings, in one allocation.
func (f *fastParser) lists(wk1, wk2 int) (l1, l2 []string) {
	p1, p2 := f.prop(wk1), f.prop(wk2)
	n := 0
	if p1 != nil && p1.kind == fvStrings {
		n += p1.hi - p1.lo
	}
	if p2 != nil && p2.kind == fvStrings {
		n += p2.hi - p2.lo
	}
	if n == 0 {
		return nil, nil
	}
	all := make([]string, 0, n)
	if p1 != nil && p1.kind == fvStrings {
		all = append(all, f.strs[p1.lo:p1.hi]...)
		l1 = all[:len(all):len(all)]
	}
	if p2 != nil && p2.kind == fvStrings {
		start := len(all)
		all = append(all, f.strs[p2.lo:p2.hi]...)
		l2 = all[start:len(all):len(all)]
	}
	return l1, l2
}

// checkedTimes are the timestamps checked so far, as checker.times.
func (f *fastParser) checkedTimes() []namedTime { return f.times[:f.nTimes] }

// build checks the decoded object as validateObject would and assembles
// its Object; nil when any check fails or is not one the fast path makes.
func (f *fastParser) build(data []byte) *Object {
	if !f.identify() || !f.checkProperties() {
		return nil
	}
	if orderedIn(f.checkedTimes(), "created", "modified", false) != nil || !f.coConstraints() {
		return nil
	}
	o := &Object{
		ID:          f.strOf(wkID),
		Type:        f.c.typ,
		SpecVersion: "2.1",
		Name:        f.strOf(wkName),
		Description: f.strOf(wkDescription),
		Values:      f.values(),
		Written: Written{Created: f.strOf(wkCreated), ValidFrom: f.strOf(wkValidFrom),
			ValidUntil: f.strOf(wkValidUntil)},
		Created:      f.normTime("created", wkCreated),
		Modified:     f.normTime("modified", wkModified),
		CreatedByRef: f.strOf(wkCreatedByRef),
	}
	o.Labels, o.Markings = f.lists(wkLabels, wkObjectMarkingRefs)
	if p := f.prop(wkConfidence); p != nil && p.kind == fvNumber {
		o.Written.Confidence = p.s
	}
	if p := f.prop(wkRevoked); p != nil && p.kind == fvBool {
		o.Revoked = p.b
	}
	if f.nCust > 0 {
		o.Custom = slices.Clone(f.custom[:f.nCust])
		slices.Sort(o.Custom)
	}
	if f.c.typ == "indicator" {
		o.Pattern = f.strOf(wkPattern)
		o.PatternType = f.strOf(wkPatternType)
		o.ValidFrom = f.normTime("valid_from", wkValidFrom)
		o.ValidUntil = f.normTime("valid_until", wkValidUntil)
		o.patternToks = f.c.patternToks
	}
	if f.d.spaced {
		o.Raw = compacted(data)
	} else {
		o.Raw = bytes.Clone(data)
	}
	return o
}

// values is searchValues for the types of the fast path: an indicator's
// pattern values, deduplicated, or none.
func (f *fastParser) values() []string {
	if f.c.typ != "indicator" {
		return nil
	}
	pv := f.c.patternValues
	if len(pv) == 1 && pv[0] != "" {
		return pv // a list of one, as valueList makes it
	}
	var vs valueList
	for _, v := range pv {
		vs.add(v)
	}
	return vs.list
}

// normTime is checker.normTime for the well-known timestamp in slot wk.
func (f *fastParser) normTime(name string, wk int) string {
	t, ok := timeIn(f.checkedTimes(), name)
	if !ok {
		return ""
	}
	if f.lastNorm.text != "" && t.Equal(f.lastNorm.t) {
		return f.lastNorm.text // the same text: it depends on t alone
	}
	f.lastNorm.t, f.lastNorm.text = t, sharedNormTime(t, f.strOf(wk), &f.norms)
	return f.lastNorm.text
}

// parseTimestamp is parseTimestamp, reusing the last result for the same
// text: one that parsed requiring milliseconds parses the same without.
func (f *fastParser) parseTimestamp(s string, millis bool) (time.Time, bool) {
	if s == f.last.s && (f.last.millis || !millis) && s != "" {
		return f.last.t, true
	}
	t, problem := parseTimestamp(s, millis)
	if problem != "" {
		return time.Time{}, false
	}
	f.last.s, f.last.t, f.last.millis = s, t, millis
	return t, true
}

// identify is checker.identify, checkSpecVersion and checkRequired for the
// types the fast path handles.
func (f *fastParser) identify() bool {
	c := &f.c
	typ, ok := f.str(wkType)
	if !ok || typeNameProblem(typ) != "" || slices.Contains(reservedTypes, typ) {
		return false
	}
	id, ok := f.str(wkID)
	if !ok {
		return false
	}
	if idType, p := identifierProblem(id); p != "" || idType != typ {
		return false
	}
	f.ft = fastTypes[typ]
	if f.ft == nil {
		// Not a type the fast path handles, or a custom type: only a
		// custom type with created or modified is classified an SDO.
		if typeDefs[typ] != nil || !strings.HasPrefix(typ, "x-") || (f.slots[wkCreated] == 0 && f.slots[wkModified] == 0) {
			return false
		}
		f.ft = customFastType
	}
	c.typ, c.def, c.class = typ, f.ft.def, f.ft.class
	if sv, ok := f.str(wkSpecVersion); !ok || sv != "2.1" {
		return false
	}
	if f.slots[wkCreated] == 0 || f.slots[wkModified] == 0 {
		return false
	}
	if c.def != nil {
		if len(c.def.atLeastOne) > 0 {
			return false
		}
		for _, name := range c.def.required {
			if !f.has(name, wellKnown(name)) {
				return false
			}
		}
	}
	return true
}

// checkProperties is checker.checkProperty for every property.
func (f *fastParser) checkProperties() bool {
	c := &f.c
	for i := range f.nProps {
		p := &f.props[i]
		switch p.name {
		case "type", "id", "spec_version":
			continue
		}
		if propertyNameProblem(p.name) != "" || slices.Contains(reservedProps, p.name) {
			return false
		}
		var spec prop
		var defined bool
		if p.wk >= 0 {
			spec, defined = f.ft.specs[p.wk].p, f.ft.specs[p.wk].defined
		} else {
			spec, defined = c.propSpec(p.name)
		}
		if !defined {
			if !f.customOK(p) {
				return false
			}
			if f.nCust == len(f.custom) {
				return false
			}
			f.custom[f.nCust] = p.name
			f.nCust++
			continue
		}
		if !f.checkValue(p, spec) {
			return false
		}
	}
	return true
}

// customOK is checkGeneric for a custom property.
func (f *fastParser) customOK(p *fastProp) bool {
	if strings.HasSuffix(p.name, "_bin") || strings.HasSuffix(p.name, "_hex") {
		return false
	}
	return p.kind != fvOther || checkGeneric(p.name, p.v) == nil
}

// checkValue is checkGeneric and checker.checkValue for a property STIX
// defines, on its typed value.
func (f *fastParser) checkValue(p *fastProp, spec prop) bool {
	if strings.HasSuffix(p.name, "_bin") || strings.HasSuffix(p.name, "_hex") {
		return false
	}
	switch p.kind {
	case fvString:
		switch spec.kind {
		case kString:
			return true
		case kTimestamp, kTimestampMs:
			t, ok := f.parseTimestamp(p.s, spec.kind == kTimestampMs)
			if !ok {
				return false
			}
			if f.nTimes == len(f.times) {
				return false
			}
			f.times[f.nTimes] = namedTime{p.name, t}
			f.nTimes++
			return true
		case kRef:
			return refOK(p.s, spec)
		case kEnum:
			return slices.Contains(spec.enum, p.s)
		}
	case fvStrings:
		return f.checkList(f.strs[p.lo:p.hi], spec)
	case fvBool:
		return spec.kind == kBool
	case fvNumber:
		switch spec.kind {
		case kInt:
			return checkInt(p.name, json.Number(p.s), spec.lo, spec.hi) == nil
		case kNumber:
			return checkNumber(p.name, json.Number(p.s), spec.lo, spec.hi) == nil
		}
	case fvOther:
		switch spec.kind {
		case kGranular, kObservables:
			return false // they read the decoded object (selectors, embedded SCOs)
		case kStrings, kLabels, kRefs, kEnums:
			// Not a list of strings, or more strings than strs holds:
			// build takes labels and markings from strs alone.
			return false
		}
		return checkGeneric(p.name, p.v) == nil && f.detached().checkValue(p.name, p.v, spec) == nil
	}
	return false
}

// detached returns a checker on the heap with the type, class and checked
// timestamps of f's: the general checks that take a *checker keep it
// (closures, function values), and handing them f.c would put all of f on
// the heap for every object.
func (f *fastParser) detached() *checker {
	c := &f.c
	return &checker{typ: c.typ, def: c.def, class: c.class, times: slices.Clone(f.checkedTimes())}
}

// checkList is checkValue for a non-empty list of strings.
func (f *fastParser) checkList(items []string, spec prop) bool {
	for _, s := range items {
		switch spec.kind {
		case kStrings:
		case kLabels:
			if s == "" {
				return false
			}
		case kRefs:
			if !refOK(s, spec) {
				return false
			}
		case kEnums:
			if !slices.Contains(spec.enum, s) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// refOK reports whether checkRef accepts the identifier s.
func refOK(s string, spec prop) bool {
	typ, problem := identifierProblem(s)
	return problem == "" && (len(spec.types) == 0 || slices.Contains(spec.types, typ)) &&
		!slices.Contains(spec.deny, typ)
}

// coConstraints applies the type's co-constraints (fastRules).
func (f *fastParser) coConstraints() bool {
	c := &f.c
	if c.def == nil {
		return true // custom types have none
	}
	switch f.ft.rule {
	case ruleNone:
		return true
	case ruleTimesOnly:
		return c.def.check(f.detached()) == nil
	case ruleIndicator:
		if orderedIn(f.checkedTimes(), "valid_from", "valid_until", true) != nil {
			return false
		}
		if f.strOf(wkPatternType) != "stix" {
			return true
		}
		toks, values, err := lexAndParsePattern(f.strOf(wkPattern))
		c.patternToks, c.patternValues = toks, values
		return err == nil
	case ruleRelationship:
		return relationshipType.MatchString(f.strOf(wkRelationshipType)) &&
			orderedIn(f.checkedTimes(), "start_time", "stop_time", true) == nil
	case ruleMalware:
		p := f.prop(wkIsFamily)
		return p == nil || p.kind != fvBool || !p.b || f.slots[wkName] != 0
	}
	return false
}
