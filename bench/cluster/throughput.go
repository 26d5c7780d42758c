package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// requestTimeout bounds a publish request without wait.
const requestTimeout = 90 * time.Second

// Each node's GET /v1/status is polled while a throughput run waits for all
// four to hold every object: every minPoll near the end, less often while
// much is left (nextPoll), so that the polling itself, a SQLite query and a
// token check on every node, takes little of the CPU the run measures.
const (
	minPoll = 10 * time.Millisecond
	maxPoll = 100 * time.Millisecond
)

// nextPoll is the pause before the next status poll of a node that has
// projected done of want objects after elapsed: half the time the rest
// would take at the rate so far, within [minPoll, maxPoll]; maxPoll before
// any progress. A node is seen done at most maxPoll late (about 1% of a
// batched run), an error that only makes the figures lower.
func nextPoll(done, want uint64, elapsed time.Duration) time.Duration {
	if done == 0 || elapsed <= 0 {
		return maxPoll
	}
	if done >= want {
		return minPoll
	}
	rest := time.Duration(float64(elapsed) * float64(want-done) / float64(done) / 2)
	return min(max(rest, minPoll), maxPoll)
}

// ThroughputResult is one run at one batch size on a fresh network.
type ThroughputResult struct {
	Batch, Objects, Txs int
	Conc                int             // publish requests in flight at once
	Elapsed             time.Duration   // first submit → all four hold every object
	OnA                 time.Duration   // first submit → the last publish (wait=true) on A answered
	NodeDone            []time.Duration // per node: first submit → records and projected reached the total
	Req                 []time.Duration // duration of each publish request (wait=true), sorted
	Blocks              int64           // heights from the first submit until the last node was done
	BadNonce, Dropped   int             // requests sent again: rejected as bad_nonce in FinalizeBlock, never committed
	Intervals           []gap           // between new heights on A during the run, shortest first
	AppHash             string          // agreed app hash afterwards
	Usage               runUsage
}

// PerSecond is objects committed and queryable on all four per second.
func (r ThroughputResult) PerSecond() float64 { return float64(r.Objects) / r.Elapsed.Seconds() }

// String is the run's report.
func (r ThroughputResult) String() string {
	done := ""
	for i, d := range r.NodeDone {
		done += fmt.Sprintf(" %c %.2fs", 'A'+i, d.Seconds())
	}
	return fmt.Sprintf("batch %4d: %6d objects in %6d requests (= txs), %3d in flight, %4d blocks, %7.2fs → %6.0f objects/s on all four\n"+
		"            all objects answered on A (wait=true) after %.2fs; each node holds all (records and projected) after:%s\n"+
		"            publish request (wait=true) p50 %v, p99 %v; published again: %d after a bad_nonce rejection, %d never committed; app hashes agree (%.12s…)\n"+
		"            block interval on A p50 %v, p90 %v; longest: %v\n"+
		"            %s",
		r.Batch, r.Objects, r.Txs, r.Conc, r.Blocks, r.Elapsed.Seconds(), r.PerSecond(),
		r.OnA.Seconds(), done, report.Ms(quantile(r.Req, 0.5)), report.Ms(quantile(r.Req, 0.99)), r.BadNonce, r.Dropped, r.AppHash,
		report.Ms(quantile(durations(r.Intervals), 0.5)), report.Ms(quantile(durations(r.Intervals), 0.9)), longest(r.Intervals, 5), r.Usage)
}

// throughputRun describes one run.
type throughputRun struct {
	bin, tmp string
	hc       *http.Client
	objs     []*stix.Object
	batch    int
	conc     int
	perf     string // "": no perf profile
	perfNode int    // the node perf records (0 = A)
}

