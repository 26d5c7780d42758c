package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/extract"
	"github.com/phalanx-ledger/phalanx/internal/measure"
	"github.com/phalanx-ledger/phalanx/internal/warninglist"
)

// matchFlags are the options of "phalanx match".
type matchFlags struct {
	format       string
	fields       []string
	exact        bool
	indicators   string
	warninglists string
	workers      int
	stats        bool
}

func newMatchCmd(g *globals) *cobra.Command {
	var f matchFlags
	cmd := &cobra.Command{
		Use:   "match [FILES|-]",
		Short: "Match telemetry (log files, or stdin) against the community's indicators",
		Long: "Extract every IP address, domain, URL, hash and e-mail address from telemetry and match\n" +
			"them against indicators: those on the ledger this member may read (streamed through the\n" +
			"node's POST /v1/match), or, with --indicators FILE, a local index built from a STIX bundle\n" +
			"or a list of values without any node.\n" +
			"Formats: text (any lines), jsonl, eve (Suricata), zeek (TSV with #fields), csv; detected\n" +
			"from the first line unless --format is given. Output: one JSON line per hit (the default\n" +
			"when stdout is not a terminal, or with --json), else a summary table per indicator.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"-"}
			}
			return runMatch(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "", fmt.Sprintf("input format %v (default: detect)", extract.Formats))
	fl.StringSliceVar(&f.fields, "field", nil, "structured formats: match only these fields (JSON: dotted paths such as dns.rrname)")
	fl.BoolVar(&f.exact, "exact", false, "exact values only: no CIDR or subdomain matching")
	fl.StringVar(&f.indicators, "indicators", "", "build a local index from FILE (STIX bundle or one value per line) instead of asking the node")
	fl.StringVar(&f.warninglists, "warninglists", "", "with --indicators: directory of MISP warninglists marking hits benign")
	fl.IntVar(&f.workers, "workers", 0, "with --indicators: matching goroutines (default: all cores)")
	fl.BoolVar(&f.stats, "stats", false, "print index build time, scan throughput and CPU time, and counts to stderr")
	return cmd
}

// scanFunc matches one input.
type scanFunc func(ctx context.Context, r io.Reader, source string, emit func(detect.Hit) error) (detect.Stats, error)

func runMatch(cmd *cobra.Command, g *globals, f matchFlags, files []string) error {
	if f.format != "" && !slices.Contains(extract.Formats, extract.Format(f.format)) {
		return fmt.Errorf("--format %q: want one of %v", f.format, extract.Formats)
	}
	if f.warninglists != "" && f.indicators == "" {
		return fmt.Errorf("--warninglists goes with --indicators; a node uses the warninglists of its phalanx.json")
	}
	scan, err := f.scanner(cmd, g)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
	table := !g.JSON && isTerminal(cmd.OutOrStdout())
	sum := newHitSummary()
	var line []byte
	emit := func(h detect.Hit) error {
		if table {
			sum.add(h)
			return nil
		}
		line = h.AppendJSON(line[:0])
		_, err := out.Write(line)
		return err
	}
	var total detect.Stats
	start, cpu0 := time.Now(), measure.ProcessCPU()
	for _, name := range files {
		st, err := scanFile(cmd, name, scan, emit)
		if err != nil {
			return err
		}
		total.Bytes += st.Bytes
		total.Lines += st.Lines
		total.Hits += st.Hits
		total.Benign += st.Benign
		total.Malformed += st.Malformed
		if st.FirstBad != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "phalanx: %s: %d malformed lines skipped, first: %s\n", name, st.Malformed, st.FirstBad)
		}
	}
	elapsed, cpu := time.Since(start), measure.ProcessCPU()-cpu0
	if table {
		if err := sum.print(out, total); err != nil {
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write hits: %w", err)
	}
	if f.stats {
		fmt.Fprintf(cmd.ErrOrStderr(), "scan: %d bytes, %d lines in %.3fs (%.1f MB/s), cpu %.3fs: %d hits, %d benign, %d malformed lines\n",
			total.Bytes, total.Lines, elapsed.Seconds(), float64(total.Bytes)/1e6/elapsed.Seconds(), cpu.Seconds(), total.Hits, total.Benign, total.Malformed)
	}
	return nil
}

func scanFile(cmd *cobra.Command, name string, scan scanFunc, emit func(detect.Hit) error) (detect.Stats, error) {
	var r io.Reader = cmd.InOrStdin()
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return detect.Stats{}, fmt.Errorf("open telemetry: %w", err)
		}
		defer fh.Close()
		r = fh
	}
	st, err := scan(cmd.Context(), r, name, emit)
	if err != nil {
		return st, fmt.Errorf("match %s: %w", name, err)
	}
	return st, nil
}

