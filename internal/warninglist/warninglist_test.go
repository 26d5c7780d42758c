package warninglist

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

func TestSharedLists(t *testing.T) {
	s, err := LoadDir(filepath.Join(testutil.SharedTestdata(t), "warninglists"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lists) != 8 {
		t.Fatalf("%d lists, want 8", len(s.Lists))
	}
	cases := []struct {
		typ, value, list string // list "" means not benign
	}{
		{"ipv4-addr", "8.8.8.8", "List of known IPv4 public DNS resolvers"},
		{"ipv4-addr", "10.200.1.2", "List of RFC 1918 CIDR blocks"},
		{"ipv4-addr", "172.32.0.1", ""}, // just outside 172.16.0.0/12
		{"ipv4-addr", "198.51.100.7", "List of RFC 5735 CIDR blocks"},
		{"ipv6-addr", "2001:4860:4860::8888", "List of known IPv6 public DNS resolvers"},
		{"domain-name", "www.google.com", "Top 10K most-used sites from Tranco"},
		{"domain-name", "notgoogle-evil.example", ""},
		{"url", "https://WWW.GITHUB.COM/x", "Top 10K most-used sites from Tranco"},
		{"domain-name", "COM", "TLDs as known by IANA"},
		{"md5", "D41D8CD98F00B204E9800998ECF8427E", "List of known hashes for empty files"},
		{"md5", "d41d8cd98f00b204e9800998ecf8427f", ""},
		{"url", "8.8.8.8", ""}, // CIDR lists are for addresses only
	}
	for _, c := range cases {
		list, ok := s.Benign(c.typ, c.value)
		if ok != (c.list != "") || list != c.list {
			t.Errorf("Benign(%s, %s) = %q, %v; want %q", c.typ, c.value, list, ok, c.list)
		}
	}
}

func TestParseKinds(t *testing.T) {
	sub, err := Parse([]byte(`{"name":"s","type":"substring","list":["cdn."],"matching_attributes":[]}`))
	if err != nil || !sub.Contains("domain-name", "x.CDN.example") || sub.Contains("domain-name", "x.example") {
		t.Errorf("substring list: %v", err)
	}
	re, err := Parse([]byte(`{"name":"r","type":"regex","list":["/^api\\.[a-z]+\\.example$/i","(?<=x)y"],"matching_attributes":["domain"]}`))
	if err != nil || re.Skipped != 1 || !re.Contains("domain-name", "API.foo.example") || re.Contains("url", "api.foo.example") {
		t.Errorf("regex list: %v, skipped %d", err, re.Skipped)
	}
	for _, bad := range []string{`{"name":"x","type":"bloom","list":[]}`, `{"type":"cidr","list":[]}`, `{"name":"c","type":"cidr","list":["10.0.0.0/33"]}`, `[`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) accepted", bad)
		}
	}
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no warninglists") {
		t.Errorf("empty dir: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"name":"c","type":"cidr","list":["10.0.0.0/8","::1"]}`))
	f.Add([]byte(`{"name":"h","type":"hostname","list":["a.example"],"matching_attributes":["domain"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err == nil {
			l.Contains("ipv4-addr", "10.1.2.3")
			l.Contains("domain-name", "a.b.example")
		}
	})
}
