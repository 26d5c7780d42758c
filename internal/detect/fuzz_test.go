package detect

import (
	"strings"
	"testing"
)

// FuzzCompilePattern checks that compiling any pattern either fails with a
// message or yields a pattern that an index accepts and can scan with.
func FuzzCompilePattern(f *testing.F) {
	for _, s := range []string{"[ipv4-addr:value = '1.2.3.4']", "[domain-name:value LIKE '%.x' OR url:value MATCHES 'a+']",
		"[file:hashes.'SHA-256' IN ('" + strings.Repeat("a", 64) + "')] OR [ipv6-addr:value ISSUBSET '::/0']", "[a:b = 1] AND [c:d = 2]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := CompilePattern(p)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		x := New(4)
		if err := x.Add(Indicator{ID: "indicator--00000000-0000-4000-8000-000000000000", Pattern: c, Version: t0}); err != nil && len(c.terms) <= maxTerms {
			t.Fatalf("Add: %v", err)
		}
		scan(t, x, "1.2.3.4 a.x http://a/ "+strings.Repeat("a", 64), Options{Now: t0})
	})
}

// FuzzNormURL checks URL normalisation is idempotent.
func FuzzNormURL(f *testing.F) {
	for _, s := range []string{"HTTP://A.Example:80/a/../b?x=%7e#f", "https://u@h:443", "ftp://h/./.././x/", "a://b/%zz%41", "A://[::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		n, ok := normURL([]byte(u), nil)
		if !ok {
			return
		}
		again, ok := normURL(n, nil)
		if !ok || string(again) != string(n) {
			t.Fatalf("normURL(%q) = %q, then %q (%v)", u, n, again, ok)
		}
	})
}

// FuzzURLAuthority checks normURLAuthority's one-pass case against the
// general one.
func FuzzURLAuthority(f *testing.F) {
	for _, s := range []string{"http://a.b/c", "http://A.B.:80/", "https://u@h/x", "ftp://[::1]:21/", "http://x..", "http://...", "http://", "hxxp://h?q#f", "http://h#f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, u []byte) {
		a, rest, ok := normURLAuthority(u, []byte("pre"))
		b, rest2, ok2 := normURLAuthoritySlow(u, []byte("pre"))
		if ok != ok2 || string(a) != string(b) || string(rest) != string(rest2) || (rest == nil) != (rest2 == nil) {
			t.Fatalf("normURLAuthority(%q) = %q, %q, %v; general %q, %q, %v", u, a, rest, ok, b, rest2, ok2)
		}
	})
}
