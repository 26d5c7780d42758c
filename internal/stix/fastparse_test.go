package stix

import (
	"bytes"
	"encoding/json"
	"fmt"

	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// checkFastPath asserts the fast path's safety rule for one input: when it
// accepts, the general path accepts with a deeply equal Object; when the
// general path rejects, it declines. It also checks Parse and ParseInput
// return exactly what their general paths return. It reports whether the
// fast path handled the input.
func checkFastPath(t testing.TB, data []byte) bool {
	t.Helper()
	fast := parseFast(data)
	general, gerr := parseGeneral(data)
	if fast != nil {
		if gerr != nil {
			t.Fatalf("the fast path accepts what the general path rejects (%v):\n%s", gerr, data)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("the fast path's Object differs from the general path's for\n%s\nfast:    %+v\ngeneral: %+v", data, fast, general)
		}
	}
	o, err := Parse(data)
	if errString(err) != errString(gerr) || !reflect.DeepEqual(err, gerr) || !reflect.DeepEqual(o, general) {
		t.Fatalf("Parse differs from its general path for\n%s\n%v / %v", data, err, gerr)
	}
	objs, err := ParseInput(data)
	gobjs, gerr := parseInputGeneral(data)
	if errString(err) != errString(gerr) || !reflect.DeepEqual(err, gerr) || !reflect.DeepEqual(objs, gobjs) {
		t.Fatalf("ParseInput differs from its general path for\n%s\n%v / %v", data, err, gerr)
	}
	return fast != nil
}

// datasetIndicator is an indicator shaped exactly as the benchmark's data
// set writes them (bench/internal/dataset/indicator.go, which this package
// cannot import): encoding/json of this struct.
func datasetIndicator(t testing.TB, kind, path, value, source, label, note string) []byte {
	t.Helper()
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
	const at = "2026-11-01T00:00:00.000Z"
	labels := []string{kind, source}
	if label != "" {
		labels = append(labels, label)
	}
	escaped := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value)
	raw, err := json.Marshal(indicator{
		Type: "indicator", SpecVersion: "2.1", ID: "indicator--5b0c1e7a-432d-5f0e-9a61-3c58d2178e94",
		Created: at, Modified: at, ValidFrom: at, Name: kind + " " + value, Description: note,
		IndicatorTypes: []string{"malicious-activity"}, Pattern: "[" + path + " = '" + escaped + "']",
		PatternType: "stix", Labels: labels,
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// datasetIndicators returns indicators of every kind the data set makes.
func datasetIndicators(t testing.TB) [][]byte {
	t.Helper()
	return [][]byte{
		datasetIndicator(t, "ipv4", "ipv4-addr:value", "198.51.100.7", "ipsum", "malicious", ""),
		datasetIndicator(t, "ipv6", "ipv6-addr:value", "2001:db8::1", "ipsum", "", ""),
		datasetIndicator(t, "domain", "domain-name:value", "c2.example.com", "infoblox:usps_cta", "phishing", "USPS smishing <&>"),
		datasetIndicator(t, "url", "url:value", "http://example.com/a?b='c'&d=\\e", "urlhaus", "malware_download", "line\nbreak \"quoted\" é"),
		datasetIndicator(t, "email", "email-addr:value", "bad@example.com", "list", "spam", ""),
		datasetIndicator(t, "md5", "file:hashes.MD5", "D41D8CD98F00B204E9800998ECF8427E", "malshare", "", ""),
		datasetIndicator(t, "sha1", "file:hashes.'SHA-1'", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "malshare", "", ""),
		datasetIndicator(t, "sha256", "file:hashes.'SHA-256'", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bazaar", "x", ""),
	}
}

// hostileVariants are edits of a dataset-shaped indicator aimed at the
// fast path's edges: duplicate keys, escapes, bad UTF-8, surrogates, bad
// timestamps and ids, wrong value types, unknown and reserved properties,
// whitespace and trailing data.
func hostileVariants(t testing.TB) [][]byte {
	t.Helper()
	base := string(datasetIndicator(t, "ipv4", "ipv4-addr:value", "198.51.100.7", "ipsum", "malicious", "a note"))
	edits := [][2]string{
		{`"name":`, `"name":"dup","name":`},
		{`"name":`, `"na\u006de":"dup","name":`},
		{`"type":"indicator",`, `"type":"indicator","type":"indicator",`},
		{`"type":"indicator",`, `"t\u0079pe":"indicator",`},
		{`"description":"a note"`, `"description":"a \u006eote \/ \" \\ \b\f\n\r\t \u00e9 \ud83d\ude00"`},
		{`"description":"a note"`, `"description":"a \ud800 note"`},
		{`"description":"a note"`, `"description":"a \udc00\ud800 note"`},
		{`"description":"a note"`, "\"description\":\"a \xff note\""},
		{`"description":"a note"`, "\"description\":\"a \xed\xa0\x80 note\""},
		{`"description":"a note"`, "\"description\":\"a \x01 note\""},
		{`"description":"a note"`, `"description":"a \x note"`},
		{`"description":"a note"`, `"description":"a \u12 note"`},
		{`"description":"a note"`, `"description":""`},
		{`"description":"a note"`, `"description":null`},
		{`"description":"a note"`, `"description":["a"]`},
		{`"description":"a note"`, `"description":5`},
		{`"created":"2026-11-01T00:00:00.000Z"`, `"created":"2026-11-01T00:00:00Z"`},
		{`"created":"2026-11-01T00:00:00.000Z"`, `"created":"2026-11-02T00:00:00.000Z"`},
		{`"created":"2026-11-01T00:00:00.000Z"`, `"created":"2026-02-30T00:00:00.000Z"`},
		{`"created":"2026-11-01T00:00:00.000Z"`, `"created":"2026-11-01T00:00:60.000Z"`},
		{`"created":"2026-11-01T00:00:00.000Z"`, `"created":"2026-11-01 00:00:00.000Z"`},
		{`"created":"2026-11-01T00:00:00.000Z"`, `"created":"2026-11-01T00:00:00.000+00:00"`},
		{`"modified":"2026-11-01T00:00:00.000Z"`, `"modified":"2026-11-01T00:00:00.0001200Z"`},
		{`"modified":"2026-11-01T00:00:00.000Z"`, `"modified":"2025-11-01T00:00:00.000Z"`},
		{`"modified":"2026-11-01T00:00:00.000Z"`, `"modified":20261101`},
		{`"valid_from":"2026-11-01T00:00:00.000Z"`, `"valid_from":"2026-11-01T00:00:00Z","valid_until":"2026-11-01T00:00:00Z"`},
		{`"valid_from":"2026-11-01T00:00:00.000Z"`, `"valid_from":"2026-11-01T00:00:00Z","valid_until":"2026-11-01T00:00:00.5Z"`},
		{`"valid_from":"2026-11-01T00:00:00.000Z"`, `"valid_from":"2026-11-01T00:00:00.1Z","valid_until":"2026-11-01T00:00:00Z"`},
		{`"valid_from":"2026-11-01T00:00:00.000Z",`, ``},
		{`"spec_version":"2.1",`, ``},
		{`"spec_version":"2.1",`, `"spec_version":"2.0",`},
		{`"spec_version":"2.1",`, `"spec_version":2.1,`},
		{`"type":"indicator"`, `"type":"bundle"`},
		{`"type":"indicator"`, `"type":"x-indicator"`},
		{`"type":"indicator"`, `"type":"Indicator"`},
		{`"id":"indicator--`, `"id":"malware--`},
		{`"id":"indicator--5b0c1e7a-432d-5f0e-9a61-3c58d2178e94"`, `"id":"indicator--5B0C1E7A-432D-5F0E-9A61-3C58D2178E94"`},
		{`"id":"indicator--5b0c1e7a-432d-5f0e-9a61-3c58d2178e94"`, `"id":"indicator--5b0c1e7a-432d-6f0e-9a61-3c58d2178e94"`},
		{`"id":"indicator--5b0c1e7a-432d-5f0e-9a61-3c58d2178e94"`, `"id":"indicator--5b0c1e7a-432d-5f0e-7a61-3c58d2178e94"`},
		{`"id":"indicator--5b0c1e7a-432d-5f0e-9a61-3c58d2178e94"`, `"id":"indicator-5b0c1e7a-432d-5f0e-9a61-3c58d2178e94"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":[]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":[""]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a",1]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":"ipv4"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":[ "a" , "b" ]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a","a"],"confidence":50,"revoked":true,"lang":"en"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"confidence":101`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"confidence":5.0`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"confidence":-0`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"confidence":"5"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"revoked":"true"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"revoked":false`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"revoked":null`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"x_acme":{"a":[1,{"b":null}]}`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"x_acme":{"a":1,"a":2}`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"x_acme":[]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"x_acme":null`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"x_acme_bin":"aGk="`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"x_acme_hex":"zz"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"X_acme":1`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"xa":1`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"severity":"high"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"objects":[]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"object_marking_refs":["identity--613f2e26-407d-48c7-9eca-b8e91df99dc9"]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"created_by_ref":"identity--613f2e26-407d-48c7-9eca-b8e91df99dc9"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"created_by_ref":"malware--613f2e26-407d-48c7-9eca-b8e91df99dc9"`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"granular_markings":[{"selectors":["name"],"marking_ref":"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"}]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"extensions":{"x-acme-ext":{"foo":1}}`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"external_references":[{"source_name":"cve","external_id":"CVE-2020-1234"}]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"external_references":[{"source_name":"cve","external_id":"CVE-20-1"}]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"kill_chain_phases":[{"kill_chain_name":"k","phase_name":"p"}]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"kill_chain_phases":[{"kill_chain_name":"k"}]`},
		{`"pattern":"[ipv4-addr:value = '198.51.100.7']"`, `"pattern":"[ipv4-addr:value = '198.51.100.7'"`},
		{`"pattern":"[ipv4-addr:value = '198.51.100.7']"`, `"pattern":"[ipv4-addr:value = 'a' OR ipv4-addr:value = 'a' OR file:hashes.MD5 = 'ABCDEF' OR url:value = '']"`},
		{`"pattern":"[ipv4-addr:value = '198.51.100.7']"`, `"pattern":"[ipv4-addr:value = 'it\\'s']"`},
		{`"pattern_type":"stix"`, `"pattern_type":"sigma"`},
		{`"pattern_type":"stix"`, `"pattern_type":"sigma","pattern":"not a stix pattern"`},
		{`"indicator_types":["malicious-activity"]`, `"indicator_types":["malicious-activity","unknown-type"]`},
		// More list items, properties and custom properties than the fast
		// path's arrays hold.
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"` + strings.Repeat(`,"l"`, 70) + `]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"x_many":["a"` + strings.Repeat(`,"l"`, 70) + `],"labels":["a","b"]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"],"object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"` +
			strings.Repeat(`,"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"`, 70) + `]`},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"]` + manyProps("x_p", 40)},
		{`"labels":["ipv4","ipsum","malicious"]`, `"labels":["a"]` + manyProps("x_p", 20)},
		{`"valid_from":"2026-11-01T00:00:00.000Z"`, `"valid_from":"2026-11-01T00:00:00.000Z","valid_until":"2027-11-01T00:00:00.000Z","x_t":"2026-11-01T00:00:00.000Z"`},
	}
	var out [][]byte
	for _, e := range edits {
		if !strings.Contains(base, e[0]) {
			t.Fatalf("edit %q does not apply", e[0])
		}
		out = append(out, []byte(strings.Replace(base, e[0], e[1], 1)))
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(base), "", "  "); err != nil {
		t.Fatal(err)
	}
	out = append(out, indented.Bytes(), []byte(" \t\r\n"+base+"\n"), []byte(base+" x"), []byte(base+"{}"),
		[]byte(base[:len(base)-1]), []byte(strings.ReplaceAll(base, ":", " : ")), []byte(strings.ReplaceAll(base, ",", " ,\n")),
		[]byte("{}"), []byte(`{"type":"indicator"}`), []byte("[]"), []byte(""))
	return out
}

// fastPathSeeds are the inputs the differential test and the fuzz target
// start from; attack is every n-th ATT&CK object (none when n is 0).
func fastPathSeeds(t testing.TB, shared string, attackEvery int) [][]byte {
	t.Helper()
	seeds := append(datasetIndicators(t), hostileVariants(t)...)
	seeds = append(seeds, bundleVariants(t)...)
	seeds = append(seeds, []byte(benchIndicator), []byte(goodIndicator))
	for _, text := range validObjects {
		seeds = append(seeds, []byte(text))
	}
	for _, typ := range simpleSDOs {
		seeds = append(seeds, []byte(minimalSDO(typ)))
	}
	if shared == "" {
		return seeds
	}
	for _, path := range exampleFiles(t, shared) {
		for _, s := range readSamples(t, path) {
			seeds = append(seeds, []byte(s.raw))
		}
	}
	if attackEvery > 0 {
		attack, _ := filepath.Glob(filepath.Join(shared, "attack", "*-attack-*.json"))
		for _, path := range attack {
			samples := readSamples(t, path)
			for i := 0; i < len(samples); i += attackEvery {
				seeds = append(seeds, []byte(samples[i].raw))
			}
		}
	}
	return seeds
}

// replacementValues are what mutate puts in place of each property.
var replacementValues = []string{
	`null`, `""`, `"x"`, `"X-1"`, `5`, `-1`, `101`, `1.5`, `true`, `false`, `[]`, `["a"]`, `[""]`, `[1]`, `{}`,
	`{"a":1}`, `[{"kill_chain_name":"k","phase_name":"p"}]`, `[{"source_name":"s","url":"u"}]`,
	`"2016-01-01T00:00:00Z"`, `"2016-01-01T00:00:00.000Z"`, `"2099-01-01T00:00:00.000Z"`,
	`"identity--613f2e26-407d-48c7-9eca-b8e91df99dc9"`, `["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]`,
	`"stix"`, `"[file:name = 'a']"`, `"2.1"`,
}

// mutate returns the object with each top-level property in turn removed
// or replaced by each of replacementValues, and with a custom property
// added (encoding/json writes the keys sorted).
func mutate(t testing.TB, raw []byte) [][]byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	encode := func() []byte {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var out [][]byte
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		old := m[k]
		delete(m, k)
		out = append(out, encode())
		for _, v := range replacementValues {
			m[k] = json.RawMessage(v)
			out = append(out, encode())
		}
		m[k] = old
	}
	m["x_custom"] = json.RawMessage(`{"deep":[1,"two",{"three":null}]}`)
	out = append(out, encode())
	return out
}

// TestFastPathMatchesGeneralPath runs the fast path's safety check over the
// OASIS examples, every ATT&CK object, dataset-shaped indicators, hostile
// variants, and every single-property mutation of a sample of them, and
// checks the fast path handles a fair share of the valid ones.
func TestFastPathMatchesGeneralPath(t *testing.T) {
	t.Parallel()
	shared := fuzzSeedDirT(t)
	seeds := fastPathSeeds(t, shared, 1)
	handled, valid := 0, 0
	byType := map[string][2]int{}
	for _, s := range seeds {
		h := checkFastPath(t, s)
		if o, err := parseGeneral(s); err == nil {
			valid++
			c := byType[o.Type]
			c[1]++
			if h {
				handled++
				c[0]++
			}
			byType[o.Type] = c
		}
	}
	t.Logf("fast path handled %d of %d valid seed objects", handled, valid)
	for _, typ := range []string{"indicator", "relationship", "attack-pattern", "x-mitre-tactic"} {
		if c := byType[typ]; shared != "" && c[1] > 0 && c[0]*2 < c[1] {
			t.Errorf("the fast path handled only %d of %d valid %s objects", c[0], c[1], typ)
		}
	}
	mutated := 0
	for i, s := range fastPathSeeds(t, shared, 400) {
		if i%3 != 0 || !json.Valid(s) || !bytes.HasPrefix(s, []byte("{")) {
			continue
		}
		for _, m := range mutate(t, s) {
			checkFastPath(t, m)
			mutated++
		}
	}
	t.Logf("checked %d mutations", mutated)
}

// fuzzSeedDirT is fuzzSeedDir for a test.
func fuzzSeedDirT(t *testing.T) string {
	dir := os.Getenv("PHALANX_SHARED_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data not found at %s", dir)
		}
		t.Logf("shared test data not found at %s; inline seeds only", dir)
		return ""
	}
	return dir
}

// TestFastPathHandles checks the fast path really takes the objects it is
// for, and declines what it does not handle.
func TestFastPathHandles(t *testing.T) {
	t.Parallel()
	for i, data := range append(datasetIndicators(t), []byte(benchIndicator)) {
		if parseFast(data) == nil {
			t.Errorf("the fast path declines dataset indicator %d: %s", i, data)
		}
	}
	handled := []string{
		// ATT&CK-shaped: custom type and properties, nested lists of objects.
		`{"type":"x-mitre-tactic","spec_version":"2.1","id":"x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a",` +
			`"created":"2018-10-17T00:14:20.652Z","modified":"2022-04-25T14:00:00.188Z","name":"Defense Evasion",` +
			`"x_mitre_shortname":"defense-evasion","external_references":[{"source_name":"mitre-attack","external_id":"TA0005","url":"https://attack.mitre.org/tactics/TA0005"}],` +
			`"x_mitre_domains":["enterprise-attack"],"x_mitre_version":"1.0","x_mitre_deprecated":false}`,
		`{"type":"relationship","spec_version":"2.1","id":"relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e",` +
			`"created":"2017-05-31T21:33:27.062Z","modified":"2017-05-31T21:33:27.062Z","relationship_type":"uses",` +
			`"source_ref":"intrusion-set--bef4c620-0787-42a8-a96d-b7eb6e85917c","target_ref":"malware--7e150503-88e7-4861-866b-ff1ac82c4475",` +
			`"description":"a \"quoted\" \u00e9 description","x_mitre_version":"1.0"}`,
	}
	for _, text := range handled {
		o := parseFast([]byte(text))
		if o == nil {
			t.Errorf("the fast path declines %s", text)
			continue
		}
		checkFastPath(t, []byte(text))
	}
	base := strings.TrimSuffix(string(datasetIndicators(t)[0]), "}")
	declined := map[string]string{
		"a custom _bin property": base + `,"x_acme_bin":"aGk="}`,
		"granular markings":      base + `,"granular_markings":[{"selectors":["name"],"marking_ref":"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"}]}`,
		"a duplicate key":        base + `,"name":"again"}`,
		"an SCO":                 `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`,
		"a marking":              `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--1f2e26aa-407d-48c7-9eca-b8e91df99dc9","created":"2017-01-20T00:00:00.000Z","definition_type":"statement","definition":{"statement":"x"}}`,
		"a bad timestamp":        strings.Replace(base, "2026-11-01T00:00:00.000Z", "2026-11-01T00:00:00Z", 1) + "}",
		"a location":             `{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","region":"europe"}`,
		"a bundle":               bundle(goodIndicator),
		"trailing data":          base + `} {}`,
		"an invalid string":      base + ",\"x_a\":\"\xff\"}",
	}
	for why, text := range declined {
		if parseFast([]byte(text)) != nil {
			t.Errorf("the fast path accepts %s: %s", why, text)
		}
		checkFastPath(t, []byte(text))
	}
}

// TestFastRulesMatchTypeDefs checks fastRules against the co-constraints
// typeDefs gives each type, so a rule added to a type the fast path
// handles cannot be missed by it.
func TestFastRulesMatchTypeDefs(t *testing.T) {
	t.Parallel()
	fn := func(f func(*checker) *ValidationError) uintptr {
		if f == nil {
			return 0
		}
		return reflect.ValueOf(f).Pointer()
	}
	want := map[fastRule][]uintptr{
		ruleNone:         {0},
		ruleTimesOnly:    {fn(checkSeen), fn(checkSighting)},
		ruleIndicator:    {fn(checkIndicator)},
		ruleRelationship: {fn(checkRelationship)},
		ruleMalware:      {fn(checkMalware)},
	}
	for typ, rule := range fastRules {
		def := typeDefs[typ]
		if def == nil || (def.class != classSDO && def.class != classSRO) {
			t.Errorf("%s: the fast path handles only SDO and SRO types", typ)
			continue
		}
		if !slices.Contains(want[rule], fn(def.check)) {
			t.Errorf("%s: fast rule %d does not apply its check", typ, rule)
		}
		if len(def.atLeastOne) > 0 {
			t.Errorf("%s: has atLeastOne", typ)
		}
	}
}

// FuzzFastPath checks the fast path's safety rule on any input (see
// checkFastPath).
func FuzzFastPath(f *testing.F) {
	addSeeds(f)
	for _, s := range fastPathSeeds(f, "", 0) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastPath(t, data)
	})
}

