// Command proofs measures proof generation and verification at a large
// record log and the speed of the audit's replay and comparison (see
// bench/proofs.sh and docs/benchmarks.md, "Proofs and audit").
//
// It builds the log through the real state machine (ledger.App over pebble,
// FinalizeBlock and Commit of signed publish transactions of 1,000 objects,
// intake's default) and stores its blocks in a CometBFT block store as a
// node does, then projects it into SQLite and times the whole audit of
// that node (audit.Run: blocks read and checked, replayed through a
// scratch ledger, ledger state and projection compared), then builds proof
// bundles with the real prover and verifies them (-audit-only: not).
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/audit"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/measure"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/prover"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

const chainID = "phalanx-bench"

// burstFlag is the -burst flag: proofs of runs of consecutive records (an
// export, or a client proving every object of a bulk publish);
// auditRunsFlag is -audit-runs.
var burstFlag, auditRunsFlag *int

// txVersionFlag is the -tx-version flag: the transaction format of the log;
// genWorkersFlag is -gen-workers, the proof requests served at once.
var txVersionFlag, genWorkersFlag *int

func main() {
	records := flag.Int("records", 1_000_000, "records in the log")
	perTx := flag.Int("per-tx", 1000, "objects per transaction (bulk part of the log)")
	single := flag.Int("single", 10000, "records at the end of the log published one per transaction")
	perBlock := flag.Int("per-block", 50, "transactions per block")
	window := flag.Duration("window", 5*time.Second, "how long each rate is measured")
	work := flag.String("dir", "", "work directory (default a temp dir, removed after)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	burstFlag = flag.Int("burst", 100, "also measure bursts of this many consecutive records (1: not)")
	txVersionFlag = flag.Int("tx-version", 2, "transaction version of the log (2: what intake signs; 1: the old format, proven with the whole transaction)")
	genWorkersFlag = flag.Int("gen-workers", 2*runtime.GOMAXPROCS(0), "proofs generated at once, as a node serves concurrent requests (verification runs on GOMAXPROCS goroutines)")
	auditOnly := flag.Bool("audit-only", false, "build the log and measure the audit only (no proofs)")
	auditRunsFlag = flag.Int("audit-runs", 1, "audit the node this many times and report the fastest (the machine is shared)")
	flag.Parse()
	if *txVersionFlag != 1 && *txVersionFlag != 2 {
		fmt.Fprintln(os.Stderr, "proofs: -tx-version must be 1 or 2")
		os.Exit(2)
	}
	stop, err := measure.StartCPUProfile(*profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proofs:", err)
		os.Exit(1)
	}
	defer stop()
	if err := run(*records, *single, *perTx, *perBlock, *window, *work, *auditOnly); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "proofs:", err)
		os.Exit(1)
	}
}

// bench is the state the measurements share.
type bench struct {
	dir     string
	author  ed25519.PrivateKey
	val     ed25519.PrivateKey
	app     *ledger.App
	txs     *node.StateKV // raw transactions by hash, as the tx index keeps them
	ids     []string      // object id of every record
	members []proof.Member
	nonce   uint64
	start   time.Time   // block time of height 0
	blocks  *blockStore // the blocks of the log, as a node stores them
	appHash []byte      // app hash of the last committed state
}

