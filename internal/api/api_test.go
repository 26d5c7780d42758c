package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Secrets of the tokens every test server knows.
const (
	adminSecret   = "admin-secret-0123"
	analystSecret = "analyst-secret-0123"
	machineSecret = "machine-secret-0123"
	readerSecret  = "reader-secret-0123"
)

const (
	indicator   = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"evil.example","labels":["phishing"],"pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"}`
	indicatorID = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
)

// env is a test API server over fakes.
type env struct {
	srv     *httptest.Server
	backend *apitest.Backend
	tokens  *apitest.Tokens
	logs    *syncBuffer
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t *testing.T, mod ...func(*api.Config)) *env {
	t.Helper()
	e := &env{
		backend: apitest.NewBackend(),
		tokens: apitest.NewTokens(map[string]auth.Role{
			adminSecret: auth.RoleAdmin, analystSecret: auth.RoleAnalyst,
			machineSecret: auth.RoleMachine, readerSecret: auth.RoleReader,
		}),
		logs: &syncBuffer{},
	}
	cfg := api.Config{
		Backend: e.backend, Tokens: e.tokens, Authorize: auth.Authorize,
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request with the given bearer secret ("" for none) and returns
// the response and its body.
func (e *env) do(t *testing.T, method, path, secret, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// publish posts body as STIX JSON with the admin token.
func (e *env) publish(t *testing.T, query, body string) (*http.Response, api.PublishResult) {
	t.Helper()
	resp, b := e.do(t, http.MethodPost, "/v1/objects"+query, analystSecret, "application/stix+json;version=2.1", body)
	var res api.PublishResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return resp, res
}

// wantError checks resp is a JSON error with status and code.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) api.ErrorDetail {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var eb api.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if eb.Error.Code != code || eb.Error.Message == "" {
		t.Fatalf("error = %+v, want code %q and a message", eb.Error, code)
	}
	return eb.Error
}

func TestNewValidatesConfig(t *testing.T) {
	b, tk := apitest.NewBackend(), apitest.NewTokens(nil)
	for name, cfg := range map[string]api.Config{
		"no backend":      {Tokens: tk, Authorize: auth.Authorize},
		"no tokens":       {Backend: b, Authorize: auth.Authorize},
		"no authorize":    {Backend: b, Tokens: tk},
		"negative body":   {Backend: b, Tokens: tk, Authorize: auth.Authorize, MaxBodyBytes: -1},
		"timeout too big": {Backend: b, Tokens: tk, Authorize: auth.Authorize, PublishTimeout: time.Hour},
	} {
		if _, err := api.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// TestAuthMatrix checks every route against every kind of credential.
func TestAuthMatrix(t *testing.T) {
	e := newEnv(t)
	e.publish(t, "", indicator)
	routes := []struct {
		method, path, ctype, body string
		action                    auth.Action
	}{
		{"POST", "/v1/objects", "application/json", indicator, auth.ActionPublish},
		{"GET", "/v1/objects/" + indicatorID, "", "", auth.ActionRead},
		{"GET", "/v1/search?type=indicator", "", "", auth.ActionRead},
		{"GET", "/v1/txs/" + strings.Repeat("AB", 32), "", "", auth.ActionRead},
		{"GET", "/v1/status", "", "", auth.ActionRead},
		{"GET", "/v1/members", "", "", auth.ActionRead},
		{"POST", "/v1/gov/proposals", "application/json", `{"kind":"remove_member","target":"member-test"}`, auth.ActionAdmin},
		{"GET", "/v1/gov/proposals", "", "", auth.ActionRead},
		{"GET", "/v1/gov/proposals/1", "", "", auth.ActionRead},
		{"POST", "/v1/gov/proposals/1/votes", "application/json", `{"choice":"yes"}`, auth.ActionAdmin},
		{"POST", "/v1/tokens", "application/json", `{"role":"reader"}`, auth.ActionAdmin},
		{"GET", "/v1/tokens", "", "", auth.ActionAdmin},
		{"DELETE", "/v1/tokens/tok-999", "", "", auth.ActionAdmin},
	}
	roles := map[string]auth.Role{
		adminSecret: auth.RoleAdmin, analystSecret: auth.RoleAnalyst,
		machineSecret: auth.RoleMachine, readerSecret: auth.RoleReader,
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			for _, secret := range []string{"", "wrong-secret"} {
				resp, body := e.do(t, rt.method, rt.path, secret, rt.ctype, rt.body)
				wantError(t, resp, body, http.StatusUnauthorized, errs.Unauthenticated)
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			}
			for secret, role := range roles {
				resp, body := e.do(t, rt.method, rt.path, secret, rt.ctype, rt.body)
				allowed := auth.Authorize(auth.Token{Role: role}, rt.action) == nil
				switch {
				case !allowed:
					wantError(t, resp, body, http.StatusForbidden, errs.Forbidden)
				case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
					t.Errorf("role %s: status %d, want access; body %s", role, resp.StatusCode, body)
				}
			}
		})
	}
}

func TestMalformedAuthorization(t *testing.T) {
	e := newEnv(t)
	for _, h := range []string{"Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer   ", adminSecret} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/status", nil)
		req.Header.Set("Authorization", h)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantError(t, resp, body, http.StatusUnauthorized, errs.Unauthenticated)
	}
	// The scheme is case-insensitive.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/status", nil)
	req.Header.Set("Authorization", "bearer "+readerSecret)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("lower-case bearer: status %d", resp.StatusCode)
	}
}

func TestPublicRoutes(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "GET", "/healthz", "", "", "")
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	for _, p := range []string{"/openapi.json", "/openapi.yaml"} {
		resp, body := e.do(t, "GET", p, "", "", "")
		var doc map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(body, &doc) != nil || doc["openapi"] != "3.1.0" {
			t.Errorf("%s: status %d, %.80s", p, resp.StatusCode, body)
		}
	}
}

func TestPublishNoWait(t *testing.T) {
	e := newEnv(t)
	resp, res := e.publish(t, "", indicator)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if len(res.Transactions) != 1 || res.Accepted != 1 || res.Rejected != 0 || res.Error != nil {
		t.Fatalf("result %+v", res)
	}
	tx := res.Transactions[0]
	if len(tx.TxHash) != 64 || tx.Codename != "ok" || tx.Height != 0 || len(tx.Objects) != 1 || tx.Objects[0] != indicatorID {
		t.Errorf("transaction %+v", tx)
	}
}

func TestPublishWait(t *testing.T) {
	e := newEnv(t)
	bundle := `{"type":"bundle","id":"bundle--1","objects":[` + indicator + `,{"type":"malware","id":"malware--1","name":"x","is_family":true}]}`
	for _, wait := range []string{"true", "commit"} {
		resp, res := e.publish(t, "?wait="+wait+"&timeout=5", bundle)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("wait=%s: status %d %+v", wait, resp.StatusCode, res)
		}
		if res.Accepted != 2 || res.Rejected != 0 || len(res.Transactions) != 2 {
			t.Fatalf("result %+v", res)
		}
		for _, tx := range res.Transactions {
			if tx.Height == 0 || len(tx.Records) != 1 || len(tx.Objects) != 1 {
				t.Errorf("transaction not committed: %+v", tx)
			}
		}
	}
}

func TestPublishCheckTxRejected(t *testing.T) {
	e := newEnv(t)
	bundle := `{"type":"bundle","id":"bundle--1","objects":[` + indicator + `,{"type":"malware","id":"malware--1","x_apitest":"reject"}]}`
	for _, query := range []string{"", "?wait=true"} {
		resp, res := e.publish(t, query, bundle)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%q: status %d", query, resp.StatusCode)
		}
		if res.Error == nil || res.Error.Code != errs.Rejected || !strings.Contains(res.Error.Message, "object rejected by the test") {
			t.Errorf("%q: error %+v", query, res.Error)
		}
		if res.Accepted != 1 || res.Rejected != 1 {
			t.Errorf("%q: counts %+v", query, res)
		}
		rej := res.Transactions[1]
		if rej.Code != 3 || rej.Codename != "invalid_object" || rej.Log == "" {
			t.Errorf("%q: rejected tx %+v", query, rej)
		}
		if query != "" && res.Transactions[0].Height == 0 {
			t.Errorf("accepted tx not waited for: %+v", res.Transactions[0])
		}
	}
}

func TestPublishCommitRejected(t *testing.T) {
	e := newEnv(t)
	resp, res := e.publish(t, "?wait=true", `{"type":"malware","id":"malware--1","x_apitest":"fail"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity || res.Rejected != 1 || res.Transactions[0].Codename != "stale_version" {
		t.Fatalf("status %d, %+v", resp.StatusCode, res)
	}
	if res.Transactions[0].Height == 0 {
		t.Errorf("no height for a committed transaction")
	}
}

