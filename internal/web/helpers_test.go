package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/web/session"
)

// Secrets of the fake token store's tokens.
const (
	adminSecret  = "secret-admin"
	readerSecret = "secret-reader"
)

type testUI struct {
	t        *testing.T
	srv      *httptest.Server
	backend  *apitest.Backend
	tokens   *apitest.Tokens
	sessions *session.Store
}

// newTestUI serves the UI over the apitest fakes and a real session store.
func newTestUI(t *testing.T, edit func(*Config)) *testUI {
	t.Helper()
	sessions, err := session.Open(context.Background(), filepath.Join(t.TempDir(), "web.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	u := &testUI{t: t, backend: apitest.NewBackend(), sessions: sessions,
		tokens: apitest.NewTokens(map[string]auth.Role{adminSecret: auth.RoleAdmin, readerSecret: auth.RoleReader})}
	cfg := Config{Backend: u.backend, Tokens: u.tokens, Sessions: sessions}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u.srv = httptest.NewServer(s.Handler())
	t.Cleanup(func() { u.srv.Close(); s.Close() })
	return u
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t   *testing.T
	ui  *testUI
	c   *http.Client
	url string
}

func (u *testUI) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: u.t, ui: u, url: u.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches path and returns the status and body.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	res, err := b.c.Get(b.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// post sends a form as a same-origin browser would.
func (b *browser) post(path string, form url.Values) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { res.Body.Close() })
	return res
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the form on page path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s: %s", path, body)
	}
	return m[1]
}

// login signs in with secret and fails the test unless it works.
func (b *browser) login(secret string) {
	b.t.Helper()
	res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "token": {secret}, "next": {"/"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		body, _ := io.ReadAll(res.Body)
		b.t.Fatalf("login: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
	}
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// published returns the objects the fake ledger holds, newest first.
func (u *testUI) published() []json.RawMessage {
	u.t.Helper()
	page, err := u.backend.Search(context.Background(), projection.Query{AllVersions: true, Limit: 1000})
	if err != nil {
		u.t.Fatal(err)
	}
	var out []json.RawMessage
	for _, v := range page.Items {
		out = append(out, v.Object)
	}
	return out
}
