package client_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

const (
	adminSecret  = "admin-secret"
	readerSecret = "reader-secret"
)

const (
	indicator   = `{"type":"indicator","spec_version":"2.1","id":"indicator--1","created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"evil.example","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix"}`
	indicatorV2 = `{"type":"indicator","spec_version":"2.1","id":"indicator--1","created":"2025-01-01T00:00:00Z","modified":"2025-02-01T00:00:00Z","name":"evil.example","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix"}`
	malware     = `{"type":"malware","id":"malware--1","name":"Evil","is_family":true}`
	rejected    = `{"type":"malware","id":"malware--2","x_apitest":"reject"}`
	hanging     = `{"type":"malware","id":"malware--3","x_apitest":"hang"}`
)

// newServer starts an API server over fakes and returns its URL.
func newServer(t *testing.T, tls bool, mod ...func(*api.Config)) *httptest.Server {
	t.Helper()
	cfg := api.Config{
		Backend: apitest.NewBackend(),
		Tokens: apitest.NewTokens(map[string]auth.Role{
			adminSecret: auth.RoleAdmin, readerSecret: auth.RoleReader,
		}),
		Authorize: auth.Authorize,
	}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, srv *httptest.Server, token string) *client.Client {
	t.Helper()
	c, err := client.New(srv.URL, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != code || e.Message == "" {
		t.Fatalf("error %v (%T), want *errs.Error with code %s", err, err, code)
	}
}

func TestPublishAndRead(t *testing.T) {
	c := newClient(t, newServer(t, false), adminSecret)
	ctx := context.Background()

	res, err := c.Publish(ctx, []byte(`{"type":"bundle","id":"bundle--1","objects":[`+indicator+`,`+malware+`]}`), true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || len(res.Transactions) != 2 || !res.Transactions[0].Committed() {
		t.Fatalf("publish: %+v", res)
	}
	res, err = c.Publish(ctx, []byte(indicatorV2), false)
	if err != nil || res.Accepted != 1 || res.Transactions[0].Committed() {
		t.Fatalf("publish without wait: %+v, %v", res, err)
	}

	v, err := c.Get(ctx, "indicator--1")
	if err != nil || v.Version != "2025-02-01T00:00:00Z" {
		t.Fatalf("get: %+v, %v", v, err)
	}
	vs, err := c.Versions(ctx, "indicator--1")
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions: %+v, %v", vs, err)
	}
	out, err := c.Outcome(ctx, res.Transactions[0].TxHash)
	if err != nil || out.Height == 0 || len(out.Records) != 1 {
		t.Fatalf("outcome: %+v, %v", out, err)
	}
	_, err = c.Outcome(ctx, strings.Repeat("0", 64))
	wantCode(t, err, errs.NotFound)
	_, err = c.Get(ctx, "no/such id?")
	wantCode(t, err, errs.NotFound)
	if !strings.Contains(err.Error(), "no/such id?") {
		t.Errorf("id not passed intact: %v", err)
	}
}

func TestSearch(t *testing.T) {
	c := newClient(t, newServer(t, false), adminSecret)
	ctx := context.Background()
	for _, obj := range []string{indicator, malware, `{"type":"malware","id":"malware--9","name":"Other"}`} {
		if _, err := c.Publish(ctx, []byte(obj), true); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.Search(ctx, projection.Query{Types: []string{"malware"}, Limit: 1})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != "malware--9" || page.NextCursor == "" {
		t.Fatalf("search: %+v, %v", page, err)
	}
	var ids []string
	for v, err := range c.SearchAll(ctx, projection.Query{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	if strings.Join(ids, " ") != "malware--9 malware--1 indicator--1" {
		t.Errorf("SearchAll = %v", ids)
	}
	for _, err := range c.SearchAll(ctx, projection.Query{Cursor: "bogus"}) {
		wantCode(t, err, errs.Invalid)
	}
}

func TestPublishRejected(t *testing.T) {
	c := newClient(t, newServer(t, false), adminSecret)
	res, err := c.Publish(context.Background(), []byte(`{"type":"bundle","id":"bundle--1","objects":[`+malware+`,`+rejected+`]}`), true)
	wantCode(t, err, errs.Rejected)
	if res.Accepted != 1 || res.Rejected != 1 || res.Transactions[1].Codename != "invalid_object" {
		t.Errorf("result %+v", res)
	}
	_, err = c.Publish(context.Background(), []byte(`not json`), false)
	wantCode(t, err, errs.Invalid)
}

// TestPublishWaitFollowsDeadline checks the node stops waiting before the
// caller's deadline, so the caller gets the node's answer.
func TestPublishWaitFollowsDeadline(t *testing.T) {
	c := newClient(t, newServer(t, false), adminSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := c.Publish(ctx, []byte(hanging), true)
	wantCode(t, err, errs.Unavailable)
	if len(res.Transactions) != 1 || res.Transactions[0].TxHash == "" {
		t.Errorf("result %+v", res)
	}
}

func TestErrors(t *testing.T) {
	srv := newServer(t, false)
	ctx := context.Background()

	_, err := newClient(t, srv, "wrong").Status(ctx)
	wantCode(t, err, errs.Unauthenticated)
	_, err = newClient(t, srv, readerSecret).CreateToken(ctx, "x", auth.RoleReader)
	wantCode(t, err, errs.Forbidden)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := newClient(t, srv, readerSecret).Status(canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, _ := client.New("http://"+addr, readerSecret)
	_, err = c.Status(ctx)
	wantCode(t, err, errs.Unavailable)
}

func TestErrorWithoutBody(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer proxy.Close()
	c, _ := client.New(proxy.URL, "x")
	_, err := c.Members(context.Background())
	wantCode(t, err, errs.Unavailable)
	if !strings.Contains(err.Error(), "502") {
		t.Errorf("message %q", err)
	}
}

func TestTokens(t *testing.T) {
	srv := newServer(t, false)
	c := newClient(t, srv, adminSecret)
	ctx := context.Background()
	ct, err := c.CreateToken(ctx, "siem", auth.RoleReader)
	if err != nil || ct.Token == "" || ct.Role != auth.RoleReader {
		t.Fatalf("create: %+v, %v", ct, err)
	}
	if _, err := newClient(t, srv, ct.Token).Status(ctx); err != nil {
		t.Errorf("new token: %v", err)
	}
	toks, err := c.ListTokens(ctx)
	if err != nil || len(toks) != 3 {
		t.Fatalf("list: %+v, %v", toks, err)
	}
	if err := c.RevokeToken(ctx, ct.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.RevokeToken(ctx, ct.ID), errs.NotFound)
	_, err = c.CreateToken(ctx, "x", "god")
	wantCode(t, err, errs.Invalid)
}

func TestStatusAndMembers(t *testing.T) {
	c := newClient(t, newServer(t, false), readerSecret)
	st, err := c.Status(context.Background())
	if err != nil || st.ChainID != "phalanx-test" {
		t.Fatalf("status: %+v, %v", st, err)
	}
	ms, err := c.Members(context.Background())
	if err != nil || len(ms) != 1 || ms[0].ID != apitest.Author {
		t.Fatalf("members: %+v, %v", ms, err)
	}
}

func TestTLS(t *testing.T) {
	srv := newServer(t, true)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(srv.URL, readerSecret, client.WithCAFile(caFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(context.Background()); err != nil {
		t.Errorf("with CA: %v", err)
	}
	c = newClient(t, srv, readerSecret)
	_, err = c.Status(context.Background())
	wantCode(t, err, errs.Unavailable)
	c, _ = client.New(srv.URL, readerSecret, client.WithHTTPClient(srv.Client()))
	if _, err := c.Status(context.Background()); err != nil {
		t.Errorf("with http client: %v", err)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not pem"), 0o600)
	cases := map[string]func() error{
		"no scheme": func() error { _, err := client.New("127.0.0.1:8443", "t"); return err },
		"ftp":       func() error { _, err := client.New("ftp://host", "t"); return err },
		"no host":   func() error { _, err := client.New("http://", "t"); return err },
		"missing CA": func() error {
			_, err := client.New("https://h", "t", client.WithCAFile("/nonexistent.pem"))
			return err
		},
		"bad CA":     func() error { _, err := client.New("https://h", "t", client.WithCAFile(bad)); return err },
		"nil client": func() error { _, err := client.New("https://h", "t", client.WithHTTPClient(nil)); return err },
		"nil pool":   func() error { _, err := client.New("https://h", "t", client.WithRootCAs(nil)); return err },
		"client+pool": func() error {
			_, err := client.New("https://h", "t", client.WithHTTPClient(http.DefaultClient), client.WithRootCAs(x509.NewCertPool()))
			return err
		},
	}
	for name, f := range cases {
		if f() == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	c, err := client.New("https://h:1/prefix/", "t")
	if err != nil || c.BaseURL() != "https://h:1/prefix" {
		t.Errorf("BaseURL %q, %v", c.BaseURL(), err)
	}
}

// TestPublishTooLarge checks a body over the node's limit yields the node's
// error, not a broken pipe.
func TestPublishTooLarge(t *testing.T) {
	srv := newServer(t, false, func(c *api.Config) { c.MaxBodyBytes = 1 << 10 })
	c := newClient(t, srv, adminSecret)
	for _, size := range []int{2 << 10, 8 << 20} {
		body := []byte(`{"type":"note","id":"note--1","content":"` + strings.Repeat("x", size) + `"}`)
		_, err := c.Publish(context.Background(), body, true)
		wantCode(t, err, errs.TooLarge)
		if err.Error() != "request body exceeds 1024 bytes" {
			t.Errorf("size %d: message %q", size, err)
		}
	}
}
