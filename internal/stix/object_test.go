package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

func TestParseInputExamples(t *testing.T) {
	t.Parallel()
	shared := testutil.SharedTestdata(t)
	total := 0
	for _, path := range exampleFiles(t, shared) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := ParseInput(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		samples := readSamples(t, path)
		if len(objs) != len(samples) {
			t.Fatalf("%s: %d objects, want %d", path, len(objs), len(samples))
		}
		for i, o := range objs {
			if want := compactJSON(t, string(samples[i].raw)); !bytes.Equal(o.Raw, want) {
				t.Fatalf("%s #%d: Raw is not the compacted input", path, i)
			}
		}
		total += len(objs)
	}
	t.Logf("%d example objects accepted", total)
	if total != 260 {
		t.Errorf("accepted %d example objects, the README counts 260", total)
	}
}

func mustParse(t *testing.T, text string) *Object {
	t.Helper()
	o, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return o
}

func indicatorWithPattern(pattern string) string {
	p, _ := json.Marshal(pattern)
	return `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",
		"pattern":` + string(p) + `,"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`
}

func TestValues(t *testing.T) {
	t.Parallel()
	sha := "EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C"
	cases := []struct {
		name string
		obj  string
		want []string
	}{
		{"ipv4 or file hash", indicatorWithPattern(`[ipv4-addr:value = '198.51.100.3'] OR [file:hashes.'SHA-256' = '` + sha + `']`),
			[]string{"198.51.100.3", strings.ToLower(sha)}},
		{"hash key is not a value", indicatorWithPattern(`[file:hashes.MD5 = '3773A88F65A5E780C8DFF9CDC3A056F3']`),
			[]string{"3773a88f65a5e780c8dff9cdc3a056f3"}},
		{"escapes", indicatorWithPattern(`[file:name = 'it\'s a \\ test']`), []string{`it's a \ test`}},
		{"in list and dedup", indicatorWithPattern(`[domain-name:value IN ('a.example', 'b.example', 'a.example')]`),
			[]string{"a.example", "b.example"}},
		{"like and matches are not values", indicatorWithPattern(`[url:value LIKE '%evil%' AND email-message:subject MATCHES '^Re: .*' AND url:value = 'http://evil.example/']`),
			[]string{"http://evil.example/"}},
		{"qualifiers and prefixed literals", indicatorWithPattern(`([file:name = 'a.exe'] FOLLOWEDBY [process:created_time > t'2016-01-01T00:00:00Z']) WITHIN 300 SECONDS START t'2016-01-01T00:00:00Z' STOP t'2016-02-01T00:00:00Z'`),
			[]string{"a.exe"}},
		{"non-stix pattern", `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
			"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"rule x { condition: true }",
			"pattern_type":"yara","valid_from":"2016-01-01T00:00:00Z"}`, nil},
		{"ipv4-addr", validObjects["ipv4-addr"], []string{"198.51.100.0/24"}},
		{"file name then hashes by algorithm", validObjects["file"],
			[]string{"foo.dll", "3773a88f65a5e780c8dff9cdc3a056f3", "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"}},
		{"directory path", validObjects["directory"], []string{`C:\Windows\System32`}},
		{"ssdeep kept as written", strings.Replace(validObjects["file"], `"MD5":`, `"SSDEEP":"96:Dcx0hTQfPeAyD:Dcx0Q4D","MD5":`, 1),
			[]string{"foo.dll", "3773a88f65a5e780c8dff9cdc3a056f3", "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db", "96:Dcx0hTQfPeAyD:Dcx0Q4D"}},
		{"autonomous-system number", validObjects["autonomous-system"], []string{"15139"}},
		{"autonomous-system number as 1.5139e4", strings.Replace(validObjects["autonomous-system"], "15139", "1.5139e4", 1), []string{"15139"}},
		{"mutex", validObjects["mutex"], []string{"__CLEANSWEEP__"}},
		{"software", validObjects["software"], []string{"Word"}},
		{"url", validObjects["url"], []string{"https://example.com/research/index.html"}},
		{"email-addr", validObjects["email-addr"], []string{"john@example.com"}},
		{"user-account has none", validObjects["user-account"], nil},
		{"observed-data embedded objects", `{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
			"created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z",
			"last_observed":"2015-12-21T19:00:00Z","number_observed":1,"objects":{
			"1":{"type":"domain-name","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"example.com"},
			"0":{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}}}`,
			[]string{"198.51.100.3", "example.com"}},
		{"malware has none", validObjects["malware"], nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := mustParse(t, tc.obj).Values; !slices.Equal(got, tc.want) {
				t.Errorf("Values = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVersionNormalisation(t *testing.T) {
	t.Parallel()
	campaign := func(created, modified string) string {
		return `{"type":"campaign","spec_version":"2.1","id":"campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
			"created":"` + created + `","modified":"` + modified + `","name":"x"}`
	}
	marking := `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db",
		"created":"2016-01-01T00:00:00Z","definition_type":"statement","definition":{"statement":"(c)"}}`
	versions := []struct {
		name string
		obj  string
	}{
		{"milliseconds", campaign("2015-01-01T00:00:00.000Z", "2016-01-01T00:00:00.000Z")},
		{"microseconds", campaign("2015-01-01T00:00:00.000Z", "2016-01-01T00:00:00.000000Z")},
		{"marking created without fraction", marking},
	}
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			if got := mustParse(t, v.obj).Version(); got != "2016-01-01T00:00:00Z" {
				t.Errorf("Version() = %q, want 2016-01-01T00:00:00Z", got)
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		o := mustParse(t, validObjects["indicator"])
		want := Object{
			ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Type: "indicator", SpecVersion: "2.1",
			Created: "2016-04-06T20:03:48Z", Modified: "2016-04-06T20:03:48Z",
			CreatedByRef: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff", Labels: []string{"malicious-activity"},
			// object_marking_refs, then the granular marking's marking_ref
			Markings: []string{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
			Name:     "Poison Ivy Malware", Description: "This file is part of Poison Ivy",
			Pattern:     "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
			PatternType: "stix", ValidFrom: "2016-01-01T00:00:00Z", ValidUntil: "2017-01-01T00:00:00Z",
			Values:           []string{"ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"},
			GranularMarkings: 1,
			Written: Written{Created: "2016-04-06T20:03:48.000Z", ValidFrom: "2016-01-01T00:00:00Z",
				ValidUntil: "2017-01-01T00:00:00Z", Confidence: "85"},
			Raw: compactJSON(t, validObjects["indicator"]),
		}
		checkPatternTree(t, o) // the tokens, checked against the pattern's text
		want.patternToks = o.patternToks
		if !reflect.DeepEqual(*o, want) {
			t.Errorf("got  %+v\nwant %+v", *o, want)
		}
	})
	t.Run("sco", func(t *testing.T) {
		t.Parallel()
		o := mustParse(t, `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`)
		if o.SpecVersion != "2.1" || o.Version() != "" || !o.IsSCO() {
			t.Errorf("SpecVersion %q, Version %q, IsSCO %v", o.SpecVersion, o.Version(), o.IsSCO())
		}
	})
}

func TestCustomContentPreserved(t *testing.T) {
	t.Parallel()
	input := `{
	  "type": "indicator", "spec_version": "2.1",
	  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
	  "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
	  "x_acme_score": 1.50,  "x_acme_big": 123456789012345678901234567890,
	  "x_acme_nested": {"Z": [1, {"b": null}], "a": "caf\u00e9 \/ \"quoted\" é"},
	  "pattern": "[ipv4-addr:value = '198.51.100.3']", "pattern_type": "stix",
	  "valid_from": "2016-01-01T00:00:00Z",
	  "x_acme_ref": "not an identifier", "x_acme_empty": ""
	}`
	o := mustParse(t, input)
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(input)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(o.Raw, want.Bytes()) {
		t.Errorf("Raw = %s\nwant  %s", o.Raw, want.Bytes())
	}
	for _, keep := range []string{`"x_acme_score":1.50`, `123456789012345678901234567890`, `caf\u00e9 \/ \"quoted\" é`, `{"Z":[1,{"b":null}],"a"`} {
		if !bytes.Contains(o.Raw, []byte(keep)) {
			t.Errorf("Raw lost %s", keep)
		}
	}
}

func TestCustomObjectTypes(t *testing.T) {
	t.Parallel()
	sdo := `{"type":"x-acme-widget","spec_version":"2.1","id":"x-acme-widget--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
		"created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"Widget",
		"labels":["x"],"x_acme_size":3,"widget_refs":["identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"]}`
	sco := `{"type":"x-acme-thing","id":"x-acme-thing--0c7b5b88-8ff7-5a4d-aa9d-feb398cd0061","value":"thing-1"}`
	t.Run("custom SDO", func(t *testing.T) {
		t.Parallel()
		o := mustParse(t, sdo)
		if o.IsSCO() || o.Version() != "2016-05-12T08:17:27Z" || o.Name != "Widget" || !slices.Equal(o.Labels, []string{"x"}) {
			t.Errorf("got %+v", o)
		}
	})
	t.Run("custom SCO", func(t *testing.T) {
		t.Parallel()
		o := mustParse(t, sco)
		if !o.IsSCO() || o.Version() != "" || !slices.Equal(o.Values, []string{"thing-1"}) {
			t.Errorf("got %+v", o)
		}
	})
	cases := []struct {
		name, obj, field string
	}{
		{"common property checked", strings.Replace(sdo, `"labels":["x"]`, `"confidence":200`, 1), "confidence"},
		{"custom SDO without spec_version", strings.Replace(sdo, `"spec_version":"2.1",`, ``, 1), "spec_version"},
		{"custom SDO without modified", strings.Replace(sdo, `"modified":"2016-05-12T08:17:27.000Z",`, ``, 1), "modified"},
		{"custom SCO with STIX 2.0 spec_version", strings.Replace(sco, `"id"`, `"spec_version":"2.0","id"`, 1), "spec_version"},
		{"reserved type name", `{"type":"action","id":"action--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, "type"},
		{"type with a double hyphen", strings.ReplaceAll(sco, "x-acme-thing", "x--thing"), "type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantRejection(t, []byte(tc.obj), tc.field)
		})
	}
}

func TestSpecVersionMessages(t *testing.T) {
	t.Parallel()
	twoOh := minimalSDO("campaign")
	for name, obj := range map[string]string{
		"missing": strings.Replace(twoOh, `"spec_version":"2.1",`, ``, 1),
		"2.0":     strings.Replace(twoOh, `"2.1"`, `"2.0"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(obj))
			if err == nil || !strings.Contains(err.Error(), "STIX 2.0 is not accepted") {
				t.Errorf("error %v does not explain that STIX 2.0 is not accepted", err)
			}
		})
	}
}

const (
	goodIndicator = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`
	badIndicator  = `{"type":"indicator","spec_version":"2.1","id":"indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","valid_until":"2015-01-01T00:00:00Z"}`
)

func bundle(objects ...string) string {
	return `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + strings.Join(objects, ",") + `]}`
}

func TestParseInputErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		input string
		want  ValidationError
		text  string // substring of Error()
	}{
		{"invalid object in a bundle", bundle(goodIndicator, goodIndicator, badIndicator),
			ValidationError{Index: 2, ObjectID: "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Field: "objects[2].valid_until", Msg: "must be later than valid_from"},
			"object 2 (indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f): valid_until: must be later than valid_from"},
		{"empty bundle", bundle(),
			ValidationError{Index: -1, ObjectID: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", Field: "objects", Msg: "bundle has no objects"},
			"bundle has no objects"},
		{"bundle without objects", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`,
			ValidationError{Index: -1, ObjectID: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", Field: "objects", Msg: "bundle has no objects"}, ""},
		{"bundle with a bad id", `{"type":"bundle","id":"report--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + goodIndicator + `]}`,
			ValidationError{Index: -1, ObjectID: "report--5d0092c5-5f74-4287-9642-33f4c354e56d", Field: "id"}, `must start with "bundle--"`},
		{"item not an object", bundle(goodIndicator, `"x"`),
			ValidationError{Index: 1, Field: "objects[1]", Msg: "must be a JSON object"}, "object 1: must be a JSON object"},
		{"nested bundle", bundle(bundle(goodIndicator)),
			ValidationError{Index: 0, ObjectID: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", Field: "objects[0].type"}, "is not a STIX object type"},
		{"duplicate key", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[],"objects":[` + goodIndicator + `]}`,
			ValidationError{Index: -1}, `duplicate object key "objects"`},
		{"duplicate key inside an object", bundle(goodIndicator, strings.Replace(goodIndicator, `"pattern_type":"stix"`, `"pattern_type":"stix","pattern_type":"yara"`, 1)),
			ValidationError{Index: 1, Field: "objects[1]"}, `object 1: invalid JSON at offset`},
		{"not JSON", `{"type":`, ValidationError{Index: -1}, "invalid JSON"},
		{"trailing data", goodIndicator + `{}`, ValidationError{Index: -1}, "invalid JSON"},
		{"top-level array", `[` + goodIndicator + `]`, ValidationError{Index: -1}, "expected a JSON object"},
		{"invalid UTF-8", strings.Replace(goodIndicator, `"pattern_type"`, "\"x_acme\":\"\xff\",\"pattern_type\"", 1), ValidationError{Index: -1}, "not valid UTF-8"},
		{"unpaired surrogate", strings.Replace(goodIndicator, `"pattern_type"`, `"x_acme":"\ud800",`+`"pattern_type"`, 1), ValidationError{Index: -1}, "surrogate"},
		{"deep nesting", strings.Replace(goodIndicator, `"pattern_type"`, `"x_acme":`+strings.Repeat("[", 200)+strings.Repeat("]", 200)+`,"pattern_type"`, 1), ValidationError{Index: -1}, "nesting deeper"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := ParseInput([]byte(tc.input))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %d objects, error %v", len(objs), err)
			}
			if ve.Index != tc.want.Index || ve.ObjectID != tc.want.ObjectID ||
				(tc.want.Field != "" && ve.Field != tc.want.Field) || (tc.want.Msg != "" && ve.Msg != tc.want.Msg) {
				t.Errorf("got %#v, want %#v", *ve, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("Error() = %q, want it to contain %q", err, tc.text)
			}
		})
	}
}

func TestParseInputAccepts(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"single object":                goodIndicator,
		"STIX 2.0-style bundle header": `{"type":"bundle","spec_version":"2.0","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + goodIndicator + `]}`,
		"whitespace everywhere":        " \n{ \"type\" : \"bundle\" ,\t\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\", \"objects\" : [ \n" + goodIndicator + " , " + validObjects["file"] + " ] } \n",
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			objs, err := ParseInput([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				again, err := Parse(o.Raw)
				if err != nil || !reflect.DeepEqual(again, o) {
					t.Errorf("Raw does not re-parse to the same object: %v", err)
				}
			}
		})
	}
	t.Run("Parse rejects a bundle", func(t *testing.T) {
		t.Parallel()
		if _, err := Parse([]byte(bundle(goodIndicator))); err == nil || !strings.Contains(err.Error(), "use ParseInput") {
			t.Errorf("Parse(bundle) = %v", err)
		}
	})
}

// TestFirstErrorIsDeterministic parses an object with many problems many
// times: map iteration order must never change the error reported.
func TestFirstErrorIsDeterministic(t *testing.T) {
	t.Parallel()
	obj := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[x:y = '1']","pattern_type":"stix",
		"valid_from":"2016-01-01T00:00:00Z","zz_bad":null,"aa_bad":[],"mm_bad_hex":"q","confidence":-1,
		"hashes_dict":{"b":null,"a":null},"external_references":[{"url":"x"}]}`
	_, first := Parse([]byte(obj))
	if first == nil {
		t.Fatal("accepted")
	}
	for range 200 {
		if _, err := Parse([]byte(obj)); err.Error() != first.Error() {
			t.Fatalf("first error changed: %v then %v", first, err)
		}
	}
	if want := "aa_bad: must not be an empty list"; !strings.Contains(first.Error(), want) {
		t.Errorf("first error %q, want the alphabetically first property (%s)", first, want)
	}
}

func TestValidationErrorFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  ValidationError
		want string
	}{
		{ValidationError{Index: 3, ObjectID: "indicator--x", Field: "objects[3].valid_until", Msg: "m"}, "object 3 (indicator--x): valid_until: m"},
		{ValidationError{Index: 3, Field: "objects[3]", Msg: "m"}, "object 3: m"},
		{ValidationError{Index: -1, ObjectID: "indicator--x", Field: "pattern", Msg: "m"}, "indicator--x: pattern: m"},
		{ValidationError{Index: -1, Msg: "m"}, "m"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestPatterns(t *testing.T) {
	t.Parallel()
	valid := []string{
		`[ipv4-addr:value = '198.51.100.3']`,
		`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`,
		`[file:hashes.'SHA-256' = 'aa' OR file:hashes.MD5 = 'bb'] AND [file:size > 1024]`,
		`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_port = 443]`,
		`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`,
		`[email-message:to_refs[0].value = 'a@example.com']`,
		`([a-type:b = 1] OR [c-type:d != 'e']) FOLLOWEDBY [f-type:g NOT IN ('h', 'i')] REPEATS 5 TIMES WITHIN 60 SECONDS`,
		`[x-acme-thing:flag = true] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`,
		`[(file:name = 'a' OR file:name = 'b') AND file:size = 1]`,
		`[EXISTS windows-registry-key:values]`,
		`[artifact:payload_bin MATCHES '^\\x4d\\x5a' AND artifact:mime_type = 'application/x-msdownload']`,
		`[file:magic_number_hex = h'ffd8']`,
		`[ipv6-addr:value = '2001:db8::1']`,
	}
	for _, p := range valid {
		if _, err := parsePattern(p); err != nil {
			t.Errorf("parsePattern(%s): %v", p, err)
		}
		mustParse(t, indicatorWithPattern(p))
	}
	invalid := []struct{ pattern, want string }{
		{``, "expected '['"},
		{`ipv4-addr:value = '1.2.3.4'`, "expected '['"},
		{`[ipv4-addr:value = '1.2.3.4'`, "expected ']'"},
		{`[ipv4-addr:value = '1.2.3.4']]`, "unexpected ']'"},
		{`[ipv4-addr:value = '1.2.3.4]`, "unterminated string"},
		{`[ipv4-addr:value = ]`, "expected a value"},
		{`[ipv4-addr:value == '1.2.3.4']`, "expected a value"},
		{`[ipv4-addr:value ! '1.2.3.4']`, "'!' must be followed by '='"},
		{`[ipv4-addr = '1.2.3.4']`, "<object-type>:<property>"},
		{`[ipv4-addr:value '1.2.3.4']`, "expected a comparison operator"},
		{`[]`, "expected an object path"},
		{`[aaa:b = 'c'] [ddd:e = 'f']`, "unexpected '['"},
		{`[aaa:b = 'c'] AND`, "expected '['"},
		{`([aaa:b = 'c']`, "expected ')'"},
		{`[aaa:b = 'c\d']`, "invalid escape"},
		{`[aaa:b = 'c'] WITHIN SECONDS`, "WITHIN must be followed by a number"},
		{`[aaa:b = 'c'] START '2016' STOP t'2017'`, "START must be followed by a t'...' timestamp"},
		{`[aaa:b IN 'c']`, "IN must be followed by a parenthesised list"},
		{`[Bad:b = 'c']`, "object type"},
		{`[aaa:b = 'c'] # comment`, "unexpected character"},
		{strings.Repeat("(", 150) + `[aaa:b = 'c']` + strings.Repeat(")", 150), "nested deeper"},
	}
	for _, tc := range invalid {
		_, err := parsePattern(tc.pattern)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parsePattern(%q) = %v, want an error containing %q", tc.pattern, err, tc.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	ints := map[json.Number]int64{"0": 0, "-0": 0, "7": 7, "7.0": 7, "7e0": 7, "70e-1": 7, "1.5e1": 15, "-12": -12, "999999999": 999999999, "0.000e5": 0}
	for n, want := range ints {
		if got, ok := parseDecimal(n).int64(); !ok || got != want {
			t.Errorf("int64(%s) = %d, %v; want %d", n, got, ok, want)
		}
	}
	for _, n := range []json.Number{"1.5", "1e-1", "1e19", "12345678901234567890", "1e999999999999"} {
		if _, ok := parseDecimal(n).int64(); ok {
			t.Errorf("int64(%s) reported an int64", n)
		}
	}
	cmps := []struct {
		n    json.Number
		b    int64
		want int
	}{
		{"90", 90, 0}, {"90.0000001", 90, 1}, {"89.9999", 90, -1}, {"-90.5", -90, -1}, {"-89.5", -90, 1},
		{"1e400", 90, 1}, {"-1e400", -90, -1}, {"1e-400", 0, 1}, {"-1e-400", 0, -1}, {"0.5", 0, 1},
	}
	for _, tc := range cmps {
		if got := parseDecimal(tc.n).cmpInt(tc.b); got != tc.want {
			t.Errorf("cmpInt(%s, %d) = %d, want %d", tc.n, tc.b, got, tc.want)
		}
	}
}

func TestLexicalRules(t *testing.T) {
	t.Parallel()
	ids := map[string]bool{
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":    true,
		"relationship--81f12913-1372-4c96-85ec-E9034ac98aba": true,  // upper-case hex, as in infrastructure.json
		"file--e277603e-1060-5ad4-9937-c26c97f1ca68":         true,  // UUIDv5
		"indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f":    false, // version 0
		"indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f":    false, // NCS variant
		"indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f":        false,
		"indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":     false,
		"in--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":           false,
	}
	for id, ok := range ids {
		if _, p := identifierProblem(id); (p == "") != ok {
			t.Errorf("identifierProblem(%s) = %q", id, p)
		}
	}
	times := map[string]string{
		"2016-01-01T00:00:00Z":            "2016-01-01T00:00:00Z",
		"2016-01-01T00:00:00.000Z":        "2016-01-01T00:00:00Z",
		"2016-01-01T00:00:00.123456789Z":  "2016-01-01T00:00:00.123456789Z",
		"2016-01-01T00:00:00.1234567891Z": "2016-01-01T00:00:00.123456789Z",
		"2016-02-29T23:59:59.5Z":          "2016-02-29T23:59:59.5Z",
		"2015-02-29T00:00:00Z":            "",
		"2016-01-01T00:00:00":             "",
		"2016-01-01t00:00:00Z":            "",
		"2016-01-01T00:00:00.Z":           "",
		"2016-01-01T24:00:00Z":            "",
		"2016-01-01 00:00:00Z":            "",
	}
	for in, want := range times {
		tm, p := parseTimestamp(in, false)
		got := ""
		if p == "" {
			got = normTime(tm)
		}
		if got != want {
			t.Errorf("parseTimestamp(%s) = %q (%s), want %q", in, got, p, want)
		}
	}
}

// TestRawOfCompactInput: input without whitespace outside strings (what
// the ledger stores) comes back byte for byte as Raw, in a copy of its
// own; a bundle in compact form yields each object's bytes the same way.
func TestRawOfCompactInput(t *testing.T) {
	obj := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"a name with  spaces\t","pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`
	in := []byte(obj)
	o, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(o.Raw) != obj {
		t.Fatalf("Raw = %s", o.Raw)
	}
	in[2] = 'X' // the caller's buffer is its own
	if string(o.Raw) != obj {
		t.Fatal("Raw shares the input's bytes")
	}
	bundle := []byte(`{"type":"bundle","id":"bundle--00000000-2222-4222-8222-222222222222","objects":[` + obj + `,` + obj[:len(obj)-1] + `,"revoked":true}]}`)
	objs, err := ParseInput(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || string(objs[0].Raw) != obj || string(objs[1].Raw) != obj[:len(obj)-1]+`,"revoked":true}` {
		t.Fatalf("bundle objects: %d", len(objs))
	}
	if o.Name != "a name with  spaces\t" {
		t.Fatalf("name %q: whitespace inside strings must stay", o.Name)
	}
}

// TestCheckPropertiesMatchesNameOrder checks that checkProperties, which
// checks in map order first, reports what checking every property in name
// order reports, and that a failed first pass leaves no stale timestamps.
func TestCheckPropertiesMatchesNameOrder(t *testing.T) {
	t.Parallel()
	base := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '1.2.3.4']",` +
		`"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"%s}`
	extras := []string{"", `,"zz_bad":null`, `,"confidence":101,"aa_bad":[]`, `,"labels":"x","revoked":"no","x_ok":1`, `,"x_hex":"q","b_bin":"!"`}
	for _, extra := range extras {
		top, err := decodeTop([]byte(fmt.Sprintf(base, extra)), "")
		if err != nil {
			t.Fatalf("decode %q: %v", extra, err)
		}
		m := top.m
		ref := &checker{m: m}
		if err := ref.identify(); err != nil {
			t.Fatalf("identify: %v", err)
		}
		var want *ValidationError
		for _, k := range sortedKeys(m) {
			if want = ref.checkProperty(k); want != nil {
				break
			}
		}
		for range 50 {
			c := &checker{m: m}
			if err := c.identify(); err != nil {
				t.Fatalf("identify: %v", err)
			}
			got := c.checkProperties()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("extra %q: checkProperties() = %v, name order gives %v", extra, got, want)
			}
			if got == nil && len(c.times) != len(ref.times) {
				t.Fatalf("extra %q: %d timestamps recorded, want %d", extra, len(c.times), len(ref.times))
			}
		}
	}
}

// TestInternedStringsDecode decodes every interned string as a key and as a
// value (alone and in a list): the boxed copies must decode to the same
// text as any other string.
func TestInternedStringsDecode(t *testing.T) {
	t.Parallel()
	for w := range interned {
		q, _ := json.Marshal(w)
		in := fmt.Sprintf(`{%s:%s,"l":[%s,"x-other"]}`, q, q, q)
		top, err := decodeTop([]byte(in), "")
		if err != nil {
			t.Fatalf("decode %s: %v", in, err)
		}
		got, ok := top.m[w].(string)
		if !ok || got != w {
			t.Fatalf("decode %s: value %#v, want %q", in, top.m[w], w)
		}
		if l := top.m["l"].([]any); l[0] != w || l[1] != "x-other" {
			t.Fatalf("decode %s: list %#v", in, l)
		}
	}
}

// TestCustomProperties: Custom lists the top-level properties STIX does
// not define for the object's type, sorted, whatever their JSON type.
func TestCustomProperties(t *testing.T) {
	t.Parallel()
	const sdo = `"spec_version":"2.1","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"`
	cases := []struct {
		obj  string
		want []string
	}{
		{validObjects["indicator"], nil},
		{`{"type":"relationship",` + sdo + `,"id":"relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e","relationship_type":"uses","source_ref":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","target_ref":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0062","x_b":1,"name":"n","description":"d","pattern":{"a":[1]}}`,
			[]string{"name", "pattern", "x_b"}},
		{`{"type":"x-acme-thing",` + sdo + `,"id":"x-acme-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"n","labels":["l"],"confidence":5}`, []string{"name"}},
		{`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3","labels":["l"],"defanged":true}`, []string{"labels"}},
	}
	for _, c := range cases {
		if got := mustParse(t, c.obj).Custom; !reflect.DeepEqual(got, c.want) {
			t.Errorf("%.60s…: Custom = %q, want %q", c.obj, got, c.want)
		}
	}
}
