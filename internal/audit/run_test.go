package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

const (
	testChain = "audit-test"
	sealedID  = "indicator--5ea1ed00-0000-4000-8000-000000000001"
	sealedVer = "2026-01-01T00:00:00Z"
)

// memChain is a stored chain in memory: blocks, each with the app hash
// the network agreed on for the state before it.
type memChain struct {
	genesis []byte
	blocks  []*abci.FinalizeBlockRequest
	agreed  [][]byte
}

func (c *memChain) InitChain() *abci.InitChainRequest {
	return &abci.InitChainRequest{ChainId: testChain, AppStateBytes: c.genesis}
}

func (c *memChain) Base() int64 { return 1 }

func (c *memChain) Each(ctx context.Context, fn func(*abci.FinalizeBlockRequest, []byte) error) error {
	for i, b := range c.blocks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(b, c.agreed[i]); err != nil {
			return err
		}
	}
	return nil
}

// testNode is a member's chain and ledger state: blocks of plaintext
// indicators in several transactions, a record sealed to the member in the
// second block and withdrawn by its author in the last.
type testNode struct {
	chain   *memChain
	ledger  *ledger.App
	records []record.Record
}

func indicatorObj(n int) []byte {
	return fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"ind %d","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"}`, n, n, n%250)
}

func newTestNode(t *testing.T, withdraw bool) *testNode {
	t.Helper()
	seed := sha256.Sum256([]byte("member alice"))
	key := ed25519.NewKeyFromSeed(seed[:])
	sealPub := sha256.Sum256([]byte("seal alice"))
	g, err := json.Marshal(ledger.Genesis{Members: []ledger.Member{{ID: "alice", Name: "ALICE",
		SignKey: key.Public().(ed25519.PublicKey), SealKey: sealPub[:], Power: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	nonce := uint64(0)
	sign := func(typ tx.Type, payload []byte) []byte {
		nonce++
		raw, err := tx.Sign(tx.Body{ChainID: testChain, Type: typ, Author: "alice", Nonce: nonce, Payload: payload}, key)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	publish := func(from, n int) []byte {
		objs := make([][]byte, n)
		for i := range objs {
			objs[i] = indicatorObj(from + i)
		}
		p, err := tx.EncodePublish(tx.Publish{Objects: objs})
		if err != nil {
			t.Fatal(err)
		}
		return sign(tx.TypePublish, p)
	}
	payload := func(v any) []byte {
		b, err := tx.EncodePayload(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	env, err := seal.Seal(seal.Meta{ID: sealedID, Modified: sealedVer, Author: "alice", Level: 4},
		[]byte(`{"canary":"audit-test"}`), []seal.Key{{Member: "alice", Public: sealPub[:]}})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := env.Encode()
	if err != nil {
		t.Fatal(err)
	}
	blocks := [][][]byte{
		{publish(0, 3), publish(3, 2)},
		{publish(5, 1), sign(tx.TypeSealed, payload(tx.Sealed{Records: [][]byte{sealed}})), publish(6, 4)},
		{},
		{publish(10, 5)},
	}
	if withdraw {
		blocks = append(blocks, [][]byte{sign(tx.TypeWithdraw, payload(ledger.Withdraw{ID: sealedID, Version: sealedVer}))})
	}
	n := &testNode{chain: &memChain{genesis: g}}
	if n.ledger, err = ledger.New(ledger.NewMemKV(), nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	init, err := n.ledger.InitChain(ctx, n.chain.InitChain())
	if err != nil {
		t.Fatal(err)
	}
	hash := init.AppHash
	for i, txs := range blocks {
		req := &abci.FinalizeBlockRequest{Height: int64(i + 1), Time: time.Unix(1_800_000_000+int64(i), 0), Txs: txs}
		res, err := n.ledger.FinalizeBlock(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range res.TxResults {
			if r.Code != 0 {
				t.Fatalf("block %d tx %d: %s", i+1, k, r.Log)
			}
		}
		if _, err := n.ledger.Commit(ctx, &abci.CommitRequest{}); err != nil {
			t.Fatal(err)
		}
		n.chain.blocks, n.chain.agreed = append(n.chain.blocks, req), append(n.chain.agreed, hash)
		hash = res.AppHash
	}
	if n.records, err = n.ledger.Records(0, 100, 0); err != nil || len(n.records) != 16 {
		t.Fatalf("%d records: %v", len(n.records), err)
	}
	return n
}

// open stands in for the node's opener: the sealed record is addressed to
// this member, who reads it unless it was withdrawn.
func open(withdrawn func(id, version string) (bool, error)) func([]record.Record) []record.Record {
	return func(recs []record.Record) []record.Record {
		out := append([]record.Record(nil), recs...)
		for i := range out {
			if out[i].Sealed == nil {
				continue
			}
			out[i].Object = nil
			if gone, err := withdrawn(out[i].ObjectID, out[i].Modified); err == nil && !gone {
				out[i].Object = []byte(`{"canary":"audit-test"}`)
			}
		}
		return out
	}
}

// projectionOf is the projection a node holds of records: every record
// open returns with an Object.
func projectionOf(recs []record.Record, withdrawn func(id, version string) (bool, error)) rows {
	p := rows{next: uint64(len(recs))}
	for _, r := range open(withdrawn)(recs) {
		if r.Object != nil {
			p.recs = append(p.recs, r)
		}
	}
	return p
}

func never(string, string) (bool, error) { return false, nil }

func runAudit(t *testing.T, n *testNode, chain Chain, proj Scanner) Report {
	t.Helper()
	rep, err := Run(context.Background(), Node{Chain: chain, Ledger: n.ledger, Projection: proj, Open: open}, filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRun: an intact node audits clean, and each kind of difference is
// found at the first record or height where it is.
func TestRun(t *testing.T) {
	n := newTestNode(t, false)
	proj := projectionOf(n.records, never)
	rep := runAudit(t, n, n.chain, proj)
	if !rep.OK() || rep.Height != 4 || rep.Records != 16 || rep.Compared != 16 || !bytes.Equal(rep.AppHash, n.ledger.State().AppHash) {
		t.Fatalf("intact node: %+v", rep)
	}

	edited := projectionOf(n.records, never)
	edited.recs[12].Object = bytes.Replace(edited.recs[12].Object, []byte("ind"), []byte("IND"), 1)
	if rep := runAudit(t, n, n.chain, edited); rep.Projection == nil || rep.Projection.Index != 12 || !strings.Contains(rep.Projection.Problem, "object") ||
		rep.Projection.Height != 4 || rep.Ledger != nil || rep.Replay != nil {
		t.Fatalf("edited row: %+v %v", rep, rep.Projection)
	}

	deleted := projectionOf(n.records, never)
	deleted.recs = append(deleted.recs[:7:7], deleted.recs[8:]...)
	if rep := runAudit(t, n, n.chain, deleted); rep.Projection == nil || rep.Projection.Index != 7 || !strings.Contains(rep.Projection.Problem, "no row") {
		t.Fatalf("deleted row: %+v", rep.Projection)
	}

	// a sealed record this node could not open must be absent
	unopened := projectionOf(n.records, func(string, string) (bool, error) { return true, nil })
	if rep := runAudit(t, n, n.chain, unopened); rep.Projection == nil || rep.Projection.Index != 6 || rep.Projection.ObjectID != sealedID ||
		!strings.Contains(rep.Projection.Problem, "no row") {
		t.Fatalf("opened sealed record missing: %+v", rep.Projection)
	}

	// an edited block: its app hash no longer matches the chain's; the
	// projection is then compared with the records replayed before it
	bad := *n.chain
	bad.blocks = append([]*abci.FinalizeBlockRequest(nil), n.chain.blocks...)
	b := *bad.blocks[1]
	b.Txs = b.Txs[:2]
	bad.blocks[1] = &b
	rep = runAudit(t, n, &bad, proj)
	if rep.Replay == nil || !strings.Contains(rep.Replay.Error(), "after height 2") || rep.Height != 2 || rep.Records != 7 ||
		rep.Ledger != nil || rep.Projection == nil || rep.Projection.Index != 7 || !strings.Contains(rep.Projection.Problem, "ledger does not") {
		t.Fatalf("edited block: %+v %v", rep, rep.Replay)
	}
}

// TestRunLedgerState: a node whose own ledger state lacks records or
// has another app hash is reported, at the first record that differs.
func TestRunLedgerState(t *testing.T) {
	n := newTestNode(t, false)
	short := newTestNode(t, false)
	var err error
	if short.ledger, err = ledger.New(ledger.NewMemKV(), nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := short.ledger.InitChain(ctx, n.chain.InitChain()); err != nil {
		t.Fatal(err)
	}
	for _, req := range n.chain.blocks[:2] {
		if _, err := short.ledger.FinalizeBlock(ctx, req); err != nil {
			t.Fatal(err)
		}
		if _, err := short.ledger.Commit(ctx, &abci.CommitRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	rep := runAudit(t, short, n.chain, projectionOf(n.records, never))
	if rep.Ledger == nil || rep.Ledger.Index != 11 || !strings.Contains(rep.Ledger.Problem, "no such record") || rep.Projection != nil {
		t.Fatalf("ledger state behind: %+v %v", rep, rep.Ledger)
	}
}

// gatedChain holds its last block back until the projection comparison
// has passed a record (or a timeout).
type gatedChain struct {
	*memChain
	passed <-chan struct{}
}

func (c gatedChain) Each(ctx context.Context, fn func(*abci.FinalizeBlockRequest, []byte) error) error {
	last := len(c.blocks) - 1
	head := &memChain{genesis: c.genesis, blocks: c.blocks[:last], agreed: c.agreed[:last]}
	if err := head.Each(ctx, fn); err != nil {
		return err
	}
	select {
	case <-c.passed:
	case <-time.After(10 * time.Second):
		return errors.New("the comparison did not pass the record")
	}
	return fn(c.blocks[last], c.agreed[last])
}

// gatedRows signals once the comparison has compared row index after.
type gatedRows struct {
	rows
	after  uint64
	passed chan struct{}
	once   *sync.Once
}

func (r gatedRows) Scan(ctx context.Context, fn func(record.Record) error) (uint64, error) {
	return r.rows.Scan(ctx, func(rec record.Record) error {
		if rec.Index > r.after {
			r.once.Do(func() { close(r.passed) })
		}
		return fn(rec)
	})
}

// TestRunWithdrawnLater: a sealed record withdrawn by a later block must
// be gone from the projection, though the replay had not withdrawn it yet
// when the comparison (running beside the replay) passed it.
func TestRunWithdrawnLater(t *testing.T) {
	n := newTestNode(t, true)
	for name, tc := range map[string]struct {
		proj    rows
		problem string
	}{
		"withdrawn record gone": {projectionOf(n.records, n.ledger.IsWithdrawn), ""},
		"withdrawn record kept": {projectionOf(n.records, never), "withdrawn"},
	} {
		passed := make(chan struct{})
		proj := gatedRows{rows: tc.proj, after: 6, passed: passed, once: &sync.Once{}}
		node := Node{Chain: gatedChain{n.chain, passed}, Ledger: n.ledger, Projection: proj, Open: open, batch: 1}
		rep, err := Run(context.Background(), node, filepath.Join(t.TempDir(), "state"))
		if err != nil || rep.Replay != nil || rep.Height != 5 || rep.Ledger != nil {
			t.Fatalf("%s: %+v %v", name, rep, err)
		}
		switch {
		case tc.problem == "" && rep.Projection != nil:
			t.Errorf("%s: %v", name, rep.Projection)
		case tc.problem != "" && (rep.Projection == nil || rep.Projection.Index != 6 || !strings.Contains(rep.Projection.Problem, tc.problem)):
			t.Errorf("%s: %v, want record 6 and %q", name, rep.Projection, tc.problem)
		}
	}
}