// scanner returns the local index's scan (--indicators) or the node's.
func (f matchFlags) scanner(cmd *cobra.Command, g *globals) (scanFunc, error) {
	if f.indicators == "" {
		c, err := g.client()
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, r io.Reader, source string, emit func(detect.Hit) error) (detect.Stats, error) {
			return c.Match(ctx, r, client.MatchOptions{Format: f.format, Fields: f.fields, Exact: f.exact, Source: source}, emit)
		}, nil
	}
	idx, err := f.localIndex(cmd)
	if err != nil {
		return nil, err
	}
	opts := detect.Options{Exact: f.exact}
	if f.warninglists != "" {
		wl, err := warninglist.LoadDir(f.warninglists)
		if err != nil {
			return nil, err
		}
		opts.Warninglists = wl
	}
	return func(ctx context.Context, r io.Reader, source string, emit func(detect.Hit) error) (detect.Stats, error) {
		return idx.Scan(ctx, r, detect.Config{Options: opts, Source: source, Format: extract.Format(f.format), Fields: f.fields, Workers: f.workers}, emit)
	}, nil
}

func (f matchFlags) localIndex(cmd *cobra.Command) (*detect.Index, error) {
	start := time.Now()
	fh, err := os.Open(f.indicators)
	if err != nil {
		return nil, fmt.Errorf("open indicators: %w", err)
	}
	defer fh.Close()
	size := 1 << 16
	if fi, err := fh.Stat(); err == nil {
		size = int(fi.Size() / 20)
	}
	idx := detect.New(size)
	n, err := detect.LoadIndicators(fh, idx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.indicators, err)
	}
	if f.stats {
		fmt.Fprintf(cmd.ErrOrStderr(), "index: %d indicators in %.3fs\n", n, time.Since(start).Seconds())
	}
	return idx, nil
}

func isTerminal(w io.Writer) bool {
	fh, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := fh.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// hitSummary counts hits per indicator for the terminal table.
type hitSummary struct {
	rows map[string]*summaryRow
}

type summaryRow struct {
	first detect.Hit
	hits  int
}

func newHitSummary() *hitSummary { return &hitSummary{rows: map[string]*summaryRow{}} }

func (s *hitSummary) add(h detect.Hit) {
	k := h.IndicatorID + "\x00" + h.Value
	if r := s.rows[k]; r != nil {
		r.hits++
		return
	}
	s.rows[k] = &summaryRow{first: h, hits: 1}
}

func (s *hitSummary) print(w io.Writer, total detect.Stats) error {
	rows := make([]*summaryRow, 0, len(s.rows))
	for _, r := range s.rows {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].hits != rows[j].hits {
			return rows[i].hits > rows[j].hits
		}
		return rows[i].first.IndicatorID < rows[j].first.IndicatorID
	})
	lines := make([]string, 0, len(rows))
	for _, r := range rows {
		h := r.first
		benign := ""
		if h.Benign {
			benign = "benign: " + h.Warninglist
		}
		lines = append(lines, strings.Join([]string{fmt.Sprint(r.hits), h.Type, h.Value, h.IndicatorID, orDash(h.Marking), h.Author,
			fmt.Sprintf("%s:%d:%d", h.Source, h.Line, h.Offset), orDash(benign)}, "\t"))
	}
	if err := table(w, "HITS\tTYPE\tVALUE\tINDICATOR\tMARKING\tAUTHOR\tFIRST SEEN (source:line:offset)\tNOTE", lines); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d hits (%d benign) of %d indicators in %d lines\n", total.Hits, total.Benign, len(rows), total.Lines)
	return err
}

func newAlertsCmd(g *globals) *cobra.Command {
	var since string
	var limit int
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List the node's local alerts: matcher hits per indicator value, most recent first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > 1000 {
				return fmt.Errorf("--limit %d: want 1 to 1000", limit)
			}
			var t time.Time
			if since != "" {
				var err error
				if t, err = parseFlagTime("since", since); err != nil {
					return err
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			list, err := c.Alerts(cmd.Context(), t, limit)
			if err != nil {
				return fmt.Errorf("alerts: %w", err)
			}
			if g.JSON {
				return printJSON(cmd.OutOrStdout(), list)
			}
			rows := make([]string, 0, len(list))
			for _, a := range list {
				rows = append(rows, strings.Join([]string{a.LastSeen.Format(time.RFC3339), fmt.Sprint(a.Hits), a.Type, a.Value,
					a.IndicatorID, orDash(a.Marking), a.Author, fmt.Sprint(a.Benign), a.LastWhere}, "\t"))
			}
			return table(cmd.OutOrStdout(), "LAST SEEN\tHITS\tTYPE\tVALUE\tINDICATOR\tMARKING\tAUTHOR\tBENIGN\tLAST WHERE", rows)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only alerts seen at or after this RFC 3339 time")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many (1-1000)")
	return cmd
}
