package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/measure"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// ThroughputResult is one ingest run at one batch size.
type ThroughputResult struct {
	Batch   int
	Objects int
	Txs     int
	Retries int           // publishes refused by the nonce race and retried
	Elapsed time.Duration // first submit to the last Wait returning
	Blocks  int64         // heights the run took
	Records uint64        // record log size at the end
	AppHash string
	PeakRSS uint64        // bytes, during this run (0 if unknown)
	CPU     time.Duration // the process's user+system CPU time over Elapsed (0 if unknown)
}

// CPUPerObject is the process's CPU time per committed object.
func (r ThroughputResult) CPUPerObject() time.Duration {
	if r.Objects == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Objects)
}

// PerSecond is committed (and queryable) objects per second.
func (r ThroughputResult) PerSecond() float64 { return float64(r.Objects) / r.Elapsed.Seconds() }

// String is the run's one-line report.
func (r ThroughputResult) String() string {
	return fmt.Sprintf("batch %4d: %6d objects in %6d txs, %4d blocks, %7.2fs → %6.0f objects/s; CPU %.2fs = %d µs/object; records %d, app hash %.16s…; nonce-race retries %d; peak RSS %s",
		r.Batch, r.Objects, r.Txs, r.Blocks, r.Elapsed.Seconds(), r.PerSecond(), r.CPU.Seconds(), r.CPUPerObject().Microseconds(),
		r.Records, r.AppHash, r.Retries, report.MiB(r.PeakRSS))
}

// throughputRun describes one ingest run.
type throughputRun struct {
	tmp        string
	objs       []*stix.Object
	batch      int
	publishers int
	profile    *profiler // nil: not profiled
}

// run publishes every object on a fresh node in transactions of r.batch
// objects from r.publishers goroutines, waits for each transaction to be
// committed and projected, and checks that every object was accepted.
func (r throughputRun) run(ctx context.Context) (ThroughputResult, error) {
	n, err := startNode(ctx, r.tmp)
	if err != nil {
		return ThroughputResult{}, err
	}
	defer n.Close()
	before := n.Ledger().State()
	resetPeakRSS()
	chunks := split(r.objs, r.batch)

	if err := r.profile.start(); err != nil {
		return ThroughputResult{}, err
	}
	start, cpu0 := time.Now(), measure.ProcessCPU()
	t := publishAll(ctx, n.Intake(), chunks, r.publishers)
	elapsed, cpu := time.Since(start), measure.ProcessCPU()-cpu0
	if err := r.profile.stop(); err != nil {
		return ThroughputResult{}, err
	}

	after := n.Ledger().State()
	res := ThroughputResult{Batch: r.batch, Objects: len(r.objs), Txs: t.txs, Retries: t.retries, Elapsed: elapsed, CPU: cpu,
		Blocks: after.Height - before.Height, Records: after.Records,
		AppHash: strings.ToUpper(hex.EncodeToString(after.AppHash)), PeakRSS: measure.PeakRSS("/proc/self/status")}
	if err := t.check(len(r.objs)); err != nil {
		return res, fmt.Errorf("batch %d: %w", r.batch, err)
	}
	if got := after.Records - before.Records; got != uint64(len(r.objs)) {
		return res, fmt.Errorf("batch %d: the ledger added %d records for %d objects", r.batch, got, len(r.objs))
	}
	return res, nil
}

// split cuts objs into transactions of at most size objects. intake splits
// only above its own batch size (1,000), so each chunk is one transaction.
func split(objs []*stix.Object, size int) [][]*stix.Object {
	var out [][]*stix.Object
	for len(objs) > 0 {
		n := min(size, len(objs))
		out, objs = append(out, objs[:n:n]), objs[n:]
	}
	return out
}

// tally counts what a publishing run got back. Safe for concurrent use.
type tally struct {
	mu       sync.Mutex
	txs      int
	retries  int // publishes retried after the nonce race
	records  int
	rejected int
	reasons  []string // the first few rejections
	err      error    // the first failure to publish or wait
}

func (t *tally) accepted(records int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.records += records
}

func (t *tally) submitted(txs, retries int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.txs += txs
	t.retries += retries
}

func (t *tally) reject(where, txHash string, code uint32, log string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rejected++
	if len(t.reasons) < 5 {
		t.reasons = append(t.reasons, fmt.Sprintf("%s %.12s… code %d: %s", where, txHash, code, log))
	}
}

func (t *tally) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
}

// check fails unless every one of want objects was committed.
func (t *tally) check(want int) error {
	switch {
	case t.err != nil:
		return t.err
	case t.rejected > 0:
		return fmt.Errorf("%d transactions rejected, e.g. %s", t.rejected, strings.Join(t.reasons, "; "))
	case t.records != want:
		return fmt.Errorf("%d records committed for %d objects", t.records, want)
	}
	return nil
}

// publishAll hands chunks to workers goroutines that publish them (intake
// serialises signing and mempool admission itself), and waits for every
// transaction's commit and projection as a publisher using ?wait=true
// would. It returns when every transaction is answered or one failed.
func publishAll(ctx context.Context, in *intake.Service, chunks [][]*stix.Object, workers int) *tally {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := &tally{}
	work := make(chan []*stix.Object)
	var pubs, waits sync.WaitGroup
	for range workers {
		pubs.Go(func() {
			for chunk := range work {
				subs, retries, err := publish(ctx, in, chunk)
				t.submitted(len(subs), retries)
				for _, s := range subs {
					waits.Go(func() { waitCommitted(ctx, in, s.TxHash, t) })
				}
				if err != nil {
					t.fail(err)
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, c := range chunks {
		select {
		case work <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	pubs.Wait()
	waits.Wait()
	if t.err == nil && ctx.Err() != nil {
		t.fail(ctx.Err())
	}
	return t
}

// waitCommitted waits for one transaction and tallies its outcome.
func waitCommitted(ctx context.Context, in *intake.Service, txHash string, t *tally) {
	out, err := in.Wait(ctx, txHash)
	switch {
	case err != nil:
		t.fail(fmt.Errorf("wait for %s: %w", txHash, err))
	case out.Code != 0:
		t.reject("FinalizeBlock", txHash, out.Code, out.Log)
	default:
		t.accepted(len(out.Records))
	}
}
