// Command cluster benchmarks a four-member Phalanx network on one machine:
// committed objects/s at several batch sizes, and the latency from
// publishing on member A to the object being queryable on all four at a
// steady rate.
//
// Every run creates a fresh testnet with daemon.InitTestnet in a temporary
// directory and runs each member as its own `phalanx up --dir D
// --no-sample --api-listen 127.0.0.1:0` process (the binary given with
// -bin), as four organisations would, all on 127.0.0.1. The benchmark talks
// to them only over the REST API (package client), with each node's admin
// token. The data set is bench/internal/dataset's: ATT&CK plus IOC
// indicators.
//
// Usage (from the repository root; bench/cluster.sh builds the binary and
// prints the machine too):
//
//	go build -o /tmp/phalanx ./cmd/phalanx
//	go run ./bench/cluster -bin /tmp/phalanx [-n 50000] [-n1 10000] [-batches 1,100,1000] \
//	    [-perf node-a.perf.data] [-latency-csv latency.csv]
//
// Throughput: objects published in requests of -batches objects (one
// transaction each) with wait=true, enough at once to keep -inflight
// objects in flight; objects/s = objects ÷ (first submit → every node's
// GET /v1/status reports them all as ledger records and projected).
// Latency: one object per request at -rate, without wait; one poller per
// node GETs each object until found; latency = publish start → found on
// the last of the four.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/dataset"
	"github.com/phalanx-ledger/phalanx/bench/internal/report"
)

// selfPID is the benchmark's own process id, for its CPU time.
var selfPID = os.Getpid()

// config is the benchmark's flags.
type config struct {
	bin             string
	shared          string
	n, n1           int
	batches         []int
	inflight        int
	minConc         int
	maxConc         int
	rate            int
	latencyDuration time.Duration
	poll            time.Duration
	perf            string
	perfNode        int // index of the node perf records: 0 = A
	dump            string
	tmp             string
	runTimeout      time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster: FAILED:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "the phalanx binary to run the nodes with (go build -o FILE ./cmd/phalanx)")
	fs.StringVar(&c.shared, "shared", dataset.DefaultDir, "shared test data directory (relative: to the module root)")
	fs.IntVar(&c.n, "n", 50_000, "objects for the batched runs (ATT&CK first, the rest IOC indicators)")
	fs.IntVar(&c.n1, "n1", 10_000, "objects for the batch-size-1 run (one object per request and transaction)")
	batches := fs.String("batches", "1,100,1000", "comma-separated objects per request (= per transaction), one fresh network each")
	fs.IntVar(&c.inflight, "inflight", 16_000, "objects to keep in flight: requests at once = inflight/batch, within [-min-conc, -max-conc]")
	fs.IntVar(&c.minConc, "min-conc", 4, "fewest publish requests in flight at once")
	fs.IntVar(&c.maxConc, "max-conc", 1024, "most publish requests in flight at once")
	fs.IntVar(&c.rate, "rate", 200, "objects/s of the latency run (one per request); 0 skips it")
	fs.DurationVar(&c.latencyDuration, "latency-duration", 25*time.Second, "length of the latency run")
	fs.DurationVar(&c.poll, "poll", 10*time.Millisecond, "latency run: pause after a GET that did not find the object")
	fs.StringVar(&c.perf, "perf", "", "record one node (-perf-node) with `perf record -g` into `file` during the largest-batch run")
	perfNode := fs.String("perf-node", "A", "the node -perf records: A (REST, intake, signing) or B, C, D (replicas only)")
	fs.StringVar(&c.dump, "latency-csv", "", "write each object of the latency run (publish time, per-node latency, lost) to `file`")
	fs.StringVar(&c.tmp, "tmp", "", "parent of the testnets' temporary directories (default: the system's)")
	fs.DurationVar(&c.runTimeout, "run-timeout", 5*time.Minute, "give up on a run after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(*perfNode) != 1 || (*perfNode)[0] < 'A' || (*perfNode)[0] > 'D' {
		return c, fmt.Errorf("-perf-node %q: want A, B, C or D", *perfNode)
	}
	c.perfNode = int((*perfNode)[0] - 'A')
	if c.bin == "" {
		return c, errors.New("-bin is required: build the node with go build -o FILE ./cmd/phalanx")
	}
	if _, err := os.Stat(c.bin); err != nil {
		return c, fmt.Errorf("-bin: %w", err)
	}
	var err error
	if c.batches, err = report.ParseBatches(*batches); err != nil {
		return c, err
	}
	if c.n1 < 1 || c.n < 1 || c.inflight < 1 || c.minConc < 1 || c.maxConc < c.minConc || c.rate < 0 || c.poll <= 0 {
		return c, errors.New("-n, -n1, -inflight, -min-conc and -poll must be positive, -max-conc ≥ -min-conc, -rate not negative")
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "shared" })
	c.shared, err = dataset.ResolveDir(c.shared, explicit)
	return c, err
}

