package stix

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// nameValueTypes are the SCO types whose name is an observable value.
var nameValueTypes = []string{"file", "mutex", "software"}

// searchValues lists the observable values of a validated object for a
// search index: for an SCO its value, name (file, mutex, software), path
// (directory), number (autonomous-system) and hash values (in algorithm
// name order); for observed-data the same for each embedded SCO (in key
// order); for an indicator with a STIX pattern the string literals the
// pattern compares against. Hex hash values are lowercased; duplicates and
// empty strings are dropped, keeping the first occurrence.
func searchValues(c *checker) []string {
	var vs valueList
	switch {
	case c.typ == "indicator":
		for _, v := range c.patternValues {
			vs.add(v)
		}
	case c.typ == "observed-data":
		objs, _ := c.m["objects"].(map[string]any)
		for _, k := range sortedKeys(objs) {
			vs.addSCO(objs[k].(map[string]any))
		}
	case c.class == classSCO:
		vs.addSCO(c.m)
	}
	return vs.list
}

// valueList is an ordered set of strings.
type valueList struct{ list []string }

func (vs *valueList) add(v string) {
	if v != "" && !slices.Contains(vs.list, v) {
		vs.list = append(vs.list, v)
	}
}

func (vs *valueList) addSCO(m map[string]any) {
	if v, ok := m["value"].(string); ok {
		vs.add(v)
	}
	typ, _ := m["type"].(string)
	if name, ok := m["name"].(string); ok && slices.Contains(nameValueTypes, typ) {
		vs.add(name)
	}
	if path, ok := m["path"].(string); ok && typ == "directory" {
		vs.add(path)
	}
	if n, ok := m["number"].(json.Number); ok && typ == "autonomous-system" {
		if i, isInt := parseDecimal(n).int64(); isInt {
			vs.add(strconv.FormatInt(i, 10))
		}
	}
	hashes, _ := m["hashes"].(map[string]any)
	for _, k := range sortedKeys(hashes) {
		if h, ok := hashes[k].(string); ok {
			vs.add(normHash(h))
		}
	}
}

// normHash lowercases a hex hash value. Other values, such as SSDEEP
// digests, are case-sensitive and kept as written.
func normHash(h string) string {
	if allHex(h) {
		return strings.ToLower(h)
	}
	return h
}