func TestPublishWaitTimeout(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.PublishTimeout = 200 * time.Millisecond })
	start := time.Now()
	// timeout above the configured maximum is capped.
	resp, res := e.publish(t, "?wait=true&timeout=60", `{"type":"malware","id":"malware--1","x_apitest":"hang"}`)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %s, want about 200ms", d)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || res.Error == nil || res.Error.Code != errs.Unavailable {
		t.Fatalf("status %d, %+v", resp.StatusCode, res)
	}
	if len(res.Transactions) != 1 || !strings.Contains(res.Error.Message, res.Transactions[0].TxHash) {
		t.Errorf("result %+v", res)
	}
}

func TestPublishBadInput(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, query, ctype, body string
		status                   int
		code                     string
	}{
		{"bad json", "", "application/json", `{`, 400, errs.Invalid},
		{"no content type", "", "", indicator, 415, api.CodeUnsupportedMediaType},
		{"text content type", "", "text/plain", indicator, 415, api.CodeUnsupportedMediaType},
		{"bad wait", "?wait=maybe", "application/json", indicator, 400, errs.Invalid},
		{"bad timeout", "?wait=true&timeout=soon", "application/json", indicator, 400, errs.Invalid},
		{"negative timeout", "?wait=true&timeout=-1", "application/json", indicator, 400, errs.Invalid},
		{"unknown param", "?wiat=true", "application/json", indicator, 400, errs.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.do(t, "POST", "/v1/objects"+c.query, analystSecret, c.ctype, c.body)
			wantError(t, resp, body, c.status, c.code)
		})
	}
}