// BenchmarkParseDatasetIndicator parses an indicator shaped as the
// throughput benchmark's data set writes 90% of its objects: no
// description, three labels, a one-comparison pattern.
func BenchmarkParseDatasetIndicator(b *testing.B) {
	data := datasetIndicator(b, "ipv4", "ipv4-addr:value", "198.51.100.7", "ipsum", "malicious", "")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseGeneral is BenchmarkParseIndicator and
// BenchmarkParseDatasetIndicator through the general path alone, for
// comparison in one binary.
func BenchmarkParseGeneral(b *testing.B) {
	for name, data := range map[string][]byte{
		"indicator": []byte(benchIndicator),
		"dataset":   datasetIndicator(b, "ipv4", "ipv4-addr:value", "198.51.100.7", "ipsum", "malicious", ""),
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseGeneral(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bundleVariants are bundles aimed at the bundle fast path's edges: the
// envelope's rules, objects the object fast path declines, an invalid
// object before a JSON error, whitespace in some objects only, and nesting
// that is too deep only inside a bundle.
func bundleVariants(t testing.TB) [][]byte {
	t.Helper()
	ind := string(datasetIndicators(t)[0])
	ind2 := string(datasetIndicators(t)[2])
	var spaced bytes.Buffer
	if err := json.Indent(&spaced, []byte(ind2), "", " "); err != nil {
		t.Fatal(err)
	}
	sco := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`
	marking := `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--1f2e26aa-407d-48c7-9eca-b8e91df99dc9","created":"2017-01-20T00:00:00.000Z","definition_type":"statement","definition":{"statement":"x"}}`
	bad := strings.Replace(ind, `"spec_version":"2.1"`, `"spec_version":"2.0"`, 1)
	deep := strings.TrimSuffix(ind, "}") + `,"x_deep":` + strings.Repeat("[", 98) + "1" + strings.Repeat("]", 98) + "}"
	env := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[%s]}`
	b := func(objs ...string) []byte { return []byte(fmt.Sprintf(env, strings.Join(objs, ","))) }
	return [][]byte{
		b(ind), b(ind, ind2, sco, marking), b(spaced.String(), ind), b(ind, spaced.String()),
		b(bad, ind), b(bad, `{"type":`), b(ind, `"a string"`), b(ind, `{}`), b(), b(deep), []byte(deep),
		b(ind, sco+" "), []byte(" " + string(b(ind, ind2)) + "\n"),
		[]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.0","objects":[` + ind + `]}`),
		[]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"3","objects":[` + ind + `]}`),
		[]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":2.1,"objects":[` + ind + `]}`),
		[]byte(`{"type":"bundle","id":"identity--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + ind + `]}`),
		[]byte(`{"type":"bundle","objects":[` + ind + `]}`),
		[]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + ind + `],"objects":[]}`),
		[]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","x_note":"n","objects":[` + ind + `]}`),
		[]byte(`{"objects":[` + ind + `],"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","type":"bundle"}`),
		[]byte(`{"objects":[` + ind + `],"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","type":"indicator"}`),
		[]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":{}}`),
		[]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + ind + `]} x`),
	}
}

