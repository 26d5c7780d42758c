package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/dataset"
	"github.com/phalanx-ledger/phalanx/bench/internal/report"
)

// Targets from the issue.
const (
	targetPerSecond = 20_000                 // committed objects/s with batching
	targetP50       = 250 * time.Millisecond // publish-to-queryable at 200 objects/s
	targetRSS       = 1 << 30                // peak RSS
)

// Results is everything one benchmark run measured.
type Results struct {
	Data       *dataset.Dataset
	Throughput []ThroughputResult
	Latency    *LatencyResult // nil if the latency run was skipped
	PeakRSS    uint64         // whole process, over every run
}

// row is one line of the results table.
type row = report.Row

// WriteTable prints the results side by side with the targets as a
// Markdown table.
func (r Results) WriteTable(w io.Writer) {
	var rows []row
	for _, t := range r.Throughput {
		rows = append(rows, throughputRow(t))
	}
	if l := r.Latency; l != nil {
		rows = append(rows, latencyRows(*l)...)
	}
	rows = append(rows, row{"publishes refused as replayed nonce and retried, all runs", report.Thousands(r.nonceRetries()),
		"0 (node race)", report.Yes(r.nonceRetries() == 0)})
	rows = append(rows,
		row{"peak RSS, whole process (max over runs)", report.MiB(r.PeakRSS), "< " + report.MiB(targetRSS), report.Yes(r.PeakRSS > 0 && r.PeakRSS < targetRSS)},
		row{"of which: data set held by the benchmark (live heap)", report.MiB(r.Data.HeapBytes), "", ""},
	)
	report.WriteRows(w, append([]row{{"metric", "measured", "target", "ok?"}}, rows...))
}

// nonceRetries is how many publishes every run retried after the nonce race.
func (r Results) nonceRetries() int {
	n := 0
	for _, t := range r.Throughput {
		n += t.Retries
	}
	if r.Latency != nil {
		n += r.Latency.Retries
	}
	return n
}

func throughputRow(t ThroughputResult) row {
	metric := fmt.Sprintf("committed objects/s, batch %s (%s objects, %s txs)",
		report.Thousands(t.Batch), report.Thousands(t.Objects), report.Thousands(t.Txs))
	measured := report.Thousands(int(t.PerSecond() + 0.5))
	if t.Batch == 1 {
		return row{metric, measured, "(no target)", "-"}
	}
	return row{metric, measured, "≥ " + report.Thousands(targetPerSecond), report.Yes(t.PerSecond() >= targetPerSecond)}
}

func latencyRows(l LatencyResult) []row {
	at := fmt.Sprintf("at %d/s", l.Rate)
	return []row{
		{"publish→queryable p50 " + at, report.Ms(l.Quantile(0.50)).String(), "< " + targetP50.String(), report.Yes(l.Quantile(0.50) < targetP50)},
		{"publish→queryable p90 " + at, report.Ms(l.Quantile(0.90)).String(), "(reported)", "-"},
		{"publish→queryable p99 " + at, report.Ms(l.Quantile(0.99)).String(), "(reported)", "-"},
		{"publish→queryable max " + at, report.Ms(l.Quantile(1)).String(), "(reported)", "-"},
		{"achieved publish rate (objects/s)", strconv.FormatFloat(l.Achieved, 'f', 1, 64), fmt.Sprintf("%d", l.Rate), "-"},
	}
}
