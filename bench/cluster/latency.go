package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// sweepWidth is how many further objects a poller fetches at once, in
// parallel, after finding the oldest one it waits for: objects arrive a
// block at a time, and fetching a block's worth one by one would add the
// sum of the requests to the latency of the last.
const sweepWidth = 8

// findLimit is how long after its publish an object may stay missing on a
// node before the run fails.
const findLimit = 60 * time.Second

// outcomeAfter is how long an object may stay missing on a node before
// its poller asks that node what became of its transaction (and then at
// most once a second). A transaction the ledger rejected after the mempool
// took it, or one that is not committed while an object published
// lostAfter later is already there (the member's nonce has moved past
// it, so it never will be), is counted as lost rather than waited for.
const (
	outcomeAfter = 3 * time.Second
	lostAfter    = 2 * time.Second
)

// LatencyResult is a steady-rate run's publish-to-queryable latencies.
type LatencyResult struct {
	Rate      int     // objects/s asked for
	Achieved  float64 // objects/s actually published
	Poll      time.Duration
	All       []time.Duration   // publish start → found on the last of the four, sorted
	Node      [][]time.Duration // per node: publish start → found there, sorted
	Post      []time.Duration   // the publish request itself (no wait), sorted
	Gets      int64             // GET /v1/objects/{id} requests made, found or not
	Blocks    []gap             // intervals between new heights on A during the run, shortest first
	Lost      []string          // objects published (mempool took them) but never queryable: the first few described
	NRejected int               // lost: the ledger rejected the transaction in FinalizeBlock
	NDropped  int               // lost: the transaction left the mempools without being committed
	Context   []string          // around the first lost object: what became of the transactions just before it
	Usage     runUsage
}

// String is the run's report.
func (r LatencyResult) String() string {
	per := ""
	for i, l := range r.Node {
		per += fmt.Sprintf(" %c %v/%v", 'A'+i, report.Ms(quantile(l, 0.5)), report.Ms(quantile(l, 0.99)))
	}
	rej := ""
	if r.NRejected+r.NDropped > 0 {
		rej = fmt.Sprintf("\n            %d of %d objects LOST after the mempool took them (not in the latencies): %d rejected in FinalizeBlock, %d never committed; e.g.\n              %s",
			r.NRejected+r.NDropped, len(r.Post), r.NRejected, r.NDropped, strings.Join(r.Lost, "\n              "))
		if len(r.Context) > 0 {
			rej += "\n            around the first lost one (outcomes on A):\n              " + strings.Join(r.Context, "\n              ")
		}
	}
	return fmt.Sprintf("latency at %d/s (achieved %.1f/s, %d objects, one per request, no wait; polled every %v):\n"+
		"            publish on A → found on all four (%d objects): p50 %v, p90 %v, p99 %v, max %v\n"+
		"            found on each node (p50/p99):%s; the publish request itself p50 %v, p99 %v; %d GETs%s\n"+
		"            %d blocks on A, interval p50 %v, p90 %v, max %v; longest: %v\n"+
		"            %s",
		r.Rate, r.Achieved, len(r.Post), r.Poll, len(r.All), report.Ms(quantile(r.All, 0.5)), report.Ms(quantile(r.All, 0.9)), report.Ms(quantile(r.All, 0.99)),
		report.Ms(quantile(r.All, 1)), per, report.Ms(quantile(r.Post, 0.5)), report.Ms(quantile(r.Post, 0.99)), r.Gets, rej,
		len(r.Blocks), report.Ms(quantile(durations(r.Blocks), 0.5)), report.Ms(quantile(durations(r.Blocks), 0.9)), report.Ms(quantile(durations(r.Blocks), 1)),
		longest(r.Blocks, 5), r.Usage)
}

// latencyRun describes a steady-rate run.
type latencyRun struct {
	bin, tmp string
	hc       *http.Client
	objs     []*stix.Object
	rate     int
	duration time.Duration
	poll     time.Duration // pause after a GET that did not find the object
	dump     string        // "": no per-object CSV
}