func run(records, single, perTx, perBlock int, window time.Duration, work string, auditOnly bool) error {
	if work == "" {
		d, err := os.MkdirTemp("", "phalanx-proofs-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	b, err := newBench(work)
	if err != nil {
		return err
	}
	ctx := context.Background()
	replay, err := b.build(ctx, records-single, perTx, perBlock)
	if err != nil {
		return err
	}
	if single > 0 {
		if _, err := b.build(ctx, single, 1, 1000); err != nil {
			return err
		}
	}
	if err := b.seal(ctx); err != nil {
		return err
	}
	auditRate, err := b.audit(ctx)
	if err != nil {
		return err
	}
	if !auditOnly {
		if err := b.warm(ctx); err != nil {
			return err
		}
	}
	bulk := [2]int{0, records - single}
	ones := [2]int{records - single, records}
	rows := []report.Row{{"metric", "measured (per CPU-second)", "target", "met"}}
	for _, part := range []struct {
		name string
		span [2]int
	}{{fmt.Sprintf("records in %d-object transactions", perTx), bulk}, {"records in 1-object transactions", ones}} {
		if part.span[1] <= part.span[0] || auditOnly {
			continue
		}
		fmt.Printf("== %s\n", part.name)
		gen, bundles, err := b.generate(ctx, part.span, window, 1)
		if err != nil {
			return err
		}
		cold, warm, err := b.verify(bundles, window)
		if err != nil {
			return err
		}
		sort.Slice(bundles, func(i, j int) bool { return bundles[i].Record.Index < bundles[j].Record.Index })
		_, ordered, err := b.verify(bundles, window)
		if err != nil {
			return err
		}
		rows = append(rows,
			row("proof generation, "+part.name, gen, "≥ 10,000/s", 10000),
			row("verification, batch in log order, "+part.name, ordered, "≥ 20,000/s", 20000),
			row("verification, batch in random order, "+part.name, warm, "(≥ 20,000/s)", 20000),
			row("verification, each bundle alone, "+part.name, cold, "(≥ 20,000/s)", 20000))
		if part.span != bulk || *burstFlag <= 1 {
			continue
		}
		fmt.Printf("== bursts of %d consecutive records, %s\n", *burstFlag, part.name)
		gen, bundles, err = b.generate(ctx, part.span, window, *burstFlag)
		if err != nil {
			return err
		}
		sort.Slice(bundles, func(i, j int) bool { return bundles[i].Record.Index < bundles[j].Record.Index })
		_, ordered, err = b.verify(bundles, window)
		if err != nil {
			return err
		}
		rows = append(rows,
			row(fmt.Sprintf("proof generation, bursts of %d consecutive records, %s", *burstFlag, part.name), gen, "(≥ 10,000/s)", 10000),
			row(fmt.Sprintf("verification, batch of those bursts in log order, %s", part.name), ordered, "(≥ 20,000/s)", 20000))
	}
	rows = append(rows,
		row("state machine in a node: FinalizeBlock + Commit while building the log (records/s)", replay, "", 0),
		row("audit: blocks read and checked, replayed, ledger and projection compared (records/s)", auditRate, "≥ 20,000/s", 20000))
	fmt.Printf("\n== results (%s records in version %d transactions, GOMAXPROCS %d, proofs on every CPU, replay on one)\n",
		report.Thousands(records), *txVersionFlag, runtime.GOMAXPROCS(0))
	report.WriteRows(os.Stdout, rows)
	return nil
}

func rate(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return "–"
	}
	return report.Thousands(int(r)) + "/s"
}

// speed is a measured rate: per second of wall time, and per CPU-second
// the process used meanwhile (the machine is shared: the second says what
// the work costs, whatever else ran).
type speed struct{ wall, cpu float64 }

// row is a result row: metric, both rates (per CPU-second in
// parentheses), target and whether the wall rate meets it.
func row(metric string, s speed, target string, min float64) report.Row {
	met := ""
	if min > 0 {
		met = report.Yes(s.wall >= min)
	}
	return report.Row{metric, rate(s.wall) + " (" + rate(s.cpu) + ")", target, met}
}

func seed(s string) ed25519.PrivateKey {
	h := sha256.Sum256([]byte(s))
	return ed25519.NewKeyFromSeed(h[:])
}

func newBench(dir string) (*bench, error) {
	b := &bench{dir: dir, author: seed("bench author"), val: seed("bench validator"), start: time.Unix(1_800_000_000, 0)}
	kv, err := node.OpenStateKV(dir, "state")
	if err != nil {
		return nil, err
	}
	if b.txs, err = node.OpenStateKV(dir, "txs"); err != nil {
		return nil, err
	}
	if b.app, err = ledger.New(kv, nil); err != nil {
		return nil, err
	}
	m := ledger.Member{ID: "cert-a", Name: "CERT A", SignKey: b.author.Public().(ed25519.PublicKey),
		SealKey: make([]byte, 32), ValidatorKey: b.val.Public().(ed25519.PublicKey), Power: 10}
	g, _ := json.Marshal(ledger.Genesis{Members: []ledger.Member{m}})
	init, err := b.app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: chainID, AppStateBytes: g})
	if err != nil {
		return nil, err
	}
	b.appHash = init.AppHash
	if b.blocks, err = newBlockStore(filepath.Join(dir, "comet"), b.val, g, b.start); err != nil {
		return nil, err
	}
	b.members = []proof.Member{{ID: m.ID, SignKey: m.SignKey, ValidatorKey: m.ValidatorKey, Power: 10, Status: "active"}}
	return b, nil
}

