package stix

import (
	"errors"
	"strings"
	"testing"
)

// TestListItemErrorsNameTheItem checks that a failing list item is named
// with its index, also inside nested lists, although list items are first
// checked without building their names.
func TestListItemErrorsNameTheItem(t *testing.T) {
	t.Parallel()
	base := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",` +
		`"pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"`
	cases := []struct{ extra, field, msg string }{
		{`"indicator_types":["malicious-activity",5]`, "indicator_types[1]", "must be a string"},
		{`"labels":["a","b",""]`, "labels[2]", "must not be empty"},
		{`"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"]`,
			"object_marking_refs[1]", "must reference a marking-definition"},
		{`"kill_chain_phases":[{"kill_chain_name":"k","phase_name":"p"},{"kill_chain_name":"k"}]`,
			"kill_chain_phases[1].phase_name", "required property is missing"},
		{`"granular_markings":[{"selectors":["name","nope"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}],"name":"n"`,
			"granular_markings[0].selectors[1]", `selector "nope"`},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(base + "," + tc.extra + "}"))
		var verr *ValidationError
		if !errors.As(err, &verr) || verr.Field != tc.field || !strings.Contains(verr.Msg, tc.msg) {
			t.Errorf("%s: got %v (field %q), want field %q and a message containing %q", tc.extra, err, fieldOf(verr), tc.field, tc.msg)
		}
	}
}

func fieldOf(e *ValidationError) string {
	if e == nil {
		return ""
	}
	return e.Field
}

// TestPatternLiteralsWithAndWithoutEscapes checks literals taken as
// substrings of the pattern (no escapes) and built byte by byte (escapes)
// read the same.
func TestPatternLiteralsWithAndWithoutEscapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		values  []string
	}{
		{`[domain-name:value = 'example.com']`, []string{"example.com"}},
		{`[domain-name:value = 'it\'s' OR domain-name:value = 'a\\b']`, []string{"it's", `a\b`}},
		{`[file:name = 'a' OR file:name = 'b\'c' OR file:name = '']`, []string{"a", "b'c", ""}},
		{`[file:name = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, []string{"x"}},
	}
	for _, tc := range cases {
		got, err := parsePattern(tc.pattern)
		if err != nil || strings.Join(got, "\x00") != strings.Join(tc.values, "\x00") {
			t.Errorf("parsePattern(%s) = %q, %v; want %q", tc.pattern, got, err, tc.values)
		}
	}
	if _, err := parsePattern(`[file:name = 'a\']`); err == nil || !strings.Contains(err.Error(), "unterminated string") {
		t.Errorf("an escaped closing quote: %v, want an unterminated string", err)
	}
}

// TestNormalisedTimes checks the normalised timestamps of an object whose
// created and modified are equal, already normal, or neither.
func TestNormalisedTimes(t *testing.T) {
	t.Parallel()
	obj := func(created, modified string) string {
		return `{"type":"campaign","spec_version":"2.1","id":"campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",` +
			`"created":"` + created + `","modified":"` + modified + `","name":"x"}`
	}
	cases := []struct{ created, modified, wantCreated, wantModified string }{
		{"2016-01-01T00:00:00.000Z", "2016-01-01T00:00:00.000Z", "2016-01-01T00:00:00Z", "2016-01-01T00:00:00Z"},
		{"2016-01-01T00:00:00.123Z", "2016-01-01T00:00:00.500Z", "2016-01-01T00:00:00.123Z", "2016-01-01T00:00:00.5Z"},
		{"2016-01-01T00:00:00.120Z", "2017-02-03T04:05:06.000001Z", "2016-01-01T00:00:00.12Z", "2017-02-03T04:05:06.000001Z"},
	}
	for _, tc := range cases {
		o := mustParse(t, obj(tc.created, tc.modified))
		if o.Created != tc.wantCreated || o.Modified != tc.wantModified {
			t.Errorf("created %s, modified %s: got %s and %s, want %s and %s", tc.created, tc.modified, o.Created, o.Modified, tc.wantCreated, tc.wantModified)
		}
	}
}

// TestInternFilterPassesEveryInternedString checks the filter in front of
// the interned table lets every interned string through, and that decoded
// interned strings are still the shared copies.
func TestInternFilterPassesEveryInternedString(t *testing.T) {
	t.Parallel()
	for w := range interned {
		if !mayBeInterned([]byte(w)) {
			t.Errorf("the filter drops interned %q", w)
		}
	}
	if long := strings.Repeat("x", len(internShapes)); mayBeInterned([]byte(long)) {
		t.Errorf("the filter passes a string longer than any interned string")
	}
	d := decoder{data: []byte(`"malicious-activity"`)}
	s, boxed, err := d.scanStr()
	if err != nil || boxed == nil || s != "malicious-activity" {
		t.Fatalf("scanStr of an interned value: %q, %v, %v", s, boxed, err)
	}
}
