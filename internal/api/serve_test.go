package api_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

func TestServePlain(t *testing.T) {
	testServe(t, "", "", http.DefaultClient, "http")
}

func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	testServe(t, certFile, keyFile, c, "https")
}

func TestServeNeedsCertAndKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := api.Serve(context.Background(), ln, http.NotFoundHandler(), "cert.pem", ""); err == nil {
		t.Error("Serve with a certificate but no key succeeded")
	}
}

func TestServeBadCertificate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	if err := api.Serve(context.Background(), ln, http.NotFoundHandler(), missing, missing); err == nil {
		t.Error("Serve with a missing certificate succeeded")
	}
}

// testServe serves the API, checks /healthz answers over scheme, and checks
// Serve returns nil once its context is done.
func testServe(t *testing.T, certFile, keyFile string, c *http.Client, scheme string) {
	t.Helper()
	e := newEnv(t)
	s, err := api.New(api.Config{Backend: e.backend, Tokens: e.tokens, Authorize: auth.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.Serve(ctx, ln, s.Handler(), certFile, keyFile) }()

	resp, err := c.Get(scheme + "://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// files and returns them with a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	return testutil.SelfSignedCert(t, t.TempDir())
}
