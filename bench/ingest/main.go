// Command ingest benchmarks a single Phalanx node end to end: it loads the
// MITRE ATT&CK bundles and IOC lists of ../shared/testdata (the IOCs turned
// into STIX 2.1 indicators), publishes them through the node's intake at
// several batch sizes, measures publish-to-queryable latency at a steady
// rate, and prints the figures side by side with the targets.
//
// Every run starts a fresh node (CometBFT single validator, ledger state
// machine, SQLite projection) in a temporary data directory, in this
// process. A committed object is one whose transaction's Wait has returned,
// which the daemon does only once the object is queryable in SQLite.
//
// Usage (from the repository root; bench/run.sh also prints the machine):
//
//	go run ./bench/ingest [-n 0] [-n1 20000] [-batches 1,100,1000] [-cpuprofile cpu.pprof]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/dataset"
	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/measure"
)

// config is the benchmark's flags.
type config struct {
	shared          string
	n, n1           int
	batches         []int
	publishers      int
	rate            int
	latencyDuration time.Duration
	cpuProfile      string
	mutexProfile    string
	memProfile      string
	tmp             string
	runTimeout      time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(2)
	}
	daemon.LimitMemory() // as `phalanx up` does
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest: FAILED:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.StringVar(&c.shared, "shared", dataset.DefaultDir, "shared test data directory (relative: to the module root)")
	fs.IntVar(&c.n, "n", 0, "total objects for batched runs (0: every ATT&CK object + 100,000 IOC indicators)")
	fs.IntVar(&c.n1, "n1", 20_000, "objects for the batch-size-1 run (one object per transaction)")
	batches := fs.String("batches", "1,100,1000", "comma-separated objects per transaction, one run each")
	fs.IntVar(&c.publishers, "publishers", 4, "goroutines publishing concurrently")
	fs.IntVar(&c.rate, "rate", 200, "objects/s of the latency run (one per transaction); 0 skips it")
	fs.DurationVar(&c.latencyDuration, "latency-duration", 30*time.Second, "length of the latency run")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the largest-batch run to `file`")
	fs.StringVar(&c.mutexProfile, "mutexprofile", "", "write a mutex contention profile of the largest-batch run to `file`")
	fs.StringVar(&c.memProfile, "memprofile", "", "write an allocation profile (alloc_space) of the largest-batch run to `file`")
	fs.StringVar(&c.tmp, "tmp", "", "parent of the nodes' temporary data directories (default: the system's)")
	fs.DurationVar(&c.runTimeout, "run-timeout", 10*time.Minute, "give up on a run after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.batches, err = report.ParseBatches(*batches); err != nil {
		return c, err
	}
	if c.publishers < 1 || c.n1 < 1 || c.rate < 0 {
		return c, errors.New("-publishers and -n1 must be positive, -rate not negative")
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "shared" })
	c.shared, err = dataset.ResolveDir(c.shared, explicit)
	return c, err
}

// run loads the data set, runs every benchmark and prints the results.
func run(ctx context.Context, cfg config, w io.Writer) error {
	fmt.Fprintf(w, "loading data set from %s …\n", cfg.shared)
	t0 := time.Now()
	ds, err := dataset.Load(cfg.shared, cfg.n)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s\nloaded and validated in %v; data set live heap ≈ %s\n\n",
		ds.Summary(), time.Since(t0).Round(time.Millisecond), report.MiB(ds.HeapBytes))
	res := Results{Data: ds}
	if err := runThroughputs(ctx, cfg, ds, w, &res); err != nil {
		return err
	}
	if err := runLatency(ctx, cfg, ds, w, &res); err != nil {
		return err
	}
	res.PeakRSS = max(res.PeakRSS, measure.PeakRSS("/proc/self/status"))
	if !canResetPeak {
		fmt.Fprintln(w, "note: /proc/self/clear_refs refused a reset; per-run peaks are cumulative")
	}
	fmt.Fprintln(w)
	res.WriteTable(w)
	return nil
}

func runThroughputs(ctx context.Context, cfg config, ds *dataset.Dataset, w io.Writer, res *Results) error {
	largest := 0
	for _, b := range cfg.batches {
		largest = max(largest, b)
	}
	profiled := false
	for _, b := range cfg.batches {
		objs := ds.Objects
		if b == 1 {
			objs = objs[:min(cfg.n1, len(objs))]
			fmt.Fprintf(w, "batch size 1 publishes the first %d objects only (-n1)\n", len(objs))
		}
		r := throughputRun{tmp: cfg.tmp, objs: objs, batch: b, publishers: cfg.publishers}
		if b == largest && !profiled && (cfg.cpuProfile != "" || cfg.mutexProfile != "" || cfg.memProfile != "") {
			r.profile, profiled = &profiler{cpuPath: cfg.cpuProfile, mutexPath: cfg.mutexProfile, memPath: cfg.memProfile}, true
		}
		rctx, cancel := context.WithTimeout(ctx, cfg.runTimeout)
		t, err := r.run(rctx)
		cancel()
		if err != nil {
			return err
		}
		fmt.Fprintln(w, t)
		res.Throughput = append(res.Throughput, t)
		res.PeakRSS = max(res.PeakRSS, t.PeakRSS)
	}
	return nil
}

func runLatency(ctx context.Context, cfg config, ds *dataset.Dataset, w io.Writer, res *Results) error {
	if cfg.rate == 0 {
		return nil
	}
	r := latencyRun{tmp: cfg.tmp, objs: ds.Objects, rate: cfg.rate, duration: cfg.latencyDuration, checkEvery: 20}
	rctx, cancel := context.WithTimeout(ctx, cfg.runTimeout)
	defer cancel()
	l, err := r.run(rctx)
	if err != nil {
		return fmt.Errorf("latency run: %w", err)
	}
	fmt.Fprintln(w, l)
	res.Latency = &l
	res.PeakRSS = max(res.PeakRSS, l.PeakRSS)
	return nil
}
