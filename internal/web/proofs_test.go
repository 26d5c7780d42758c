package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// ExampleID is the object of the worked example of docs/verification.md,
// whose bundle and member set are in internal/proof/testdata.
const ExampleID = "indicator--00000000-0000-4000-8000-000000000001"

// Ways FakeProofs can tamper with the example bundle it serves.
const (
	TamperNone      = ""
	TamperObject    = "object"    // one byte of the committed object
	TamperInclusion = "inclusion" // one byte of the first inclusion hash
	TamperCommit    = "commit"    // the last byte of the commit (a validator's signature)

	// The same on the worked example of a version 2 transaction, and the
	// parts only its bundle has.
	TamperV2None      = "v2"           // the valid v2 bundle
	TamperV2Object    = "v2-object"    // one byte of the committed object (the item)
	TamperV2ItemPath  = "v2-item-path" // one byte of the item's audit path
	TamperV2Header    = "v2-header"    // one byte of the signed header (its nonce)
	TamperV2Signature = "v2-signature" // one byte of the header's signature
)

// FakeProofs serves the worked example's proof bundle (valid, or tampered
// as Tamper says) for ExampleID and its checkpoint at height 5. Exported
// for the browser tests of package web_test.
type FakeProofs struct {
	t      testing.TB
	mu     sync.Mutex
	tamper string
	asked  []string // the versions Bundle was asked for
}

// NewFakeProofs returns a FakeProofs serving the valid example bundle.
func NewFakeProofs(t testing.TB) *FakeProofs { return &FakeProofs{t: t} }

// SetTamper makes later bundles tampered in one way (TamperNone: valid).
func (f *FakeProofs) SetTamper(how string) {
	f.mu.Lock()
	f.tamper = how
	f.mu.Unlock()
}

