package daemon

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

// ReindexResult reports a rebuild of the projection.
type ReindexResult struct {
	Height  int64  `json:"height"`
	Records uint64 `json:"records"`
	AppHash string `json:"app_hash"`
	Digest  string `json:"digest"` // projection.Store.Digest after the rebuild
}

// Reindex rebuilds the projection of a stopped node from its block store:
// every block is replayed through a fresh ledger state machine (checking
// each app hash against the chain), and the records it accepts are written
// to an emptied projection. The node's own ledger state must end at the
// same app hash, or Reindex reports the divergence.
func Reindex(ctx context.Context, dir string) (ReindexResult, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return ReindexResult{}, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return ReindexResult{}, err
	}
	defer lock.Close()
	proj, err := projection.Open(ctx, filepath.Join(dir, projectionFile))
	if err != nil {
		return ReindexResult{}, err
	}
	defer proj.Close()
	if err := proj.Reset(ctx); err != nil {
		return ReindexResult{}, fmt.Errorf("reset projection: %w", err)
	}
	res, err := replayInto(ctx, dir, cfg.Member, proj)
	if err != nil {
		return res, err
	}
	if err := checkAgainstState(dir, res); err != nil {
		return res, err
	}
	res.Digest, err = proj.Digest(ctx)
	return res, err
}

// replayInto replays the block store through a scratch ledger and applies
// its records to proj, opening those sealed for member and deleting again
// those withdrawn later.
func replayInto(ctx context.Context, dir, member string, proj *projection.Store) (ReindexResult, error) {
	tmp, err := os.MkdirTemp(dir, "reindex-")
	if err != nil {
		return ReindexResult{}, err
	}
	defer os.RemoveAll(tmp)
	kv, err := node.OpenStateKV(tmp, "state")
	if err != nil {
		return ReindexResult{}, err
	}
	defer kv.Close()
	var applyErr error
	var pending []record.Record
	op := newOpener(dir, member, nil)
	flush := func() {
		if applyErr == nil && len(pending) > 0 {
			opened, _ := op.open(pending)
			applyErr = proj.Apply(ctx, opened)
		}
		pending = pending[:0]
	}
	app, err := ledger.New(kv, func(c ledger.Committed) {
		for _, r := range c.Records {
			// The rebuild reads every object from its JSON, as from the
			// state, not from the replay's parse: it checks the live
			// projection, which took its fields from the ledger's parse.
			r.Parsed = nil
			pending = append(pending, r)
		}
		if len(pending) >= 5000 || len(c.Withdrawn) > 0 {
			flush()
		}
		for _, w := range c.Withdrawn {
			if applyErr == nil {
				applyErr = proj.Withdraw(ctx, w.ID, w.Version)
			}
		}
	})
	if err != nil {
		return ReindexResult{}, err
	}
	op.withdrawn = app.IsWithdrawn
	height, appHash, err := node.Replay(ctx, filepath.Join(dir, cometDir), app)
	flush()
	if err == nil {
		err = applyErr
	}
	st := app.State()
	return ReindexResult{Height: height, Records: st.Records, AppHash: fmt.Sprintf("%X", appHash)}, err
}

// checkAgainstState compares the replay with the node's own ledger state.
func checkAgainstState(dir string, res ReindexResult) error {
	kv, err := node.OpenStateKV(filepath.Join(dir, ledgerDir), "state")
	if err != nil {
		return err
	}
	defer kv.Close()
	app, err := ledger.New(kv, nil)
	if err != nil {
		return err
	}
	st := app.State()
	if st.Height == res.Height && !bytes.Equal([]byte(fmt.Sprintf("%X", st.AppHash)), []byte(res.AppHash)) {
		return fmt.Errorf("ledger state at height %d has app hash %X, replay of the block store gives %s: the state was altered", st.Height, st.AppHash, res.AppHash)
	}
	return nil
}