// run publishes one object per request on A at a steady rate, without
// waiting, on a fresh network, while one poller per node looks each object
// up with GET /v1/objects/{id} until it is found; an object's latency is
// from just before its publish to the answer that found it on the last of
// the four.
func (r latencyRun) run(ctx context.Context) (res LatencyResult, err error) {
	total := int(float64(r.rate) * r.duration.Seconds())
	if total > len(r.objs) || total < 2 {
		return res, fmt.Errorf("latency run needs %d objects; the data set has %d", total, len(r.objs))
	}
	objs := r.objs[:total]
	res = LatencyResult{Rate: r.rate, Poll: r.poll}

	cl, err := startCluster(ctx, r.bin, r.tmp, r.hc)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, cl.stop()) }()
	if _, err := cl.agree(ctx, 30*time.Second); err != nil {
		return res, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	l := &lookups{objs: objs, nodes: cl.nodes, rate: r.rate, t0: make([]time.Time, total), found: make([][]time.Time, len(cl.nodes)),
		lost: make([][]bool, len(cl.nodes)), pause: r.poll}
	var failMu sync.Mutex
	var failure error
	fail := func(err error) {
		failMu.Lock()
		defer failMu.Unlock()
		if failure == nil {
			failure = err
			cancel()
		}
	}
	post := make([]time.Duration, total)
	u0, self0 := cl.usage(), readUsage(selfPID)
	var pollers, pubs sync.WaitGroup
	for k, n := range cl.nodes {
		l.found[k], l.lost[k] = make([]time.Time, total), make([]bool, total)
		pollers.Go(func() {
			if err := l.poll(ctx, n, k); err != nil {
				fail(err)
			}
		})
	}
	heights := make(chan []gap, 1)
	hctx, stopHeights := context.WithCancel(ctx)
	defer stopHeights()
	go func() { heights <- blockIntervals(hctx, cl.nodes[0]) }()
	interval := time.Second / time.Duration(r.rate)
	start := time.Now()
	for i := range total {
		// An absolute schedule: a late start is made up, never dropped.
		if sleepCtx(ctx, time.Until(start.Add(time.Duration(i)*interval))) != nil {
			break
		}
		l.t0[i] = time.Now()
		l.started.Store(int64(i + 1))
		pubs.Go(func() {
			txHash, err := publishNoWait(ctx, cl.nodes[0], objs[i])
			l.txs.Store(i, txHash)
			post[i] = time.Since(l.t0[i])
			if err != nil {
				fail(err)
			}
		})
	}
	sent := time.Since(start)
	pubs.Wait()
	pollers.Wait()
	res.Usage = usageSince(u0, cl.usage(), self0, time.Since(start))
	stopHeights()
	res.Blocks = <-heights
	if failure != nil {
		return res, failure
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Achieved = float64(total-1) / sent.Seconds()
	res.Gets = l.gets.Load()
	res.Node = make([][]time.Duration, len(cl.nodes))
	for i := range total {
		if l.lostOn(i) {
			// Ask A once more, now that the run is over.
			out, err := l.outcome(ctx, cl.nodes[0], i)
			switch {
			case err != nil:
				return res, err
			case out != nil && out.Height > 0 && out.Code == 0:
				return res, fmt.Errorf("object #%d %s was counted lost but its transaction %s committed at height %d",
					i, objs[i].ID, out.TxHash, out.Height)
			case out != nil && out.Height > 0:
				res.NRejected++
			default:
				res.NDropped++
				out = &intake.Outcome{TxHash: l.txHash(i), Log: "not committed; its nonce has since been used"}
			}
			if len(res.Context) == 0 {
				res.Context = l.context(ctx, i)
			}
			if len(res.Lost) < 3 {
				res.Lost = append(res.Lost, fmt.Sprintf("#%d %s tx %.12s… height %d: %s %s", i, objs[i].ID, out.TxHash, out.Height, out.Codename, out.Log))
			}
			continue
		}
		var last time.Duration
		for k := range cl.nodes {
			d := l.found[k][i].Sub(l.t0[i])
			res.Node[k] = append(res.Node[k], d)
			last = max(last, d)
		}
		res.All = append(res.All, last)
	}
	slices.Sort(res.All)
	for _, n := range res.Node {
		slices.Sort(n)
	}
	if r.dump != "" {
		if err := l.writeCSV(r.dump, post); err != nil {
			return res, err
		}
	}
	res.Post = post
	slices.Sort(res.Post)
	if _, err := cl.agree(ctx, 30*time.Second); err != nil {
		return res, err
	}
	return res, nil
}

// publishNoWait publishes o alone on n without waiting for its commit and
// checks that the mempool took it; it returns the transaction's hash.
func publishNoWait(ctx context.Context, n *node, o *stix.Object) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	res, err := n.cli.Publish(ctx, o.Raw, false)
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", o.ID, err)
	}
	if res.Accepted != 1 || len(res.Transactions) != 1 || res.Transactions[0].Code != 0 {
		return "", fmt.Errorf("publish %s: not accepted: %+v", o.ID, res)
	}
	return res.Transactions[0].TxHash, nil
}

