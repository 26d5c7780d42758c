package intake

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

var _ Primer = (*ledger.App)(nil)

// primingLedger is a real ledger that records what it is primed with.
type primingLedger struct {
	*ledger.App
	primed map[[32]byte][]*stix.Object
}

func (p *primingLedger) Prime(h [32]byte, objs []*stix.Object) {
	p.primed[h] = objs
	p.App.Prime(h, objs)
}

// checkTxMempool hands transactions to the ledger's CheckTx, as the node's
// mempool does, and keeps those it admits.
type checkTxMempool struct {
	app *ledger.App
	txs [][]byte
}

func (m *checkTxMempool) Submit(ctx context.Context, raw []byte) (uint32, string, error) {
	res, err := m.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		return 0, "", err
	}
	if res.Code == ledger.CodeOK {
		m.txs = append(m.txs, raw)
	}
	return res.Code, res.Log, nil
}

// TestPublishPrimesLedger: a publish hands the ledger the parsed objects
// of each transaction it builds, by the transaction's hash, before CheckTx
// sees it; governance transactions carry no objects and prime nothing.
func TestPublishPrimesLedger(t *testing.T) {
	id, err := keys.Generate("alice")
	if err != nil {
		t.Fatal(err)
	}
	app, err := ledger.New(ledger.NewMemKV(), nil)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(ledger.Genesis{Members: []ledger.Member{{ID: "alice", Name: "Alice", SignKey: id.SignPublic(), SealKey: id.SealPublic(), Power: 10}}})
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: "c", AppStateBytes: g}); err != nil {
		t.Fatal(err)
	}
	led := &primingLedger{App: app, primed: map[[32]byte][]*stix.Object{}}
	mp := &checkTxMempool{app: app}
	lookup := func(context.Context, string) (Outcome, error) { return Outcome{}, errs.Errorf(errs.NotFound, "none") }
	s, err := New(Config{Identity: id, Ledger: led, Mempool: mp, Lookup: lookup, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	for i := range 3 {
		body = fmt.Appendf(body, `,{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, i, i)
	}
	body = fmt.Appendf(nil, `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[%s]}`, body[1:])
	subs, err := s.Publish(context.Background(), body)
	if err != nil || len(subs) != 2 || subs[0].Code != ledger.CodeOK || subs[1].Code != ledger.CodeOK {
		t.Fatalf("Publish = %+v, %v; want two accepted transactions", subs, err)
	}
	if len(mp.txs) != 2 || len(led.primed) != 2 {
		t.Fatalf("%d transactions admitted, %d primed; want 2 and 2", len(mp.txs), len(led.primed))
	}
	for i, raw := range mp.txs {
		objs := led.primed[sha256.Sum256(raw)]
		if objs == nil {
			t.Fatalf("transaction %d was not primed under its hash", i)
		}
		if len(objs) != len(subs[i].Objects) {
			t.Fatalf("transaction %d: primed %d objects, carries %d", i, len(objs), len(subs[i].Objects))
		}
		for j, o := range objs {
			again, err := stix.Parse(o.Raw)
			if err != nil || o.ID != subs[i].Objects[j] || again.ID != o.ID {
				t.Fatalf("transaction %d object %d: primed %s, carries %s (%v)", i, j, o.ID, subs[i].Objects[j], err)
			}
		}
	}
	if _, err := s.Vote(context.Background(), 1, "yes"); err != nil {
		t.Fatal(err)
	}
	if len(led.primed) != 2 {
		t.Fatalf("a vote primed the ledger: %d entries", len(led.primed))
	}
}
