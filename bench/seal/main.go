// Command seal benchmarks confidential sharing: sealing and opening
// throughput (records/s) at 1 KiB and 64 KiB for 1, 10 and 100 recipients,
// and the cost of AMBER (sealed for every member) relative to GREEN
// (plaintext) ingest on an in-process network of real nodes
// (daemon.InitTestnet: one CometBFT validator per member over loopback).
//
// Usage (from the repository root; bench/seal.sh also prints the machine):
//
//	go run ./bench/seal [-members 4] [-n 1000] [-batch 100] [-cell 1s]
package main

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/measure"
	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

type config struct {
	members, n, batch int
	cell              time.Duration
	skipNetwork       bool
	cpuProfile        string
}

func main() {
	var c config
	fs := flag.NewFlagSet("seal", flag.ExitOnError)
	fs.IntVar(&c.members, "members", 4, "members of the ingest network")
	fs.IntVar(&c.n, "n", 1000, "objects per ingest run (GREEN, then AMBER)")
	fs.IntVar(&c.batch, "batch", 100, "objects per publish")
	fs.DurationVar(&c.cell, "cell", time.Second, "time spent on each seal/open measurement")
	fs.BoolVar(&c.skipNetwork, "skip-network", false, "measure sealing and opening only")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the AMBER ingest run to `file`")
	fs.Parse(os.Args[1:])
	if err := run(context.Background(), c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seal: FAILED:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, w io.Writer) error {
	if err := sealOpen(w, c.cell); err != nil {
		return err
	}
	if c.skipNetwork {
		return nil
	}
	return ingest(ctx, w, c)
}

// sealOpen measures Seal and Open per record size and recipient count.
func sealOpen(w io.Writer, cell time.Duration) error {
	rows := []report.Row{{"record, recipients (sealed size)", "seal one (records/s)", "seal in a set of 100 (records/s)", "open (records/s)"}}
	for _, size := range []int{1 << 10, 64 << 10} {
		pt := make([]byte, size)
		rand.Read(pt)
		for _, nr := range []int{1, 10, 100} {
			keys, privs := recipients(nr)
			meta := seal.Meta{ID: "indicator--00000000-0000-4000-8000-000000000000", Modified: "2026-01-01T00:00:00Z", Author: "m000", Level: uint8(tlp.Amber)}
			var env *seal.Envelope
			sealed := rate(cell, func() error {
				var err error
				env, err = seal.Seal(meta, pt, keys)
				return err
			})
			b, err := env.Encode()
			if err != nil {
				return err
			}
			var sealer *seal.Sealer
			k := 0
			batched := rate(cell, func() error {
				var err error
				if k%100 == 0 {
					if sealer, err = seal.NewSealer(keys); err != nil {
						return err
					}
				}
				k++
				_, err = sealer.Seal(meta, pt)
				return err
			})
			opened := rate(cell, func() error {
				e, err := seal.Decode(b)
				if err == nil {
					_, err = seal.Open(e, "m000", privs[:1])
				}
				return err
			})
			if sealed.err != nil || opened.err != nil || batched.err != nil {
				return fmt.Errorf("seal/open: %v %v %v", sealed.err, batched.err, opened.err)
			}
			rows = append(rows, report.Row{fmt.Sprintf("%d KiB, %d (%s bytes)", size>>10, nr, report.Thousands(len(b))), report.Thousands(int(sealed.perSec)),
				report.Thousands(int(batched.perSec)), report.Thousands(int(opened.perSec))})
		}
	}
	fmt.Fprintln(w, "== sealing and opening (one core; seal one = a new set key and HPKE wrap per recipient for each record;")
	fmt.Fprintln(w, "   in a set of 100 = one set key per 100 records, as a publish does; open = decode + one recipient's open)")
	report.WriteRows(w, rows)
	fmt.Fprintln(w)
	return nil
}

func recipients(n int) ([]seal.Key, []*ecdh.PrivateKey) {
	keys := make([]seal.Key, n)
	privs := make([]*ecdh.PrivateKey, n)
	for i := range keys {
		k, _ := ecdh.X25519().GenerateKey(rand.Reader)
		privs[i] = k
		keys[i] = seal.Key{Member: fmt.Sprintf("m%03d", i), Public: k.PublicKey().Bytes()}
	}
	return keys, privs
}

type measured struct {
	perSec float64
	err    error
}

// rate runs fn for about d and returns its calls per second.
func rate(d time.Duration, fn func() error) measured {
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if err := fn(); err != nil {
			return measured{err: err}
		}
		n++
	}
	return measured{perSec: float64(n) / time.Since(start).Seconds()}
}

