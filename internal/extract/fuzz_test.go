package extract

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzScan checks that every candidate lies inside the input at its offset
// and parses as its kind.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"1.2.3.4 evil.example", "http://a.b/c?d#e", "x@y.z", "::1 fe80::1%eth0 [2001:db8::1]:80",
		"d41d8cd98f00b204e9800998ecf8427e", "a:b:c.d:e", "hxxp://[::1/", "..--.@", "http://@:/"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		Scan(b, 0, func(c Candidate) {
			if c.Off < 0 || c.Off+len(c.Value) > len(b) || !bytes.Equal(b[c.Off:c.Off+len(c.Value)], c.Value) {
				t.Fatalf("candidate %v at %d is not the input's bytes", c.Value, c.Off)
			}
			switch c.Kind {
			case IPv4, IPv6:
				a, err := netip.ParseAddr(string(c.Value))
				if err != nil || a != c.Addr {
					t.Fatalf("address %q parses as %v, %v; candidate says %v", c.Value, a, err, c.Addr)
				}
			case Domain:
				if !validDomain(c.Value) {
					t.Fatalf("invalid domain %q", c.Value)
				}
			case URL:
				if !bytes.Contains(c.Value, []byte("://")) {
					t.Fatalf("URL without :// %q", c.Value)
				}
			case Email:
				if !bytes.Contains(c.Value, []byte("@")) {
					t.Fatalf("e-mail without @ %q", c.Value)
				}
			case MD5, SHA1, SHA256, SHA512:
				if len(c.Value)%2 != 0 {
					t.Fatalf("hash of odd length %q", c.Value)
				}
			default:
				t.Fatalf("unknown kind %d", c.Kind)
			}
		})
	})
}

// fuzzSplitter checks that a splitter never panics and reports values that
// lie inside the line (for values without escapes).
func fuzzSplitter(f *testing.F, format Format, header []string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := NewSplitter(format, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range header {
			if err := s.Line([]byte(h), func(string, int, []byte) {}); err != nil {
				t.Fatal(err)
			}
		}
		_ = s.Line(line, func(_ string, off int, v []byte) {
			if off < 0 || off > len(line) {
				t.Fatalf("offset %d outside a line of %d bytes", off, len(line))
			}
			if !bytes.Contains(v, []byte{'\\'}) && format != FormatJSONL && !bytes.Equal(line[off:off+len(v)], v) {
				t.Fatalf("value %q is not at offset %d", v, off)
			}
		})
	})
}

func FuzzJSONLines(f *testing.F) {
	fuzzSplitter(f, FormatJSONL, nil, `{"a":"1.2.3.4","b":{"c":["x",1,null]}}`, `{"a":"\u0041\""}`, `{`, `{"a":1e5}`)
}

func FuzzZeek(f *testing.F) {
	fuzzSplitter(f, FormatZeek, []string{`#separator \x09`, "#fields\tts\tquery"}, "1\tevil.example", "#fields\ta", "-\t(empty)")
}

func FuzzCSV(f *testing.F) {
	fuzzSplitter(f, FormatCSV, []string{"a,b"}, `x,"y,""z"""`, `"`, `,,,`)
}
