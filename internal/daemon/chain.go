package daemon

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/tx"
	"github.com/phalanx-ledger/phalanx/internal/web"
)

// chain serves the web UI's ledger explorer from CometBFT's block store.
type chain struct{ d *Daemon }

var _ web.Chain = chain{}

func (c chain) Blocks(ctx context.Context, to int64, n int) ([]web.Block, int64, error) {
	latest := c.d.cmt.Status
	st, err := latest(ctx)
	if err != nil {
		return nil, 0, err
	}
	last := st.SyncInfo.LatestBlockHeight
	if last == 0 {
		return nil, 0, nil
	}
	if to == 0 || to > last {
		to = last
	}
	from := max(1, to-int64(n)+1)
	metas, last, err := c.d.cmt.BlockMetas(ctx, from, to)
	if err != nil {
		return nil, 0, fmt.Errorf("blocks %d-%d: %w", from, to, err)
	}
	out := make([]web.Block, len(metas))
	for i, m := range metas {
		out[i] = web.Block{Height: m.Header.Height, Time: m.Header.Time.UTC(), Hash: m.BlockID.Hash.String(),
			AppHash: m.Header.AppHash.String(), Proposer: m.Header.ProposerAddress.String(), Txs: m.NumTxs}
	}
	return out, last, nil
}

func (c chain) Block(ctx context.Context, height int64) (web.Block, []web.Tx, error) {
	b, err := c.d.cmt.Block(ctx, height)
	if err != nil {
		return web.Block{}, nil, errs.Errorf(errs.NotFound, "no block at height %d on this node", height)
	}
	out := web.Block{Height: b.Height, Time: b.Time.UTC(), Hash: b.Hash().String(), AppHash: b.AppHash.String(),
		Proposer: b.ProposerAddress.String(), Txs: len(b.Txs)}
	txs := make([]web.Tx, len(b.Txs))
	for i, raw := range b.Txs {
		txs[i] = describeTx(raw)
		txs[i].Hash = strings.ToUpper(hex.EncodeToString(raw.Hash()))
		if o, err := c.d.outcome(ctx, txs[i].Hash, false); err == nil {
			txs[i].Code, txs[i].Codename, txs[i].Log = o.Code, o.Codename, o.Log
		}
	}
	return out, txs, nil
}

// describeTx decodes a transaction for the explorer; what it cannot
// decode it says so (the ledger rejected such transactions).
func describeTx(raw []byte) web.Tx {
	t, err := tx.Decode(raw)
	if err != nil {
		return web.Tx{Type: "undecodable", Summary: err.Error()}
	}
	out := web.Tx{Type: t.Body.Type.String(), Author: t.Body.Author, Nonce: t.Body.Nonce}
	switch t.Body.Type {
	case tx.TypePublish:
		objs, err := t.Contents() // the payload (v1) or the items (v2)
		if err != nil {
			out.Summary = err.Error()
			break
		}
		out.Summary = fmt.Sprintf("%d STIX objects", len(objs))
		for _, o := range objs {
			var id struct{ ID string }
			if json.Unmarshal(o, &id) == nil {
				out.Objects = append(out.Objects, id.ID)
			}
		}
	case tx.TypePropose:
		var p ledger.Propose
		if err := tx.DecodePayload(t.Body.Payload, &p); err == nil {
			out.Summary = "proposal " + p.Kind + ": " + p.Title
		}
	case tx.TypeVote:
		var v ledger.Vote
		if err := tx.DecodePayload(t.Body.Payload, &v); err == nil {
			out.Summary = fmt.Sprintf("vote %s on proposal %d", v.Choice, v.Proposal)
		}
	}
	return out
}
