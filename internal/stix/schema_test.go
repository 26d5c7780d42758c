package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// oasisSchemas holds the compiled OASIS STIX 2.1 JSON schemas, by type.
type oasisSchemas struct {
	byType  map[string]*jsonschema.Schema
	core    *jsonschema.Schema // common/core.json, for custom SDO-like types
	scoCore *jsonschema.Schema // common/cyber-observable-core.json
}

// offline refuses every URL: all schemas are registered as resources, so
// nothing should ever be fetched.
type offline struct{}

func (offline) Load(url string) (any, error) { return nil, errors.New("no network access: " + url) }

// loadSchemas registers every schema file under its $id and compiles the
// schema of each object type.
func loadSchemas(t testing.TB) *oasisSchemas {
	t.Helper()
	dir := filepath.Join(testutil.SharedTestdata(t), "stix2.1-schemas")
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	ids := map[string]string{} // relative path -> $id
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return err
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			return errors.New(path + ": no $id")
		}
		rel, _ := filepath.Rel(dir, path)
		ids[filepath.ToSlash(rel)] = id
		return c.AddResource(id, doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	compile := func(rel string) *jsonschema.Schema {
		id, ok := ids[rel]
		if !ok {
			t.Fatalf("schema %s not found", rel)
		}
		s, err := c.Compile(id)
		if err != nil {
			t.Fatalf("compile %s: %v", rel, err)
		}
		return s
	}
	s := &oasisSchemas{byType: map[string]*jsonschema.Schema{}}
	for rel := range ids {
		dirName, file := filepath.Split(rel)
		typ := strings.TrimSuffix(file, ".json")
		switch {
		case dirName == "sdos/" || dirName == "sros/" || dirName == "observables/":
		case typ == "marking-definition" || typ == "language-content" || typ == "extension-definition":
		default:
			continue
		}
		s.byType[typ] = compile(rel)
	}
	s.core = compile("common/core.json")
	s.scoCore = compile("common/cyber-observable-core.json")
	if len(s.byType) != len(typeDefs) {
		t.Fatalf("compiled %d type schemas, want one per STIX 2.1 type (%d)", len(s.byType), len(typeDefs))
	}
	return s
}

// validate checks one object's JSON against the schema for its type (the
// core schemas for custom types).
func (s *oasisSchemas) validate(t testing.TB, raw []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	m, _ := inst.(map[string]any)
	typ, _ := m["type"].(string)
	sch := s.byType[typ]
	if sch == nil {
		sch = s.scoCore
		if _, ok := m["created"]; ok {
			sch = s.core
		}
	}
	return sch.Validate(inst)
}

// TestExamplesAgreeWithSchemas checks every object of every OASIS example
// file: whatever the schema for its type accepts, Parse accepts; whatever
// Parse rejects, the schema rejects too.
func TestExamplesAgreeWithSchemas(t *testing.T) {
	t.Parallel()
	schemas := loadSchemas(t)
	samples := exampleSamples(t)
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			checkAgreement(t, schemas, s.raw)
		})
	}
	t.Logf("%d example objects checked against the OASIS schemas", len(samples))
}

// TestAttackKnownTypesAgreeWithSchemas runs the same check on the objects of
// the MITRE ATT&CK bundles whose types have an OASIS schema.
func TestAttackKnownTypesAgreeWithSchemas(t *testing.T) {
	t.Parallel()
	schemas := loadSchemas(t)
	for _, path := range attackFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			n := 0
			for _, s := range readSamples(t, path) {
				if typ := decodeMap(t, s.raw)["type"].(string); schemas.byType[typ] == nil {
					continue
				}
				n++
				checkAgreement(t, schemas, s.raw)
			}
			t.Logf("%d objects of standard types checked against the OASIS schemas", n)
		})
	}
}

func checkAgreement(t *testing.T, schemas *oasisSchemas, raw []byte) {
	t.Helper()
	schemaErr := schemas.validate(t, raw)
	_, err := Parse(raw)
	switch {
	case schemaErr == nil && err != nil:
		t.Errorf("the OASIS schema accepts the object but Parse rejects it: %v", err)
	case schemaErr != nil && err == nil:
		t.Logf("Parse accepts an object the OASIS schema rejects: %v", schemaErr)
	}
}

