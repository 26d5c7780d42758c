package daemon

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// TestWebUIBesideTheAPI: the node serves the UI at / and the API at /v1/
// on one port; over TLS the UI's session cookie is Secure and host-only.
func TestWebUIBesideTheAPI(t *testing.T) {
	dir := initDir(t)
	_, _, pool := testutil.SelfSignedCert(t, dir)
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLSCert, cfg.TLSKey = "cert.pem", "key.pem"
	if err := cfg.save(dir); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, dir)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		res, err := c.Get(n.d.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	if res, body := get("/v1/status"); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"unauthenticated"`) {
		t.Fatalf("API without a token: %d %s", res.StatusCode, body)
	}
	// TAXII lives beside the API too: a TAXII error object, not the UI's sign-in.
	if res, body := get("/taxii2/"); res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Header.Get("Content-Type"), "taxii") {
		t.Fatalf("TAXII discovery without credentials: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res, _ := get("/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("UI without a session: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res := webSignIn(t, c, n.d.URL(), n.token)
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "__Host-phalanx_session" {
			session = ck
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly || session.Domain != "" || session.Path != "/" {
		t.Fatalf("sign-in over TLS: %d, cookie %+v", res.StatusCode, session)
	}
	if res, body := get("/"); res.StatusCode != http.StatusOK || !strings.Contains(body, "cert-a") {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
}

// TestWebUIProofPages: the UI serves the prover's bundles and checkpoints
// behind its session: the proof page shows the node's own check, the
// download verifies offline, the explorer shows the latest checkpoint.
func TestWebUIProofPages(t *testing.T) {
	n := startNode(t, initDir(t))
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		res, err := c.Get(n.d.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	const id = "indicator--00000000-1111-4111-8111-111111111111"
	if res, _ := get("/intel/" + id + "/proof.json"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("proof download without a session: %d", res.StatusCode)
	}
	webSignIn(t, c, n.d.URL(), n.token)

	n.publish(indicators(0, 1, "2026-01-01T00:00:00.000Z"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitProof(ctx, t, n, id, "")
	if res, body := get("/intel/" + id); res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/intel/`+id+`/proof"`) {
		t.Fatalf("object page: %d, proof link missing", res.StatusCode)
	}
	if res, body := get("/intel/" + id + "/proof"); res.StatusCode != http.StatusOK || !strings.Contains(body, "The node says: all 8 checks pass.") { // a v2 bundle
		t.Fatalf("proof page: %d %s", res.StatusCode, body)
	}
	res, body := get("/intel/" + id + "/proof.json")
	b, err := proof.ParseBundle([]byte(body))
	if res.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("proof download: %d %v", res.StatusCode, err)
	}
	ms, _ := memberSet(ctx, t, n)
	if rep := proof.Verify(b, ms); !rep.OK() || b.Record.ObjectID != id {
		t.Fatalf("downloaded bundle of %s: %+v", b.Record.ObjectID, rep)
	}
	if res, body := get("/ledger/checkpoints/latest"); res.StatusCode != http.StatusOK || !strings.Contains(body, "— cert-a ") {
		t.Fatalf("latest checkpoint: %d %s", res.StatusCode, body)
	}
}