func indicator(n int) []byte {
	return fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-5555-4555-8555-555555555555","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"bench %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		n, n, (n>>16)&255, (n>>8)&255, n&255)
}

// build commits the log and returns the replay rate: records per second
// through node.ApplyBlock (FinalizeBlock and Commit, with the block's STIX
// pre-parsed on another core, exactly as `phalanx audit` and `reindex`
// replay a block); transactions are signed beforehand, outside the
// timing, as they come ready-made from the block store.
func (b *bench) build(ctx context.Context, records, perTx, perBlock int) (speed, error) {
	fmt.Printf("== building %s records, %d per transaction\n", report.Thousands(records), perTx)
	var spent, cpu time.Duration
	base := len(b.ids)
	for n, height := 0, b.app.State().Height+1; n < records; height++ {
		var txs [][]byte
		for len(txs) < perBlock && n < records {
			k := min(perTx, records-n)
			objs := make([][]byte, k)
			for i := range objs {
				objs[i] = indicator(base + n + i)
				b.ids = append(b.ids, fmt.Sprintf("indicator--%08x-5555-4555-8555-555555555555", base+n+i))
			}
			b.nonce++
			raw, err := b.sign(objs)
			if err != nil {
				return speed{}, err
			}
			h := sha256.Sum256(raw)
			if err := b.txs.Write([]ledger.Pair{{Key: h[:], Value: raw}}); err != nil {
				return speed{}, err
			}
			txs = append(txs, raw)
			n += k
		}
		at := b.start.Add(time.Duration(height) * time.Second)
		t0, c0 := time.Now(), measure.ProcessCPU()
		res, err := node.ApplyBlock(ctx, b.app, &abci.FinalizeBlockRequest{Height: height, Time: at, Txs: txs})
		if err != nil {
			return speed{}, err
		}
		spent, cpu = spent+time.Since(t0), cpu+measure.ProcessCPU()-c0
		for i, r := range res.TxResults {
			if r.Code != 0 {
				return speed{}, fmt.Errorf("height %d tx %d: %s", height, i, r.Log)
			}
		}
		if err := b.blocks.save(height, at, txs, b.appHash); err != nil {
			return speed{}, err
		}
		b.appHash = res.AppHash
	}
	r := speed{float64(records) / spent.Seconds(), float64(records) / cpu.Seconds()}
	fmt.Printf("replay: %s records in %s (%s), %s CPU (%s per CPU-second)\n", report.Thousands(records),
		spent.Round(time.Millisecond), rate(r.wall), cpu.Round(time.Millisecond), rate(r.cpu))
	return r, nil
}

// sign signs a publish transaction of objs with the next nonce, in the
// version -tx-version says.
func (b *bench) sign(objs [][]byte) ([]byte, error) {
	if *txVersionFlag == 2 {
		return tx.SignItems(tx.Header{ChainID: chainID, Type: tx.TypePublish, Author: "cert-a", Nonce: b.nonce}, objs, b.author)
	}
	payload, err := tx.EncodePublish(tx.Publish{Objects: objs})
	if err != nil {
		return nil, err
	}
	return tx.Sign(tx.Body{ChainID: chainID, Type: tx.TypePublish, Author: "cert-a", Nonce: b.nonce, Payload: payload}, b.author)
}

// settle waits until the process is idle (under 5% of a CPU over a
// second, at most two minutes): the audit of a stopped node starts with
// its stores at rest, not while pebble still compacts what the build
// wrote, which would count in the audit's CPU time.
func settle() {
	t0 := time.Now()
	for time.Since(t0) < 2*time.Minute {
		c0 := measure.ProcessCPU()
		time.Sleep(time.Second)
		if measure.ProcessCPU()-c0 < 50*time.Millisecond {
			break
		}
	}
	fmt.Printf("(waited %s for background compactions of the build)\n", time.Since(t0).Round(time.Second))
}