// TestValidFixtures checks that a valid object of every STIX 2.1 type is
// accepted by both the OASIS schema and Parse.
func TestValidFixtures(t *testing.T) {
	t.Parallel()
	schemas := loadSchemas(t)
	fixtures := map[string]string{}
	for k, v := range validObjects {
		fixtures[k] = v
	}
	for _, typ := range simpleSDOs {
		fixtures["minimal/"+typ] = minimalSDO(typ)
	}
	seen := map[string]bool{}
	for name, text := range fixtures {
		raw := compactJSON(t, text)
		seen[decodeMap(t, raw)["type"].(string)] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := schemas.validate(t, raw); err != nil {
				t.Fatalf("fixture rejected by the OASIS schema: %v", err)
			}
			if _, err := Parse(raw); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
	for typ := range typeDefs {
		if !seen[typ] {
			t.Errorf("no fixture of type %s", typ)
		}
	}
}

func compactJSON(t testing.TB, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		t.Fatalf("fixture is not JSON: %v\n%s", err, text)
	}
	return b.Bytes()
}

// mutation changes a valid object into an invalid one.
type mutation struct {
	name  string
	base  string // a validObjects key, "minimal/<type>" or "example/<type>"
	edit  func(m map[string]any)
	field string // the Field the ValidationError must name
}

func drop(keys ...string) func(map[string]any) {
	return func(m map[string]any) {
		for _, k := range keys {
			delete(m, k)
		}
	}
}

// set assigns JSON-encoded values to properties.
func set(kv ...string) func(map[string]any) {
	return func(m map[string]any) {
		for i := 0; i < len(kv); i += 2 {
			var v any
			d := json.NewDecoder(strings.NewReader(kv[i+1]))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				panic(kv[i+1] + ": " + err.Error())
			}
			m[kv[i]] = v
		}
	}
}

func both(fs ...func(map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		for _, f := range fs {
			f(m)
		}
	}
}

// baseObject resolves a mutation's base to JSON.
func baseObject(t testing.TB, base string, examples []sample) []byte {
	t.Helper()
	if typ, ok := strings.CutPrefix(base, "minimal/"); ok {
		return compactJSON(t, minimalSDO(typ))
	}
	if typ, ok := strings.CutPrefix(base, "example/"); ok {
		for _, s := range examples {
			if decodeMap(t, s.raw)["type"] == typ {
				return s.raw
			}
		}
		t.Fatalf("no example of type %s", typ)
	}
	text, ok := validObjects[base]
	if !ok {
		t.Fatalf("no fixture %q", base)
	}
	return compactJSON(t, text)
}

// applyMutation returns the base object with the mutation applied.
func applyMutation(t testing.TB, mu mutation, examples []sample) []byte {
	m := decodeMap(t, baseObject(t, mu.base, examples))
	mu.edit(m)
	return mustMarshal(t, m)
}