// TestBundleFastPath checks ParseInput's bundle fast path against the
// general path on whole ATT&CK and OASIS bundles and on bundleVariants,
// and that it handles the ATT&CK bundles.
func TestBundleFastPath(t *testing.T) {
	t.Parallel()
	for _, data := range bundleVariants(t) {
		checkFastPath(t, data)
	}
	if parseBundleFast(bundleVariants(t)[1]) == nil {
		t.Error("the bundle fast path declines a valid bundle of an indicator, an SCO and a marking")
	}
	shared := fuzzSeedDirT(t)
	if shared == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(shared, "attack", "*-attack-*.json"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkFastPath(t, data)
		if parseBundleFast(data) == nil {
			t.Errorf("the bundle fast path declines %s", filepath.Base(path))
		}
	}
	for _, path := range exampleFiles(t, shared) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkFastPath(t, data)
	}
}

// TestStringEnd compares stringEnd with the byte-at-a-time loop it
// replaced on every string of up to 8 bytes of a, \ and ".
func TestStringEnd(t *testing.T) {
	t.Parallel()
	reference := func(data []byte, i int) int {
		for i++; i < len(data); i++ {
			switch data[i] {
			case '\\':
				i++
			case '"':
				return i
			}
		}
		return len(data)
	}
	alphabet := []byte{'a', '\\', '"'}
	var walk func(b []byte)
	walk = func(b []byte) {
		data := append([]byte{'"'}, b...)
		if got, want := stringEnd(data, 0), reference(data, 0); got != want {
			t.Fatalf("stringEnd(%q) = %d, want %d", data, got, want)
		}
		if len(b) == 8 {
			return
		}
		for _, c := range alphabet {
			walk(append(b, c))
		}
	}
	walk(nil)
}

