package projection

import (
	"slices"
	"testing"
)

func TestPatternValues(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{`[ipv4-addr:value = '198.51.100.7']`, []string{"198.51.100.7"}},
		{`[file:hashes.'SHA-256' = 'ABC']`, []string{"abc"}},
		{`[file:hashes.MD5 = 'DEF' OR file:name = 'Evil.EXE']`, []string{"def", "Evil.EXE"}},
		{`[url:value = 'http://x.test/it\'s'] AND [domain-name:value='a.test']`, []string{"http://x.test/it's", "a.test"}},
		{`[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]`, []string{"192.0.2.1", "192.0.2.2"}},
		{`[file:hashes.'SHA-1' IN ('AA','BB')]`, []string{"aa", "bb"}},
		{`[x-custom:val = 'C:\\path']`, []string{`C:\path`}},
		{`[domain-name:value LIKE '%.evil.test'] START t'2016-01-01T00:00:00Z' STOP t'2016-02-01T00:00:00Z'`, []string{"%.evil.test"}},
		{`[artifact:payload_bin = b'aGVsbG8=' AND file:extensions.'windows-pebinary-ext'.sections[*].name = '.text']`, []string{".text"}},
		{`[network-traffic:dst_port = 443]`, nil},
		{`[email-message:from_ref.value MATCHES '.+@evil\\.test$']`, []string{`.+@evil\.test$`}},
		{`[url:value = 'unterminated`, []string{"unterminated"}},
	} {
		if got := patternValues(tc.pattern); !slices.Equal(got, tc.want) {
			t.Errorf("patternValues(%s) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       fields
	}{
		{"indicator", `{"type":"indicator","name":"N","description":"D","pattern":"[url:value = 'http://a.test']","pattern_type":"stix","labels":["l1","l2"],"created":"2026-01-01T00:00:00Z","revoked":true}`,
			fields{Name: "N", Description: "D", Pattern: "[url:value = 'http://a.test']", Created: "2026-01-01T00:00:00Z", Revoked: true, Labels: []string{"l1", "l2"}, Values: []string{"http://a.test"}}},
		{"sigma pattern is not parsed", `{"type":"indicator","pattern":"title: 'x'","pattern_type":"sigma"}`,
			fields{Pattern: "title: 'x'"}},
		{"file", `{"type":"file","name":"a.exe","hashes":{"MD5":"ABCD","SHA-256":"EF01"}}`,
			fields{Name: "a.exe", Values: []string{"a.exe", "abcd", "ef01"}}},
		{"directory", `{"type":"directory","path":"C:\\Temp"}`, fields{Values: []string{`C:\Temp`}}},
		{"autonomous-system", `{"type":"autonomous-system","number":15139,"name":"Slime"}`,
			fields{Name: "Slime", Values: []string{"15139", "Slime"}}},
		{"SDO name is not a value", `{"type":"malware","name":"Emotet","value":"x"}`, fields{Name: "Emotet"}},
		{"observed-data objects", `{"type":"observed-data","objects":{"0":{"type":"ipv4-addr","value":"192.0.2.9"},"1":{"type":"domain-name","value":"a.test"}}}`,
			fields{Values: []string{"192.0.2.9", "a.test"}}},
		{"odd shapes are ignored", `{"type":"ipv4-addr","value":5,"labels":"x","revoked":"yes","name":["n"],"hashes":[1],"number":"x1"}`, fields{}},
		{"odd labels are dropped", `{"type":"malware","labels":["a",5,null,"b"]}`, fields{Labels: []string{"a", "b"}}},
		{"duplicates collapse", `{"type":"indicator","pattern":"[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.1']"}`,
			fields{Pattern: "[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.1']", Values: []string{"192.0.2.1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := extract([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.want.Name || got.Description != tc.want.Description || got.Pattern != tc.want.Pattern ||
				got.Created != tc.want.Created || got.Revoked != tc.want.Revoked ||
				!slices.Equal(got.Labels, tc.want.Labels) || !slices.Equal(got.Values, tc.want.Values) {
				t.Errorf("extract = %+v, want %+v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "null x", "[1]", `"s"`, "{"} {
		if _, err := extract([]byte(bad)); err == nil {
			t.Errorf("extract(%q) succeeded", bad)
		}
	}
}
