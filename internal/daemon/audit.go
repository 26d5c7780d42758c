package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phalanx-ledger/phalanx/internal/audit"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
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
// the replay, record by record (audit.Run). It returns an error only when
// it could not run; what it finds is in the result.
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
	chain, err := node.OpenBlockStore(filepath.Join(dir, cometDir))
	if err != nil {
		return AuditResult{}, err
	}
	defer chain.Close()
	skv, err := node.OpenStateKV(filepath.Join(dir, ledgerDir), "state")
	if err != nil {
		return AuditResult{}, err
	}
	defer skv.Close()
	own, err := ledger.New(skv, nil)
	if err != nil {
		return AuditResult{}, err
	}
	proj, err := projection.Open(ctx, filepath.Join(dir, projectionFile))
	if err != nil {
		return AuditResult{}, err
	}
	defer proj.Close()
	// The projection holds the sealed records this member opened: open the
	// replay's with the node's own keys to know which, and what they say.
	open := func(withdrawn func(id, version string) (bool, error)) func([]record.Record) []record.Record {
		op := newOpener(dir, cfg.Member, withdrawn)
		return func(recs []record.Record) []record.Record { out, _ := op.open(recs); return out }
	}
	rep, err := audit.Run(ctx, audit.Node{Chain: chain, Ledger: own, Projection: proj, Open: open}, filepath.Join(tmp, "state"))
	res := AuditResult{Height: rep.Height, Records: rep.Records, AppHash: fmt.Sprintf("%X", rep.AppHash),
		Ledger: rep.Ledger, Projection: rep.Projection, Compared: rep.Compared, OK: err == nil && rep.OK()}
	if rep.Replay != nil {
		res.BlockError = rep.Replay.Error()
	}
	return res, err
}