// run publishes every object on member A of a fresh network, in requests
// of r.batch objects (each one transaction) with wait=true from r.conc
// goroutines, and measures the time from the first submit until every
// node reports all of them as ledger records and projected.
func (r throughputRun) run(ctx context.Context) (res ThroughputResult, err error) {
	bodies := make([][]byte, 0, len(r.objs)/r.batch+1)
	counts := make([]int, 0, cap(bodies))
	for objs := r.objs; len(objs) > 0; {
		n := min(r.batch, len(objs))
		bodies, counts = append(bodies, requestBody(objs[:n])), append(counts, n)
		objs = objs[n:]
	}
	res = ThroughputResult{Batch: r.batch, Objects: len(r.objs), Txs: len(bodies), Conc: r.conc}

	cl, err := startCluster(ctx, r.bin, r.tmp, r.hc)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, cl.stop()) }()
	before, err := cl.agree(ctx, 30*time.Second)
	if err != nil {
		return res, err
	}
	want := before.Records + uint64(len(r.objs))

	var prof *perfRecorder
	if r.perf != "" {
		if prof, err = startPerf(r.perf, cl.nodes[r.perfNode].pid()); err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, prof.stop()) }()
	}
	u0, self0 := cl.usage(), readUsage(selfPID)
	start := time.Now()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch := make(chan watchResult, 1)
	go func() { watch <- cl.watchRecords(wctx, want, start) }()
	heights := make(chan []gap, 1)
	go func() { heights <- blockIntervals(wctx, cl.nodes[0]) }()

	var rep republishes
	req, err := publishAll(ctx, cl.nodes[0].cli, bodies, counts, r.conc, &rep)
	res.OnA, res.Req = time.Since(start), req
	res.BadNonce, res.Dropped = int(rep.badNonce.Load()), int(rep.dropped.Load())
	if err != nil {
		return res, err
	}
	var w watchResult
	select {
	case w = <-watch:
	case <-time.After(2 * time.Minute):
		return res, fmt.Errorf("batch %d: not every node held all %d records 2 minutes after A had committed them", r.batch, want)
	}
	if w.err != nil {
		return res, w.err
	}
	res.Usage = usageSince(u0, cl.usage(), self0, time.Since(start))
	stopWatch()
	res.Intervals = <-heights
	if err := prof.stop(); err != nil {
		return res, err
	}
	prof = nil
	res.NodeDone, res.Elapsed = w.done, slices.Max(w.done)
	res.Blocks = w.height - before.Height
	after, err := cl.agree(ctx, 30*time.Second)
	if err != nil {
		return res, err
	}
	if after.Records != want {
		return res, fmt.Errorf("batch %d: the network holds %d records, want %d", r.batch, after.Records, want)
	}
	res.AppHash = after.AppHash
	return res, nil
}

