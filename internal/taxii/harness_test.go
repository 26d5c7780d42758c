package taxii_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/taxii"
)

// node is a real single-member node (CometBFT, pebble, SQLite, HTTP on a
// loopback port) with the public TLP:CLEAR collection enabled.
type node struct {
	t      *testing.T
	d      *daemon.Daemon
	base   string // API base URL
	root   string // base + /taxii2/phalanx/
	admin  string // admin token secret
	reader string // reader token secret
	cli    *client.Client
}

func startNode(t *testing.T) *node {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "node")
	if err := daemon.Init(dir, daemon.InitOptions{Member: "cert-a", APIListen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	enablePublicClear(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.Open(ctx, dir, daemon.Options{CometLog: io.Discard})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	admin, err := d.AdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, d: d, base: d.URL(), root: d.URL() + "/taxii2/phalanx/", admin: admin}
	if n.cli, err = client.New(d.URL(), admin); err != nil {
		t.Fatal(err)
	}
	tok, err := n.cli.CreateToken(ctx, "reader", auth.RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	n.reader = tok.Token
	return n
}

func enablePublicClear(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, daemon.ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["taxii_public_clear"] = true
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// publish commits body (a bundle) through the REST API and waits.
func (n *node) publish(objs ...string) { n.publishTo(intake.Address{}, objs...) }

// publishTo commits objects addressed to a (objects above TLP:GREEN are
// sealed for the recipients and need them).
func (n *node) publishTo(a intake.Address, objs ...string) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body := `{"type":"bundle","id":"bundle--6d1c9a0e-3a5e-4a0b-9b7e-2f1f0d9a1c11","objects":[` + strings.Join(objs, ",") + `]}`
	res, err := n.cli.PublishTo(ctx, []byte(body), a, true)
	if err != nil {
		n.t.Fatalf("publish: %v", err)
	}
	for _, tr := range res.Transactions {
		if tr.Code != 0 || !tr.Committed() {
			n.t.Fatalf("tx %s: %s %s", tr.TxHash, tr.Codename, tr.Log)
		}
	}
}

// response is one HTTP exchange's outcome.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// req sends a request with headers h (nil values omit the header).
func (n *node) req(method, url string, h map[string]string, body string) response {
	n.t.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func bearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Accept": taxii.MediaType}
}

func basic(user, tok string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+tok)), "Accept": taxii.MediaType}
}

// get fetches a TAXII path (relative to the API root unless it starts
// with /) as the admin.
func (n *node) get(path string) response {
	n.t.Helper()
	return n.req(http.MethodGet, n.url(path), bearer(n.admin), "")
}

func (n *node) url(path string) string {
	if strings.HasPrefix(path, "/") {
		return n.base + path
	}
	return n.root + path
}

// ok checks status and the TAXII media type of a response.
func ok(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); r.status != http.StatusOK || len(r.body) > 0 {
		if ct != taxii.MediaType {
			t.Fatalf("Content-Type %q, want %q", ct, taxii.MediaType)
		}
	}
}

// isError checks that r is a TAXII error message with status.
func isError(t *testing.T, r response, status int) taxii.Error {
	t.Helper()
	ok(t, r, status)
	var e taxii.Error
	r.decode(t, &e)
	if e.Title == "" || e.HTTPStatus != fmt.Sprint(status) {
		t.Fatalf("error message %s: want a title and http_status %q", r.body, fmt.Sprint(status))
	}
	return e
}
