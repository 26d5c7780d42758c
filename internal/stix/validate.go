package stix

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// checker validates one decoded STIX object. Checks run in a fixed order —
// type, id, spec_version, required properties, then every property in
// sorted name order, then co-constraints — so the first error reported for
// a given input is always the same.
type checker struct {
	m     map[string]any
	typ   string
	def   *typeDef // nil for custom object types
	class class
	// embedded is set while checking an SCO embedded in observed-data.
	embedded bool
	// patternValues are the literals of a STIX pattern, once checked, and
	// patternToks its tokens.
	patternValues []string
	patternToks   []token
	// times caches the parsed top-level timestamp properties; it starts
	// in timesBuf, which holds those of a typical object without
	// allocating.
	times    []namedTime
	timesBuf [4]namedTime
	// norms are the normalised timestamps normTime returned, so an equal
	// one (modified as created) shares the string.
	norms [4]string
	// custom are the names of the custom properties checked.
	custom []string
}

type namedTime struct {
	name string
	t    time.Time
}

// fieldErr builds a ValidationError for a property path relative to the
// object being validated; Parse and ParseInput fill in the rest.
func fieldErr(field, format string, args ...any) *ValidationError {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &ValidationError{Index: -1, Field: field, Msg: msg}
}

// validateObject checks one decoded object against STIX 2.1.
func validateObject(m map[string]any) (*checker, *ValidationError) {
	c := &checker{m: m}
	c.times = c.timesBuf[:0]
	if err := c.identify(); err != nil {
		return c, err
	}
	return c, c.run()
}

// identify checks type and id and classifies the object.
func (c *checker) identify() *ValidationError {
	typ, err := c.requiredString("type")
	if err != nil {
		return err
	}
	if p := typeNameProblem(typ); p != "" {
		return fieldErr("type", "%q %s", typ, p)
	}
	if slices.Contains(reservedTypes, typ) {
		return fieldErr("type", "%q is not a STIX object type", typ)
	}
	c.typ = typ
	id, err := c.requiredString("id")
	if err != nil {
		return err
	}
	idType, p := identifierProblem(id)
	if p != "" {
		return fieldErr("id", "%q: %s", id, p)
	}
	if idType != typ {
		return fieldErr("id", "%q does not start with the object's type %q", id, typ+"--")
	}
	c.def = typeDefs[typ]
	if c.def == nil && !strings.HasPrefix(typ, "x-") && !definesNewObject(c.m) {
		return fieldErr("type", "unknown STIX 2.1 object type %q (custom types start with \"x-\" or carry an extension-definition extension with extension_type new-sdo, new-sco or new-sro)", typ)
	}
	c.class = c.classify()
	return nil
}

// definesNewObject reports whether the object names, in its extensions, an
// extension definition that makes it a new object type (STIX 2.1 §7.3).
func definesNewObject(m map[string]any) bool {
	exts, _ := m["extensions"].(map[string]any)
	for _, k := range sortedKeys(exts) {
		if !strings.HasPrefix(k, "extension-definition--") {
			continue
		}
		ext, _ := exts[k].(map[string]any)
		switch ext["extension_type"] {
		case "new-sdo", "new-sco", "new-sro":
			return true
		}
	}
	return false
}

// classify returns the class of the object. Custom object types are treated
// as SDOs when they carry created or modified, and as SCOs otherwise.
func (c *checker) classify() class {
	if c.def != nil {
		return c.def.class
	}
	_, hasCreated := c.m["created"]
	_, hasModified := c.m["modified"]
	if hasCreated || hasModified {
		return classSDO
	}
	return classSCO
}

func (c *checker) requiredString(name string) (string, *ValidationError) {
	v, ok := c.m[name]
	if !ok {
		return "", fieldErr(name, "required property is missing")
	}
	s, ok := v.(string)
	if !ok {
		return "", fieldErr(name, "must be a string")
	}
	return s, nil
}