// manyProps returns n custom properties ,"<prefix>0":0,... .
func manyProps(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"%s%d":%d`, prefix, i, i)
	}
	return b.String()
}

// TestPlainRun compares plainRun with a byte-at-a-time loop on strings of
// bytes that matter to it, at every start offset.
func TestPlainRun(t *testing.T) {
	t.Parallel()
	reference := func(b []byte, i int) (int, bool) {
		high := false
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
				break
			}
			high = high || b[i] >= 0x80
		}
		return i, high
	}
	alphabet := []byte{'a', '"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff}
	state := uint32(1)
	for n := 0; n < 20000; n++ {
		b := make([]byte, int(state%40))
		for i := range b {
			state = state*1664525 + 1013904223
			// Mostly plain bytes, so runs are long enough for whole words.
			if state>>28 < 13 {
				b[i] = 'a' + byte(state>>8)%26
			} else {
				b[i] = alphabet[(state>>8)%uint32(len(alphabet))]
			}
		}
		state = state*1664525 + 1013904223
		for start := 0; start <= len(b); start++ {
			gi, gh := plainRun(b, start)
			wi, wh := reference(b, start)
			if gi != wi || gh != wh {
				t.Fatalf("plainRun(%q, %d) = %d, %v; want %d, %v", b, start, gi, gh, wi, wh)
			}
		}
	}
}
