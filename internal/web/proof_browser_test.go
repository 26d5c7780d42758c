package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/tx"
	"github.com/phalanx-ledger/phalanx/internal/web"
	"github.com/phalanx-ledger/phalanx/internal/web/session"
)

// TestBrowserVerifyCatchesTampering runs the in-page verifier in real
// headless Chromium over the worked example's bundle of
// docs/verification.md: the valid bundle passes every check, and each
// tampered one (served by a fake Proofs capability) fails exactly the
// check that must catch it, while the others still pass.
func TestBrowserVerifyCatchesTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := newBrowser(t, 2*time.Minute)
	sessions, err := session.Open(context.Background(), filepath.Join(t.TempDir(), "web.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	backend := apitest.NewBackend()
	web.UseExample(t, backend)
	fp := web.NewFakeProofs(t)
	ui, err := web.New(web.Config{Backend: backend, Sessions: sessions, Proofs: fp,
		Tokens: apitest.NewTokens(map[string]auth.Role{"secret-reader": auth.RoleReader})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui.Handler()) // 127.0.0.1: a secure context, so WebCrypto is there
	t.Cleanup(srv.Close)
	signIn(t, ctx, srv.URL, "secret-reader")

	for _, tc := range []struct {
		tamper string
		fail   []string
	}{
		{"none", nil},
		{web.TamperObject, []string{"leaf", "author_signature"}},
		{web.TamperInclusion, []string{"inclusion"}},
		{web.TamperCommit, []string{"signatures"}},
		{web.TamperV2None, nil},
		{web.TamperV2Object, []string{"leaf", "tx_item"}},
		{web.TamperV2ItemPath, []string{"tx_item"}},
		{web.TamperV2Header, []string{"author_signature"}},
		{web.TamperV2Signature, []string{"author_signature"}},
	} {
		t.Run("tamper="+tc.tamper, func(t *testing.T) {
			fp.SetTamper(strings.TrimPrefix(tc.tamper, "none"))
			checks := proofChecks
			if strings.HasPrefix(tc.tamper, web.TamperV2None) {
				checks = proofChecksV2
			}
			run(t, ctx, "proof page", chromedp.Navigate(srv.URL+"/intel/"+web.ExampleID+"/proof"), chromedp.WaitVisible(chromedp.ID("node-h")))
			got := verifyInPage(t, ctx)
			want := map[string]bool{}
			for _, c := range checks {
				want[c] = true
			}
			for _, c := range tc.fail {
				want[c] = false
			}
			for _, c := range checks {
				if ok, ran := got[c]; !ran || ok != want[c] {
					t.Errorf("check %s: ran %v ok %v, want ok %v", c, ran, ok, want[c])
				}
			}
			if len(got) != len(checks) {
				t.Errorf("the page ran %v", got)
			}
			summary := text(t, ctx, "#verify-summary")
			if ok := get(t, ctx, "verdict", chromedp.Evaluate[string](`document.getElementById("verify-summary").dataset.ok`)); ok != (map[bool]string{true: "true", false: "false"})[tc.fail == nil] {
				t.Errorf("verdict %s: %q", ok, summary)
			}
			if tc.fail != nil {
				if detail := text(t, ctx, `#verify-results li[data-check="`+tc.fail[0]+`"]`); len(detail) < len(tc.fail[0])+12 {
					t.Errorf("failed check gives no reason: %q", detail)
				}
				screenshot(t, ctx, "proof-tampered-"+tc.tamper)
			}
		})
	}
}

// TestBrowserVerifierAgreesWithGo is a differential test of the in-page
// verifier: a bounded set of random one-bit (or one-character) mutations
// of the worked examples' bundles (v1 and v2), each checked by
// static/verify.js in Chromium and by package proof's verifier, must get
// the same verdict, check by check. (Where Go cannot decode the header or
// commit it fails app_hash, header and signatures together; there only the
// verdict is compared.)
func TestBrowserVerifierAgreesWithGo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	for _, file := range []string{"example-bundle.json", "example-bundle-v2.json"} {
		raw, err := os.ReadFile("../proof/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(file, func(t *testing.T) { differential(t, raw) })
	}
	t.Run("v2 with compressed items", func(t *testing.T) { differential(t, compressedExample(t)) })
}

// compressedExample is the v2 worked example as it would be had its
// transaction carried the items compressed: the same objects, so the
// same record, leaf and items root, under a header that also commits to
// the compressed payload (key 7), signed by the example's author.
func compressedExample(t *testing.T) []byte {
	raw, err := os.ReadFile("../proof/testdata/example-bundle-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := proof.ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("phalanx example author"))
	objs := [][]byte{
		[]byte(`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000000","name":"zero"}`),
		b.Record.Object,
		[]byte(`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000002","name":"two"}`),
	}
	signed, err := tx.SignItemsCompressed(tx.Header{ChainID: "phalanx-example", Type: tx.TypePublish, Author: "cert-a", Nonce: 1},
		objs, ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	d, err := tx.Decode(signed)
	if err != nil || d.Payload == nil || !bytes.Contains(b.TxHeader, d.Header.ItemsRoot) {
		t.Fatalf("the example's objects signed compressed: %v (compressed %v)", err, d != nil && d.Payload != nil)
	}
	b.TxHeader, b.TxSignature = d.BodyBytes, d.Signature
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func differential(t *testing.T, raw []byte) {
	membersJSON, err := os.ReadFile("../proof/testdata/example-members.json")
	if err != nil {
		t.Fatal(err)
	}
	members, err := proof.ParseMembers(membersJSON)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	rng := rand.New(rand.NewPCG(7, 11))
	genuine, err := proof.ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	if rep := proof.Verify(genuine, members); !rep.OK() {
		t.Fatalf("the unchanged bundle fails in Go: %+v", rep.Checks)
	}
	// The unchanged bundle first: the page must pass it too.
	texts, what, reports := []string{string(raw)}, []string{"unchanged"}, []proof.Report{proof.Verify(genuine, members)}
	for len(texts) < n {
		b, err := proof.ParseBundle(raw)
		if err != nil {
			t.Fatal(err)
		}
		w := mutate(rng, b)
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		seen, err := proof.ParseBundle(out) // what the page will read
		if err != nil {
			continue
		}
		texts, what, reports = append(texts, string(out)), append(what, w), append(reports, proof.Verify(seen, members))
	}

	ctx := newBrowser(t, 2*time.Minute)
	srv := httptest.NewServer(http.FileServerFS(os.DirFS("static"))) // the module as the UI serves it, on 127.0.0.1
	t.Cleanup(srv.Close)
	run(t, ctx, "blank page", chromedp.Navigate(srv.URL+"/style.css"))
	arg, _ := json.Marshal(map[string]any{"bundles": texts, "members": json.RawMessage(membersJSON)})
	got := get(t, ctx, "verify mutations", chromedp.Evaluate[[]map[string]bool](`(async (x) => {
  const m = await import("/verify.js");
  const out = [];
  for (const b of x.bundles) {
    const r = {};
    try { await m.verifyBundle(b, x.members, (name, ok) => { r[name] = ok; }); } catch (e) { r.bundle = false; }
    out.push(r);
  }
  return out;
})(`+string(arg)+`)`, chromedp.EvalAwaitPromise))
	if len(got) != n {
		t.Fatalf("the page returned %d results for %d bundles", len(got), n)
	}
	failing := 0
	for i, rep := range reports {
		if !rep.OK() {
			failing++
		}
		jsOK := len(got[i]) > 0
		for _, ok := range got[i] {
			jsOK = jsOK && ok
		}
		if jsOK != rep.OK() {
			t.Errorf("mutation %d (%s): page says ok=%v %v, Go says ok=%v %+v", i, what[i], jsOK, got[i], rep.OK(), rep.Checks)
			continue
		}
		undecodable := false
		if c, ok := rep.Find(proof.CheckAppHash); ok && !c.OK && strings.Contains(c.Detail, "decode") {
			undecodable = true
		}
		for _, c := range rep.Checks {
			if undecodable && (c.Name == proof.CheckAppHash || c.Name == proof.CheckHeader || c.Name == proof.CheckSignatures) {
				continue
			}
			if ok, ran := got[i][c.Name]; !ran || ok != c.OK {
				t.Errorf("mutation %d (%s): check %s: page ran %v ok %v; Go ok %v (%s)", i, what[i], c.Name, ran, ok, c.OK, c.Detail)
			}
		}
	}
	if failing < n/2 {
		t.Fatalf("only %d of %d mutations fail verification; the mutations are too weak to test anything", failing, n)
	}
	t.Logf("%d mutations, %d rejected by both verifiers, the others accepted by both", n, failing)
}

// mutate changes one random part of b a little and says what it changed.
func mutate(rng *rand.Rand, b *proof.Bundle) string {
	flip := func(p []byte) int {
		i := rng.IntN(len(p))
		p[i] ^= 1 << rng.IntN(8)
		return i
	}
	switch k := rng.IntN(10); k {
	case 0:
		return fmt.Sprintf("object byte %d", flip(b.Record.Object))
	case 1:
		switch {
		case b.Tx != nil:
			return fmt.Sprintf("tx byte %d", flip(b.Tx))
		case rng.IntN(3) == 0:
			return fmt.Sprintf("tx signature byte %d", flip(b.TxSignature))
		case rng.IntN(2) == 0:
			j := rng.IntN(len(b.ItemPath))
			return fmt.Sprintf("item path %d byte %d", j, flip(b.ItemPath[j]))
		}
		return fmt.Sprintf("tx header byte %d", flip(b.TxHeader))
	case 2:
		return fmt.Sprintf("header byte %d", flip(b.Checkpoint.Header))
	case 3, 4:
		return fmt.Sprintf("commit byte %d", flip(b.Checkpoint.Commit))
	case 5:
		j := rng.IntN(len(b.Inclusion))
		return fmt.Sprintf("inclusion %d byte %d", j, flip(b.Inclusion[j]))
	case 6:
		return fmt.Sprintf("leaf hash byte %d", flip(b.LeafHash))
	case 7:
		text, _, _ := strings.Cut(b.Checkpoint.Note, "\n\n")
		i := rng.IntN(len(text))
		note := []byte(b.Checkpoint.Note)
		note[i] = " 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/=\n"[rng.IntN(67)]
		b.Checkpoint.Note = string(note)
		return fmt.Sprintf("note character %d", i)
	case 8:
		b.TxObject += 1 - 2*rng.IntN(2)
		return fmt.Sprintf("tx_object %d", b.TxObject)
	default:
		switch rng.IntN(3) {
		case 0:
			b.Record.Index ^= 1 << rng.IntN(64)
			return fmt.Sprintf("index %d", b.Record.Index)
		case 1:
			b.Record.Height ^= 1 << rng.IntN(63)
			return fmt.Sprintf("height %d", b.Record.Height)
		default:
			b.Record.TimeUnixNano ^= 1 << rng.IntN(63)
			return fmt.Sprintf("time %d", b.Record.TimeUnixNano)
		}
	}
}