// ingest publishes n GREEN objects, then n AMBER objects sealed for every
// member, on a fresh network each time, and compares objects/s until the
// last is committed and queryable on the author's node, and until every
// node's projection has applied it.
func ingest(ctx context.Context, w io.Writer, c config) error {
	green, err := ingestRun(ctx, c, false)
	if err != nil {
		return fmt.Errorf("GREEN run: %w", err)
	}
	stop, err := measure.StartCPUProfile(c.cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	amber, err := ingestRun(ctx, c, true)
	if err != nil {
		return fmt.Errorf("AMBER run: %w", err)
	}
	fmt.Fprintf(w, "== ingest on a %d-member network (in-process nodes, real CometBFT over loopback), %d objects in publishes of %d\n", c.members, c.n, c.batch)
	ratio := amber.author / green.author
	report.WriteRows(w, []report.Row{
		{"metric", "measured", "target", "met"},
		{"GREEN (plaintext) objects/s, queryable on the author", report.Thousands(int(green.author)), "-", "-"},
		{"AMBER (sealed for all members) objects/s, queryable on the author", report.Thousands(int(amber.author)), "-", "-"},
		{"AMBER / GREEN", fmt.Sprintf("%.2f", ratio), "≥ 0.50", report.Yes(ratio >= 0.5)},
		{"GREEN objects/s, projected on every node", report.Thousands(int(green.all)), "-", "-"},
		{"AMBER objects/s, opened and projected on every node", report.Thousands(int(amber.all)), "-", "-"},
	})
	return nil
}

type ingestResult struct{ author, all float64 }

func ingestRun(ctx context.Context, c config, sealed bool) (ingestResult, error) {
	root, err := os.MkdirTemp("", "phalanx-seal-bench-")
	if err != nil {
		return ingestResult{}, err
	}
	defer os.RemoveAll(root)
	dirs, err := daemon.InitTestnet(root, c.members, daemon.TestnetOptions{})
	if err != nil {
		return ingestResult{}, err
	}
	nodes := make([]*daemon.Daemon, len(dirs))
	for i, dir := range dirs {
		if nodes[i], err = daemon.Open(ctx, dir, daemon.Options{CometLog: io.Discard}); err != nil {
			return ingestResult{}, err
		}
		defer nodes[i].Close()
	}
	if err := waitHeight(ctx, nodes, 2); err != nil {
		return ingestResult{}, err
	}
	var addr intake.Address
	if sealed {
		addr.TLP = tlp.Amber
		for _, n := range nodes[1:] {
			addr.To = append(addr.To, n.Member())
		}
	}
	in := nodes[0].Intake()
	start := time.Now()
	var subs []intake.Submission
	for b := 0; b*c.batch < c.n; b++ {
		s, err := in.PublishTo(ctx, []byte(bundle(b*c.batch, min(c.batch, c.n-b*c.batch))), addr)
		if err != nil {
			return ingestResult{}, err
		}
		for _, x := range s {
			if x.Code != 0 {
				return ingestResult{}, fmt.Errorf("tx %s refused: %s %s", x.TxHash, x.Codename, x.Log)
			}
		}
		subs = append(subs, s...)
	}
	for _, s := range subs {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		out, err := in.Wait(wctx, s.TxHash)
		cancel()
		if err != nil || out.Code != 0 {
			return ingestResult{}, fmt.Errorf("wait %s: %+v %v", s.TxHash, out, err)
		}
	}
	author := time.Since(start)
	records := nodes[0].Ledger().State().Records
	for _, n := range nodes {
		for {
			st, err := n.Status(ctx)
			if err != nil {
				return ingestResult{}, err
			}
			if st.Projected >= records {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	all := time.Since(start)
	return ingestResult{author: float64(c.n) / author.Seconds(), all: float64(c.n) / all.Seconds()}, nil
}

func waitHeight(ctx context.Context, nodes []*daemon.Daemon, h int64) error {
	deadline := time.Now().Add(60 * time.Second)
	for _, n := range nodes {
		for n.Ledger().State().Height < h {
			if time.Now().After(deadline) {
				return fmt.Errorf("%s made no block", n.Member())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// bundle is n synthetic indicators of about 1 KiB, numbered from first.
func bundle(first, n int) string {
	objs := make([]string, n)
	pad := strings.Repeat("x", 700)
	for i := range objs {
		k := first + i
		objs[i] = fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-5eed-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"bench %d","description":"%s","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
			k, k, pad, (k>>16)&255, (k>>8)&255, k&255)
	}
	return `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[` + strings.Join(objs, ",") + `]}`
}
