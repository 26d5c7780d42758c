package daemon

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phalanx-ledger/phalanx/internal/audit"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// AuditResult reports an audit of a stopped node. OK is true only when the
// block store replays to the app hashes the chain agreed on, and the
// node's ledger state and projection hold exactly the replayed records.
type AuditResult struct {
	OK         bool        `json:"ok"`
	Height     int64       `json:"height"`  // last height replayed
	Records    uint64      `json:"records"` // records the replay produced
	AppHash    string      `json:"app_hash"`
	BlockError string      `json:"block_error,omitempty"` // the replay stopped here (first bad height)
	Ledger     *audit.Diff `json:"ledger_diff,omitempty"`
	Projection *audit.Diff `json:"projection_diff,omitempty"`
	Compared   uint64      `json:"projection_rows_compared"`
}

// Audit replays the block store of a stopped node through a scratch
// ledger (recomputing every app hash and checking every block's hashes),
// then compares the node's ledger records and its SQLite projection with
// the replay, record by record. It returns an error only when it could not
// run; what it finds is in the result.
func Audit(ctx context.Context, dir string) (AuditResult, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return AuditResult{}, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return AuditResult{}, err
	}
	defer lock.Close()
	tmp, err := os.MkdirTemp(dir, "audit-")
	if err != nil {
		return AuditResult{}, err
	}
	defer os.RemoveAll(tmp)
	kv, err := node.OpenStateKV(tmp, "state")
	if err != nil {
		return AuditResult{}, err
	}
	defer kv.Close()
	replay, err := ledger.New(kv, nil)
	if err != nil {
		return AuditResult{}, err
	}
	var res AuditResult
	height, appHash, rerr := node.Replay(ctx, filepath.Join(dir, cometDir), replay)
	if ctx.Err() != nil {
		return AuditResult{}, ctx.Err()
	}
	st := replay.State()
	res.Height, res.Records, res.AppHash = height, st.Records, fmt.Sprintf("%X", appHash)
	if rerr != nil {
		res.BlockError = rerr.Error()
	}
	if err := auditAgainst(ctx, dir, cfg.Member, replay, &res); err != nil {
		return res, err
	}
	res.OK = res.BlockError == "" && res.Ledger == nil && res.Projection == nil
	return res, nil
}

// auditAgainst compares the node's ledger state and projection with the
// replayed ledger.
func auditAgainst(ctx context.Context, dir, member string, replay *ledger.App, res *AuditResult) error {
	skv, err := node.OpenStateKV(filepath.Join(dir, ledgerDir), "state")
	if err != nil {
		return err
	}
	defer skv.Close()
	own, err := ledger.New(skv, nil)
	if err != nil {
		return err
	}
	size := replay.State().Records
	res.Ledger, err = compareLedgers(own, replay, size)
	if err != nil {
		return err
	}
	if cur := own.State(); res.Ledger == nil && cur.Height == res.Height && !bytes.Equal([]byte(fmt.Sprintf("%X", cur.AppHash)), []byte(res.AppHash)) {
		res.Ledger = &audit.Diff{Problem: fmt.Sprintf("ledger state at height %d has app hash %X; the replay gives %s", cur.Height, cur.AppHash, res.AppHash)}
	}
	proj, err := projection.Open(ctx, filepath.Join(dir, projectionFile))
	if err != nil {
		return err
	}
	defer proj.Close()
	// The projection holds the sealed records this member opened: open the
	// replay's with the node's own keys to know which, and what they say.
	op := newOpener(dir, member, replay.IsWithdrawn)
	res.Projection, res.Compared, err = audit.Projection(ctx, proj, openedRecords(replay.Records, op), size)
	return err
}

// compareLedgers compares the node's stored records with the replay's.
func compareLedgers(own, replay *ledger.App, size uint64) (*audit.Diff, error) {
	const page = 4096
	for from := uint64(0); from < size; from += page {
		want, err := replay.Records(from, from+page, page)
		if err != nil {
			return nil, err
		}
		got, err := own.Records(from, from+page, page)
		if err != nil {
			return nil, err
		}
		for i, w := range want {
			if i >= len(got) {
				return &audit.Diff{Index: w.Index, Height: w.Height, ObjectID: w.ObjectID, Problem: "ledger state has no such record"}, nil
			}
			if f := audit.Differs(w, got[i]); f != "" {
				return &audit.Diff{Index: w.Index, Height: w.Height, ObjectID: w.ObjectID, Problem: "ledger state's " + f + " differs from the replay"}, nil
			}
		}
	}
	return nil, nil
}