func TestBodyLimit(t *testing.T) {
	const limit = 1024
	e := newEnv(t, func(c *api.Config) { c.MaxBodyBytes = limit })
	big := `{"type":"note","id":"note--1","content":"` + strings.Repeat("x", 2*limit) + `"}`
	resp, body := e.do(t, "POST", "/v1/objects", analystSecret, "application/json", big)
	d := wantError(t, resp, body, http.StatusRequestEntityTooLarge, errs.TooLarge)
	if d.Message != "request body exceeds 1024 bytes" {
		t.Errorf("message %q", d.Message)
	}
}

func TestBodyLimitDefaultMessage(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/objects", strings.NewReader("{}"))
	req.ContentLength = api.DefaultMaxBodyBytes + 1 // declared, never sent
	req.Header.Set("Authorization", "Bearer "+analystSecret)
	req.Header.Set("Content-Type", "application/json")
	s, _ := api.New(api.Config{Backend: e.backend, Tokens: e.tokens, Authorize: auth.Authorize})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	want := `{"error":{"code":"too_large","message":"request body exceeds 16777216 bytes"}}`
	if rec.Code != 413 || compact(t, rec.Body.Bytes()) != want {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}

// countingReader yields endless JSON-ish bytes and counts what was read.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	c.n += int64(len(p))
	return len(p), nil
}

