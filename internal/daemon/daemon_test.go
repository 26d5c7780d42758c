package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/sample"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// testNode is a real node (CometBFT, pebble, SQLite, HTTP on port 0) in a
// temp dir.
type testNode struct {
	t     *testing.T
	dir   string
	d     *Daemon
	cli   *client.Client
	token string
	stop  context.CancelFunc
	done  chan error
}

func initDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "node")
	if err := Init(dir, InitOptions{Member: "cert-a", Name: "CERT A", Sectors: []string{"energy"}, APIListen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startNode(t *testing.T, dir string) *testNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := Open(ctx, dir, Options{CometLog: io.Discard})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	token, err := d.AdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{t: t, dir: dir, d: d, token: token, stop: cancel, done: make(chan error, 1)}
	go func() { n.done <- d.Serve(ctx) }()
	if n.cli, err = client.New(d.URL(), token); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.close)
	return n
}

func (n *testNode) close() {
	if n.d == nil {
		return
	}
	n.stop()
	<-n.done
	if err := n.d.Close(); err != nil {
		n.t.Errorf("close: %v", err)
	}
	n.d = nil
}

func (n *testNode) publish(body string) client.PublishResult {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second) // generous: a loaded machine
	defer cancel()
	res, err := n.cli.Publish(ctx, []byte(body), true)
	if err != nil {
		n.t.Fatalf("publish: %v", err)
	}
	for _, tr := range res.Transactions {
		if tr.Code != 0 || !tr.Committed() {
			n.t.Fatalf("tx %s: %s %s (height %d)", tr.TxHash, tr.Codename, tr.Log, tr.Height)
		}
	}
	return res
}

