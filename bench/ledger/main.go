// Command ledger benchmarks what every replica's ledger state machine does
// with each committed object, without consensus, gossip or the projection:
// CheckTx of each publish transaction as it arrives from a peer, then
// FinalizeBlock and Commit of blocks of those transactions, on a real
// pebble state database (the node's own options) in a temporary directory.
//
// It loads the benchmarks' data set (ATT&CK objects and IOC indicators of
// ../shared/testdata), signs it into version 2 publish transactions of
// -batch objects as intake does, and runs them through one ledger.App. It
// prints the CPU per object of each stage (the stages run on this
// goroutine, locked to one thread, one after another: the thread's CPU
// time between them is theirs, whatever else runs on the machine) and
// the whole process's CPU per object from getrusage, which adds pebble's
// background flushes and compactions and the Go GC.
//
// Usage (from the repository root):
//
//	go run ./bench/ledger [-n 50000] [-batch 1000] [-block 8] [-runs 3] [-cpuprofile cpu.pprof]
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"golang.org/x/sys/unix"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/bench/internal/dataset"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/measure"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// config is the benchmark's flags.
type config struct {
	shared     string
	n          int
	batch      int
	block      int
	runs       int
	cpuProfile string
	memProfile string
	tmp        string
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
		os.Exit(2)
	}
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ledger: FAILED:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("ledger", flag.ContinueOnError)
	fs.StringVar(&c.shared, "shared", dataset.DefaultDir, "shared test data directory (relative: to the module root)")
	fs.IntVar(&c.n, "n", 50_000, "objects to publish (ATT&CK first, the rest IOC indicators)")
	fs.IntVar(&c.batch, "batch", 1000, "objects per transaction")
	fs.IntVar(&c.block, "block", 8, "transactions per block")
	fs.IntVar(&c.runs, "runs", 3, "runs, each on a fresh state database")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs to `file`")
	fs.StringVar(&c.memProfile, "memprofile", "", "write an allocation profile of the runs to `file`")
	fs.StringVar(&c.tmp, "tmp", "", "parent of the state databases' temporary directories (default: the system's)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.n < 1 || c.batch < 1 || c.block < 1 || c.runs < 1 {
		return c, errors.New("-n, -batch, -block and -runs must be positive")
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "shared" })
	var err error
	c.shared, err = dataset.ResolveDir(c.shared, explicit)
	return c, err
}

// author is the member that signs every transaction; three more members
// make a community of four, as in the four-node benchmark.
var members = []string{"member1", "member2", "member3", "member4"}

func keyOf(id string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("bench ledger " + id))
	return ed25519.NewKeyFromSeed(seed[:])
}

func run(cfg config, w io.Writer) error {
	ds, err := dataset.Load(cfg.shared, cfg.n)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, ds.Summary())
	txs, err := signAll(ds, cfg.batch)
	if err != nil {
		return err
	}
	gen, err := genesis()
	if err != nil {
		return err
	}
	stop, err := measure.StartCPUProfile(cfg.cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if cfg.memProfile != "" {
		defer writeMemProfile(cfg.memProfile)
	}
	for r := 1; r <= cfg.runs; r++ {
		s, err := runOnce(cfg, gen, txs)
		if err != nil {
			return fmt.Errorf("run %d: %w", r, err)
		}
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(len(ds.Objects)) }
		fmt.Fprintf(w, "run %d: %d objects in %d txs, %d blocks: CheckTx %.1f µs, FinalizeBlock %.1f µs, Commit %.1f µs per object; process CPU %.1f µs per object (%.2f s; %.1f µs outside the stages: pebble's flushes and compactions, GC), app hash %X\n",
			r, len(ds.Objects), len(txs), s.blocks, per(s.check), per(s.finalize), per(s.commit), per(s.cpu), s.cpu.Seconds(),
			per(s.cpu-s.check-s.finalize-s.commit), s.appHash[:6])
	}
	return nil
}

// signAll signs the data set into version 2 publish transactions of batch
// objects by members[0], nonces from 1.
func signAll(ds *dataset.Dataset, batch int) ([][]byte, error) {
	key := keyOf(members[0])
	var out [][]byte
	for i := 0; i < len(ds.Objects); i += batch {
		objs := ds.Objects[i:min(i+batch, len(ds.Objects))]
		items := make([][]byte, len(objs))
		for j, o := range objs {
			items[j] = o.Raw
		}
		raw, err := tx.SignItems(tx.Header{ChainID: "bench-ledger", Type: tx.TypePublish, Author: members[0],
			Nonce: uint64(len(out) + 1)}, items, key)
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, nil
}

func genesis() ([]byte, error) {
	var g ledger.Genesis
	for _, id := range members {
		seal := sha256.Sum256([]byte("seal " + id))
		g.Members = append(g.Members, ledger.Member{ID: id, Name: id,
			SignKey: keyOf(id).Public().(ed25519.PublicKey), SealKey: seal[:], Power: 10})
	}
	return json.Marshal(g)
}

// stats is one run's figures.
type stats struct {
	blocks                  int
	check, finalize, commit time.Duration
	cpu                     time.Duration // the process's user+system CPU over the run
	appHash                 []byte
}

// runOnce opens a fresh state database, starts the chain and delivers the
// transactions in blocks of cfg.block, each checked first as a mempool
// would.
func runOnce(cfg config, gen []byte, txs [][]byte) (stats, error) {
	dir, err := os.MkdirTemp(cfg.tmp, "bench-ledger-")
	if err != nil {
		return stats{}, err
	}
	defer os.RemoveAll(dir)
	kv, err := node.OpenStateKV(dir, "ledger")
	if err != nil {
		return stats{}, err
	}
	defer kv.Close()
	app, err := ledger.New(kv, nil)
	if err != nil {
		return stats{}, err
	}
	ctx := context.Background()
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: "bench-ledger", AppStateBytes: gen}); err != nil {
		return stats{}, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var s stats
	cpu0 := measure.ProcessCPU()
	t0 := time.Unix(1_800_000_000, 0)
	for i := 0; i < len(txs); i += cfg.block {
		blk := txs[i:min(i+cfg.block, len(txs))]
		start := threadCPU()
		for _, raw := range blk {
			res, err := app.CheckTx(ctx, &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
			if err != nil || res.Code != ledger.CodeOK {
				return s, fmt.Errorf("CheckTx: %v %d %s", err, resCode(res), resLog(res))
			}
		}
		checked := threadCPU()
		s.blocks++
		fin, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: blk, Height: int64(s.blocks),
			Time: t0.Add(time.Duration(s.blocks) * time.Second)})
		if err != nil {
			return s, err
		}
		for _, r := range fin.TxResults {
			if r.Code != ledger.CodeOK {
				return s, fmt.Errorf("FinalizeBlock: code %d %s", r.Code, r.Log)
			}
		}
		finalized := threadCPU()
		if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
			return s, err
		}
		s.check += checked - start
		s.finalize += finalized - checked
		s.commit += threadCPU() - finalized
		s.appHash = fin.AppHash
	}
	s.cpu = measure.ProcessCPU() - cpu0
	return s, nil
}

func resCode(r *abci.CheckTxResponse) uint32 {
	if r == nil {
		return 0
	}
	return r.Code
}

func resLog(r *abci.CheckTxResponse) string {
	if r == nil {
		return ""
	}
	return r.Log
}

// writeMemProfile writes the allocations so far to path.
func writeMemProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledger: memprofile:", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, "ledger: memprofile:", err)
	}
}

// threadCPU is the CPU the calling thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