func TestBodyLimitStopsReading(t *testing.T) {
	const limit = 4096
	e := newEnv(t)
	s, _ := api.New(api.Config{Backend: e.backend, Tokens: e.tokens, Authorize: auth.Authorize, MaxBodyBytes: limit})
	body := &countingReader{}
	req := httptest.NewRequest("POST", "/v1/objects", body)
	req.ContentLength = -1 // chunked: the length is unknown
	req.Header.Set("Authorization", "Bearer "+analystSecret)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	if body.n > 4*limit {
		t.Errorf("read %d bytes of an endless body, limit %d", body.n, limit)
	}
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestGetObject(t *testing.T) {
	e := newEnv(t)
	e.publish(t, "?wait=true", indicator)
	v2 := strings.Replace(indicator, `"modified":"2025-01-01T00:00:00Z"`, `"modified":"2025-02-01T00:00:00Z"`, 1)
	e.publish(t, "?wait=true", v2)

	resp, body := e.do(t, "GET", "/v1/objects/"+indicatorID, readerSecret, "", "")
	var v projection.Version
	if resp.StatusCode != 200 || json.Unmarshal(body, &v) != nil {
		t.Fatalf("latest: %d %s", resp.StatusCode, body)
	}
	if v.ID != indicatorID || v.Version != "2025-02-01T00:00:00Z" || !v.Latest || len(v.Object) == 0 {
		t.Errorf("latest = %+v", v)
	}

	resp, body = e.do(t, "GET", "/v1/objects/"+indicatorID+"?versions=all", readerSecret, "", "")
	var vs api.VersionsResponse
	if resp.StatusCode != 200 || json.Unmarshal(body, &vs) != nil || len(vs.Versions) != 2 {
		t.Fatalf("all: %d %s", resp.StatusCode, body)
	}

	resp, body = e.do(t, "GET", "/v1/objects/indicator--00000000-0000-4000-8000-000000000000", readerSecret, "", "")
	wantError(t, resp, body, 404, errs.NotFound)
	resp, body = e.do(t, "GET", "/v1/objects/"+indicatorID+"?versions=some", readerSecret, "", "")
	wantError(t, resp, body, 400, errs.Invalid)
}

// TestObjectBytesKept checks objects come back without HTML escaping.
func TestObjectBytesKept(t *testing.T) {
	e := newEnv(t)
	obj := `{"type":"indicator","id":"indicator--2","pattern":"[x:y < 5 AND a:b = '&']"}`
	e.publish(t, "?wait=true", obj)
	resp, body := e.do(t, "GET", "/v1/objects/indicator--2", readerSecret, "", "")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(obj)) {
		t.Errorf("object changed: %s", body)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.publish(t, "?wait=true", indicator)
	e.publish(t, "?wait=true", `{"type":"malware","id":"malware--1","name":"Evil","is_family":true,"labels":["ransomware"]}`)

	resp, body := e.do(t, "GET", "/v1/search?type=indicator,malware&label=phishing&author=a&author=b&q=evil&since=2024-01-01T00:00:00Z&until=2030-01-01T00:00:00.5Z&limit=10&all_versions=true", readerSecret, "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	q := e.backend.LastQuery
	if strings.Join(q.Types, "|") != "indicator|malware" || strings.Join(q.Authors, "|") != "a|b" ||
		strings.Join(q.Labels, "|") != "phishing" || q.Text != "evil" || q.Limit != 10 || !q.AllVersions ||
		!q.Since.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || q.Until.Nanosecond() != 5e8 {
		t.Errorf("query = %+v", q)
	}

	resp, body = e.do(t, "GET", "/v1/search?type=malware", readerSecret, "", "")
	var page projection.Page
	if resp.StatusCode != 200 || json.Unmarshal(body, &page) != nil || len(page.Items) != 1 || page.Items[0].ID != "malware--1" {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v1/search?type=campaign", readerSecret, "", "")
	if resp.StatusCode != 200 || compact(t, body) != `{"items":[]}` {
		t.Errorf("empty search: %d %s", resp.StatusCode, body)
	}
}

func TestSearchBadParameters(t *testing.T) {
	e := newEnv(t)
	for query, param := range map[string]string{
		"since=yesterday":        "since",
		"until=2024-01-01":       "until",
		"added_after=1700000000": "added_after",
		"limit=0":                "limit",
		"limit=x":                "limit",
		"limit=1001":             "limit",
		"all_versions=perhaps":   "all_versions",
		"types=indicator":        "types",
	} {
		resp, body := e.do(t, "GET", "/v1/search?"+query, readerSecret, "", "")
		d := wantError(t, resp, body, 400, errs.Invalid)
		if !strings.Contains(d.Message, param) {
			t.Errorf("%s: message %q does not name %s", query, d.Message, param)
		}
	}
}

func TestTx(t *testing.T) {
	e := newEnv(t)
	_, res := e.publish(t, "?wait=true", indicator)
	hash := res.Transactions[0].TxHash
	resp, body := e.do(t, "GET", "/v1/txs/"+strings.ToLower(hash), readerSecret, "", "")
	var out intake.Outcome
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil || out.TxHash != hash || out.Height == 0 {
		t.Fatalf("tx: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v1/txs/"+strings.Repeat("0", 64), readerSecret, "", "")
	wantError(t, resp, body, 404, errs.NotFound)
	resp, body = e.do(t, "GET", "/v1/txs/xyz", readerSecret, "", "")
	wantError(t, resp, body, 400, errs.Invalid)
}

func TestStatusAndMembers(t *testing.T) {
	e := newEnv(t)
	e.publish(t, "?wait=true", indicator)
	resp, body := e.do(t, "GET", "/v1/status", readerSecret, "", "")
	var st map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &st) != nil {
		t.Fatalf("status: %d %s", resp.StatusCode, body)
	}
	for _, k := range []string{"api", "member", "chain_id", "height", "app_hash", "last_block_time", "records"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status lacks %s: %s", k, body)
		}
	}
	resp, body = e.do(t, "GET", "/v1/members", readerSecret, "", "")
	var ms api.MembersResponse
	if resp.StatusCode != 200 || json.Unmarshal(body, &ms) != nil || len(ms.Members) != 1 || ms.Members[0].SignKey == "" {
		t.Fatalf("members: %d %s", resp.StatusCode, body)
	}
}

func TestBackendErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{errs.Errorf(errs.Unavailable, "node is catching up"), 503, errs.Unavailable},
		{errs.Errorf(errs.Conflict, "duplicate"), 409, errs.Conflict},
		{errs.Errorf(errs.TooLarge, "object too large"), 413, errs.TooLarge},
		{errors.New("disk on fire at /var/lib/phalanx"), 500, errs.Internal},
		{errs.Errorf("some_new_code", "what"), 500, errs.Internal},
	}
	for _, c := range cases {
		e.backend.Err = c.err
		resp, body := e.do(t, "GET", "/v1/status", readerSecret, "", "")
		d := wantError(t, resp, body, c.status, c.code)
		if c.code == errs.Internal && d.Message != "internal error" {
			t.Errorf("internal message leaked: %q", d.Message)
		}
	}
	if !strings.Contains(e.logs.String(), "disk on fire") {
		t.Errorf("internal error not logged: %s", e.logs)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "POST", "/v1/tokens", adminSecret, "application/json", `{"name":"siem","role":"machine"}`)
	var ct api.CreatedToken
	if resp.StatusCode != 201 || json.Unmarshal(body, &ct) != nil || ct.Token == "" || ct.ID == "" || ct.Role != auth.RoleMachine || ct.Name != "siem" {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	// The new token works and has its role.
	resp, _ = e.do(t, "GET", "/v1/status", ct.Token, "", "")
	if resp.StatusCode != 200 {
		t.Errorf("new token: status %d", resp.StatusCode)
	}
	resp, body = e.do(t, "POST", "/v1/tokens", adminSecret, "application/json", `{"role":"reader"}`)
	if resp.StatusCode != 201 || !strings.Contains(string(body), `"name":"reader token"`) {
		t.Errorf("default name: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{`{"role":"god"}`, `{"name":"x"}`, `{"role":"reader","secret":"x"}`, `{"role":"reader"} {}`, `[`} {
		resp, body = e.do(t, "POST", "/v1/tokens", adminSecret, "application/json", bad)
		wantError(t, resp, body, 400, errs.Invalid)
	}

	resp, body = e.do(t, "GET", "/v1/tokens", adminSecret, "", "")
	var list api.TokensResponse
	if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list.Tokens) != 6 {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), ct.Token) || strings.Contains(string(body), adminSecret) {
		t.Errorf("list shows a secret: %s", body)
	}

	resp, _ = e.do(t, "DELETE", "/v1/tokens/"+ct.ID, adminSecret, "", "")
	if resp.StatusCode != 204 {
		t.Errorf("revoke: status %d", resp.StatusCode)
	}
	resp, body = e.do(t, "GET", "/v1/status", ct.Token, "", "")
	wantError(t, resp, body, 401, errs.Unauthenticated)
	resp, body = e.do(t, "DELETE", "/v1/tokens/"+ct.ID, adminSecret, "", "")
	wantError(t, resp, body, 404, errs.NotFound)

	for _, secret := range []string{ct.Token, adminSecret, analystSecret, readerSecret} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("log contains secret %q", secret)
		}
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "GET", "/v2/nothing", "", "", "")
	wantError(t, resp, body, 404, errs.NotFound)
	resp, body = e.do(t, "PUT", "/v1/status", readerSecret, "", "")
	wantError(t, resp, body, 405, api.CodeMethodNotAllowed)
	if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q", allow)
	}
	resp, body = e.do(t, "DELETE", "/v1/tokens", adminSecret, "", "")
	wantError(t, resp, body, 405, api.CodeMethodNotAllowed)
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/v1/status?x=1", readerSecret, "", "")
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
	}
	if line["msg"] != "http request" || line["path"] != "/v1/status" || line["status"] != float64(200) || line["token"] == "" {
		t.Errorf("access log line %v", line)
	}
}

func TestPanicRecovered(t *testing.T) {
	e := newEnv(t)
	s, _ := api.New(api.Config{Backend: panicBackend{e.backend}, Tokens: e.tokens, Authorize: auth.Authorize})
	req := httptest.NewRequest("GET", "/v1/members", nil)
	req.Header.Set("Authorization", "Bearer "+readerSecret)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"internal"`) {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}

type panicBackend struct{ *apitest.Backend }

func (panicBackend) Members(context.Context) ([]api.Member, error) { panic("boom") }