// txHash is the transaction that carried object i ("?" if unknown).
func (l *lookups) txHash(i int) string {
	if h, ok := l.txs.Load(i); ok {
		return h.(string)
	}
	return "?"
}

// diagnose says, for an error message, what each node knows of object i
// and of its transaction.
func (l *lookups) diagnose(ctx context.Context, i int) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var b strings.Builder
	for _, n := range l.nodes {
		_, gerr := n.cli.Get(ctx, l.objs[i].ID)
		out, oerr := n.cli.Outcome(ctx, l.txHash(i))
		st, serr := n.status(ctx)
		fmt.Fprintf(&b, "\n  %s: get: %v; tx outcome: %+v (%v); status: height %d, records %d, projected %d (%v)",
			n.id, gerr, out, oerr, st.Height, st.Records, st.Projected, serr)
	}
	return b.String()
}

// lookups is the state the pollers share with the publishing loop.
type lookups struct {
	objs    []*stix.Object
	t0      []time.Time // publish start of each object; valid below started
	txs     sync.Map    // object index → its transaction hash, once published
	nodes   []*node
	started atomic.Int64  // objects whose publish has started
	found   [][]time.Time // per node, per object: when a GET found it
	lost    [][]bool      // per node, per object: given up as never to be committed (see outcomeAfter)
	rate    int           // objects published per second
	pause   time.Duration // after a GET that did not find the object
	gets    atomic.Int64
}

// poll looks up, on node k, the objects in publish order until it has
// found every one. It GETs the oldest object not yet found; when that is
// missing it waits l.pause and tries again; when found, it also fetches the
// next sweepWidth published objects in parallel (one transaction per
// object, committed in nonce order, so they are likely there too).
func (l *lookups) poll(ctx context.Context, n *node, k int) error {
	found := l.found[k]
	var lastAsked time.Duration // when, after its publish, the current object's outcome was last asked for
	for cur := 0; cur < len(l.objs); {
		if !found[cur].IsZero() {
			cur, lastAsked = cur+1, 0
			continue
		}
		if int64(cur) >= l.started.Load() {
			if err := sleepCtx(ctx, time.Millisecond); err != nil {
				return err
			}
			continue
		}
		ok, err := l.get(ctx, n, k, cur)
		if err != nil {
			return err
		}
		if !ok {
			if since := time.Since(l.t0[cur]); since > outcomeAfter && since-lastAsked > time.Second {
				lastAsked = since
				lost, err := l.isLost(ctx, n, k, cur)
				if err != nil {
					return err
				}
				if lost {
					l.lost[k][cur] = true
					cur, lastAsked = cur+1, 0
					continue
				}
			}
			if time.Since(l.t0[cur]) > findLimit {
				return fmt.Errorf("%s: %s (tx %s) not found %v after its publish%s",
					n.id, l.objs[cur].ID, l.txHash(cur), findLimit, l.diagnose(ctx, cur))
			}
			if err := sleepCtx(ctx, l.pause); err != nil {
				return err
			}
			continue
		}
		var wg sync.WaitGroup
		var failures []error
		var mu sync.Mutex
		for j, m := cur+1, 0; j < int(l.started.Load()) && m < sweepWidth; j++ {
			if !found[j].IsZero() {
				continue
			}
			m++
			wg.Go(func() {
				if _, err := l.get(ctx, n, k, j); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if err := errors.Join(failures...); err != nil {
			return err
		}
		cur, lastAsked = cur+1, 0
	}
	return nil
}

// outcome asks node n what became of object i's transaction: nil while it
// is not committed (or its hash not yet known).
func (l *lookups) outcome(ctx context.Context, n *node, i int) (*intake.Outcome, error) {
	h := l.txHash(i)
	if h == "?" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := n.cli.Outcome(ctx, h)
	switch {
	case err == nil:
		return &out, nil
	case errs.CodeOf(err) == errs.NotFound:
		return nil, nil
	default:
		return nil, fmt.Errorf("%s: outcome of %s: %w", n.id, h, err)
	}
}

// isLost says whether object i, not found on node n (the k-th), never
// will be: its transaction was rejected in FinalizeBlock, or it is not
// committed while an object published lostAfter later is already on n.
func (l *lookups) isLost(ctx context.Context, n *node, k, i int) (bool, error) {
	out, err := l.outcome(ctx, n, i)
	switch {
	case err != nil:
		return false, err
	case out != nil && out.Height > 0:
		return out.Code != 0, nil
	}
	j := i + int(lostAfter.Seconds()*float64(l.rate))
	if j >= int(l.started.Load()) {
		return false, nil
	}
	if !l.found[k][j].IsZero() {
		return true, nil
	}
	return l.get(ctx, n, k, j)
}

// lostOn says whether some node gave object i up as lost.
func (l *lookups) lostOn(i int) bool {
	for k := range l.lost {
		if l.lost[k][i] {
			return true
		}
	}
	return false
}

// context describes, from node A, what became of the transactions of the
// few objects published just before object i.
func (l *lookups) context(ctx context.Context, i int) []string {
	var out []string
	for j := max(i-3, 0); j <= min(i+1, len(l.objs)-1); j++ {
		o, err := l.outcome(ctx, l.nodes[0], j)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("#%d: %v", j, err))
		case o == nil:
			out = append(out, fmt.Sprintf("#%d tx %.12s…: not committed", j, l.txHash(j)))
		default:
			out = append(out, fmt.Sprintf("#%d tx %.12s… published at +%v: height %d, %s %s",
				j, o.TxHash, l.t0[j].Sub(l.t0[0]).Round(time.Millisecond), o.Height, o.Codename, o.Log))
		}
	}
	return out
}

// get fetches object i from node n and, if found, records when.
func (l *lookups) get(ctx context.Context, n *node, k, i int) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l.gets.Add(1)
	_, err := n.cli.Get(ctx, l.objs[i].ID)
	switch {
	case err == nil:
		l.found[k][i] = time.Now()
		return true, nil
	case errs.CodeOf(err) == errs.NotFound:
		return false, nil
	default:
		return false, fmt.Errorf("%s: get %s: %w", n.id, l.objs[i].ID, err)
	}
}

