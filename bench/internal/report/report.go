// Package report holds what the benchmarks share for printing their
// figures: the metric/measured/target table and number formatting.
package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Row is one line of a results table: metric, measured, target, met?.
type Row [4]string

// Yes says whether a target is met.
func Yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// WriteRows prints rows as an aligned Markdown table, the first row being
// the header.
func WriteRows(w io.Writer, rows []Row) {
	width := [4]int{}
	cells := func(r Row) [4]string { return r }
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

// Thousands formats n with comma separators.
func Thousands(n int) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// MiB formats bytes as MiB ("n/a" for 0).
func MiB(b uint64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

// Ms rounds a duration for reports.
func Ms(d time.Duration) time.Duration {
	if d >= 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// ParseBatches parses a comma-separated list of batch sizes in [1, 1000].
func ParseBatches(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("-batches: %q is not a batch size in [1, 1000]", f)
		}
		out = append(out, n)
	}
	return out, nil
}
