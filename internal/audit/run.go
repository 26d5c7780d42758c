package audit

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

// Node is what an audit of a stopped node reads: its stored chain, its
// ledger state and its projection.
type Node struct {
	Chain      Chain
	Ledger     *ledger.App // the node's own ledger state
	Projection Scanner
	// Open returns a function that opens the sealed records this node can
	// read (Object set), leaving the others (and those withdrawn, as
	// withdrawn says) with a nil Object. nil: the node opens none.
	Open func(withdrawn func(id, version string) (bool, error)) func([]record.Record) []record.Record
}

// Report is what an audit found. Replay is the error that stopped the
// replay (the first bad height) or nil; Ledger and Projection are the
// first records where the node's ledger state and projection differ from
// the replay (nil if none).
type Report struct {
	Height     int64  // last height replayed
	Records    uint64 // records the replay produced
	AppHash    []byte // app hash after Height
	Replay     error
	Ledger     *Diff
	Projection *Diff
	Compared   uint64 // projection rows compared
}

// OK reports whether the audit found nothing.
func (r Report) OK() bool { return r.Replay == nil && r.Ledger == nil && r.Projection == nil }

// Run audits a stopped node: it replays n's chain through a fresh ledger
// whose state lives in scratch (a new directory, the caller's to delete),
// recomputing every app hash (Replay), then compares the node's ledger
// records and its projection with the replay's, record by record (the two
// comparisons side by side). It returns an error only when it could not
// run; what it finds is in the report.
func Run(ctx context.Context, n Node, scratch string) (Report, error) {
	kv, err := OpenScratch(scratch)
	if err != nil {
		return Report{}, err
	}
	defer kv.Close()
	replay, err := ledger.New(kv, nil)
	if err != nil {
		return Report{}, fmt.Errorf("scratch ledger: %w", err)
	}
	var rep Report
	height, appHash, rerr := Replay(ctx, n.Chain, replay)
	if ctx.Err() != nil {
		return Report{}, ctx.Err()
	}
	rep.Height, rep.Records, rep.AppHash, rep.Replay = height, replay.State().Records, appHash, rerr
	return rep, compare(ctx, n, replay, &rep)
}

// compare compares the node's ledger state and projection with the
// replay, the two on their own goroutines.
func compare(ctx context.Context, n Node, replay *ledger.App, rep *Report) error {
	size := rep.Records
	records := replay.Records
	if n.Open != nil {
		open := n.Open(replay.IsWithdrawn)
		records = func(from, to uint64, max int) ([]record.Record, error) {
			recs, err := replay.Records(from, to, max)
			if err != nil {
				return nil, err
			}
			return open(recs), nil
		}
	}
	var wg sync.WaitGroup
	var lerr, perr error
	wg.Go(func() {
		rep.Ledger, lerr = Ledgers(n.Ledger, replay, size)
		if own := n.Ledger.State(); lerr == nil && rep.Ledger == nil && own.Height == rep.Height && !bytes.Equal(own.AppHash, rep.AppHash) {
			rep.Ledger = &Diff{Problem: fmt.Sprintf("ledger state at height %d has app hash %X; the replay gives %X", own.Height, own.AppHash, rep.AppHash)}
		}
	})
	wg.Go(func() {
		rep.Projection, rep.Compared, perr = Projection(ctx, n.Projection, records, size)
	})
	wg.Wait()
	if lerr != nil {
		return fmt.Errorf("compare ledger state: %w", lerr)
	}
	if perr != nil {
		return fmt.Errorf("compare projection: %w", perr)
	}
	return nil
}

// Ledgers compares the first size records of a node's ledger state with
// the replay's and returns the first difference (nil if none).
func Ledgers(own, replay *ledger.App, size uint64) (*Diff, error) {
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
				return &Diff{Index: w.Index, Height: w.Height, ObjectID: w.ObjectID, Problem: "ledger state has no such record"}, nil
			}
			if f := Differs(w, got[i]); f != "" {
				return &Diff{Index: w.Index, Height: w.Height, ObjectID: w.ObjectID, Problem: "ledger state's " + f + " differs from the replay"}, nil
			}
		}
	}
	return nil, nil
}