// rejectedByBoth are mutations of valid objects that the OASIS schemas
// reject; Parse must reject them too, naming the offending field.
var rejectedByBoth = []mutation{
	{"indicator without pattern", "example/indicator", drop("pattern"), "pattern"},
	{"indicator without pattern_type", "example/indicator", drop("pattern_type"), "pattern_type"},
	{"indicator without valid_from", "example/indicator", drop("valid_from"), "valid_from"},
	{"indicator with numeric pattern", "example/indicator", set("pattern", `42`), "pattern"},
	{"malware without is_family", "example/malware", drop("is_family"), "is_family"},
	{"family malware without name", "malware", drop("name"), "name"},
	{"is_family not boolean", "malware", set("is_family", `"yes"`), "is_family"},
	{"malware operating_system_refs to a file", "malware", set("operating_system_refs", `["file--e277603e-1060-5ad4-9937-c26c97f1ca68"]`), "operating_system_refs[0]"},
	{"report without published", "example/report", drop("published"), "published"},
	{"report without object_refs", "example/report", drop("object_refs"), "object_refs"},
	{"report with empty object_refs", "report", set("object_refs", `[]`), "object_refs"},
	{"relationship without source_ref", "example/relationship", drop("source_ref"), "source_ref"},
	{"relationship without relationship_type", "example/relationship", drop("relationship_type"), "relationship_type"},
	{"relationship to a marking definition", "relationship", set("target_ref", `"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"`), "target_ref"},
	{"relationship_type with capitals", "relationship", set("relationship_type", `"Indicates"`), "relationship_type"},
	{"sighting without sighting_of_ref", "sighting", drop("sighting_of_ref"), "sighting_of_ref"},
	{"sighting where_sighted_refs to malware", "sighting", set("where_sighted_refs", `["malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"]`), "where_sighted_refs[0]"},
	{"sighting count -1", "sighting", set("count", `-1`), "count"},
	{"sighting count 1e9", "sighting", set("count", `1000000000`), "count"},
	{"identity without name", "example/identity", drop("name"), "name"},
	{"attack-pattern without name", "example/attack-pattern", drop("name"), "name"},
	{"campaign without name", "example/campaign", drop("name"), "name"},
	{"course-of-action without name", "example/course-of-action", drop("name"), "name"},
	{"incident without name", "minimal/incident", drop("name"), "name"},
	{"infrastructure without name", "example/infrastructure", drop("name"), "name"},
	{"intrusion-set without name", "example/intrusion-set", drop("name"), "name"},
	{"threat-actor without name", "example/threat-actor", drop("name"), "name"},
	{"tool without name", "example/tool", drop("name"), "name"},
	{"vulnerability without name", "example/vulnerability", drop("name"), "name"},
	{"grouping without context", "grouping", drop("context"), "context"},
	{"note without content", "note", drop("content"), "content"},
	{"opinion without opinion", "opinion", drop("opinion"), "opinion"},
	{"opinion outside its enum", "opinion", set("opinion", `"maybe"`), "opinion"},
	{"observed-data number_observed 0", "observed-data", set("number_observed", `0`), "number_observed"},
	{"observed-data number_observed 1.5", "observed-data", set("number_observed", `1.5`), "number_observed"},
	{"observed-data without first_observed", "observed-data", drop("first_observed"), "first_observed"},
	{"observed-data without object_refs", "observed-data", drop("object_refs"), "object_refs"},
	{"observed-data object_refs to an SDO", "observed-data", set("object_refs", `["malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"]`), "object_refs[0]"},
	{"malware-analysis without product", "malware-analysis", drop("product"), "product"},
	{"malware-analysis without result", "malware-analysis", drop("result"), "result"},
	{"location without region, country or coordinates", "location", drop("region", "country", "latitude", "longitude", "precision"), ""},
	{"location latitude 90.5", "location", set("latitude", `90.5`), "latitude"},
	{"location latitude without longitude", "location", drop("longitude"), "longitude"},
	{"language-content without contents", "language-content", drop("contents"), "contents"},
	{"extension-definition with unknown extension type", "extension-definition", set("extension_types", `["new-thing"]`), "extension_types[0]"},
	{"statement marking without statement", "marking-definition", set("definition", `{"text":"x"}`), "definition.statement"},
	{"TLP:GREEN with another id", "marking-definition/tlp1", set("id", `"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db"`), "id"},
	{"id not a UUID", "example/indicator", set("id", `"indicator--1234"`), "id"},
	{"id of another type", "example/indicator", set("id", `"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`), "id"},
	{"type with capitals", "minimal/tool", set("type", `"Tool"`), "type"},
	{"spec_version 3.0", "example/campaign", set("spec_version", `"3.0"`), "spec_version"},
	{"SDO without spec_version", "example/campaign", drop("spec_version"), "spec_version"},
	{"custom type with a trailing hyphen", "minimal/x-acme-widget-", both(), "type"},
	{"created not a timestamp", "example/campaign", set("created", `"2016-13-01T00:00:00.000Z"`), "created"},
	{"created without milliseconds", "example/campaign", set("created", `"2016-05-12T08:17:27Z"`), "created"},
	{"modified with a time zone offset", "example/campaign", set("modified", `"2016-05-12T08:17:27.000+01:00"`), "modified"},
	{"confidence 101", "indicator", set("confidence", `101`), "confidence"},
	{"revoked not boolean", "indicator", set("revoked", `"no"`), "revoked"},
	{"labels empty", "indicator", both(set("labels", `[]`), drop("granular_markings")), "labels"},
	{"description null", "indicator", set("description", `null`), "description"},
	{"external reference without source_name", "indicator", set("external_references", `[{"url":"https://example.com"}]`), "external_references[0].source_name"},
	{"capec reference with a bad id", "indicator", set("external_references", `[{"source_name":"capec","external_id":"CVE-2016-1234"}]`), "external_references[0].external_id"},
	{"kill chain phase without phase_name", "indicator", set("kill_chain_phases", `[{"kill_chain_name":"lockheed-martin-cyber-kill-chain"}]`), "kill_chain_phases[0].phase_name"},
	{"object_marking_refs not an identifier", "indicator", set("object_marking_refs", `["TLP:GREEN"]`), "object_marking_refs[0]"},
	{"granular marking without selectors", "indicator", set("granular_markings", `[{"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]`), "granular_markings[0].selectors"},
	{"granular marking with a bad selector", "indicator", set("granular_markings", `[{"selectors":["Description"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]`), "granular_markings[0].selectors[0]"},
	{"extensions key not an extension", "indicator", set("extensions", `{"foo":{"bar":"baz"}}`), "extensions.foo"},
	{"extension-definition extension without extension_type", "indicator", set("extensions", `{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"rank":5}}`), "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.extension_type"},
	{"custom property with capitals", "indicator", set("X_Acme_Score", `1`), "X_Acme_Score"},
	{"custom property of two characters", "indicator", set("xy", `1`), "xy"},
	{"reserved property severity", "indicator", set("severity", `"high"`), "severity"},
	{"custom _hex property not hex", "indicator", set("x_acme_key_hex", `"xyz"`), "x_acme_key_hex"},
	{"ipv4-addr value out of range", "example/ipv4-addr", set("value", `"198.51.100.300"`), "value"},
	{"mac-addr in capitals", "mac-addr", set("value", `"D2:FB:49:24:37:18"`), "value"},
	{"file without hashes or name", "file", drop("hashes", "name"), "name"},
	{"file MD5 of the wrong length", "file", set("hashes", `{"MD5":"abc"}`), "hashes.MD5"},
	{"file size negative", "file", set("size", `-1`), "size"},
	{"file hash algorithm name too short", "file", set("hashes", `{"x":"abc"}`), "hashes.x"},
	{"artifact with payload_bin and url", "artifact", set("url", `"https://example.com/a.zip"`, "hashes", `{"MD5":"3773a88f65a5e780c8dff9cdc3a056f3"}`), "url"},
	{"artifact payload_bin not base64", "artifact", set("payload_bin", `"not base64!"`), "payload_bin"},
	{"artifact with an unknown encryption", "artifact", set("encryption_algorithm", `"ROT13"`), "encryption_algorithm"},
	{"autonomous-system number as string", "autonomous-system", set("number", `"15139"`), "number"},
	{"email-message without is_multipart", "email-message", drop("is_multipart"), "is_multipart"},
	{"multipart email with body", "email-message", set("body", `"hello"`), "body"},
	{"network-traffic without protocols", "network-traffic", drop("protocols"), "protocols"},
	{"network-traffic without src_ref and dst_ref", "network-traffic", drop("src_ref", "dst_ref"), "src_ref"},
	{"network-traffic port 70000", "network-traffic", set("dst_port", `70000`), "dst_port"},
	{"active network-traffic with end", "network-traffic", set("is_active", `true`), "end"},
	{"user-account without own properties", "user-account", drop("user_id", "account_login", "account_type", "display_name", "is_service_account", "is_privileged", "can_escalate_privs", "account_created", "credential_last_changed", "account_first_login", "account_last_login"), ""},
	{"registry key with abbreviated hive", "windows-registry-key", set("key", `"HKLM\\System\\Foo"`), "key"},
	{"registry value with unknown data_type", "windows-registry-key", set("values", `[{"name":"Foo","data_type":"REG_TEXT"}]`), "values[0].data_type"},
	{"x509-certificate without own properties", "x509-certificate", drop("issuer", "validity_not_before", "validity_not_after", "subject", "serial_number"), ""},
	{"software without name", "software", drop("name"), "name"},
	{"domain-name without value", "example/domain-name", drop("value"), "value"},
	{"mutex name not a string", "mutex", set("name", `7`), "name"},
	{"software cpe not a CPE", "software", set("cpe", `"microsoft word 2000"`), "cpe"},
	{"software language not a tag", "software", set("languages", `["English"]`), "languages[0]"},
	{"email header value a number", "email-message", set("additional_header_fields", `{"X-Count":5}`), "additional_header_fields.X-Count"},
	{"ipfix value a boolean", "network-traffic", set("ipfix", `{"minimumIpTotalLength":true}`), "ipfix.minimumIpTotalLength"},
	{"file name_enc with spaces", "file", set("name_enc", `"windows 1252"`), "name_enc"},
}

