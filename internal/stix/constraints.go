package stix

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file holds the co-constraints of individual object types: rules that
// relate several properties to each other, or constrain a value beyond its
// kind. Each runs after every property has been checked for its kind.

// checkSeen: last_seen must not be earlier than first_seen.
func checkSeen(c *checker) *ValidationError {
	return c.orderedTimes("first_seen", "last_seen", false)
}

func checkIndicator(c *checker) *ValidationError {
	if err := c.orderedTimes("valid_from", "valid_until", true); err != nil {
		return err
	}
	if c.m["pattern_type"] != "stix" {
		return nil
	}
	toks, values, err := lexAndParsePattern(c.m["pattern"].(string))
	if err != nil {
		return fieldErr("pattern", "%s", err.Error())
	}
	c.patternToks, c.patternValues = toks, values
	return nil
}

func checkLocation(c *checker) *ValidationError {
	_, hasLat := c.m["latitude"]
	_, hasLon := c.m["longitude"]
	switch {
	case hasLat && !hasLon:
		return fieldErr("longitude", "must be present when latitude is")
	case hasLon && !hasLat:
		return fieldErr("latitude", "must be present when longitude is")
	case !hasLat && c.hasAny("precision"):
		return fieldErr("precision", "requires latitude and longitude")
	case !hasLat && !c.hasAny("region", "country"):
		return fieldErr("", "a location needs at least one of region, country, or latitude and longitude")
	}
	return nil
}

func checkMalware(c *checker) *ValidationError {
	if c.m["is_family"] == true && !c.hasAny("name") {
		return fieldErr("name", "is required when is_family is true")
	}
	return nil
}

func checkMalwareAnalysis(c *checker) *ValidationError {
	if !c.hasAny("result", "analysis_sco_refs") {
		return fieldErr("result", "a malware-analysis needs result or analysis_sco_refs")
	}
	return nil
}

func checkObservedData(c *checker) *ValidationError {
	if err := c.orderedTimes("first_observed", "last_observed", false); err != nil {
		return err
	}
	_, hasObjects := c.m["objects"]
	_, hasRefs := c.m["object_refs"]
	switch {
	case hasObjects && hasRefs:
		return fieldErr("objects", "must not be present together with object_refs")
	case !hasObjects && !hasRefs:
		return fieldErr("object_refs", "required property is missing (or the deprecated objects)")
	}
	return nil
}

var relationshipType = regexp.MustCompile(`^[a-z0-9-]+$`)

func checkRelationship(c *checker) *ValidationError {
	if !relationshipType.MatchString(c.m["relationship_type"].(string)) {
		return fieldErr("relationship_type", "must contain only a-z, 0-9 and '-'")
	}
	return c.orderedTimes("start_time", "stop_time", true)
}

func checkSighting(c *checker) *ValidationError {
	return c.orderedTimes("first_seen", "last_seen", false)
}

var artifactMIME = regexp.MustCompile(`^(application|audio|font|image|message|model|multipart|text|video)/[a-zA-Z0-9.+_-]+`)

func checkArtifact(c *checker) *ValidationError {
	_, hasPayload := c.m["payload_bin"]
	_, hasURL := c.m["url"]
	switch {
	case hasPayload && hasURL:
		return fieldErr("url", "must not be present together with payload_bin")
	case !hasPayload && !hasURL:
		return fieldErr("payload_bin", "an artifact needs payload_bin or url")
	case hasURL && !c.hasAny("hashes"):
		return fieldErr("hashes", "is required when url is present")
	case c.hasAny("decryption_key") && !c.hasAny("encryption_algorithm"):
		return fieldErr("decryption_key", "requires encryption_algorithm")
	}
	if mt, ok := c.m["mime_type"].(string); ok && !artifactMIME.MatchString(mt) {
		return fieldErr("mime_type", "%q is not a MIME type", mt)
	}
	return nil
}

func checkEmailMessage(c *checker) *ValidationError {
	headers, _ := c.m["additional_header_fields"].(map[string]any)
	for _, k := range sortedKeys(headers) {
		if !isStringOrStrings(headers[k]) {
			return fieldErr("additional_header_fields."+k, "must be a string or a list of strings")
		}
	}
	if c.m["is_multipart"] == true {
		if c.hasAny("body") {
			return fieldErr("body", "must not be present when is_multipart is true (use body_multipart)")
		}
	} else if c.hasAny("body_multipart") {
		return fieldErr("body_multipart", "must not be present when is_multipart is false")
	}
	return nil
}

var encodingName = regexp.MustCompile(`^[a-zA-Z0-9/\.+_:-]{2,250}$`)

func checkFile(c *checker) *ValidationError {
	if !c.hasAny("hashes", "name") {
		return fieldErr("name", "a file needs hashes or name")
	}
	if enc, ok := c.m["name_enc"].(string); ok && !encodingName.MatchString(enc) {
		return fieldErr("name_enc", "%q is not a character set name", enc)
	}
	return nil
}

