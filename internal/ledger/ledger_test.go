package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

const testChain = "test-chain"

type member struct {
	id  string
	key ed25519.PrivateKey
}

func newMember(id string) member {
	seed := sha256.Sum256([]byte("member " + id))
	return member{id: id, key: ed25519.NewKeyFromSeed(seed[:])}
}

func genesis(t testing.TB, ms ...member) []byte {
	g := Genesis{}
	for _, m := range ms {
		seal := sha256.Sum256([]byte("seal " + m.id))
		g.Members = append(g.Members, Member{ID: m.id, Name: strings.ToUpper(m.id),
			SignKey: m.key.Public().(ed25519.PublicKey), SealKey: seal[:], Power: 10})
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newApp(t testing.TB, ms ...member) (*App, *[]Committed) {
	t.Helper()
	var commits []Committed
	a := newAppOn(t, NewMemKV(), func(c Committed) { commits = append(commits, c) }, ms...)
	return a, &commits
}

// newAppOn starts a chain of the members ms on kv.
func newAppOn(t testing.TB, kv KV, onCommit func(Committed), ms ...member) *App {
	t.Helper()
	a, err := New(kv, onCommit)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: genesis(t, ms...)}); err != nil {
		t.Fatal(err)
	}
	return a
}

func indicator(n int, modified string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"%s","name":"ind %d","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"}`, n, modified, n, n%250)
}

func publishTx(t testing.TB, m member, chain string, nonce uint64, objs ...string) []byte {
	t.Helper()
	raws := make([][]byte, len(objs))
	for i, o := range objs {
		raws[i] = []byte(o)
	}
	payload, err := tx.EncodePublish(tx.Publish{Objects: raws})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tx.Sign(tx.Body{ChainID: chain, Type: tx.TypePublish, Author: m.id, Nonce: nonce, Payload: payload}, m.key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// publishV2 is a version 2 publish transaction.
func publishV2(t testing.TB, m member, nonce uint64, objs ...string) []byte {
	t.Helper()
	items := make([][]byte, len(objs))
	for i, o := range objs {
		items[i] = []byte(o)
	}
	raw, err := tx.SignItems(tx.Header{ChainID: testChain, Type: tx.TypePublish, Author: m.id, Nonce: nonce}, items, m.key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func finalize(t testing.TB, a *App, height int64, txs ...[]byte) *abci.FinalizeBlockResponse {
	t.Helper()
	res, err := a.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: height, Time: t0.Add(time.Duration(height) * time.Second), Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPublishCommitsRecords(t *testing.T) {
	alice := newMember("alice")
	a, commits := newApp(t, alice)
	res := finalize(t, a, 1, publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z")))
	if c := res.TxResults[0].Code; c != CodeOK {
		t.Fatalf("code %d (%s): %s", c, CodeName(c), res.TxResults[0].Log)
	}
	st := a.State()
	if st.Height != 1 || st.Records != 2 || !bytes.Equal(st.AppHash, res.AppHash) {
		t.Fatalf("state %+v after block with 2 records (app hash %X)", st, res.AppHash)
	}
	if len(*commits) != 1 || len((*commits)[0].Records) != 2 || (*commits)[0].Records[1].Index != 1 {
		t.Fatalf("commit events %+v", *commits)
	}
	recs, err := a.Records(0, 10, 0)
	if err != nil || len(recs) != 2 || recs[0].Author != "alice" || !recs[0].Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("Records = %+v, %v", recs, err)
	}
	// a new version by the author is accepted
	res = finalize(t, a, 2, publishTx(t, alice, testChain, 2, indicator(1, "2026-02-01T00:00:00.000Z")))
	if c := res.TxResults[0].Code; c != CodeOK {
		t.Fatalf("new version: %s: %s", CodeName(c), res.TxResults[0].Log)
	}
}

// TestRejections: every rejection has its code and message, in CheckTx and
// in FinalizeBlock, and leaves the state (app hash aside from the height)
// unchanged.
func TestRejections(t *testing.T) {
	alice, bob, mallory := newMember("alice"), newMember("bob"), newMember("mallory")
	forged := publishTx(t, alice, testChain, 2, indicator(50, "2026-01-01T00:00:00.000Z"))
	forged[len(forged)-1] ^= 0x01
	big := fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":"note--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","content":"%s","object_refs":["indicator--00000001-0000-4000-8000-000000000000"]}`, strings.Repeat("x", 1<<20))
	cases := []struct {
		name string
		tx   []byte
		code uint32
		msg  string
	}{
		{"garbage", []byte("hello"), CodeMalformed, "malformed transaction"},
		{"wrong chain", publishTx(t, alice, "other-chain", 2, indicator(3, "2026-01-01T00:00:00.000Z")), CodeWrongChain, `chain "other-chain"`},
		{"bad signature", forged, CodeBadSignature, "signature does not verify"},
		{"unknown member", publishTx(t, mallory, testChain, 1, indicator(4, "2026-01-01T00:00:00.000Z")), CodeUnknownMember, `"mallory" is not a member`},
		{"replayed nonce", publishTx(t, alice, testChain, 1, indicator(5, "2026-01-01T00:00:00.000Z")), CodeBadNonce, "replayed nonce 1"},
		{"out-of-order nonce", publishTx(t, alice, testChain, 5, indicator(6, "2026-01-01T00:00:00.000Z")), CodeBadNonce, "out-of-order nonce 5"},
		{"invalid stix", publishTx(t, alice, testChain, 2, `{"type":"indicator","id":"indicator--x"}`), CodeInvalidSTIX, "object 0"},
		{"not compact", publishTx(t, alice, testChain, 2, " "+indicator(7, "2026-01-01T00:00:00.000Z")), CodeInvalidSTIX, "compact"},
		{"duplicate version", publishTx(t, alice, testChain, 2, indicator(1, "2026-01-01T00:00:00.000Z")), CodeDuplicate, "already on the ledger"},
		{"twice in tx", publishTx(t, alice, testChain, 2, indicator(8, "2026-01-01T00:00:00.000Z"), indicator(8, "2026-01-01T00:00:00.000Z")), CodeDuplicate, "appears twice"},
		{"not owner", publishTx(t, bob, testChain, 1, indicator(1, "2026-03-01T00:00:00.000Z")), CodeNotOwner, "belongs to alice"},
		{"empty", publishTx(t, alice, testChain, 2), CodeEmpty, "no objects"},
		{"object too large", publishTx(t, alice, testChain, 2, big), CodeTooLarge, "object 0 is"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, _ := newApp(t, alice, bob)
			finalize(t, a, 1, publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z")))
			before := a.State()
			chk, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: c.tx, Type: abci.CHECK_TX_TYPE_CHECK})
			if err != nil {
				t.Fatal(err)
			}
			wantCheck := c.code
			if c.name == "out-of-order nonce" {
				wantCheck = CodeOK // the mempool takes nonces ahead; the block demands the exact sequence
			}
			if chk.Code != wantCheck || (wantCheck != CodeOK && !strings.Contains(chk.Log, c.msg)) {
				t.Fatalf("CheckTx = %d %q, want %d (%s) containing %q", chk.Code, chk.Log, wantCheck, CodeName(wantCheck), c.msg)
			}
			res := finalize(t, a, 2, c.tx)
			if r := res.TxResults[0]; r.Code != c.code || !strings.Contains(r.Log, c.msg) {
				t.Fatalf("FinalizeBlock = %d %q, want %d containing %q", r.Code, r.Log, c.code, c.msg)
			}
			after := a.State()
			if after.Records != before.Records || !bytes.Equal(after.Root, before.Root) || a.Nonce("alice") != 1 || a.Nonce("bob") != 0 {
				t.Fatalf("rejected tx changed state: %+v -> %+v", before, after)
			}
		})
	}
}