// seal commits one empty block: the checkpoint the proofs are built
// against.
func (b *bench) seal(ctx context.Context) error {
	h := b.app.State().Height + 1
	at := b.start.Add(time.Duration(h) * time.Second)
	res, err := b.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: h, Time: at})
	if err != nil {
		return err
	}
	if _, err := b.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		return err
	}
	if err := b.blocks.save(h, at, nil, b.appHash); err != nil {
		return err
	}
	b.appHash = res.AppHash
	return b.blocks.close()
}

// audit projects the log into SQLite (untimed), then times the whole
// audit of the node (audit.Run, as `phalanx audit` runs it): read and
// check every stored block, replay it through a scratch ledger checking
// every app hash, and compare the ledger state and the projection with
// the replay, record by record.
func (b *bench) audit(ctx context.Context) (speed, error) {
	proj, err := projection.Open(ctx, filepath.Join(b.dir, "projection.db"))
	if err != nil {
		return speed{}, err
	}
	defer proj.Close()
	size := b.app.State().Records
	fmt.Printf("== projecting %s records (setup, untimed)\n", report.Thousands(int(size)))
	for from := uint64(0); from < size; from += 10000 {
		recs, err := b.app.Records(from, from+10000, 0)
		if err != nil {
			return speed{}, err
		}
		if err := proj.Apply(ctx, recs); err != nil {
			return speed{}, err
		}
	}
	var best speed
	for run := range max(*auditRunsFlag, 1) {
		r, err := b.auditOnce(ctx, proj, size, run)
		if err != nil {
			return speed{}, err
		}
		if r.wall > best.wall {
			best = r
		}
	}
	return best, nil
}

// auditOnce times one audit of the node (a fresh scratch state each time).
func (b *bench) auditOnce(ctx context.Context, proj *projection.Store, size uint64, run int) (speed, error) {
	chain, err := node.OpenBlockStore(b.blocks.home)
	if err != nil {
		return speed{}, err
	}
	defer chain.Close()
	scratch, err := os.MkdirTemp(b.dir, "audit-")
	if err != nil {
		return speed{}, err
	}
	defer os.RemoveAll(scratch)
	settle()
	t0, c0 := time.Now(), measure.ProcessCPU()
	var rep audit.Report
	pprof.Do(ctx, pprof.Labels("phase", "audit"), func(ctx context.Context) { // -tagfocus=phase=audit in a profile
		rep, err = audit.Run(ctx, audit.Node{Chain: chain, Ledger: b.app, Projection: proj}, filepath.Join(scratch, "state"))
	})
	if err != nil {
		return speed{}, err
	}
	if !rep.OK() || rep.Records != size || rep.Compared != size || rep.Height != b.app.State().Height {
		return speed{}, fmt.Errorf("audit of an intact node found a difference: %+v", rep)
	}
	elapsed, cpu := time.Since(t0), measure.ProcessCPU()-c0
	r := speed{float64(size) / elapsed.Seconds(), float64(size) / cpu.Seconds()}
	fmt.Printf("audit %d: %s blocks, %s records in %s (%s), %s CPU (%s per CPU-second), load %s\n", run+1, report.Thousands(int(rep.Height)), report.Thousands(int(size)),
		elapsed.Round(time.Millisecond), rate(r.wall), cpu.Round(time.Millisecond), rate(r.cpu), loadAverage())
	return r, nil
}