func checkDirectory(c *checker) *ValidationError {
	if enc, ok := c.m["path_enc"].(string); ok && !encodingName.MatchString(enc) {
		return fieldErr("path_enc", "%q is not a character set name", enc)
	}
	return nil
}

func checkIPv4(c *checker) *ValidationError {
	if !isIPValue(c.m["value"].(string), true) {
		return fieldErr("value", "%q is not an IPv4 address or CIDR block", c.m["value"])
	}
	return nil
}

func checkIPv6(c *checker) *ValidationError {
	if !isIPValue(c.m["value"].(string), false) {
		return fieldErr("value", "%q is not an IPv6 address or CIDR block", c.m["value"])
	}
	return nil
}

// isIPValue reports whether s is an address or CIDR block of the family.
func isIPValue(s string, v4 bool) bool {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return err == nil && p.Addr().Is4() == v4
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() == v4
}

var macAddr = regexp.MustCompile(`^([0-9a-f]{2}[:]){5}([0-9a-f]{2})$`)

func checkMAC(c *checker) *ValidationError {
	if !macAddr.MatchString(c.m["value"].(string)) {
		return fieldErr("value", "must be a lowercase, colon-separated MAC-48 address such as 00:00:5e:00:53:01")
	}
	return nil
}

func checkNetworkTraffic(c *checker) *ValidationError {
	ipfix, _ := c.m["ipfix"].(map[string]any)
	for _, k := range sortedKeys(ipfix) {
		if _, isInt := asInt(ipfix[k]); !isInt && !isString(ipfix[k]) {
			return fieldErr("ipfix."+k, "must be a string or an integer")
		}
	}
	switch {
	case !c.hasAny("src_ref", "dst_ref"):
		return fieldErr("src_ref", "a network-traffic needs src_ref or dst_ref")
	case c.m["is_active"] == true && c.hasAny("end"):
		return fieldErr("end", "must not be present when is_active is true")
	}
	return c.orderedTimes("start", "end", false)
}

// cpeName and languageTag are the OASIS schema's expressions for software
// cpe (CPE 2.3 formatted string; unanchored, as in the schema) and
// languages (RFC 5646 tags).
var (
	cpeName     = regexp.MustCompile("cpe:2\\.3:[aho\\*\\-](:(((\\?*|\\*?)([a-zA-Z0-9\\-\\._]|(\\\\[\\\\\\*\\?!\"#$$%&'\\(\\)\\+,/:;<=>@\\[\\]\\^`\\{\\|}~]))+(\\?*|\\*?))|[\\*\\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\\*\\-]))(:(((\\?*|\\*?)([a-zA-Z0-9\\-\\._]|(\\\\[\\\\\\*\\?!\"#$$%&'\\(\\)\\+,/:;<=>@\\[\\]\\^`\\{\\|}~]))+(\\?*|\\*?))|[\\*\\-])){4}")
	languageTag = regexp.MustCompile(`^([a-z]{2}(-[A-Z]{2})?(-[a-z]{4})?(-[A-Z]{2}|[0-9]{3})?(-[a-z0-9]{5,8}|[0-9][a-z0-9]{3})*(-[a-z0-9]{1,8})*|[a-z]{3})$`)
)

func checkSoftware(c *checker) *ValidationError {
	if cpe, ok := c.m["cpe"].(string); ok && !cpeName.MatchString(cpe) {
		return fieldErr("cpe", "%q is not a CPE 2.3 formatted string", cpe)
	}
	langs, _ := c.m["languages"].([]any)
	for i, l := range langs {
		if !languageTag.MatchString(l.(string)) {
			return fieldErr("languages["+strconv.Itoa(i)+"]", "%q is not an RFC 5646 language tag", l)
		}
	}
	return nil
}

// abbreviatedHive matches registry keys that start with an abbreviated hive
// name; STIX requires the full name (HKEY_LOCAL_MACHINE, not HKLM).
var abbreviatedHive = regexp.MustCompile(`(?i)^(HKLM|HKCC|HKCR|HKCU|HKU)(\\|$)`)

func checkRegistryKey(c *checker) *ValidationError {
	if k, ok := c.m["key"].(string); ok && abbreviatedHive.MatchString(k) {
		return fieldErr("key", "%q must name the hive in full (e.g. HKEY_LOCAL_MACHINE, not HKLM)", k)
	}
	return nil
}