func TestOversizeTransaction(t *testing.T) {
	alice := newMember("alice")
	a, _ := newApp(t, alice)
	raw := make([]byte, a.Params().MaxTxBytes+1)
	chk, _ := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw})
	if chk.Code != CodeTooLarge || !strings.Contains(chk.Log, "transaction is") {
		t.Fatalf("CheckTx = %d %q", chk.Code, chk.Log)
	}
}

func TestCheckTxSequentialNonces(t *testing.T) {
	alice := newMember("alice")
	a, _ := newApp(t, alice)
	ctx := context.Background()
	for n := uint64(1); n <= 3; n++ {
		res, _ := a.CheckTx(ctx, &abci.CheckTxRequest{Tx: publishTx(t, alice, testChain, n, indicator(int(n), "2026-01-01T00:00:00.000Z"))})
		if res.Code != CodeOK {
			t.Fatalf("nonce %d: %s", n, res.Log)
		}
	}
	if got := a.PendingNonce("alice"); got != 3 {
		t.Fatalf("PendingNonce = %d, want 3", got)
	}
	res, _ := a.CheckTx(ctx, &abci.CheckTxRequest{Tx: publishTx(t, alice, testChain, 3, indicator(9, "2026-01-01T00:00:00.000Z"))})
	if res.Code != CodeBadNonce {
		t.Fatalf("replay in mempool accepted: %d", res.Code)
	}
}

