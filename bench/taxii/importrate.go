package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/importer"
)

// importRates imports the ATT&CK bundles, then the IOC lists, through a
// real single-member node and its REST API, as `phalanx import` does.
func importRates(ctx context.Context, tmp, shared string) ([]report.Row, error) {
	dir := filepath.Join(tmp, "node")
	if err := daemon.Init(dir, daemon.InitOptions{Member: "bench", APIListen: "127.0.0.1:0"}); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := daemon.Open(sctx, dir, daemon.Options{CometLog: io.Discard})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	done := make(chan error, 1)
	go func() { done <- d.Serve(sctx) }()
	defer func() { cancel(); <-done }()
	tok, err := d.AdminToken(ctx)
	if err != nil {
		return nil, err
	}
	c, err := client.New(d.URL(), tok)
	if err != nil {
		return nil, err
	}
	var rows []report.Row
	for _, set := range []struct {
		name  string
		files []string
	}{
		{"ATT&CK bundles (ICS 18.1 + Mobile 17.1)", []string{"attack/ics-attack-18.1.json", "attack/mobile-attack-17.1.json"}},
		{"IOC lists (ipsum levels-5, signature-base hash + C2, unit42 x5)", []string{
			"iocs/ipsum/levels-5.txt", "iocs/signature-base/hash-iocs.txt", "iocs/signature-base/c2-iocs.txt",
			"iocs/unit42/emotet-may-2019-sha256.txt", "iocs/unit42/DanaBotV4_hashes.txt",
			"iocs/unit42/Shade-ransomware-SHA256-hashes-March-and-April-2019.txt",
			"iocs/unit42/Shade-ransomware-URLs-March-and-April-2019.txt", "iocs/unit42/6908_of_8712_coin_mining_urls_in_pandb.txt"}},
	} {
		var accepted int64
		t0 := time.Now()
		for _, f := range set.files {
			path := filepath.Join(shared, f)
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("%s: %w (pass -shared)", path, err)
			}
			src, err := importer.Open(path, importer.Options{})
			if err != nil {
				return nil, err
			}
			sum, err := importer.Run(ctx, importer.Config{Source: src, Ledger: importer.NodeLedger{C: c}, Batch: importer.MaxBatch})
			src.Close()
			if err != nil {
				return nil, fmt.Errorf("import %s: %w", f, err)
			}
			accepted += sum.Accepted
		}
		el := time.Since(t0)
		rows = append(rows, report.Row{"import rate, " + set.name,
			fmt.Sprintf("%s objects/s (%s in %v)", report.Thousands(int(float64(accepted)/el.Seconds())), report.Thousands(int(accepted)), el.Round(time.Millisecond)),
			"(no target)", "-"})
	}
	return rows, nil
}
