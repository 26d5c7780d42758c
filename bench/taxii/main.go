// Command taxii benchmarks the TAXII 2.1 server and the importer:
//
//   - serving: objects served per second paging through N objects
//     (default 1,000,000) with limit=1000, and the p50/p99 latency of
//     filtered queries at that size. The projection is loaded directly
//     (records applied to SQLite as the follower would), not through
//     consensus: loading a million objects through CometBFT takes far
//     longer than the serving measurement on this machine. The requests
//     go over real HTTP to the real TAXII handler.
//   - import: objects per second importing the ATT&CK bundles and IOC
//     lists of ../shared/testdata through a real single-node network
//     (CometBFT, intake, projection, REST API), as `phalanx import` does.
//
// Targets (issue 5): at least 50,000 objects/s served; p99 under 50 ms.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "taxii bench:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("taxii", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "objects in the projection for the serving benchmark")
	queries := fs.Int("queries", 300, "requests per filtered query kind")
	shared := fs.String("shared", filepath.Join("..", "shared", "testdata"), "shared test data directory")
	skipImport := fs.Bool("skip-import", false, "skip the import benchmark")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "phalanx-taxii-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rows := []report.Row{{"metric", "measured", "target", "met"}}
	srv, err := serve(ctx, tmp, *n, *queries)
	if err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	rows = append(rows, srv...)
	if !*skipImport {
		imp, err := importRates(ctx, tmp, *shared)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		rows = append(rows, imp...)
	}
	fmt.Println("== results")
	report.WriteRows(os.Stdout, rows)
	return nil
}
