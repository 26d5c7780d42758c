package detect

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// compileCases are patterns in and outside the supported subset.
var compileCases = []string{
	"[ipv4-addr:value = '1.2.3.4']",
	"[domain-name:value LIKE '%.x' OR url:value MATCHES 'a+']",
	"[file:hashes.'SHA-256' IN ('" + strings.Repeat("a", 64) + "')] OR [ipv6-addr:value ISSUBSET '::/0']",
	"[ipv4-addr:value = '10.0.0.1' AND network-traffic:dst_port = 443]",
	"[ipv4-addr:value = '1.2.3.4'] AND [url:value = 'http://a/']", // AND between observations: unsupported
	"[ipv4-addr:value = '1.2.3.4'] WITHIN 10 SECONDS",             // a qualifier: unsupported
}

func patternIndicator(t testing.TB, pattern string) *stix.Object {
	t.Helper()
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",`+
		`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","pattern":%q,`+
		`"valid_from":"2026-01-01T00:00:00Z"}`, pattern)
	o, err := stix.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("%s: %v", pattern, err)
	}
	return o
}

// TestCompileObjectMatchesCompilePattern: compiling a parsed indicator's
// pattern (from the tokens Parse kept) gives what compiling its text
// gives, errors included, and so does a record carrying that parse.
func TestCompileObjectMatchesCompilePattern(t *testing.T) {
	for _, p := range compileCases {
		o := patternIndicator(t, p)
		want, wantErr := CompilePattern(p)
		got, err := CompileObject(o)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CompileObject = %+v, %v; CompilePattern = %+v, %v", p, got, err, want, wantErr)
		}
		r := record.Record{Type: "indicator", ObjectID: o.ID, Modified: "2026-01-01T00:00:00Z", Object: o.Raw}
		plain, _, errPlain := FromRecord(r)
		r.Parsed = o
		parsed, _, errParsed := FromRecord(r)
		if fmt.Sprint(errParsed) != fmt.Sprint(errPlain) || !reflect.DeepEqual(parsed, plain) {
			t.Errorf("%s: FromRecord with the parse = %+v, %v; without = %+v, %v", p, parsed, errParsed, plain, errPlain)
		}
	}
}

// TestCompileRecordUsesOnlyItsOwnPattern: a parse of another pattern than
// the record's is not used.
func TestCompileRecordUsesOnlyItsOwnPattern(t *testing.T) {
	own := patternIndicator(t, "[ipv4-addr:value = '1.2.3.4']")
	other := patternIndicator(t, "[ipv4-addr:value = '5.6.7.8']")
	r := record.Record{Type: "indicator", ObjectID: own.ID, Modified: "2026-01-01T00:00:00Z", Object: own.Raw, Parsed: other}
	in, ok, err := FromRecord(r)
	if err != nil || !ok {
		t.Fatalf("FromRecord: %v %v", ok, err)
	}
	if _, values := in.Pattern.Values(); len(values) != 1 || values[0] != "1.2.3.4" {
		t.Fatalf("compiled values %q; want the record's own 1.2.3.4", values)
	}
	if _, err := CompileObject(&stix.Object{ID: "x", Type: "malware"}); err == nil {
		t.Fatal("CompileObject of an object without a pattern: no error")
	}
}

// BenchmarkCompile compiles a feed indicator's pattern from its text and
// from the tokens its parse kept.
func BenchmarkCompile(b *testing.B) {
	o := patternIndicator(b, "[domain-name:value = 'login-4f2a.example-17.test']")
	b.Run("text", func(b *testing.B) {
		for b.Loop() {
			if _, err := CompilePattern(o.Pattern); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("object", func(b *testing.B) {
		for b.Loop() {
			if _, err := CompileObject(o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