// gap is the time between two heights seen on a node, and what the
// block that ended it carried.
type gap struct {
	d       time.Duration
	records uint64 // records the ending block(s) added
	blocks  int64  // heights the poll advanced by (the time is split evenly)
}

// blockIntervals polls n's status every 20 ms until ctx ends and returns
// the gaps between consecutive new heights, shortest first.
func blockIntervals(ctx context.Context, n *node) []gap {
	var out []gap
	var last int64
	var recs uint64
	var at time.Time
	for ctx.Err() == nil {
		st, err := n.status(ctx)
		if err == nil && st.Height != last {
			now := time.Now()
			if last != 0 {
				out = append(out, gap{d: now.Sub(at) / time.Duration(st.Height-last), records: st.Records - recs, blocks: st.Height - last})
			}
			last, recs, at = st.Height, st.Records, now
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
	slices.SortFunc(out, func(a, b gap) int { return cmp.Compare(a.d, b.d) })
	return out
}

// durations is the gaps' lengths, in order.
func durations(gaps []gap) []time.Duration {
	out := make([]time.Duration, len(gaps))
	for i, g := range gaps {
		out[i] = g.d
	}
	return out
}

// longest lists the k longest gaps, longest first, with the records of
// the block that ended each.
func longest(sorted []gap, k int) string {
	var parts []string
	for i := len(sorted) - 1; i >= 0 && len(parts) < k; i-- {
		g := sorted[i]
		more := ""
		if g.blocks > 1 {
			more = fmt.Sprintf(" in %d blocks", g.blocks)
		}
		parts = append(parts, fmt.Sprintf("%v (+%d records%s)", report.Ms(g.d), g.records, more))
	}
	return strings.Join(parts, ", ")
}

// writeCSV writes one line per object: when it was published (ms after
// the first), how long the publish request took, when it was found on
// each node (ms after its publish; empty if never) and whether it was lost.
func (l *lookups) writeCSV(path string, post []time.Duration) error {
	var b strings.Builder
	b.WriteString("index,published_ms,post_ms")
	for _, n := range l.nodes {
		b.WriteString("," + n.id + "_ms")
	}
	b.WriteString(",lost\n")
	msf := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	for i := range l.objs {
		fmt.Fprintf(&b, "%d,%s,%s", i, msf(l.t0[i].Sub(l.t0[0])), msf(post[i]))
		for k := range l.nodes {
			b.WriteByte(',')
			if f := l.found[k][i]; !f.IsZero() {
				b.WriteString(msf(f.Sub(l.t0[i])))
			}
		}
		fmt.Fprintf(&b, ",%t\n", l.lostOn(i))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