// requestBody is the body of a publish of objs: the object itself when
// alone, else a bundle of them.
func requestBody(objs []*stix.Object) []byte {
	if len(objs) == 1 {
		return objs[0].Raw
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--` + uuidV4() + `","objects":[`)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.Raw)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// uuidV4 is a random RFC 4122 version 4 UUID.
func uuidV4() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// publishAll sends every body to cli with wait=true from conc goroutines
// and returns each request's duration, sorted. It stops at the first
// failure: an error, a rejected transaction, or a count of accepted and
// committed objects other than the request's.
func publishAll(ctx context.Context, cli *client.Client, bodies [][]byte, counts []int, conc int, rep *republishes) ([]time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		lat      = make([]time.Duration, 0, len(bodies))
	)
	work := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range work {
				t0 := time.Now()
				err := publishWait(ctx, cli, bodies[i], counts[i], rep)
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range bodies {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	slices.Sort(lat)
	return lat, firstErr
}

// maxRepublish bounds how often one request is sent again.
const maxRepublish = 5

// waitLimit is how long one publish request waits for its commit before
// the benchmark looks up what became of its transaction.
const waitLimit = 30 * time.Second

// republishes counts requests sent again. Safe for concurrent use.
type republishes struct {
	badNonce atomic.Int64 // the ledger rejected the transaction as bad_nonce in FinalizeBlock
	dropped  atomic.Int64 // the transaction was not committed within waitLimit and is not committed
}

// publishWait publishes one body with wait=true and checks that all of its
// n objects were accepted and committed. Two failures that the node
// causes itself, after CheckTx had taken the transaction, are met as a
// publisher would meet them, by publishing again, and counted: a
// bad_nonce rejection in FinalizeBlock (a proposer's block had the
// transaction before its predecessor), and a transaction that is still
// not committed after waitLimit (dropped from the mempools). A republish
// refused as a duplicate means an earlier attempt committed after all.
func publishWait(ctx context.Context, cli *client.Client, body []byte, n int, rep *republishes) error {
	for try := 0; ; try++ {
		rctx, cancel := context.WithTimeout(ctx, waitLimit)
		res, err := cli.Publish(rctx, body, true)
		cancel()
		if err == nil {
			return checkCommitted(res, n)
		}
		if ctx.Err() != nil || try == maxRepublish {
			return fmt.Errorf("publish %d objects (attempt %d): %w", n, try+1, err)
		}
		switch {
		case errs.CodeOf(err) == errs.Rejected && onlyCode(res, "bad_nonce"):
			rep.badNonce.Add(1)
		case errs.CodeOf(err) == errs.Rejected && onlyCode(res, "duplicate") && try > 0:
			return nil
		case errs.CodeOf(err) == errs.Unavailable && len(res.Transactions) == 1:
			out, oerr := cli.Outcome(ctx, res.Transactions[0].TxHash)
			switch {
			case oerr == nil && out.Height > 0 && out.Code == 0 && len(out.Records) == n:
				return nil // committed just after the wait gave up
			case oerr == nil && out.Height > 0:
				return fmt.Errorf("tx %s: code %d %s: %s (height %d)", out.TxHash, out.Code, out.Codename, out.Log, out.Height)
			case oerr != nil && errs.CodeOf(oerr) != errs.NotFound:
				return fmt.Errorf("outcome of tx %s: %w", res.Transactions[0].TxHash, oerr)
			}
			rep.dropped.Add(1)
		default:
			return fmt.Errorf("publish %d objects: %w", n, err)
		}
	}
}

// checkCommitted checks that a publish answered with wait=true committed
// all of its n objects in one transaction.
func checkCommitted(res api.PublishResult, n int) error {
	got := 0
	for _, tr := range res.Transactions {
		if tr.Code != 0 || !tr.Committed() {
			return fmt.Errorf("tx %s: code %d %s: %s (height %d)", tr.TxHash, tr.Code, tr.Codename, tr.Log, tr.Height)
		}
		got += len(tr.Records)
	}
	if res.Accepted != n || got != n || len(res.Transactions) != 1 {
		return fmt.Errorf("publish of %d objects: %d accepted, %d records committed, in %d transactions; want %d in 1",
			n, res.Accepted, got, len(res.Transactions), n)
	}
	return nil
}

// onlyCode says whether res has rejected transactions and all of them
// were rejected with the code named codename.
func onlyCode(res api.PublishResult, codename string) bool {
	n := 0
	for _, tr := range res.Transactions {
		if tr.Code != 0 {
			if tr.Codename != codename {
				return false
			}
			n++
		}
	}
	return n > 0
}

// watchResult is what watchRecords saw.
type watchResult struct {
	done   []time.Duration // per node: start → first status with all records
	height int64           // the last node's height when it was done
	err    error
}

// watchRecords polls every node's status (each in its own goroutine, every
// statusPoll) until it reports at least want ledger records and as many
// projected, and returns when all have.
func (c *cluster) watchRecords(ctx context.Context, want uint64, start time.Time) watchResult {
	res := watchResult{done: make([]time.Duration, len(c.nodes))}
	heights := make([]int64, len(c.nodes))
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() {
			for {
				st, err := n.status(ctx)
				if err == nil && statusOK(st, want) {
					res.done[i], heights[i] = time.Since(start), st.Height
					return
				}
				if err != nil && ctx.Err() == nil {
					errs[i] = fmt.Errorf("%s: %w", n.id, err)
					return
				}
				if err := sleepCtx(ctx, nextPoll(min(st.Records, st.Projected), want, time.Since(start))); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if res.err = errors.Join(errs...); res.err != nil {
		return res
	}
	last := 0
	for i, d := range res.done {
		if d > res.done[last] {
			last = i
		}
	}
	res.height = heights[last]
	return res
}

// statusOK says whether st holds at least want records, projected.
func statusOK(st api.Status, want uint64) bool { return st.Records >= want && st.Projected >= want }