func TestMutationsRejectedByBoth(t *testing.T) {
	t.Parallel()
	schemas := loadSchemas(t)
	examples := exampleSamples(t)
	for _, mu := range rejectedByBoth {
		raw := applyMutation(t, mu, examples)
		t.Run(mu.name, func(t *testing.T) {
			t.Parallel()
			if err := schemas.validate(t, raw); err == nil {
				t.Fatalf("the OASIS schema accepts the mutated object; move the case to stricterThanSchema\n%s", raw)
			}
			wantRejection(t, raw, mu.field)
		})
	}
}

// wantRejection checks that Parse rejects raw with a ValidationError naming
// field, and that the message shows it.
func wantRejection(t *testing.T, raw []byte, field string) {
	t.Helper()
	_, err := Parse(raw)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse accepted (or gave %T %v):\n%s", err, err, raw)
	}
	if ve.Field != field {
		t.Fatalf("error names field %q, want %q: %v", ve.Field, field, err)
	}
	if field != "" && !strings.Contains(err.Error(), field+": ") {
		t.Fatalf("message %q does not name the field %q", err, field)
	}
	if ve.Index != -1 || ve.ObjectID == "" && decodeMap(t, raw)["id"] != nil {
		t.Fatalf("error has Index %d, ObjectID %q", ve.Index, ve.ObjectID)
	}
}

