package stix

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file validates the nested structures STIX defines: external
// references, granular markings, extensions, hashes, embedded observables,
// MIME parts and registry values.

// hashAlgorithms is hash-algorithm-ov with, for each algorithm, the exact
// shape its value must have (from the OASIS hashes-type.json).
var hashAlgorithms = map[string]*regexp.Regexp{
	"MD5":      regexp.MustCompile(`^[a-fA-F0-9]{32}$`),
	"SHA-1":    regexp.MustCompile(`^[a-fA-F0-9]{40}$`),
	"SHA-256":  regexp.MustCompile(`^[a-fA-F0-9]{64}$`),
	"SHA-512":  regexp.MustCompile(`^[a-fA-F0-9]{128}$`),
	"SHA3-256": regexp.MustCompile(`^[a-fA-F0-9]{64}$`),
	"SHA3-512": regexp.MustCompile(`^[a-fA-F0-9]{128}$`),
	"SSDEEP":   regexp.MustCompile(`^[a-zA-Z0-9/+:.]{1,128}$`),
	"TLSH":     regexp.MustCompile(`^[a-zA-Z0-9]{70}$`),
}

var hashShapes = map[string]string{
	"MD5": "32 hex digits", "SHA-1": "40 hex digits", "SHA-256": "64 hex digits",
	"SHA-512": "128 hex digits", "SHA3-256": "64 hex digits", "SHA3-512": "128 hex digits",
	"SSDEEP": "an ssdeep digest", "TLSH": "70 alphanumeric characters",
}

// checkHashes checks a hashes dictionary. Keys are hash algorithm names
// (hash-algorithm-ov, or custom names of 3–250 characters of a–z, A–Z, 0–9,
// '_' and '-'); values are non-empty strings of the algorithm's shape. In an
// external reference only hash-algorithm-ov names are allowed.
func checkHashes(field string, v any, vocabOnly bool) *ValidationError {
	m, ok := v.(map[string]any)
	if !ok {
		return fieldErr(field, "must be an object mapping hash algorithm to hash value")
	}
	if len(m) == 0 {
		return fieldErr(field, "must not be empty")
	}
	for _, k := range sortedKeys(m) {
		f := field + "." + k
		re, known := hashAlgorithms[k]
		switch {
		case vocabOnly && !known:
			return fieldErr(f, "hash algorithm must be one of hash-algorithm-ov (MD5, SHA-1, SHA-256, SHA-512, SHA3-256, SHA3-512, SSDEEP, TLSH)")
		case len(k) < 3 || dictKeyProblem(k) != "":
			return fieldErr(f, "hash algorithm names must be 3 to 250 characters of a-z, A-Z, 0-9, '_' and '-'")
		}
		s, ok := m[k].(string)
		switch {
		case !ok:
			return fieldErr(f, "hash value must be a string")
		case s == "":
			return fieldErr(f, "hash value must not be empty")
		case known && !re.MatchString(s):
			return fieldErr(f, "%s hash must be %s", k, hashShapes[k])
		}
	}
	return nil
}

var (
	cveID   = regexp.MustCompile(`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`)
	capecID = regexp.MustCompile(`^CAPEC-\d+$`)
)

// checkExternalReference checks one external-reference (STIX 2.1 §2.5).
func checkExternalReference(field string, m map[string]any) *ValidationError {
	if err := reqString(field, m, "source_name"); err != nil {
		return err
	}
	for _, k := range []string{"description", "url", "external_id"} {
		if err := optString(field, m, k); err != nil {
			return err
		}
	}
	if h, ok := m["hashes"]; ok {
		if err := checkHashes(field+".hashes", h, true); err != nil {
			return err
		}
	}
	extID, hasID := m["external_id"].(string)
	switch m["source_name"] {
	case "cve":
		if !hasID || !cveID.MatchString(extID) {
			return fieldErr(field+".external_id", "a cve reference needs an external_id of the form CVE-YYYY-NNNN")
		}
	case "capec":
		if !hasID || !capecID.MatchString(extID) {
			return fieldErr(field+".external_id", "a capec reference needs an external_id of the form CAPEC-N")
		}
	}
	if !hasID && m["description"] == nil && m["url"] == nil {
		return fieldErr(field, "an external reference needs at least one of description, url or external_id besides source_name")
	}
	return nil
}

