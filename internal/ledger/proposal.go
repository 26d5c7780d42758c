package ledger

import (
	"context"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// PrepareProposal orders the proposer's block: each author's transactions
// in nonce order, starting right after the author's committed nonce and
// stopping at the first gap (the rest wait in the mempool for a later
// block). Authors keep the order in which the mempool first lists them.
// Undecodable transactions and replays are left out: FinalizeBlock would
// only reject them. Only the proposer runs this; every node still checks
// each transaction in FinalizeBlock.
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	type pending struct {
		raw   []byte
		nonce uint64
	}
	byAuthor := map[string][]pending{}
	var authors []string
	for _, raw := range req.Txs {
		t, err := tx.Decode(raw)
		if err != nil {
			continue
		}
		au := t.Body.Author
		if _, seen := byAuthor[au]; !seen {
			authors = append(authors, au)
		}
		byAuthor[au] = append(byAuthor[au], pending{raw: raw, nonce: t.Body.Nonce})
	}
	var out [][]byte
	var size int64
	for _, au := range authors {
		ps := byAuthor[au]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].nonce < ps[j].nonce })
		next := a.Nonce(au) + 1
		for _, p := range ps {
			if p.nonce < next {
				continue // a replay, or a second transaction with the same nonce
			}
			if p.nonce > next || size+int64(len(p.raw)) > req.MaxTxBytes {
				break
			}
			out, size, next = append(out, p.raw), size+int64(len(p.raw)), next+1
		}
	}
	return &abci.PrepareProposalResponse{Txs: out}, nil
}