// stricterThanSchema are mutations the OASIS schemas accept but STIX 2.1
// (or this ledger) forbids; each says why Parse rejects it.
var stricterThanSchema = []struct {
	mutation
	why string
}{
	{mutation{"modified before created", "example/campaign", set("created", `"2016-05-12T08:17:27.000Z"`, "modified", `"2016-05-12T08:17:26.999Z"`), "modified"},
		"STIX 2.1 §3.2: modified MUST be later than or equal to created; the schema cannot compare values"},
	{mutation{"spec_version 2.0", "example/campaign", set("spec_version", `"2.0"`), "spec_version"},
		"only STIX 2.1 is accepted on the ledger; the schema's enum still allows 2.0"},
	{mutation{"empty label", "indicator", set("labels", `["malicious-activity",""]`), "labels[1]"},
		"labels must be non-empty strings; the schema only requires strings"},
	{mutation{"created_by_ref to a tool", "indicator", set("created_by_ref", `"tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`), "created_by_ref"},
		"STIX 2.1 §3.2: created_by_ref MUST reference an identity; the schema accepts any identifier"},
	{mutation{"object_marking_refs to an identity", "indicator", set("object_marking_refs", `["identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"]`), "object_marking_refs[0]"},
		"STIX 2.1 §3.2: object_marking_refs MUST reference marking definitions; the core schema accepts any identifier"},
	{mutation{"valid_until before valid_from", "indicator", set("valid_until", `"2015-01-01T00:00:00Z"`), "valid_until"},
		"STIX 2.1 §4.7: valid_until MUST be later than valid_from"},
	{mutation{"valid_until equal to valid_from", "indicator", set("valid_until", `"2016-01-01T00:00:00.000Z"`), "valid_until"},
		"STIX 2.1 §4.7: later, not equal"},
	{mutation{"sighting last_seen before first_seen", "sighting", set("last_seen", `"2015-12-21T18:59:59Z"`), "last_seen"},
		"STIX 2.1 §5.2: last_seen MUST be greater than or equal to first_seen"},
	{mutation{"observed-data last_observed before first_observed", "observed-data", set("last_observed", `"2015-12-21T18:00:00Z"`), "last_observed"},
		"STIX 2.1 §4.13: last_observed MUST be greater than or equal to first_observed"},
	{mutation{"relationship stop_time before start_time", "relationship", set("stop_time", `"2016-04-06T20:06:36.000Z"`), "stop_time"},
		"STIX 2.1 §5.1: stop_time MUST be later than start_time"},
	{mutation{"campaign last_seen before first_seen", "minimal/campaign", set("first_seen", `"2016-01-02T00:00:00Z"`, "last_seen", `"2016-01-01T00:00:00Z"`), "last_seen"},
		"STIX 2.1 §4.2: last_seen MUST be greater than or equal to first_seen"},
	{mutation{"unbalanced pattern", "indicator", set("pattern", `"[ipv4-addr:value = '198.51.100.1'"`), "pattern"},
		"the schema does not parse STIX patterns"},
	{mutation{"pattern without a comparison", "indicator", set("pattern", `"ipv4-addr:value = '198.51.100.1'"`), "pattern"},
		"the schema does not parse STIX patterns"},
	{mutation{"empty custom hash", "file", set("hashes", `{"x-acme-hash":""}`), "hashes.x-acme-hash"},
		"a hash value must be non-empty; the schema accepts empty custom hashes"},
	{mutation{"network-traffic src_ref not an identifier", "network-traffic", set("src_ref", `"0"`), "src_ref"},
		"STIX 2.1 §6.12: src_ref is an identifier of an address SCO; the schema types it as any string (a STIX 2.0 leftover)"},
	{mutation{"domain-name resolving to a URL", "domain-name", set("resolves_to_refs", `["url--c1477287-23ac-5971-a010-5c287877fa60"]`), "resolves_to_refs[0]"},
		"STIX 2.1 §6.4: resolves_to_refs MUST reference ipv4-addr, ipv6-addr or domain-name"},
	{mutation{"extension-definition without created_by_ref", "extension-definition", drop("created_by_ref"), "created_by_ref"},
		"STIX 2.1 §7.3: created_by_ref is required on extension definitions; the schema omits it"},
	{mutation{"February 30th", "example/campaign", set("created", `"2016-02-30T00:00:00.000Z"`), "created"},
		"not a date; the schema's regular expression allows it"},
	{mutation{"leap second", "example/campaign", set("created", `"2016-12-31T23:59:60.000Z"`), "created"},
		"timestamps are normalised with Go's time package, which has no leap seconds"},
	{mutation{"marking definition with modified", "marking-definition", set("modified", `"2016-08-01T00:00:00.000Z"`), "modified"},
		"STIX 2.1 §7.2.1: marking definitions are not versioned"},
	{mutation{"TLP 2.0 marking with a look-alike id", "marking-definition/tlp2", set("id", `"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b004"`), "id"},
		"TLP 2.0 markings must use the canonical ids of the OASIS TLP 2.0 extension"},
	{mutation{"statement marking reusing the TLP:RED id", "marking-definition", set("id", `"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"`), "definition_type"},
		"the canonical TLP ids belong to the TLP definitions; reusing one for other content would spoof the marking"},
	{mutation{"statement marking reusing the TLP 2.0 RED id", "marking-definition", set("id", `"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"`), "extensions"},
		"the canonical TLP 2.0 ids belong to the TLP 2.0 definitions"},
	{mutation{"language-content translation not an object", "language-content", set("contents", `{"de":"Bank Angriff"}`), "contents.de"},
		"STIX 2.1 §7.1: each translation is a dictionary of translated properties"},
}