func indicators(from, n int, modified string) string {
	objs := make([]string, n)
	for i := range objs {
		k := from + i
		objs[i] = fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"%s","name":"Bench indicator %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","labels":["bulk"]}`,
			k, modified, k, (k>>16)&255, (k>>8)&255, k&255)
	}
	return `{"type":"bundle","id":"bundle--00000000-2222-4222-8222-222222222222","objects":[` + strings.Join(objs, ",") + `]}`
}

func TestPublishGetSearchStatus(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx := context.Background()
	res := n.publish(string(sample.Bundle))
	if res.Accepted != 22 {
		t.Fatalf("accepted %d of the 22 sample objects", res.Accepted)
	}
	var bundle struct{ Objects []json.RawMessage }
	json.Unmarshal(sample.Bundle, &bundle)
	for _, raw := range bundle.Objects {
		var o struct{ ID string }
		json.Unmarshal(raw, &o)
		v, err := n.cli.Get(ctx, o.ID)
		if err != nil {
			t.Fatalf("get %s: %v", o.ID, err)
		}
		var compact bytes.Buffer
		json.Compact(&compact, raw)
		if !bytes.Equal(v.Object, compact.Bytes()) || v.Author != "cert-a" || v.Height < 1 {
			t.Fatalf("get %s = %+v", o.ID, v)
		}
	}
	checks := []struct {
		name string
		q    projection.Query
		want int
	}{
		{"type", projection.Query{Types: []string{"indicator"}}, 6},
		{"text", projection.Query{Text: "GrayLoader"}, 0}, // at least; checked below
		{"value", projection.Query{Text: "198.51.100.23"}, 1},
		{"label", projection.Query{Labels: []string{"c2"}}, 3},
		{"author", projection.Query{Authors: []string{"cert-a"}, Limit: 1000}, 22},
		{"nobody", projection.Query{Authors: []string{"cert-b"}}, 0},
		{"until", projection.Query{Until: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, 0},
		{"since", projection.Query{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Types: []string{"malware"}}, 1},
	}
	for _, c := range checks {
		page, err := n.cli.Search(ctx, c.q)
		if err != nil {
			t.Fatalf("search %s: %v", c.name, err)
		}
		if c.name == "text" {
			if len(page.Items) < 3 {
				t.Fatalf("text search GrayLoader found %d, want ≥ 3", len(page.Items))
			}
			continue
		}
		if len(page.Items) != c.want {
			t.Fatalf("search %s: %d results, want %d", c.name, len(page.Items), c.want)
		}
	}
	// cursor pagination walks every object exactly once
	seen := map[string]bool{}
	for v, err := range n.cli.SearchAll(ctx, projection.Query{Limit: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[v.ID] {
			t.Fatalf("pagination returned %s twice", v.ID)
		}
		seen[v.ID] = true
	}
	if len(seen) != 22 {
		t.Fatalf("pagination saw %d objects, want 22", len(seen))
	}
	st, err := n.cli.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Member != "cert-a" || st.Height < 1 || len(st.AppHash) != 64 || st.Records != 22 || st.Projected != 22 || st.Validators != 1 || st.API != n.d.URL() {
		t.Fatalf("status %+v", st)
	}
	ms, err := n.cli.Members(ctx)
	if err != nil || len(ms) != 1 || ms[0].ID != "cert-a" || ms[0].Power != 10 || ms[0].Sectors[0] != "energy" {
		t.Fatalf("members %+v %v", ms, err)
	}
	// outcome of a committed transaction
	out, err := n.cli.Outcome(ctx, res.Transactions[0].TxHash)
	if err != nil || out.Code != 0 || out.Height != res.Transactions[0].Height || len(out.Records) != 22 {
		t.Fatalf("outcome %+v %v", out, err)
	}
}

func TestVersionsAndBatching(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx := context.Background()
	res := n.publish(indicators(0, 2500, "2026-01-01T00:00:00.000Z"))
	if len(res.Transactions) != 3 || res.Accepted != 2500 {
		t.Fatalf("2500 objects went into %d transactions, %d accepted; want 3 and 2500", len(res.Transactions), res.Accepted)
	}
	n.publish(indicators(7, 1, "2026-02-01T00:00:00.000Z"))
	id := "indicator--00000007-1111-4111-8111-111111111111"
	vs, err := n.cli.Versions(ctx, id)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions %+v %v", vs, err)
	}
	latest, err := n.cli.Get(ctx, id)
	if err != nil || latest.Version != "2026-02-01T00:00:00Z" {
		t.Fatalf("latest %+v %v", latest, err)
	}
}

// TestRestartAndReindex: a node stopped and started again resumes with all
// data; reindex from the block store gives an identical projection; two
// fresh state machines fed the node's blocks reach the node's app hash.
func TestRestartAndReindex(t *testing.T) {
	dir := initDir(t)
	n := startNode(t, dir)
	n.publish(string(sample.Bundle))
	n.publish(indicators(0, 300, "2026-01-01T00:00:00.000Z"))
	n.publish(indicators(0, 10, "2026-03-01T00:00:00.000Z"))
	before := n.d.Ledger().State()
	n.close()

	n = startNode(t, dir)
	after := n.d.Ledger().State()
	if after.Height < before.Height || after.Records != before.Records {
		t.Fatalf("restart: %+v, was %+v", after, before)
	}
	n.publish(indicators(1000, 5, "2026-01-01T00:00:00.000Z")) // nonces continue
	final := n.d.Ledger().State()
	n.close()

	digest, index := projectionDigest(t, dir)
	res, err := Reindex(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != digest || res.Records != final.Records || res.AppHash != fmt.Sprintf("%X", final.AppHash) {
		t.Fatalf("reindex %+v; live digest %s, state %+v", res, digest, final)
	}
	// The live projection took its fields from the ledger's parse, the
	// rebuild from each object's JSON: every index must agree.
	if _, rebuilt := projectionDigest(t, dir); rebuilt != index {
		t.Fatalf("index digest %s after reindex, %s live", rebuilt, index)
	}
	for i := 0; i < 2; i++ {
		app, err := ledger.New(ledger.NewMemKV(), nil)
		if err != nil {
			t.Fatal(err)
		}
		h, appHash, err := node.Replay(context.Background(), filepath.Join(dir, cometDir), app)
		if err != nil {
			t.Fatal(err)
		}
		if h != final.Height || !bytes.Equal(appHash, final.AppHash) {
			t.Fatalf("fresh replay %d: height %d app hash %X, node had %d %X", i, h, appHash, final.Height, final.AppHash)
		}
	}
}

// projectionDigest returns the Digest and IndexDigest of a stopped
// node's projection.
func projectionDigest(t *testing.T, dir string) (digest, index string) {
	t.Helper()
	p, err := projection.Open(context.Background(), filepath.Join(dir, projectionFile))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	d, err := p.Digest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i, err := p.IndexDigest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d, i
}

// TestBadInput: each bad request gets its exact status and code, and
// nothing changes on the ledger or in the projection.
func TestBadInput(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx := context.Background()
	n.publish(indicators(0, 3, "2026-01-01T00:00:00.000Z"))
	reader, err := n.cli.CreateToken(ctx, "soc reader", "reader")
	if err != nil {
		t.Fatal(err)
	}
	huge := fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":"note--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","content":"%s","object_refs":["indicator--00000000-1111-4111-8111-111111111111"]}`, strings.Repeat("A", 10<<20))
	twoMiB := fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":"note--00000000-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","content":"%s","object_refs":["indicator--00000000-1111-4111-8111-111111111111"]}`, strings.Repeat("A", 2<<20))
	cases := []struct {
		name, token, body string
		status            int
		code, msg         string
	}{
		{"malformed json", n.token, `{"type":"bundle",`, 400, errs.Invalid, ""},
		{"unknown type", n.token, `{"type":"weapon","spec_version":"2.1","id":"weapon--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z"}`, 400, errs.Invalid, "weapon"},
		{"invalid stix", n.token, `{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000009","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, 400, errs.Invalid, "pattern"},
		{"10 MiB object", n.token, huge, 413, errs.TooLarge, ""},
		{"2 MiB object", n.token, twoMiB, 413, errs.TooLarge, "limit is 1048576"},
		{"missing token", "", indicators(100, 1, "2026-01-01T00:00:00.000Z"), 401, errs.Unauthenticated, ""},
		{"wrong token", "phx_not-a-real-token", indicators(100, 1, "2026-01-01T00:00:00.000Z"), 401, errs.Unauthenticated, ""},
		{"wrong role", reader.Token, indicators(100, 1, "2026-01-01T00:00:00.000Z"), 403, errs.Forbidden, "reader"},
		{"duplicate", n.token, indicators(0, 1, "2026-01-01T00:00:00.000Z"), 422, "", "already on the ledger"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := n.d.Ledger().State()
			digest, _ := n.d.proj.Digest(ctx)
			status, body := rawPublish(t, n.d.URL(), c.token, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if c.code != "" && !strings.Contains(body, `"code":"`+c.code+`"`) {
				t.Fatalf("body %s lacks code %s", body, c.code)
			}
			if !strings.Contains(body, c.msg) {
				t.Fatalf("body %s lacks %q", body, c.msg)
			}
			time.Sleep(100 * time.Millisecond) // a wrongly accepted tx would commit by now
			after := n.d.Ledger().State()
			d2, _ := n.d.proj.Digest(ctx)
			if after.Records != before.Records || !bytes.Equal(after.Root, before.Root) || d2 != digest {
				t.Fatalf("state changed: %+v -> %+v", before, after)
			}
		})
	}
}

func rawPublish(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/v1/objects?wait=true", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestLedgerRejectsThroughConsensus: transactions that bypass intake (a
// forged signature, a replay, another chain's) are refused by the real
// node's CheckTx with their codes, and a block containing them changes
// nothing.
func TestLedgerRejectsThroughConsensus(t *testing.T) {
	n := startNode(t, initDir(t))
	n.publish(indicators(0, 1, "2026-01-01T00:00:00.000Z"))
	ctx := context.Background()
	sign := func(chain string, nonce uint64, obj string) []byte {
		payload, _ := tx.EncodePublish(tx.Publish{Objects: [][]byte{[]byte(obj)}})
		raw, err := tx.Sign(tx.Body{ChainID: chain, Type: tx.TypePublish, Author: "cert-a", Nonce: nonce, Payload: payload}, n.d.id.Sign)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	obj := `{"type":"indicator","spec_version":"2.1","id":"indicator--0000abcd-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'x.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`
	chain := n.d.Ledger().State().ChainID
	forged := sign(chain, 2, obj)
	forged[len(forged)-5] ^= 0xff
	cases := []struct {
		name string
		raw  []byte
		code uint32
	}{
		{"forged signature", forged, ledger.CodeBadSignature},
		{"replayed nonce", sign(chain, 1, obj), ledger.CodeBadNonce},
		{"wrong chain", sign("other", 2, obj), ledger.CodeWrongChain},
		{"invalid stix", sign(chain, 2, `{"type":"indicator"}`), ledger.CodeInvalidSTIX},
	}
	for _, c := range cases {
		before := n.d.Ledger().State()
		code, log, err := mempool{n.d.cmt}.Submit(ctx, c.raw)
		if err != nil || code != c.code || log == "" {
			t.Fatalf("%s: code %d (%s) log %q err %v; want %s", c.name, code, ledger.CodeName(code), log, err, ledger.CodeName(c.code))
		}
		if after := n.d.Ledger().State(); after.Records != before.Records {
			t.Fatalf("%s changed the ledger", c.name)
		}
	}
}

// TestTLS: given a certificate and key, the API speaks only HTTPS, and a
// client trusting that certificate gets through.
func TestTLS(t *testing.T) {
	dir := initDir(t)
	testutil.SelfSignedCert(t, dir)
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLSCert, cfg.TLSKey = "cert.pem", "key.pem" // relative to the data directory
	if err := cfg.save(dir); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, dir)
	if !strings.HasPrefix(n.d.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", n.d.URL())
	}
	cli, err := client.New(n.d.URL(), n.token, client.WithCAFile(filepath.Join(dir, "cert.pem")))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := cli.Status(context.Background()); err != nil || st.Member != "cert-a" {
		t.Fatalf("status over TLS: %+v %v", st, err)
	}
	plain := strings.Replace(n.d.URL(), "https://", "http://", 1)
	resp, err := http.Get(plain + "/v1/status")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the TLS port answered %d", resp.StatusCode)
		}
	}
}