func (c *checker) run() *ValidationError {
	if c.embedded && c.class != classSCO {
		return fieldErr("type", "only cyber-observable objects can be embedded, not %q", c.typ)
	}
	if err := c.checkSpecVersion(); err != nil {
		return err
	}
	if err := c.checkRequired(); err != nil {
		return err
	}
	if err := c.checkProperties(); err != nil {
		return err
	}
	if c.class == classSDO || c.class == classSRO || c.class == classMeta {
		if err := c.orderedTimes("created", "modified", false); err != nil {
			return err
		}
	}
	if c.def != nil && c.def.check != nil {
		return c.def.check(c)
	}
	return nil
}

// checkProperties checks every property and reports the problem of the
// first failing property in name order. Each property's check depends only
// on that property (and the object's type), so the order decides only which
// of several problems is reported: the properties are checked in the map's
// order and, only if one fails, again in name order. Sorting every object's
// property names up front took 10-15% of Parse (docs/benchmarks.md,
// "Session 5, continued"). Timestamps recorded by a failed first pass are
// dropped before the second.
func (c *checker) checkProperties() *ValidationError {
	failed := false
	for k := range c.m {
		if c.checkProperty(k) != nil {
			failed = true
			break
		}
	}
	if !failed {
		return nil
	}
	c.times, c.custom = c.times[:0], c.custom[:0]
	for _, k := range sortedKeys(c.m) {
		if err := c.checkProperty(k); err != nil {
			return err
		}
	}
	return nil
}

// checkSpecVersion enforces spec_version "2.1": required everywhere except
// on SCOs, where it is optional. STIX 2.0 content gets a message saying so.
func (c *checker) checkSpecVersion() *ValidationError {
	v, ok := c.m["spec_version"]
	if !ok {
		if c.class == classSCO {
			return nil
		}
		return fieldErr("spec_version", "required property is missing; without it this is a STIX 2.0 object, and STIX 2.0 is not accepted here (convert it to STIX 2.1)")
	}
	switch v {
	case "2.1":
		return nil
	case "2.0":
		return fieldErr("spec_version", `"2.0": STIX 2.0 is not accepted here; objects must be STIX 2.1`)
	}
	return fieldErr("spec_version", `must be "2.1"`)
}

// checkRequired reports the first missing required property.
func (c *checker) checkRequired() *ValidationError {
	req, more := c.requiredProps()
	for _, list := range [2][]string{req, more} {
		for _, name := range list {
			if _, ok := c.m[name]; !ok {
				return fieldErr(name, "required property is missing")
			}
		}
	}
	if c.def != nil && len(c.def.atLeastOne) > 0 && !c.hasAny(c.def.atLeastOne...) {
		return fieldErr("", "a %s must have at least one of: %s", c.typ, strings.Join(c.def.atLeastOne, ", "))
	}
	return nil
}

// requiredProps returns the properties an object of c's class requires,
// then those its type requires.
func (c *checker) requiredProps() (forClass, forType []string) {
	switch c.class {
	case classSDO, classSRO, classMeta:
		forClass = requiredVersioned
	case classMarking:
		forClass = requiredCreated
	}
	if c.def != nil {
		forType = c.def.required
	}
	return forClass, forType
}

var (
	requiredVersioned = []string{"created", "modified"}
	requiredCreated   = []string{"created"}
)

func (c *checker) hasAny(names ...string) bool {
	for _, n := range names {
		if _, ok := c.m[n]; ok {
			return true
		}
	}
	return false
}