func TestStricterThanSchema(t *testing.T) {
	t.Parallel()
	schemas := loadSchemas(t)
	examples := exampleSamples(t)
	for _, tc := range stricterThanSchema {
		raw := applyMutation(t, tc.mutation, examples)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := schemas.validate(t, raw); err != nil {
				t.Fatalf("the OASIS schema rejects this too; move the case to rejectedByBoth: %v", err)
			}
			wantRejection(t, raw, tc.field)
			t.Log(tc.why)
		})
	}
}

// TestLaxerThanSchema documents objects that STIX 2.1 allows but the OASIS
// schemas reject because of known defects in them; Parse accepts these.
func TestLaxerThanSchema(t *testing.T) {
	t.Parallel()
	schemas := loadSchemas(t)
	examples := exampleSamples(t)
	cases := []struct {
		mutation
		why string
	}{
		{mutation{"granular marking by lang", "indicator", set("granular_markings", `[{"selectors":["description"],"lang":"en"}]`), ""},
			"STIX 2.1 §7.2.3: a granular marking has marking_ref or lang; the schema requires marking_ref"},
		{mutation{"process with only created_time", "process", both(drop("pid", "command_line", "image_ref"), set("created_time", `"2016-01-20T14:11:25.55Z"`)), ""},
			"the schema's at-least-one list names created and arguments (STIX 2.0 names) instead of created_time"},
		{mutation{"registry key with only modified_time", "windows-registry-key", both(drop("key", "values"), set("modified_time", `"2016-01-20T14:11:25.55Z"`)), ""},
			"the schema's at-least-one list names modified instead of modified_time"},
		{mutation{"IPv4-mapped IPv6 address", "ipv6-addr", set("value", `"::ffff:198.51.100.3"`), ""},
			"the schema's IPv6 expression writes d for \\d and rejects embedded IPv4 forms"},
	}
	for _, tc := range cases {
		raw := applyMutation(t, tc.mutation, examples)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := schemas.validate(t, raw); err == nil {
				t.Fatalf("the OASIS schema accepts this now; drop the case")
			}
			if _, err := Parse(raw); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			t.Log(tc.why)
		})
	}
}