// loadAverage is the machine's 1-minute load average ("?" if unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// parallel runs work on workers goroutines for window and
// returns how many calls completed per second (of wall time and of CPU);
// worker w's i-th call gets (w, i).
func parallel(workers int, window time.Duration, work func(w, i int) error) (speed, int, error) {
	counts := make([]int, workers)
	errs := make(chan error, workers)
	t0, c0 := time.Now(), measure.ProcessCPU()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Since(t0) < window; i++ {
				if err := work(w, i); err != nil {
					errs <- err
					return
				}
				counts[w]++
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(t0), measure.ProcessCPU()-c0
	close(errs)
	if err := <-errs; err != nil {
		return speed{}, 0, err
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return speed{float64(n) / elapsed.Seconds(), float64(n) / cpu.Seconds()}, n, nil
}

// warm loads the ledger's proof cache as a node does after start-up
// (daemon: warmProofs), and says how long it took.
func (b *bench) warm(ctx context.Context) error {
	start, cpu0 := time.Now(), measure.ProcessCPU()
	n, err := b.app.WarmProofCache(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("== proof cache warmed as a node does after start-up: %s tree nodes in %s (%s CPU)\n",
		report.Thousands(n), time.Since(start).Round(time.Millisecond), (measure.ProcessCPU() - cpu0).Round(time.Millisecond))
	return nil
}

// generate builds bundles of random records in span for window with the
// real prover on every CPU, in runs of burst consecutive records from a
// random start; it returns the rate and a sample of bundles.
func (b *bench) generate(ctx context.Context, span [2]int, window time.Duration, burst int) (speed, []*proof.Bundle, error) {
	chain, err := b.chain()
	if err != nil {
		return speed{}, nil, err
	}
	p := prover.New(b.app, chain, func() *proof.Signer { return proof.NewSigner("cert-a", b.author) })
	workers := *genWorkersFlag
	rngs := make([]*rand.Rand, workers)
	samples := make([][]*proof.Bundle, workers)
	for w := range rngs {
		rngs[w] = rand.New(rand.NewPCG(uint64(w), 2))
	}
	next := make([]int, workers) // next record of each worker's burst
	r, n, err := parallel(workers, window, func(w, k int) error {
		if k%burst == 0 || next[w] >= span[1] {
			next[w] = span[0] + rngs[w].IntN(span[1]-span[0])
		}
		i := next[w]
		next[w]++
		bu, err := p.Bundle(ctx, b.ids[i], "2026-01-01T00:00:00Z")
		if err == nil && len(samples[w]) < 2000 {
			samples[w] = append(samples[w], bu)
		}
		return err
	})
	if err != nil {
		return speed{}, nil, err
	}
	var out []*proof.Bundle
	for _, s := range samples {
		out = append(out, s...)
	}
	out = distinct(out)
	fmt.Printf("proof generation: %s bundles in %s on %d goroutines (%s, %s per CPU-second)\n", report.Thousands(n), window, workers, rate(r.wall), rate(r.cpu))
	return r, out, nil
}

// verify verifies bundles on every CPU with a fresh verifier each (cold:
// every signature checked) and with one shared caching verifier (batch).
func (b *bench) verify(bundles []*proof.Bundle, window time.Duration) (cold, warm speed, err error) {
	measure := func(name string, verifier func(k int) *proof.Verifier) (speed, error) {
		var next atomic.Int64
		r, n, err := parallel(runtime.GOMAXPROCS(0), window, func(_, _ int) error {
			k := int(next.Add(1) - 1)
			v := verifier(k)
			bu := bundles[k%len(bundles)]
			if rep := v.Verify(bu); !rep.OK() {
				return fmt.Errorf("bundle of record %d fails: %v", bu.Record.Index, rep.Failed())
			}
			return nil
		})
		if err == nil {
			fmt.Printf("verification, %s: %s bundles in %s (%s, %s per CPU-second)\n", name, report.Thousands(n), window, rate(r.wall), rate(r.cpu))
		}
		return r, err
	}
	if cold, err = measure("each bundle alone", func(int) *proof.Verifier { return proof.NewVerifier(b.members) }); err != nil {
		return speed{}, speed{}, err
	}
	// batch: one verifier per pass over the sample, so each bundle is
	// verified once by it, as an auditor checking an export would (a
	// verifier that saw the sample before would answer from its caches)
	var mu sync.Mutex
	passes := map[int]*proof.Verifier{}
	warm, err = measure("batch", func(k int) *proof.Verifier {
		pass := k / len(bundles)
		mu.Lock()
		defer mu.Unlock()
		if passes[pass] == nil {
			passes[pass] = proof.NewVerifier(b.members)
			delete(passes, pass-2)
		}
		return passes[pass]
	})
	return cold, warm, err
}

// distinct drops repeated records from a sample (random draws repeat
// some): a batch verifies each record once.
func distinct(bundles []*proof.Bundle) []*proof.Bundle {
	seen := map[uint64]bool{}
	out := bundles[:0]
	for _, bu := range bundles {
		if !seen[bu.Record.Index] {
			seen[bu.Record.Index] = true
			out = append(out, bu)
		}
	}
	return out
}