// checkProperty applies the rules every property obeys, then the rules of
// the property's kind when STIX defines it. Custom properties are checked
// only for their name and the generic rules, and are otherwise kept as-is.
func (c *checker) checkProperty(k string) *ValidationError {
	if k == "type" || k == "id" || k == "spec_version" {
		return nil
	}
	if p := propertyNameProblem(k); p != "" {
		return fieldErr(k, "%s", p)
	}
	if c.class != classMarking && slices.Contains(reservedProps, k) {
		return fieldErr(k, "is reserved by STIX 2.1 and must not be used")
	}
	if c.class == classMarking && (k == "modified" || k == "revoked") {
		return fieldErr(k, "marking definitions are not versioned and cannot carry %s", k)
	}
	v := c.m[k]
	if err := checkGeneric(k, v); err != nil {
		return err
	}
	if p, ok := c.propSpec(k); ok {
		return c.checkValue(k, v, p)
	}
	c.custom = append(c.custom, k)
	return nil
}

// checkGeneric applies the rules of the OASIS properties.json to any
// property value: no nulls, no empty lists, and the _bin/_hex encodings.
func checkGeneric(field string, v any) *ValidationError {
	switch v := v.(type) {
	case nil:
		return fieldErr(field, "must not be null (omit the property instead)")
	case []any:
		if len(v) == 0 {
			return fieldErr(field, "must not be an empty list (omit the property instead)")
		}
	}
	name := field[strings.LastIndexByte(field, '.')+1:]
	switch {
	case strings.HasSuffix(name, "_bin"):
		if s, ok := v.(string); !ok || !isBase64(s) {
			return fieldErr(field, "must be base64 (RFC 4648) encoded binary, as the _bin suffix requires")
		}
	case strings.HasSuffix(name, "_hex"):
		if s, ok := v.(string); !ok || !isHexString(s) {
			return fieldErr(field, "must be an even number of hex digits, as the _hex suffix requires")
		}
	}
	return nil
}

// propSpec finds the definition of a property defined by STIX for this object.
func (c *checker) propSpec(k string) (prop, bool) {
	if c.def != nil {
		if p, ok := c.def.props[k]; ok {
			return p, true
		}
	}
	var common map[string]prop
	switch c.class {
	case classSCO:
		common = scoProps
	case classMarking:
		return prop{}, false // all marking-definition properties are in def.props
	default:
		common = coreProps
	}
	p, ok := common[k]
	return p, ok
}

// checkValue checks that v has the shape kind p demands.
func (c *checker) checkValue(field string, v any, p prop) *ValidationError {
	switch p.kind {
	case kString:
		return wantString(field, v)
	case kBool:
		if _, ok := v.(bool); !ok {
			return fieldErr(field, "must be a boolean")
		}
	case kInt:
		return checkInt(field, v, p.lo, p.hi)
	case kNumber:
		return checkNumber(field, v, p.lo, p.hi)
	case kTimestamp, kTimestampMs:
		t, err := checkTimestamp(field, v, p.kind == kTimestampMs)
		if err == nil {
			c.times = append(c.times, namedTime{field, t})
		}
		return err
	case kStrings, kLabels:
		return checkStrings(field, v, p.kind == kLabels)
	case kEnum:
		return checkEnum(field, v, p.enum)
	case kEnums:
		return forEachItem(field, v, func(f string, item any) *ValidationError { return checkEnum(f, item, p.enum) })
	case kRef:
		return checkRef(field, v, p)
	case kRefs:
		return forEachItem(field, v, func(f string, item any) *ValidationError { return checkRef(f, item, p) })
	case kDict:
		return checkDict(field, v)
	case kObject:
		if _, ok := v.(map[string]any); !ok {
			return fieldErr(field, "must be an object")
		}
	case kList:
		if _, ok := v.([]any); !ok {
			return fieldErr(field, "must be a list")
		}
	case kHashes:
		return checkHashes(field, v, false)
	case kKillChain:
		return forEachObject(field, v, checkKillChainPhase)
	case kExtRefs:
		return forEachObject(field, v, checkExternalReference)
	case kGranular:
		return forEachObject(field, v, c.checkGranularMarking)
	case kExtensions:
		return c.checkExtensions(field, v)
	case kObservables:
		return checkObservables(field, v)
	case kMimeParts:
		return forEachObject(field, v, checkMimePart)
	case kRegValues:
		return forEachObject(field, v, checkRegistryValue)
	}
	return nil
}

