package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/dataset"
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
type row struct{ metric, measured, target, ok string }

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
	rows = append(rows, row{"publishes refused as replayed nonce and retried, all runs", thousands(r.nonceRetries()),
		"0 (node race)", yes(r.nonceRetries() == 0)})
	rows = append(rows,
		row{"peak RSS, whole process (max over runs)", mib(r.PeakRSS), "< " + mib(targetRSS), yes(r.PeakRSS > 0 && r.PeakRSS < targetRSS)},
		row{"of which: data set held by the benchmark (live heap)", mib(r.Data.HeapBytes), "", ""},
	)
	writeRows(w, append([]row{{"metric", "measured", "target", "ok?"}}, rows...))
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
		thousands(t.Batch), thousands(t.Objects), thousands(t.Txs))
	measured := thousands(int(t.PerSecond() + 0.5))
	if t.Batch == 1 {
		return row{metric, measured, "(no target)", "-"}
	}
	return row{metric, measured, "≥ " + thousands(targetPerSecond), yes(t.PerSecond() >= targetPerSecond)}
}

func latencyRows(l LatencyResult) []row {
	at := fmt.Sprintf("at %d/s", l.Rate)
	return []row{
		{"publish→queryable p50 " + at, ms(l.Quantile(0.50)).String(), "< " + targetP50.String(), yes(l.Quantile(0.50) < targetP50)},
		{"publish→queryable p90 " + at, ms(l.Quantile(0.90)).String(), "(reported)", "-"},
		{"publish→queryable p99 " + at, ms(l.Quantile(0.99)).String(), "(reported)", "-"},
		{"publish→queryable max " + at, ms(l.Quantile(1)).String(), "(reported)", "-"},
		{"achieved publish rate (objects/s)", strconv.FormatFloat(l.Achieved, 'f', 1, 64), fmt.Sprintf("%d", l.Rate), "-"},
	}
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// writeRows prints rows as an aligned Markdown table, the first row being
// the header.
func writeRows(w io.Writer, rows []row) {
	width := [4]int{}
	cells := func(r row) [4]string { return [4]string{r.metric, r.measured, r.target, r.ok} }
	for _, r := range rows {
		for i, c := range cells(r) {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(c [4]string) {
		for i := range c {
			c[i] += strings.Repeat(" ", width[i]-len([]rune(c[i])))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c[0], c[1], c[2], c[3])
	}
	line(cells(rows[0]))
	line([4]string{strings.Repeat("-", width[0]), strings.Repeat("-", width[1]), strings.Repeat("-", width[2]), strings.Repeat("-", width[3])})
	for _, r := range rows[1:] {
		line(cells(r))
	}
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
