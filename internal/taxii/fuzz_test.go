package taxii

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// FuzzParseFilters: any query string is either accepted with filters
// inside their limits or refused with errs.Invalid; it never panics.
func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{"limit=10", "match[version]=first,last,2026-01-01T00:00:00Z", "match[id]=indicator--a0000000-0000-4000-8000-000000000001",
		"added_after=2026-01-01T00:00:00.123Z&next=AgAAAAAAAAAB", "limit=99999999999999999999", "match[type]=a,,b", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = raw
		fl, err := parseFilters(r, listFilters...)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("%q: error %v with code %s", raw, err, errs.CodeOf(err))
			}
			return
		}
		if fl.q.Limit < 0 || fl.q.Limit > MaxPageSize || len(fl.q.IDs) > maxMatchVals || len(fl.q.Types) > maxMatchVals {
			t.Fatalf("%q: filters out of bounds: %+v", raw, fl.q)
		}
		if _, err := url.ParseQuery(raw); err != nil {
			t.Fatalf("%q: malformed query accepted", raw)
		}
	})
}