func wantString(field string, v any) *ValidationError {
	if _, ok := v.(string); !ok {
		return fieldErr(field, "must be a string")
	}
	return nil
}

func checkInt(field string, v any, lo, hi int64) *ValidationError {
	n, ok := v.(json.Number)
	if ok {
		if i, isInt := parseDecimal(n).int64(); isInt && i >= lo && i <= hi {
			return nil
		}
	}
	switch {
	case lo == -unbounded && hi == unbounded:
		return fieldErr(field, "must be an integer")
	case lo == 0 && hi == unbounded:
		return fieldErr(field, "must be a non-negative integer")
	}
	return fieldErr(field, "must be an integer from %d to %d", lo, hi)
}

func checkNumber(field string, v any, lo, hi int64) *ValidationError {
	n, ok := v.(json.Number)
	if !ok {
		return fieldErr(field, "must be a number")
	}
	d := parseDecimal(n)
	if d.cmpInt(lo) < 0 || d.cmpInt(hi) > 0 {
		if hi == unbounded {
			return fieldErr(field, "must not be negative")
		}
		return fieldErr(field, "must be a number from %d to %d", lo, hi)
	}
	return nil
}

func checkTimestamp(field string, v any, millis bool) (time.Time, *ValidationError) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fieldErr(field, "must be a timestamp string")
	}
	t, p := parseTimestamp(s, millis)
	if p != "" {
		return time.Time{}, fieldErr(field, "%q %s", s, p)
	}
	return t, nil
}

func checkStrings(field string, v any, nonEmpty bool) *ValidationError {
	return forEachItem(field, v, func(f string, item any) *ValidationError {
		s, ok := item.(string)
		if !ok {
			return fieldErr(f, "must be a string")
		}
		if nonEmpty && s == "" {
			return fieldErr(f, "must not be empty")
		}
		return nil
	})
}

func checkEnum(field string, v any, allowed []string) *ValidationError {
	s, ok := v.(string)
	if !ok || !slices.Contains(allowed, s) {
		return fieldErr(field, "must be one of: %s", strings.Join(allowed, ", "))
	}
	return nil
}

// checkRef checks an identifier reference and the type it points at.
func checkRef(field string, v any, p prop) *ValidationError {
	s, ok := v.(string)
	if !ok {
		return fieldErr(field, "must be an identifier string")
	}
	typ, problem := identifierProblem(s)
	if problem != "" {
		return fieldErr(field, "%q is not a valid identifier: %s", s, problem)
	}
	if len(p.types) > 0 && !slices.Contains(p.types, typ) {
		return fieldErr(field, "%q must reference a %s", s, strings.Join(p.types, " or "))
	}
	if slices.Contains(p.deny, typ) {
		return fieldErr(field, "%q must not reference a %s", s, typ)
	}
	return nil
}

// forEachItem checks v is a non-empty list and applies fn to each item.
func forEachItem(field string, v any, fn func(string, any) *ValidationError) *ValidationError {
	list, ok := v.([]any)
	if !ok {
		return fieldErr(field, "must be a list")
	}
	if len(list) == 0 {
		return fieldErr(field, "must not be an empty list")
	}
	for i, item := range list {
		// The item's field name is built only for an item that fails: the
		// check runs again under it (checks are pure functions of field
		// and item), so the error names it exactly as before.
		if fn(field, item) != nil {
			return fn(field+"["+strconv.Itoa(i)+"]", item)
		}
	}
	return nil
}

// forEachObject checks v is a non-empty list of objects and applies fn.
func forEachObject(field string, v any, fn func(string, map[string]any) *ValidationError) *ValidationError {
	return forEachItem(field, v, func(f string, item any) *ValidationError {
		m, ok := item.(map[string]any)
		if !ok {
			return fieldErr(f, "must be an object")
		}
		return fn(f, m)
	})
}