// checkGranularMarking checks one granular-marking (STIX 2.1 §7.2.3): a
// non-empty list of selectors that resolve within the object, and exactly
// one of marking_ref and lang.
func (c *checker) checkGranularMarking(field string, m map[string]any) *ValidationError {
	sel, ok := m["selectors"]
	if !ok {
		return fieldErr(field+".selectors", "required property is missing")
	}
	err := forEachItem(field+".selectors", sel, func(f string, item any) *ValidationError {
		s, ok := item.(string)
		if !ok {
			return fieldErr(f, "must be a string")
		}
		if p := selectorProblem(c.m, s); p != "" {
			return fieldErr(f, "selector %q %s", s, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ref, hasRef := m["marking_ref"]
	lang, hasLang := m["lang"]
	switch {
	case hasRef && hasLang:
		return fieldErr(field, "must have marking_ref or lang, not both")
	case hasRef:
		return checkRef(field+".marking_ref", ref, markingRef)
	case hasLang:
		return wantString(field+".lang", lang)
	}
	return fieldErr(field+".marking_ref", "a granular marking needs marking_ref or lang")
}

var markingRef = ref("marking-definition")

// selectorProblem checks a granular-marking selector's syntax (the OASIS
// schema's rule) and that it points at content present in obj.
func selectorProblem(obj map[string]any, sel string) string {
	if sel == "id" {
		return ""
	}
	steps := strings.Split(sel, ".")
	if !isSelectorName(steps[0], 3, 249) {
		return "must start with a property name"
	}
	var cur any = obj
	for i, step := range steps {
		switch node := cur.(type) {
		case map[string]any:
			if i > 0 && !isSelectorName(step, 1, 250) {
				return "has an invalid step " + strconv.Quote(step)
			}
			v, ok := node[step]
			if !ok {
				return "does not match any content of the object"
			}
			cur = v
		case []any:
			n, ok := selectorIndex(step)
			if !ok {
				return "must index a list with [N]"
			}
			if n >= len(node) {
				return "does not match any content of the object"
			}
			cur = node[n]
		default:
			return "does not match any content of the object"
		}
	}
	return ""
}

func isSelectorName(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func selectorIndex(s string) (int, bool) {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return 0, false
	}
	digits := s[1 : len(s)-1]
	if len(digits) > 9 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// checkExtensions checks the extensions dictionary (STIX 2.1 §7.3): keys
// are extension-definition identifiers or predefined "-ext" names (the
// latter not on marking definitions), values are non-empty objects with
// valid property names, and extension-definition entries carry a valid
// extension_type.
func (c *checker) checkExtensions(field string, v any) *ValidationError {
	m, ok := v.(map[string]any)
	if !ok {
		return fieldErr(field, "must be an object")
	}
	if len(m) == 0 {
		return fieldErr(field, "must not be empty")
	}
	for _, k := range sortedKeys(m) {
		if err := c.checkExtension(field+"."+k, k, m[k]); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) checkExtension(field, name string, v any) *ValidationError {
	isDef := strings.HasPrefix(name, "extension-definition--")
	if isDef {
		if _, p := identifierProblem(name); p != "" {
			return fieldErr(field, "extension key is not a valid extension-definition identifier: %s", p)
		}
	} else if c.class == classMarking {
		return fieldErr(field, "extensions of a marking definition must be keyed by an extension-definition identifier")
	} else if !isPredefinedExtName(name) {
		return fieldErr(field, `extension key must be an extension-definition identifier or a predefined name ending in "-ext"`)
	}
	ext, ok := v.(map[string]any)
	if !ok || len(ext) == 0 {
		return fieldErr(field, "extension must be a non-empty object")
	}
	for _, k := range sortedKeys(ext) {
		if p := propertyNameProblem(k); p != "" {
			return fieldErr(field+"."+k, "%s", p)
		}
		if err := checkGeneric(field+"."+k, ext[k]); err != nil {
			return err
		}
	}
	if !isDef {
		return nil
	}
	et, ok := ext["extension_type"]
	if !ok {
		return fieldErr(field+".extension_type", "required property is missing")
	}
	return checkEnum(field+".extension_type", et, extensionTypes)
}

// isPredefinedExtName reports whether name is a type-like name ending in
// "-ext" (for example "archive-ext" or "x-acme-ext").
func isPredefinedExtName(name string) bool {
	base, ok := strings.CutSuffix(name, "-ext")
	return ok && base != "" && typeNameProblem(name) == ""
}

// checkObservables checks observed-data's deprecated objects dictionary:
// every value is an SCO, validated like a top-level one.
func checkObservables(field string, v any) *ValidationError {
	m, ok := v.(map[string]any)
	if !ok {
		return fieldErr(field, "must be an object mapping keys to cyber-observable objects")
	}
	if len(m) == 0 {
		return fieldErr(field, "must not be empty")
	}
	for _, k := range sortedKeys(m) {
		f := field + "." + k
		obj, ok := m[k].(map[string]any)
		if !ok {
			return fieldErr(f, "must be a cyber-observable object")
		}
		if err := validateEmbedded(obj); err != nil {
			err.Field = joinField(f, err.Field)
			return err
		}
	}
	return nil
}

func validateEmbedded(obj map[string]any) *ValidationError {
	c := &checker{m: obj, embedded: true}
	if err := c.identify(); err != nil {
		return err
	}
	return c.run()
}

func joinField(prefix, field string) string {
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}

// checkMimePart checks one email-message body_multipart entry.
func checkMimePart(field string, m map[string]any) *ValidationError {
	for _, k := range []string{"body", "content_type", "content_disposition"} {
		if err := optString(field, m, k); err != nil {
			return err
		}
	}
	_, hasBody := m["body"]
	raw, hasRaw := m["body_raw_ref"]
	if hasBody == hasRaw {
		return fieldErr(field, "a MIME part needs exactly one of body and body_raw_ref")
	}
	if hasRaw {
		return checkRef(field+".body_raw_ref", raw, ref("artifact", "file"))
	}
	return nil
}

var registryDataTypes = []string{
	"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
	"REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
	"REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE",
}

// checkRegistryValue checks one windows-registry-value-type entry.
func checkRegistryValue(field string, m map[string]any) *ValidationError {
	for _, k := range []string{"name", "data"} {
		if err := optString(field, m, k); err != nil {
			return err
		}
	}
	if dt, ok := m["data_type"]; ok {
		if err := checkEnum(field+".data_type", dt, registryDataTypes); err != nil {
			return err
		}
	}
	if !slices.ContainsFunc([]string{"name", "data", "data_type"}, func(k string) bool { _, ok := m[k]; return ok }) {
		return fieldErr(field, "a registry value needs at least one of name, data and data_type")
	}
	return nil
}
