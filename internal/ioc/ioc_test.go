package ioc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// validIndicator checks that an indicator with i's id and pattern is
// valid STIX 2.1.
func validIndicator(i IOC) error {
	m := map[string]any{"type": "indicator", "spec_version": "2.1", "id": i.ID(),
		"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "valid_from": "2026-01-01T00:00:00Z",
		"pattern": i.Pattern(), "pattern_type": "stix"}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = stix.Parse(b)
	return err
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ in, forced, typ, value, pattern string }{
		{"198.51.100.7", "", "ipv4", "198.51.100.7", "[ipv4-addr:value = '198.51.100.7']"},
		{"198[.]51[.]100[.]7", "", "ipv4", "198.51.100.7", ""},
		{"2001:DB8::1", "", "ipv6", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"},
		{"10.1.2.3/8", "", "cidr", "10.0.0.0/8", "[ipv4-addr:value = '10.0.0.0/8']"},
		{"2001:db8::/32", "", "cidr", "2001:db8::/32", "[ipv6-addr:value = '2001:db8::/32']"},
		{"Evil-Example[.]COM", "", "domain", "evil-example.com", "[domain-name:value = 'evil-example.com']"},
		{"hxxps[:]//bad.example/a?b='c'", "", "url", "https://bad.example/a?b='c'", `[url:value = 'https://bad.example/a?b=\'c\'']`},
		{"bad.example/path", "", "url", "http://bad.example/path", ""},
		{"Alice@Example.ORG", "", "email", "Alice@example.org", "[email-addr:value = 'Alice@example.org']"},
		{"D41D8CD98F00B204E9800998ECF8427E", "", "md5", "d41d8cd98f00b204e9800998ecf8427e", "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", "", "sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
		{strings.Repeat("ab", 32), "", "sha256", strings.Repeat("ab", 32), ""},
		{strings.Repeat("cd", 64), "", "sha512", strings.Repeat("cd", 64), "[file:hashes.'SHA-512' = '" + strings.Repeat("cd", 64) + "']"},
		{"bad.example", "url", "url", "http://bad.example", ""},
	} {
		v, err := Classify(tc.in, tc.forced)
		if err != nil || v.Type != tc.typ || v.Value != tc.value {
			t.Errorf("Classify(%q) = %+v, %v; want %s %s", tc.in, v, err, tc.typ, tc.value)
			continue
		}
		if tc.pattern != "" && v.Pattern() != tc.pattern {
			t.Errorf("pattern of %q = %s, want %s", tc.in, v.Pattern(), tc.pattern)
		}
		if err := validIndicator(v); err != nil {
			t.Errorf("indicator of %q: %v", tc.in, err)
		}
	}
	for _, bad := range []string{"", "not an ioc", "999.1.1.1", "abc", "-bad-.com", "a@b", strings.Repeat("a", 3000), "300.1.1.1/8"} {
		if v, err := Classify(bad, ""); err == nil {
			t.Errorf("Classify(%q) = %+v, want an error", bad, v)
		}
	}
	if _, err := Classify("198.51.100.7", "domain"); err == nil {
		t.Error("an IP forced to domain was accepted")
	}
	// Ids are UUIDv5 of type and value: stable across runs, distinct per value.
	a, _ := Classify("198.51.100.7", "")
	b, _ := Classify("198[.]51[.]100[.]7", "")
	c, _ := Classify("198.51.100.8", "")
	if a.ID() != b.ID() || a.ID() == c.ID() || !strings.HasPrefix(a.ID(), "indicator--") || a.ID()[len("indicator--")+14] != '5' {
		t.Errorf("ids %s %s %s", a.ID(), b.ID(), c.ID())
	}
}

// FuzzClassify: any value is either refused or becomes an IOC whose
// indicator is valid STIX 2.1.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "hxxps[:]//a[.]b/c'd", "a@b.cd", "10.0.0.0/8", "2001:db8::1", "d41d8cd98f00b204e9800998ecf8427e", "x.y/z\\'"} {
		f.Add(s, "")
	}
	f.Add("example.com", "url")
	f.Fuzz(func(t *testing.T, v, forced string) {
		if !Valid(forced) {
			forced = ""
		}
		i, err := Classify(v, forced)
		if err != nil {
			return
		}
		if err := validIndicator(i); err != nil {
			t.Fatalf("%q classified %+v but its indicator is invalid: %v", v, i, err)
		}
	})
}

// TestObservableIDs: observable ids follow STIX 2.1 §2.9, checked against
// the ids the specification's deterministic-id rule gives (UUIDv5, namespace
// 00abedb4-…, over the canonical JSON of the contributing properties).
func TestObservableIDs(t *testing.T) {
	for _, tc := range []struct {
		ioc       IOC
		typ, json string
	}{
		{IOC{"ipv4", "198.51.100.3"}, "ipv4-addr", `{"value":"198.51.100.3"}`},
		{IOC{"cidr", "2001:db8::/32"}, "ipv6-addr", `{"value":"2001:db8::/32"}`},
		{IOC{"domain", "evil.example"}, "domain-name", `{"value":"evil.example"}`},
		{IOC{"url", "http://evil.example/a?b=<c>&d"}, "url", `{"value":"http://evil.example/a?b=<c>&d"}`},
		{IOC{"sha256", strings.Repeat("ab", 32)}, "file", `{"hashes":{"SHA-256":"` + strings.Repeat("ab", 32) + `"}}`},
	} {
		typ, _, id := tc.ioc.Observable()
		want := tc.typ + "--" + uuid.NewSHA1(uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7"), []byte(tc.json)).String()
		if typ != tc.typ || id != want {
			t.Errorf("%+v: %s %s, want %s", tc.ioc, typ, id, want)
		}
	}
}
