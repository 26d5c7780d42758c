package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// Chain is the ledger explorer's view of the node's block store.
type Chain interface {
	// Blocks returns the headers of at most n blocks ending at height to
	// (0: the latest), newest first, and the latest height.
	Blocks(ctx context.Context, to int64, n int) ([]Block, int64, error)
	// Block returns one block and its transactions; errs.NotFound if the
	// node has no block at height.
	Block(ctx context.Context, height int64) (Block, []Tx, error)
}

// Block is a block header as the explorer shows it.
type Block struct {
	Height   int64
	Time     time.Time
	Hash     string // upper-case hex
	AppHash  string // app hash after the previous block, upper-case hex
	Proposer string // validator address, upper-case hex
	Txs      int
}

// Tx is a transaction of a block, decoded.
type Tx struct {
	Hash     string
	Type     string // publish, propose, vote
	Author   string
	Nonce    uint64
	Summary  string
	Objects  []string // STIX ids a publish carried
	Code     uint32
	Codename string
	Log      string
}

// blocksPerPage is the length of the explorer's block list.
const blocksPerPage = 20

type ledgerPage struct {
	Status api.Status
	Blocks []Block
	Latest int64
	Older  int64 // "to" of the next page; 0 when there is none
	Newer  int64 // "to" of the previous page; 0 on the first
	// Checkpointed is the newest height with a signed checkpoint, -1 when
	// the node serves none; Checkpoint is that checkpoint's note text.
	Checkpointed int64
	Checkpoint   string
}

// ledger lists the newest blocks, or those ending at ?to=HEIGHT.
func (s *Server) ledger(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if s.cfg.Chain == nil {
		return errs.Errorf(errs.NotFound, "this node has no ledger explorer")
	}
	var to int64
	if t := r.URL.Query().Get("to"); t != "" {
		var err error
		if to, err = strconv.ParseInt(t, 10, 64); err != nil || to < 1 {
			return errs.Errorf(errs.Invalid, "to=%q: want a height of at least 1", t)
		}
	}
	st, err := s.cfg.Backend.Status(r.Context())
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	blocks, latest, err := s.cfg.Chain.Blocks(r.Context(), to, blocksPerPage)
	if err != nil {
		return fmt.Errorf("blocks: %w", err)
	}
	data := ledgerPage{Status: st, Blocks: blocks, Latest: latest, Checkpointed: -1}
	if s.cfg.Proofs != nil {
		data.Checkpointed = s.cfg.Proofs.Latest()
		if sc, _, err := s.cfg.Proofs.Checkpoint(r.Context(), data.Checkpointed); err == nil {
			data.Checkpoint = sc.Note
		} else {
			data.Checkpointed = -1
		}
	}
	if n := len(blocks); n > 0 && blocks[n-1].Height > 1 {
		data.Older = blocks[n-1].Height - 1
	}
	if n := len(blocks); n > 0 && blocks[0].Height < latest {
		data.Newer = min(blocks[0].Height+blocksPerPage, latest)
	}
	s.render(w, r, http.StatusOK, "ledger", v, data)
	return nil
}

type blockPage struct {
	Block      Block
	Txs        []Tx
	Prev, Next int64 // neighbouring heights (Prev 0 at the first block)
	// Checkpointed says the checkpoint after this block is signed (the
	// ledger's state after it, bound by the next block's commit).
	Checkpointed bool
}

// block shows one block with its decoded transactions.
func (s *Server) block(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if s.cfg.Chain == nil {
		return errs.Errorf(errs.NotFound, "this node has no ledger explorer")
	}
	h, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil || h < 1 {
		return errs.Errorf(errs.Invalid, "height %q: want a number of at least 1", r.PathValue("height"))
	}
	b, txs, err := s.cfg.Chain.Block(r.Context(), h)
	if err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	data := blockPage{Block: b, Txs: txs, Prev: h - 1, Next: h + 1}
	data.Checkpointed = s.cfg.Proofs != nil && h <= s.cfg.Proofs.Latest()
	s.render(w, r, http.StatusOK, "block", v, data)
	return nil
}

// tx shows what the ledger decided about one transaction: its block, its
// outcome and the records it added.
func (s *Server) tx(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	out, err := s.cfg.Backend.Outcome(r.Context(), r.PathValue("hash"))
	if err != nil {
		return fmt.Errorf("transaction: %w", err)
	}
	s.render(w, r, http.StatusOK, "tx", v, out)
	return nil
}