// TestRegexpsMatchOASIS guards the expressions copied from the OASIS
// schemas against drifting from them.
func TestRegexpsMatchOASIS(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testutil.SharedTestdata(t), "stix2.1-schemas")
	load := func(rel string) map[string]any {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	dig := func(v any, path ...string) string {
		for _, p := range path {
			switch node := v.(type) {
			case map[string]any:
				v = node[p]
			case []any:
				v = node[int(p[0]-'0')]
			}
		}
		s, _ := v.(string)
		return s
	}
	software := load("observables/software.json")
	hashes := load("common/hashes-type.json")
	cases := map[string][2]string{
		"cpe":       {cpeName.String(), dig(software, "allOf", "1", "properties", "cpe", "pattern")},
		"languages": {languageTag.String(), dig(software, "allOf", "1", "properties", "languages", "items", "pattern")},
		"mac-addr":  {macAddr.String(), dig(load("observables/mac-addr.json"), "allOf", "1", "properties", "value", "pattern")},
		"name_enc":  {encodingName.String(), dig(load("observables/file.json"), "allOf", "1", "properties", "name_enc", "pattern")},
	}
	for alg, re := range hashAlgorithms {
		cases["hash "+alg] = [2]string{re.String(), dig(hashes, "patternProperties", "^"+alg+"$", "pattern")}
	}
	for name, c := range cases {
		if c[0] != c[1] {
			t.Errorf("%s: ours %q, OASIS %q", name, c[0], c[1])
		}
	}
}