// The TLP 1.0 marking definitions of STIX 2.1 §7.2.1.4, by level.
var tlp1IDs = map[string]string{
	"white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
	"green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
	"amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
	"red":   "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

// The TLP 2.0 marking definitions (OASIS cti-stix-common-objects), by level,
// and the extension definition that carries the level.
var tlp2IDs = map[string]string{
	"clear":        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"green":        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"amber":        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"red":          "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// checkMarkingDefinition: a marking is defined by definition_type plus
// definition, or by an extension. TLP markings must be the canonical ones,
// so that no one can mint a look-alike "TLP:RED" with a different id.
func checkMarkingDefinition(c *checker) *ValidationError {
	dt, hasType := c.m["definition_type"].(string)
	def, hasDef := c.m["definition"].(map[string]any)
	switch {
	case hasType && !hasDef:
		return fieldErr("definition", "must be an object when definition_type is present")
	case hasDef && !hasType:
		return fieldErr("definition_type", "must be present when definition is")
	}
	if !hasType && !c.hasAny("extensions") {
		return fieldErr("definition_type", "a marking definition needs definition_type and definition, or extensions")
	}
	if err := checkCanonicalIDs(c, dt); err != nil {
		return err
	}
	switch dt {
	case "statement":
		if s, ok := def["statement"].(string); !ok || s == "" {
			return fieldErr("definition.statement", "a statement marking needs a non-empty statement string")
		}
	case "tlp":
		if err := checkTLP1(c, def); err != nil {
			return err
		}
	}
	return checkTLP2(c)
}

// checkCanonicalIDs keeps the canonical TLP ids for the TLP definitions:
// an object reusing one must be that definition, not something else.
func checkCanonicalIDs(c *checker, definitionType string) *ValidationError {
	id := c.m["id"].(string)
	if level := levelOf(tlp1IDs, id); level != "" && definitionType != "tlp" {
		return fieldErr("definition_type", "%s is the id of TLP:%s (TLP 1.0); it must be the tlp definition", id, strings.ToUpper(level))
	}
	if level := levelOf(tlp2IDs, id); level != "" {
		exts, _ := c.m["extensions"].(map[string]any)
		if _, ok := exts[tlp2Extension]; !ok {
			return fieldErr("extensions", "%s is the id of TLP:%s (TLP 2.0); it must carry the TLP 2.0 extension %s", id, strings.ToUpper(level), tlp2Extension)
		}
	}
	return nil
}

// levelOf returns the TLP level whose canonical id is id, or "".
func levelOf(ids map[string]string, id string) string {
	for _, level := range sortedKeys(ids) {
		if ids[level] == id {
			return level
		}
	}
	return ""
}

func checkTLP1(c *checker, def map[string]any) *ValidationError {
	level, _ := def["tlp"].(string)
	id, ok := tlp1IDs[level]
	if !ok || len(def) != 1 {
		return fieldErr("definition.tlp", "must be one of white, green, amber, red")
	}
	switch {
	case c.m["id"] != id:
		return fieldErr("id", "TLP:%s must use the canonical id %s", strings.ToUpper(level), id)
	case c.m["name"] != "TLP:"+strings.ToUpper(level):
		return fieldErr("name", "must be %q", "TLP:"+strings.ToUpper(level))
	case c.m["created"] != "2017-01-20T00:00:00.000Z":
		return fieldErr("created", `must be "2017-01-20T00:00:00.000Z" for the TLP marking definitions`)
	}
	for _, k := range sortedKeys(c.m) {
		if !slices.Contains([]string{"type", "id", "spec_version", "created", "name", "definition_type", "definition"}, k) {
			return fieldErr(k, "the TLP marking definitions carry no other properties")
		}
	}
	return nil
}

func checkTLP2(c *checker) *ValidationError {
	exts, _ := c.m["extensions"].(map[string]any)
	ext, ok := exts[tlp2Extension].(map[string]any)
	if !ok {
		return nil
	}
	field := "extensions." + tlp2Extension + ".tlp_2_0"
	level, _ := ext["tlp_2_0"].(string)
	id, known := tlp2IDs[level]
	if !known {
		return fieldErr(field, "must be one of clear, green, amber, amber+strict, red")
	}
	if c.m["id"] != id {
		return fieldErr("id", "TLP:%s (TLP 2.0) must use the canonical id %s", strings.ToUpper(level), id)
	}
	return nil
}

func checkLanguageContent(c *checker) *ValidationError {
	contents := c.m["contents"].(map[string]any)
	for _, lang := range sortedKeys(contents) {
		if _, ok := contents[lang].(map[string]any); !ok {
			return fieldErr("contents."+lang, "must be an object mapping property names to translated content")
		}
	}
	return nil
}

func checkExtensionDefinition(c *checker) *ValidationError {
	if !c.hasAny("extension_properties") {
		return nil
	}
	if !slices.Contains(c.m["extension_types"].([]any), any("toplevel-property-extension")) {
		return fieldErr("extension_properties", "is only allowed with extension type toplevel-property-extension")
	}
	return nil
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

func isStringOrStrings(v any) bool {
	if isString(v) {
		return true
	}
	list, ok := v.([]any)
	return ok && len(list) > 0 && !slices.ContainsFunc(list, func(item any) bool { return !isString(item) })
}

// asInt returns v as an int64 when it is a JSON number with an integer value.
func asInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	return parseDecimal(n).int64()
}
