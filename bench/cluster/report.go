package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/dataset"
	"github.com/phalanx-ledger/phalanx/bench/internal/report"
)

// Targets from the issue.
const (
	targetPerSecond = 5_000       // committed objects/s with batching, four members
	targetP50       = time.Second // publish on A → queryable on all four at 200 objects/s
)

// Bare CometBFT on this machine (../shared/notes/cometbft.md): a Go-map
// ABCI app, 200-byte transactions, four validators, saturated.
const (
	bareLow, bareHigh = 3_600, 7_500
	bareLatency       = "≈ 300–450 ms"
)

// runUsage is the CPU and memory of the four nodes and of the benchmark
// itself over one run.
type runUsage struct {
	Wall    time.Duration
	CPU     []time.Duration // per node, during the run
	Self    time.Duration   // the benchmark process, during the run
	PeakRSS []uint64        // per node, VmHWM at the end of the run
}

// usageSince is the usage between two readings.
func usageSince(before, after []procUsage, self0 procUsage, wall time.Duration) runUsage {
	u := runUsage{Wall: wall, Self: readUsage(selfPID).CPU - self0.CPU}
	for i := range after {
		u.CPU = append(u.CPU, after[i].CPU-before[i].CPU)
		u.PeakRSS = append(u.PeakRSS, after[i].PeakRSS)
	}
	return u
}

// nodeCPU is the four nodes' CPU time together.
func (u runUsage) nodeCPU() time.Duration {
	var t time.Duration
	for _, c := range u.CPU {
		t += c
	}
	return t
}

// split is "A 12.3s, B 8.0s, …" of per-node values.
func (u runUsage) split() string {
	parts := make([]string, len(u.CPU))
	for i, c := range u.CPU {
		parts[i] = fmt.Sprintf("%c %.1fs", 'A'+i, c.Seconds())
	}
	return strings.Join(parts, ", ")
}

func (u runUsage) String() string {
	total := u.nodeCPU() + u.Self
	rss := make([]string, len(u.PeakRSS))
	for i, r := range u.PeakRSS {
		rss[i] = fmt.Sprintf("%c %s", 'A'+i, report.MiB(r))
	}
	return fmt.Sprintf("CPU over %.1fs: %s, benchmark %.1fs → %.2f of %d cores busy; peak RSS %s",
		u.Wall.Seconds(), u.split(), u.Self.Seconds(), total.Seconds()/u.Wall.Seconds(), runtime.NumCPU(), strings.Join(rss, ", "))
}

// Results is everything one benchmark run measured.
type Results struct {
	Data       *dataset.Dataset
	Throughput []ThroughputResult
	Latency    *LatencyResult // nil if skipped
}

// row is one line of the results table.
type row = report.Row

// WriteTable prints the results next to the targets and the bare
// CometBFT figures, as a Markdown table.
func (r Results) WriteTable(w io.Writer) {
	var rows []row
	var batch1 *ThroughputResult
	for i, t := range r.Throughput {
		metric := fmt.Sprintf("committed objects/s on all four, batch %s (%s objects = %s requests, %d in flight)",
			report.Thousands(t.Batch), report.Thousands(t.Objects), report.Thousands(t.Txs), t.Conc)
		measured := report.Thousands(int(t.PerSecond() + 0.5))
		if t.Batch == 1 {
			rows = append(rows, row{metric, measured, "(no target)", "-"})
			batch1 = &r.Throughput[i]
			continue
		}
		rows = append(rows, row{metric, measured, "≥ " + report.Thousands(targetPerSecond), report.Yes(t.PerSecond() >= targetPerSecond)})
	}
	if l := r.Latency; l != nil {
		at := fmt.Sprintf("at %d/s", l.Rate)
		p50 := quantile(l.All, 0.5)
		rows = append(rows,
			row{fmt.Sprintf("publish on A → queryable on all four (%s objects), p50 %s", report.Thousands(len(l.All)), at), report.Ms(p50).String(), "≤ " + targetP50.String(), report.Yes(p50 <= targetP50)},
			row{"publish on A → queryable on all four, p90 " + at, report.Ms(quantile(l.All, 0.9)).String(), "(reported)", "-"},
			row{"publish on A → queryable on all four, p99 " + at, report.Ms(quantile(l.All, 0.99)).String(), "(reported)", "-"},
			row{"publish on A → queryable on all four, max " + at, report.Ms(quantile(l.All, 1)).String(), "(reported)", "-"},
			row{"publish on A → queryable on A, p50 " + at, report.Ms(quantile(l.Node[0], 0.5)).String(), "(reported)", "-"},
			row{"achieved publish rate (objects/s)", strconv.FormatFloat(l.Achieved, 'f', 1, 64), strconv.Itoa(l.Rate), "-"},
			row{"of these, lost after the mempool took them (rejected in FinalizeBlock + never committed)",
				fmt.Sprintf("%s + %s of %s", report.Thousands(l.NRejected), report.Thousands(l.NDropped), report.Thousands(len(l.Post))),
				"0", report.Yes(l.NRejected+l.NDropped == 0)},
		)
	}
	if len(r.Throughput) > 0 {
		bad, dropped, reqs := 0, 0, 0
		for _, t := range r.Throughput {
			bad, dropped, reqs = bad+t.BadNonce, dropped+t.Dropped, reqs+t.Txs
		}
		rows = append(rows, row{"throughput runs: requests published again (rejected as bad_nonce + never committed)",
			fmt.Sprintf("%s + %s of %s", report.Thousands(bad), report.Thousands(dropped), report.Thousands(reqs)), "0", report.Yes(bad+dropped == 0)})
	}
	var peak uint64
	for _, u := range r.usages() {
		for _, p := range u.PeakRSS {
			peak = max(peak, p)
		}
	}
	rows = append(rows, row{"peak RSS of one node (largest of the four, all runs)", report.MiB(peak), "(reported)", "-"})
	for _, t := range r.Throughput {
		u := t.Usage
		rows = append(rows, row{fmt.Sprintf("node CPU s during batch %s run (%.1fs wall, %d cores)", report.Thousands(t.Batch), u.Wall.Seconds(), runtime.NumCPU()),
			u.split(), "(reported)", "-"})
	}
	rows = append(rows,
		row{"bare CometBFT, Go-map app, 4 validators, this machine: tx/s (notes)", report.Thousands(bareLow) + "–" + report.Thousands(bareHigh), "(reference)", "-"},
		row{"bare CometBFT submit→commit p50 (notes)", bareLatency, "(reference)", "-"},
	)
	if batch1 != nil {
		ps := batch1.PerSecond()
		rows = append(rows, row{"Phalanx batch 1 (one object per tx) as a share of bare CometBFT tx/s",
			fmt.Sprintf("%.0f–%.0f%%", 100*ps/bareHigh, 100*ps/bareLow), "(reference)", "-"})
	}
	report.WriteRows(w, append([]row{{"metric", "measured", "target", "ok?"}}, rows...))
}

// usages is the usage of every run.
func (r Results) usages() []runUsage {
	var out []runUsage
	for _, t := range r.Throughput {
		out = append(out, t.Usage)
	}
	if r.Latency != nil {
		out = append(out, r.Latency.Usage)
	}
	return out
}

// quantile is the nearest-rank q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