func (f *FakeProofs) example(v2 bool) *proof.Bundle {
	file := "../proof/testdata/example-bundle.json"
	if v2 {
		file = "../proof/testdata/example-bundle-v2.json"
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := proof.ParseBundle(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// Bundle implements Proofs.
func (f *FakeProofs) Bundle(_ context.Context, id, version string) (*proof.Bundle, error) {
	if id != ExampleID {
		return nil, errs.Errorf(errs.NotFound, "no proof of %s", id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.example(strings.HasPrefix(f.tamper, TamperV2None))
	f.asked = append(f.asked, version)
	switch f.tamper {
	case TamperObject, TamperV2Object:
		b.Record.Object[len(b.Record.Object)-3] ^= 1
	case TamperV2ItemPath:
		b.ItemPath[0][0] ^= 1
	case TamperV2Header:
		b.TxHeader[bytes.Index(b.TxHeader, []byte{0x04, 0x01})+1] = 0x02 // nonce 1 → 2
	case TamperV2Signature:
		b.TxSignature[0] ^= 1
	case TamperInclusion:
		b.Inclusion[0][0] ^= 1
	case TamperCommit:
		b.Checkpoint.Commit[len(b.Checkpoint.Commit)-1] ^= 1
	}
	return b, nil
}

// Checkpoint implements Proofs.
func (f *FakeProofs) Checkpoint(_ context.Context, height int64) (proof.SignedCheckpoint, proof.Checkpoint, error) {
	if height != 5 {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, errs.Errorf(errs.NotFound, "no checkpoint at height %d", height)
	}
	f.mu.Lock()
	v2 := strings.HasPrefix(f.tamper, TamperV2None)
	f.mu.Unlock()
	sc := f.example(v2).Checkpoint
	c, _, err := proof.OpenCheckpoint(sc.Note, nil)
	return sc, c, err
}

// Latest implements Proofs.
func (f *FakeProofs) Latest() int64 { return 5 }

// UseExample makes backend hold the example object (as full STIX) and the
// example's member set.
func UseExample(t testing.TB, backend *apitest.Backend) {
	raw, err := os.ReadFile("../proof/testdata/example-members.json")
	if err != nil {
		t.Fatal(err)
	}
	var ms []api.Member
	if err := json.Unmarshal(raw, &ms); err != nil {
		t.Fatal(err)
	}
	backend.MembersValue = ms
	obj := `{"type":"indicator","spec_version":"2.1","id":"` + ExampleID + `","created":"2026-01-01T00:00:00.000Z",` +
		`"modified":"2026-01-01T00:00:00.000Z","name":"one","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix",` +
		`"valid_from":"2026-01-01T00:00:00Z"}`
	if _, err := backend.Publish(context.Background(), []byte(obj)); err != nil {
		t.Fatal(err)
	}
}

// hideAll is a Clearance that shows nothing.
type hideAll struct{}

func (hideAll) Visible(Viewer, projection.Version) bool { return false }

func TestProofPage(t *testing.T) {
	fp := NewFakeProofs(t)
	u := newTestUI(t, func(c *Config) { c.Proofs = fp })
	UseExample(t, u.backend)
	anon := u.browser()
	if st, _ := anon.get("/intel/" + ExampleID + "/proof"); st != http.StatusSeeOther {
		t.Fatalf("proof page without a session: %d", st)
	}
	if st, _ := anon.get("/intel/" + ExampleID + "/proof.json"); st != http.StatusSeeOther {
		t.Fatalf("proof download without a session: %d", st)
	}
	b := u.browser()
	b.login(readerSecret)
	if _, page := b.get("/intel/" + ExampleID); !strings.Contains(page, `href="/intel/`+ExampleID+`/proof"`) ||
		!strings.Contains(page, `href="/intel/`+ExampleID+`/proof?version=2026-01-01T00%3A00%3A00.000Z"`) {
		t.Fatalf("object page lacks the links to its proofs: %s", page)
	}
	if _, page := b.get("/community"); !strings.Contains(page, "Rtcl/1Dr3P2DcLeNt3CmqV/E2ylW9O5F1TqdupKX93A=") {
		t.Fatal("the member directory lacks the validator key proofs are checked against")
	}
	st, page := b.get("/intel/" + ExampleID + "/proof")
	if st != http.StatusOK {
		t.Fatalf("proof page: %d %s", st, page)
	}
	for _, want := range []string{"The node says: all 7 checks pass.", "This is the node's claim", `id="verify-btn"`,
		`src="/static/verify.js"`, htmlText("phalanx-example\n3\nx28+/7ja0oaYC2+BEMmv6F2sIGhSSyzK/Sy+UW4md4M=\nheight 5\n"),
		"4b45c2bf8d455984a3849e69bef8bedbf79745a17c7462403db425df31bcf131", // leaf hash
		"8d96a9d842352c6ac10cccafab63b66d466e0e64f10a3868c8b7a74fbf8c270b", // inclusion: leaf 0
		`data-bundle="/intel/` + ExampleID + `/proof.json?version=`, `"validator_key":"Rtcl/1Dr3P2DcLeNt3CmqV/E2ylW9O5F1TqdupKX93A="`} {
		if !strings.Contains(page, want) {
			t.Errorf("proof page lacks %q", want)
		}
	}
	for _, c := range []string{"leaf", "author_signature", "checkpoint", "inclusion", "app_hash", "header", "signatures"} {
		if !strings.Contains(page, `data-check="`+c+`" data-ok="true"`) {
			t.Errorf("proof page lacks the passed check %s", c)
		}
	}
	res, err := b.c.Get(b.url + "/intel/" + ExampleID + "/proof.json")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, res)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	got, err := proof.ParseBundle([]byte(body))
	if err != nil {
		t.Fatalf("downloaded bundle: %v", err)
	}
	if rep := proof.Verify(got, mustMembers(t, u.backend)); !rep.OK() {
		t.Fatalf("downloaded bundle does not verify: %+v", rep)
	}
	for path, want := range map[string]int{
		"/intel/" + ExampleID + "/proof?version=1999-01-01T00:00:00.000Z": 404,
		"/intel/" + ExampleID + "/proof?x=1":                              400,
		"/intel/indicator--00000001-3333-4333-8333-333333333333/proof":    404,
	} {
		if st, _ := b.get(path); st != want {
			t.Errorf("GET %s: %d, want %d", path, st, want)
		}
	}

	fp.mu.Lock()
	asked := fp.asked
	fp.mu.Unlock()
	if len(asked) != 2 || asked[0] != "2026-01-01T00:00:00.000Z" || asked[1] != asked[0] {
		t.Fatalf("the proof routes asked the prover for versions %q, want the newest visible one twice", asked)
	}
	if st, _ := b.get("/intel/" + ExampleID + "/proof?version=2026-01-01T00%3A00%3A00.000Z"); st != http.StatusOK {
		t.Fatalf("proof of an explicit version: %d", st)
	}

	fp.SetTamper(TamperInclusion)
	_, page = b.get("/intel/" + ExampleID + "/proof")
	if !strings.Contains(page, "The node says: checks FAIL.") || !strings.Contains(page, `data-check="inclusion" data-ok="false"`) ||
		!strings.Contains(page, `data-check="leaf" data-ok="true"`) {
		t.Fatalf("tampered bundle: the node's check does not show the failed inclusion: %s", page)
	}
}

// htmlText is s as html/template writes it in an element.
func htmlText(s string) string { return strings.ReplaceAll(s, "+", "&#43;") }

func mustMembers(t *testing.T, b *apitest.Backend) []proof.Member {
	ms, err := membersOf(b.MembersValue)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestProofPageRespectsClearance: a record the viewer may not see has no
// proof page or download for them; a node without proofs has neither.
func TestProofPageRespectsClearance(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.Proofs, c.Clearance = NewFakeProofs(t), hideAll{} })
	UseExample(t, u.backend)
	b := u.browser()
	b.login(adminSecret)
	for _, p := range []string{"/proof", "/proof.json"} {
		if st, page := b.get("/intel/" + ExampleID + p); st != http.StatusNotFound || strings.Contains(page, "4b45c2bf") {
			t.Errorf("hidden record %s: %d", p, st)
		}
	}
	plain := newTestUI(t, nil)
	UseExample(t, plain.backend)
	pb := plain.browser()
	pb.login(adminSecret)
	for _, p := range []string{"/intel/" + ExampleID + "/proof", "/intel/" + ExampleID + "/proof.json", "/ledger/checkpoints/latest"} {
		if st, _ := pb.get(p); st != http.StatusNotFound {
			t.Errorf("node without proofs: GET %s: %d", p, st)
		}
	}
}

func TestCheckpointPages(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.Chain, c.Proofs = fakeChain{}, NewFakeProofs(t) })
	UseExample(t, u.backend)
	b := u.browser()
	b.login(readerSecret)
	const noteText = "phalanx-example\n3\nx28+/7ja0oaYC2+BEMmv6F2sIGhSSyzK/Sy+UW4md4M=\nheight 5\nstate R4D6bffzPJWk2P3uBROg6Mk6gonZ+UXIb/bg4NzQSpU=\n"
	text := htmlText(noteText)
	_, page := b.get("/ledger?to=10")
	if !strings.Contains(page, `id="latest-checkpoint"`) || !strings.Contains(page, text+"\n— cert-a ") ||
		!strings.Contains(page, `href="/ledger/checkpoints/5">checkpoint 5</a>`) ||
		strings.Contains(page, `href="/ledger/checkpoints/6"`) || !strings.Contains(page, "awaiting the next commit") {
		t.Fatalf("ledger page lacks the checkpoints: %s", page)
	}
	if _, page = b.get("/ledger/blocks/5"); !strings.Contains(page, `id="block-checkpoint" href="/ledger/checkpoints/5"`) {
		t.Fatalf("block 5 lacks its checkpoint link: %s", page)
	}
	if _, page = b.get("/ledger/blocks/6"); strings.Contains(page, "block-checkpoint") {
		t.Fatal("block 6 links to a checkpoint not yet signed")
	}
	for _, p := range []string{"/ledger/checkpoints/5", "/ledger/checkpoints/latest"} {
		st, page := b.get(p)
		if st != http.StatusOK || !strings.Contains(page, text) || !strings.Contains(page, `href="/ledger/blocks/6"`) ||
			!strings.Contains(page, `data-check="signatures" data-ok="true"`) || !strings.Contains(page, "<dd id=\"cp-size\">3</dd>") {
			t.Fatalf("GET %s: %d %s", p, st, page)
		}
	}
	for path, want := range map[string]int{"/ledger/checkpoints/6": 404, "/ledger/checkpoints/x": 400, "/ledger/checkpoints/-1": 400} {
		if st, _ := b.get(path); st != want {
			t.Errorf("GET %s: %d, want %d", path, st, want)
		}
	}
}
