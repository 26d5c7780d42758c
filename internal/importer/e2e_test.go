package importer_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/importer"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

func startNode(t *testing.T) (*daemon.Daemon, *client.Client) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "node")
	if err := daemon.Init(dir, daemon.InitOptions{Member: "cert-a", APIListen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.Open(ctx, dir, daemon.Options{CometLog: io.Discard})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		d.Close()
	})
	tok, err := d.AdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(d.URL(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

// TestImportIntoNode imports real feeds through a real node (CometBFT,
// SQLite, HTTP), then imports one again: every object is a duplicate.
func TestImportIntoNode(t *testing.T) {
	d, c := startNode(t)
	td := testutil.SharedTestdata(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(path string, o importer.Options) importer.Summary {
		t.Helper()
		src, err := importer.Open(path, o)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		sum, err := importer.Run(ctx, importer.Config{Source: src, Ledger: importer.NodeLedger{C: c},
			Key: path, Checkpoint: filepath.Join(t.TempDir(), "cp.json"), Batch: 1000})
		if err != nil {
			t.Fatalf("import %s: %v (%+v)", path, err, sum)
		}
		return sum
	}
	ioc := filepath.Join(td, "iocs/ipsum/levels-5.txt")
	if s := run(ioc, importer.Options{}); s.Accepted != 1413 || s.Rejected != 0 {
		t.Errorf("levels-5: %+v", s)
	}
	if s := run(filepath.Join(td, "misp-feed"), importer.Options{}); s.Accepted < 3000 || s.Rejected > 5 {
		t.Errorf("MISP feed: %+v", s)
	}
	if s := run("testdata/stix20-bundle.json", importer.Options{}); s.Accepted != 8 {
		t.Errorf("STIX 2.0 bundle: %+v", s)
	}
	if s := run(filepath.Join(td, "attack/ics-attack-18.1.json"), importer.Options{}); s.Accepted != 1826 || s.Rejected != 0 {
		t.Errorf("ATT&CK ICS: %+v", s)
	}
	// Again: nothing new reaches the ledger.
	before, err := d.Projection().NextIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := run(ioc, importer.Options{}); s.Duplicate != 1413 || s.Accepted != 0 {
		t.Errorf("re-import: %+v", s)
	}
	if s := run(filepath.Join(td, "attack/ics-attack-18.1.json"), importer.Options{}); s.Duplicate != 1826 || s.Accepted != 0 {
		t.Errorf("ATT&CK re-import: %+v", s)
	}
	after, _ := d.Projection().NextIndex(ctx)
	if after != before {
		t.Errorf("re-import added %d records", after-before)
	}
	// One report per MISP event (29) and the STIX 2.0 bundle's one.
	p, err := d.Projection().Search(ctx, projection.Query{Types: []string{"report"}, Limit: 100})
	if err != nil || len(p.Items) != 29+1 {
		t.Fatalf("reports: %d, %v", len(p.Items), err)
	}
	// The feed's tlp:white/tlp:clear tags became markings the TLP:CLEAR
	// collection reads.
	clear, err := d.Projection().List(ctx, projection.ListQuery{Types: []string{"report"},
		Markings: []projection.MarkingFilter{{Any: []string{tlp.WhiteV1ID, tlp.ClearID}}}, Limit: 100})
	if err != nil || len(clear.Items) != 29 {
		t.Fatalf("TLP:CLEAR reports: %d, %v", len(clear.Items), err)
	}
}