// TestDeterminism replays the same blocks on two fresh state machines and on
// one that restarts from its store half-way: app hashes agree at every height.
func TestDeterminism(t *testing.T) {
	alice, bob := newMember("alice"), newMember("bob")
	blocks := [][][]byte{
		{publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z"))},
		{publishTx(t, bob, testChain, 1, indicator(3, "2026-01-01T00:00:00.000Z")), publishTx(t, alice, testChain, 2, indicator(1, "2026-01-02T00:00:00.000Z"))},
		{},
		{publishTx(t, alice, testChain, 9, indicator(4, "2026-01-01T00:00:00.000Z")), publishTx(t, bob, testChain, 2, indicator(5, "2026-01-01T00:00:00.000Z"))},
		{publishV2(t, bob, 3, indicator(6, "2026-01-01T00:00:00.000Z"), indicator(7, "2026-01-01T00:00:00.000Z"))},
	}
	a1, _ := newApp(t, alice, bob)
	a2, _ := newApp(t, alice, bob)
	kv := NewMemKV()
	a3 := newAppOn(t, kv, nil, alice, bob)
	seen := map[string]bool{}
	for i, txs := range blocks {
		h := int64(i + 1)
		if i == 2 { // restart a3 from its store
			var err error
			if a3, err = New(kv, nil); err != nil {
				t.Fatal(err)
			}
			info, _ := a3.Info(context.Background(), &abci.InfoRequest{})
			if info.LastBlockHeight != 2 {
				t.Fatalf("restarted at height %d, want 2", info.LastBlockHeight)
			}
		}
		r1, r2, r3 := finalize(t, a1, h, txs...), finalize(t, a2, h, txs...), finalize(t, a3, h, txs...)
		if !bytes.Equal(r1.AppHash, r2.AppHash) || !bytes.Equal(r1.AppHash, r3.AppHash) {
			t.Fatalf("height %d: app hashes differ: %X %X %X", h, r1.AppHash, r2.AppHash, r3.AppHash)
		}
		if len(txs) == 0 && !seen[string(r1.AppHash)] {
			t.Fatalf("height %d: an empty block changed the app hash", h)
		}
		if len(txs) > 0 && seen[string(r1.AppHash)] {
			t.Fatalf("height %d: app hash repeats an earlier one", h)
		}
		seen[string(r1.AppHash)] = true
		for j := range r1.TxResults {
			if r1.TxResults[j].Code != r3.TxResults[j].Code || !bytes.Equal(r1.TxResults[j].Data, r3.TxResults[j].Data) {
				t.Fatalf("height %d tx %d: results differ", h, j)
			}
		}
	}
	if got := a1.State().Records; got != 7 {
		t.Fatalf("records = %d, want 7 (the nonce-9 tx is rejected)", got)
	}
}

// TestStateDivergence: a node whose state differs (here a member key changed
// behind its back) computes a different app hash as soon as the difference
// changes an outcome, and never agrees again: the state hash is a chain.
func TestStateDivergence(t *testing.T) {
	alice := newMember("alice")
	kv := NewMemKV()
	a1, err := New(kv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a1.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: genesis(t, alice)}); err != nil {
		t.Fatal(err)
	}
	a2, _ := newApp(t, alice)
	if r1, r2 := finalize(t, a1, 1), finalize(t, a2, 1); !bytes.Equal(r1.AppHash, r2.AppHash) {
		t.Fatal("identical nodes disagree")
	}
	other := newMember("other")
	seal := make([]byte, 32)
	if err := kv.Write([]Pair{{Key: memberKey("alice"), Value: mustEncode(Member{ID: "alice", Name: "ALICE",
		SignKey: other.key.Public().(ed25519.PublicKey), SealKey: seal, Power: 10, Status: StatusActive})}}); err != nil {
		t.Fatal(err)
	}
	if a1, err = New(kv, nil); err != nil {
		t.Fatal(err)
	}
	tx := publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"))
	r1, r2 := finalize(t, a1, 2, tx), finalize(t, a2, 2, tx)
	if r1.TxResults[0].Code != CodeBadSignature || r2.TxResults[0].Code != CodeOK {
		t.Fatalf("codes %d and %d, want bad_signature on the tampered node and ok on the other", r1.TxResults[0].Code, r2.TxResults[0].Code)
	}
	for h := int64(2); h <= 4; h++ {
		if h > 2 {
			r1, r2 = finalize(t, a1, h), finalize(t, a2, h)
		}
		if bytes.Equal(r1.AppHash, r2.AppHash) {
			t.Fatalf("height %d: diverged nodes agree on app hash %X", h, r1.AppHash)
		}
	}
}

// TestRemovedMemberRejected: a member whose status is removed can no longer
// publish, in CheckTx or FinalizeBlock.
func TestRemovedMemberRejected(t *testing.T) {
	alice, bob := newMember("alice"), newMember("bob")
	kv := NewMemKV()
	a := newAppOn(t, kv, nil, alice, bob)
	m := a.Members()[1] // bob
	m.Status = StatusRemoved
	if err := kv.Write([]Pair{{Key: memberKey("bob"), Value: mustEncode(m)}}); err != nil {
		t.Fatal(err)
	}
	a, err := New(kv, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := publishTx(t, bob, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"))
	chk, _ := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw})
	if chk.Code != CodeRemovedMember || !strings.Contains(chk.Log, `"bob" was removed`) {
		t.Fatalf("CheckTx = %d %q", chk.Code, chk.Log)
	}
	res := finalize(t, a, 1, raw)
	if res.TxResults[0].Code != CodeRemovedMember || a.State().Records != 0 {
		t.Fatalf("FinalizeBlock = %d, records %d", res.TxResults[0].Code, a.State().Records)
	}
}