// conc is how many requests of batch objects keep cfg.inflight objects in
// flight. Each request waits for its commit, so one publisher alone
// manages only batch/latency objects/s.
func (c config) conc(batch int) int {
	return min(max((c.inflight+batch-1)/batch, c.minConc), c.maxConc)
}

// httpClient is shared by every node's client, with enough idle
// connections per node for every request in flight.
func (c config) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = c.maxConc + 2*sweepWidth + 8
	tr.MaxIdleConns = members * tr.MaxIdleConnsPerHost
	return &http.Client{Transport: tr}
}

// run loads the data set, runs every benchmark and prints the results.
func run(ctx context.Context, cfg config, w io.Writer) error {
	fmt.Fprintf(w, "loading data set from %s …\n", cfg.shared)
	t0 := time.Now()
	ds, err := dataset.Load(cfg.shared, cfg.n)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s\nloaded and validated in %v\n\n", ds.Summary(), time.Since(t0).Round(time.Millisecond))
	hc := cfg.httpClient()
	res := Results{Data: ds}
	largest := 0
	for _, b := range cfg.batches {
		largest = max(largest, b)
	}
	for _, b := range cfg.batches {
		objs := ds.Objects
		if b == 1 {
			objs = objs[:min(cfg.n1, len(objs))]
		}
		r := throughputRun{bin: cfg.bin, tmp: cfg.tmp, hc: hc, objs: objs, batch: b, conc: cfg.conc(b)}
		if b == largest && cfg.perf != "" {
			r.perf, r.perfNode, cfg.perf = cfg.perf, cfg.perfNode, ""
		}
		fmt.Fprintf(w, "batch %d: fresh 4-member network, %d objects in requests of %d, %d in flight%s …\n",
			b, len(objs), b, r.conc, perfNote(r.perf, r.perfNode))
		rctx, cancel := context.WithTimeout(ctx, cfg.runTimeout)
		t, err := r.run(rctx)
		cancel()
		if err != nil {
			return fmt.Errorf("batch %d: %w", b, err)
		}
		fmt.Fprintln(w, t)
		if r.perf != "" {
			fmt.Fprintf(w, "            perf profile of node %c: %s (perf report -i %s --no-children --sort symbol)\n", 'A'+r.perfNode, r.perf, r.perf)
		}
		res.Throughput = append(res.Throughput, t)
	}
	if cfg.rate > 0 {
		fmt.Fprintf(w, "latency: fresh 4-member network, %d objects/s for %v …\n", cfg.rate, cfg.latencyDuration)
		r := latencyRun{bin: cfg.bin, tmp: cfg.tmp, hc: hc, objs: ds.Objects, rate: cfg.rate, duration: cfg.latencyDuration, poll: cfg.poll,
			dump: cfg.dump}
		rctx, cancel := context.WithTimeout(ctx, cfg.runTimeout)
		l, err := r.run(rctx)
		cancel()
		if err != nil {
			return fmt.Errorf("latency run: %w", err)
		}
		fmt.Fprintln(w, l)
		res.Latency = &l
	}
	fmt.Fprintln(w)
	res.WriteTable(w)
	return nil
}

// perfNote is what the run's heading says about perf recording.
func perfNote(perf string, node int) string {
	if perf == "" {
		return ""
	}
	return fmt.Sprintf(", perf on node %c", 'A'+node)
}
