package api

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

func TestQueryRoundTrip(t *testing.T) {
	q := projection.Query{
		Types: []string{"indicator", "malware"}, Text: "evil corp", Labels: []string{"a", "b"},
		Authors: []string{"m1"}, Since: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		Until: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), AddedAfter: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		AllVersions: true, Limit: 7, Cursor: "abc",
	}
	got, err := ParseQuery(EncodeQuery(q))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, q) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, q)
	}
	if len(EncodeQuery(projection.Query{})) != 0 {
		t.Errorf("zero query encodes to %v", EncodeQuery(projection.Query{}))
	}
}

func TestParseQueryLists(t *testing.T) {
	q, err := ParseQuery(url.Values{"type": {"indicator, malware", "", "report"}, "label": {",x,"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Types, []string{"indicator", "malware", "report"}) || !reflect.DeepEqual(q.Labels, []string{"x"}) {
		t.Errorf("query %+v", q)
	}
	// A time offset is normalised to UTC.
	q, err = ParseQuery(url.Values{"since": {"2024-01-01T02:00:00+02:00"}})
	if err != nil || !q.Since.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || q.Since.Location() != time.UTC {
		t.Errorf("since %v, %v", q.Since, err)
	}
}

func TestParseTimeout(t *testing.T) {
	const limit = time.Minute
	for in, want := range map[string]time.Duration{
		"": limit, "5": 5 * time.Second, "0.5": 500 * time.Millisecond, "90s": limit, "10s": 10 * time.Second, "3600": limit,
	} {
		got, err := parseTimeout(in, limit)
		if err != nil || got != want {
			t.Errorf("parseTimeout(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-3", "soon", "NaN"} {
		if _, err := parseTimeout(in, limit); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("parseTimeout(%q) error %v, want invalid", in, err)
		}
	}
}

func TestStatusTable(t *testing.T) {
	want := map[string]int{
		errs.Invalid: 400, errs.Unauthenticated: 401, errs.Forbidden: 403, errs.NotFound: 404,
		errs.Conflict: 409, errs.TooLarge: 413, errs.Rejected: 422, errs.Unavailable: 503, errs.Internal: 500,
		CodeMethodNotAllowed: 405, CodeUnsupportedMediaType: 415, "unheard_of": 500,
	}
	for code, st := range want {
		if got := StatusOf(code); got != st {
			t.Errorf("StatusOf(%s) = %d, want %d", code, got, st)
		}
		if code != "unheard_of" && CodeOfStatus(st) != code {
			t.Errorf("CodeOfStatus(%d) = %s, want %s", st, CodeOfStatus(st), code)
		}
	}
	for st, code := range map[int]string{502: errs.Unavailable, 504: errs.Unavailable, 418: errs.Invalid, 501: errs.Internal} {
		if got := CodeOfStatus(st); got != code {
			t.Errorf("CodeOfStatus(%d) = %s, want %s", st, got, code)
		}
	}
}

func TestCheckMediaType(t *testing.T) {
	types := []string{"application/json", "application/stix+json"}
	for _, ok := range []string{"application/json", "application/json; charset=utf-8", "application/stix+json;version=2.1", "Application/JSON"} {
		if err := checkMediaType(ok, types); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "text/plain", "application/xml", "application/json;;"} {
		if err := checkMediaType(bad, types); errs.CodeOf(err) != CodeUnsupportedMediaType {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if StatusOf(CodeUnsupportedMediaType) != http.StatusUnsupportedMediaType {
		t.Error("415 not mapped")
	}
}
