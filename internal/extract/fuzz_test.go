package extract

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

// FuzzScan checks that every candidate lies inside the input at its offset
// and parses as its kind, and what checkValues checks of the values.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"1.2.3.4 evil.example", "http://a.b/c?d#e", "x@y.z", "::1 fe80::1%eth0 [2001:db8::1]:80",
		"d41d8cd98f00b204e9800998ecf8427e", "a:b:c.d:e", "hxxp://[::1/", "..--.@", "http://@:/"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkValues(t, b)
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

// checkValues checks what Values says beyond a value's place: an IPv4
// address's number is the address, and a URL's Host is the length of its
// "scheme://host" prefix exactly when its authority is a bare host (the
// host's bytes, if any, are letters, digits and "._+-", and '/', '?', '#'
// or the URL's end follow it), else 0.
func checkValues(t *testing.T, b []byte) {
	t.Helper()
	vals, next := Values(b, 0, nil, 1<<30)
	if next != len(b) {
		t.Fatalf("Values(%q) stopped at %d of %d", b, next, len(b))
	}
	for _, v := range vals {
		val := b[v.Off : v.Off+int(v.Len)]
		switch v.Kind {
		case IPv4:
			a, err := netip.ParseAddr(string(val))
			if err != nil || a.As4() != [4]byte{byte(v.V4 >> 24), byte(v.V4 >> 16), byte(v.V4 >> 8), byte(v.V4)} {
				t.Fatalf("IPv4 %q has number %08x", val, v.V4)
			}
		case URL:
			sep := bytes.Index(val, []byte("://"))
			auth := val[sep+3:]
			if i := bytes.IndexAny(auth, "/?#"); i >= 0 {
				auth = auth[:i]
			}
			bare := len(bytes.Trim(auth, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")) == 0
			if want := uint32(0); bare {
				want = uint32(sep + 3 + len(auth))
				if v.Host != want {
					t.Fatalf("URL %q: Host %d, want %d", val, v.Host, want)
				}
			} else if v.Host != 0 {
				t.Fatalf("URL %q (authority %q not a bare host): Host %d, want 0", val, auth, v.Host)
			}
		}
	}
}

// TestValuesHost checks Values' IPv4 numbers and URL authorities on
// typical and awkward URLs.
func TestValuesHost(t *testing.T) {
	for _, s := range []string{
		"GET http://evil.example/x?y 1.2.3.4", "HTTPS://Evil.Example.:443/", "ftp://u@h/", "http://[::1]/",
		"http://a.b?q", "http://a.b#f", "http://x.y", "http://...", "http://a%41.b/", "hxxp://a_b-c+d.e/f",
		"http://host:8080/p", "see http://x.y.z/" + strings.Repeat("p", 80) + " and http://u.v",
	} {
		checkValues(t, []byte(s))
	}
	vals, _ := Values([]byte("GET http://evil.example/x"), 0, nil, 10)
	if len(vals) != 2 || vals[0].Kind != URL || vals[0].Host != uint32(len("http://evil.example")) {
		t.Fatalf("values %+v: want the URL with Host %d, then its host", vals, len("http://evil.example"))
	}
}
