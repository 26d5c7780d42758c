package audit

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"runtime/debug"
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

	batch int // ledger records the projection comparison reads at a time (0: batch)
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

// gcPercent is the garbage collector's target while an audit runs.
const gcPercent = 200

// Run audits a stopped node: it replays n's chain through a fresh ledger
// whose state lives in scratch (a new directory, the caller's to delete),
// recomputing every app hash (Replay), and compares the node's ledger
// records and its projection with the replay's, record by record. The two
// comparisons run beside the replay, each on its own goroutine, fed the
// records of every block the replay commits. It returns an error only
// when it could not run; what it finds is in the report.
func Run(ctx context.Context, n Node, scratch string) (Report, error) {
	// The replay allocates a few hundred bytes a record that die within a
	// block; at Go's default the collector ran every few blocks and took
	// ~10% of the audit's CPU, part of it on the state machine's goroutine.
	// An audit is a command of its own: it trades memory for some of that
	// while it runs (at 1,000,000 records the bench process peaked at
	// 1.9 GB resident at 100, 3.9 GB at 400).
	defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	kv, err := OpenScratch(scratch)
	if err != nil {
		return Report{}, err
	}
	defer kv.Close()
	toLedger, toProj := newFeed(), newFeed()
	withdrawals := 0
	replay, err := ledger.New(kv, func(c ledger.Committed) {
		toLedger.put(c.Records)
		toProj.put(c.Records)
		withdrawals += len(c.Withdrawn)
	})
	if err != nil {
		return Report{}, fmt.Errorf("scratch ledger: %w", err)
	}
	var open func([]record.Record) []record.Record
	if n.Open != nil {
		open = n.Open(replay.IsWithdrawn)
	}
	var rep Report
	ended := make(chan struct{})
	size := func() uint64 { <-ended; return rep.Records }
	var wg sync.WaitGroup
	var lerr, perr error
	wg.Go(func() {
		defer toLedger.stop()
		rep.Ledger, lerr = ledgerDiff(n.Ledger.Records, toLedger.read)
	})
	wg.Go(func() {
		rep.Projection, rep.Compared, perr = streamProjection(ctx, n.Projection, toProj, open, size, cmp.Or(n.batch, batch))
	})
	height, appHash, rerr := Replay(ctx, n.Chain, replay)
	rep.Height, rep.Records, rep.AppHash, rep.Replay = height, replay.State().Records, appHash, rerr
	toLedger.end()
	toProj.end()
	close(ended)
	wg.Wait()
	if ctx.Err() != nil {
		return Report{}, ctx.Err()
	}
	if withdrawals > 0 && perr == nil {
		// A sealed record withdrawn by a later block must be gone from the
		// projection, which the comparison could not know when it passed
		// the record: compare again against the final state.
		rep.Projection, rep.Compared, perr = Projection(ctx, n.Projection, opened(replay.Records, open), rep.Records)
	}
	if lerr != nil {
		return rep, fmt.Errorf("compare ledger state: %w", lerr)
	}
	if perr != nil {
		return rep, fmt.Errorf("compare projection: %w", perr)
	}
	if own := n.Ledger.State(); rep.Ledger == nil && own.Height == rep.Height && !bytes.Equal(own.AppHash, rep.AppHash) {
		rep.Ledger = &Diff{Problem: fmt.Sprintf("ledger state at height %d has app hash %X; the replay gives %X", own.Height, own.AppHash, rep.AppHash)}
	}
	return rep, nil
}

// opened is read with open applied to every batch (nil: as read).
func opened(read Records, open func([]record.Record) []record.Record) Records {
	if open == nil {
		return read
	}
	return func(from, to uint64, max int) ([]record.Record, error) {
		recs, err := read(from, to, max)
		if err != nil || len(recs) == 0 {
			return recs, err
		}
		return open(recs), nil
	}
}

// ledgerDiff compares a node's ledger records (own) with the replay's
// (want, read in increasing pages until it has no more) and returns the
// first difference (nil if none).
func ledgerDiff(own, want Records) (*Diff, error) {
	const page = 4096
	for from := uint64(0); ; from += page {
		w, err := want(from, from+page, page)
		if err != nil || len(w) == 0 {
			return nil, err
		}
		got, err := own(from, from+page, page)
		if err != nil {
			return nil, fmt.Errorf("read the node's records from %d: %w", from, err)
		}
		for i := range w {
			if i >= len(got) {
				return &Diff{Index: w[i].Index, Height: w[i].Height, ObjectID: w[i].ObjectID, Problem: "ledger state has no such record"}, nil
			}
			if f := Differs(w[i], got[i]); f != "" {
				return &Diff{Index: w[i].Index, Height: w[i].Height, ObjectID: w[i].ObjectID, Problem: "ledger state's " + f + " differs from the replay"}, nil
			}
		}
	}
}