// checkDict checks a STIX dictionary: a non-empty object whose keys follow
// the dictionary key rule and whose values are neither null nor empty lists.
func checkDict(field string, v any) *ValidationError {
	m, ok := v.(map[string]any)
	if !ok {
		return fieldErr(field, "must be an object (dictionary)")
	}
	if len(m) == 0 {
		return fieldErr(field, "must not be an empty dictionary")
	}
	for _, k := range sortedKeys(m) {
		f := field + "." + k
		if p := dictKeyProblem(k); p != "" {
			return fieldErr(f, "%s", p)
		}
		if err := checkGeneric(f, m[k]); err != nil {
			return err
		}
	}
	return nil
}

// optString checks that m[key], when present, is a string.
func optString(field string, m map[string]any, key string) *ValidationError {
	if v, ok := m[key]; ok {
		return wantString(field+"."+key, v)
	}
	return nil
}

// reqString checks that m[key] is present and a string.
func reqString(field string, m map[string]any, key string) *ValidationError {
	v, ok := m[key]
	if !ok {
		return fieldErr(field+"."+key, "required property is missing")
	}
	return wantString(field+"."+key, v)
}

func checkKillChainPhase(field string, m map[string]any) *ValidationError {
	if err := reqString(field, m, "kill_chain_name"); err != nil {
		return err
	}
	return reqString(field, m, "phase_name")
}

// timeOf returns the value of a top-level timestamp property that has been
// checked, and whether there is one.
func (c *checker) timeOf(name string) (time.Time, bool) { return timeIn(c.times, name) }

// timeIn is timeOf on a list of checked timestamps.
func timeIn(times []namedTime, name string) (time.Time, bool) {
	for _, nt := range times {
		if nt.name == name {
			return nt.t, true
		}
	}
	return time.Time{}, false
}

// normTime returns the normalised text of a checked timestamp property, or
// "" when the object has none.
//
// The text is formatted on the stack; a text equal to the property as
// written, or to one returned before for this object, is that string, so
// a typical object's timestamps cost no allocation.
func (c *checker) normTime(name string) string {
	written, _ := c.m[name].(string)
	return c.normTimeWritten(name, written)
}

// normTimeWritten is normTime for a property whose value as written is
// given (the fast path has no map to read it from).
func (c *checker) normTimeWritten(name, written string) string {
	t, ok := c.timeOf(name)
	if !ok {
		return ""
	}
	return sharedNormTime(t, written, &c.norms)
}

// sharedNormTime returns the normalised text of t: written when equal to
// it, else a string of norms equal to it (recording it in norms when there
// is room).
func sharedNormTime(t time.Time, written string, norms *[4]string) string {
	var buf [64]byte
	b := appendNormTime(buf[:0], t)
	if written == string(b) {
		return written
	}
	for i, s := range norms {
		switch {
		case s == "":
			norms[i] = string(b)
			return norms[i]
		case s == string(b):
			return s
		}
	}
	return string(b)
}

// orderedTimes requires later >= earlier (or later > earlier when strict)
// when both properties are present.
func (c *checker) orderedTimes(earlier, later string, strict bool) *ValidationError {
	return orderedIn(c.times, earlier, later, strict)
}

// orderedIn is orderedTimes on a list of checked timestamps.
func orderedIn(times []namedTime, earlier, later string, strict bool) *ValidationError {
	a, okA := timeIn(times, earlier)
	b, okB := timeIn(times, later)
	if !okA || !okB {
		return nil
	}
	if strict && !b.After(a) {
		return fieldErr(later, "must be later than %s", earlier)
	}
	if b.Before(a) {
		return fieldErr(later, "must not be earlier than %s", earlier)
	}
	return nil
}

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
