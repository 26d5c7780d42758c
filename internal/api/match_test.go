package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/detect"
)

// matchingBackend is the fake backend with a real indicator index.
type matchingBackend struct {
	api.Backend
	idx *detect.Index
}

func (m matchingBackend) Match(ctx context.Context, r io.Reader, cfg detect.Config, emit func(detect.Hit) error) (detect.Stats, error) {
	return m.idx.Scan(ctx, r, cfg, emit)
}

func newMatchEnv(t *testing.T) *env {
	idx := detect.New(4)
	for id, p := range map[string]string{
		"indicator--00000000-0000-4000-8000-000000000001": "[domain-name:value = 'evil.example']",
		"indicator--00000000-0000-4000-8000-000000000002": "[ipv4-addr:value = '10.0.0.0/8']",
	} {
		c, err := detect.CompilePattern(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := idx.Add(detect.Indicator{ID: id, Version: time.Now(), Author: "acme", Marking: "tlp:green", Confidence: 90, Pattern: c}); err != nil {
			t.Fatal(err)
		}
	}
	return newEnv(t, func(c *api.Config) { c.Backend = matchingBackend{Backend: c.Backend, idx: idx} })
}

func matchLines(t *testing.T, body []byte) []api.MatchLine {
	t.Helper()
	var out []api.MatchLine
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var l api.MatchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

func TestMatchStreamsHits(t *testing.T) {
	e := newMatchEnv(t)
	body := "query www.evil.example from 10.1.2.3\nnotevil.example 11.0.0.1\n"
	resp, b := e.do(t, http.MethodPost, "/v1/match?source=dns.log", readerSecret, "text/plain", body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	lines := matchLines(t, b)
	if len(lines) != 3 {
		t.Fatalf("got %d lines: %s", len(lines), b)
	}
	h := lines[0].Hit
	if h == nil || h.Observed != "www.evil.example" || h.Value != "evil.example" || h.Line != 1 || h.Offset != 6 ||
		h.Source != "dns.log" || h.Marking != "tlp:green" || *h.Confidence != 90 || h.Author != "acme" {
		t.Errorf("first hit %+v", h)
	}
	if h := lines[1].Hit; h == nil || h.Value != "10.0.0.0/8" || h.Observed != "10.1.2.3" {
		t.Errorf("second hit %+v", h)
	}
	if s := lines[2].Summary; s == nil || s.Lines != 2 || s.Hits != 2 || s.Format != "text" {
		t.Errorf("summary %+v", lines[2])
	}
	// exact=true turns the subdomain and CIDR semantics off.
	_, b = e.do(t, http.MethodPost, "/v1/match?exact=true", readerSecret, "text/plain", body)
	if lines := matchLines(t, b); len(lines) != 1 || lines[0].Summary == nil || lines[0].Summary.Hits != 0 {
		t.Errorf("exact: %s", b)
	}
}

func TestMatchStructuredAndErrors(t *testing.T) {
	e := newMatchEnv(t)
	eve := `{"event_type":"dns","src_ip":"10.9.9.9","dns":{"rrname":"evil.example"}}` + "\n" + `{"broken":` + "\n"
	_, b := e.do(t, http.MethodPost, "/v1/match?field=dns.rrname", readerSecret, "application/x-ndjson", eve)
	lines := matchLines(t, b)
	if len(lines) != 2 || lines[0].Hit == nil || lines[0].Hit.Field != "dns.rrname" || lines[0].Hit.Offset != 57 {
		t.Fatalf("eve: %s", b)
	}
	if s := lines[1].Summary; s == nil || s.Format != "eve" || s.Malformed != 1 || !strings.HasPrefix(s.FirstBad, "line 2:") {
		t.Errorf("eve summary %+v", lines[1].Summary)
	}
	cases := []struct {
		query, secret, ctype string
		status               int
		code                 string
	}{
		{"?format=xml", readerSecret, "text/plain", 400, "invalid"},
		{"?format=text&field=a", readerSecret, "text/plain", 400, "invalid"},
		{"?exact=maybe", readerSecret, "text/plain", 400, "invalid"},
		{"?bogus=1", readerSecret, "text/plain", 400, "invalid"},
		{"", readerSecret, "image/png", 415, "unsupported_media_type"},
		{"", "", "text/plain", 401, "unauthenticated"},
	}
	for _, c := range cases {
		resp, b := e.do(t, http.MethodPost, "/v1/match"+c.query, c.secret, c.ctype, "x\n")
		wantError(t, resp, b, c.status, c.code)
	}
	// A line over the limit ends the stream with a too_large error line.
	_, b = e.do(t, http.MethodPost, "/v1/match", readerSecret, "text/plain", strings.Repeat("a", 5<<20))
	if lines := matchLines(t, b); len(lines) != 1 || lines[0].Error == nil || lines[0].Error.Code != "too_large" {
		t.Errorf("long line: %s", b)
	}
}

func TestMatchWithoutMatcher(t *testing.T) {
	e := newEnv(t)
	resp, b := e.do(t, http.MethodPost, "/v1/match", readerSecret, "text/plain", "1.2.3.4\n")
	wantError(t, resp, b, http.StatusServiceUnavailable, "unavailable")
}
