package daemon

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/keys"
)

// provenNode runs a node, publishes two transactions of objects, waits
// until they are provable (the block after theirs is committed) and stops
// it; the directory is then a real node's files at rest.
func provenNode(t *testing.T, configure func(dir string)) string {
	t.Helper()
	dir := initDir(t)
	if configure != nil {
		configure(dir)
	}
	n := startNode(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n.publish(indicators(0, 3, "2026-01-01T00:00:00.000Z"))
	res := n.publish(indicators(3, 2, "2026-01-01T00:00:00.000Z"))
	waitProof(ctx, t, n, res.Transactions[0].Objects[1], "")
	n.close()
	return dir
}

func execSQL(t *testing.T, dir, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, projectionFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(stmt)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows", stmt, n)
	}
}

// TestAuditDetectsTampering: a node's files audit clean; an edited SQLite
// row, a deleted row and an edited block are each found, with the first
// record or height that differs.
func TestAuditDetectsTampering(t *testing.T) {
	dir := provenNode(t, nil)
	ctx := context.Background()
	res, err := Audit(ctx, dir)
	if err != nil || !res.OK || res.Records != 5 || res.Compared != 5 {
		t.Fatalf("clean audit: %+v %v", res, err)
	}
	t.Run("edited row", func(t *testing.T) {
		d := dir + "-edited"
		copyDir(t, dir, d)
		execSQL(t, d, `UPDATE versions SET object = replace(object, 'Bench', 'Bunch') WHERE idx = 3`)
		res, err := Audit(ctx, d)
		if err != nil || res.OK || res.Projection == nil || res.Projection.Index != 3 || !strings.Contains(res.Projection.Problem, "object") ||
			res.Projection.ObjectID != "indicator--00000003-1111-4111-8111-111111111111" || res.Projection.Height == 0 || res.BlockError != "" {
			t.Fatalf("audit of an edited row: %+v %v", res, err)
		}
	})
	t.Run("deleted row", func(t *testing.T) {
		d := dir + "-deleted"
		copyDir(t, dir, d)
		execSQL(t, d, `DELETE FROM versions WHERE idx = 1`)
		res, err := Audit(ctx, d)
		if err != nil || res.OK || res.Projection == nil || res.Projection.Index != 1 || !strings.Contains(res.Projection.Problem, "no row") {
			t.Fatalf("audit of a deleted row: %+v %v", res, err)
		}
	})
	t.Run("edited block", func(t *testing.T) {
		d := dir + "-block"
		copyDir(t, dir, d)
		// Publishes travel compressed, so no object text is in the
		// block store as written: change a byte of a transaction's
		// signed header instead, the payload hash (key 7, bstr(32)).
		editBlockStore(t, d, func(v []byte) bool {
			i := bytes.Index(v, []byte{0x07, 0x58, 0x20})
			if i < 0 {
				return false
			}
			v[i+3] ^= 1
			return true
		})
		res, err := Audit(ctx, d)
		if err != nil || res.OK || !strings.Contains(res.BlockError, "block ") {
			t.Fatalf("audit of an edited block: %+v %v", res, err)
		}
		t.Logf("edited block: %s", res.BlockError)
	})
}

// editBlockStore applies edit to a copy of every value of the node's block
// store, and writes back those it changed (edit returns true).
func editBlockStore(t *testing.T, dir string, edit func(v []byte) bool) {
	t.Helper()
	db, err := dbm.NewPebbleDB("blockstore", filepath.Join(dir, cometDir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	it, err := db.Iterator(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	type kv struct{ k, v []byte }
	var edits []kv
	for ; it.Valid(); it.Next() {
		if v := bytes.Clone(it.Value()); edit(v) {
			edits = append(edits, kv{bytes.Clone(it.Key()), v})
		}
	}
	it.Close()
	if len(edits) == 0 {
		t.Fatal("the edit changed no value of the block store")
	}
	for _, e := range edits {
		if err := db.SetSync(e.k, e.v); err != nil {
			t.Fatal(err)
		}
	}
}

func setConfig(t *testing.T, dir string, edit func(c *Config)) {
	t.Helper()
	c, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(&c)
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitRefusal polls a read until the node refuses it with 503 naming
// `phalanx reindex`, and returns the message.
func waitRefusal(t *testing.T, n *testNode, id string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := n.cli.Get(context.Background(), id)
		if errs.CodeOf(err) == errs.Unavailable {
			if msg := errs.MessageOf(err); strings.Contains(msg, "phalanx reindex") {
				return msg
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node still serves %s after tampering: %v", id, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRunTimeTamperDetection: a node checks its projection and key files
// at start-up and every integrity_interval, and refuses reads once they
// were altered; reindex repairs the projection.
func TestRunTimeTamperDetection(t *testing.T) {
	dir := provenNode(t, func(dir string) { setConfig(t, dir, func(c *Config) { c.IntegrityInterval = "1s" }) })
	id := "indicator--00000002-1111-4111-8111-111111111111"

	// periodic: a row edited while the node runs
	n := startNode(t, dir)
	if _, err := n.cli.Get(context.Background(), id); err != nil {
		t.Fatalf("intact node: %v", err)
	}
	execSQL(t, dir, `UPDATE versions SET author = 'cert-z' WHERE idx = 2`)
	msg := waitRefusal(t, n, id)
	if !strings.Contains(msg, "record 2") {
		t.Fatalf("refusal %q does not name the record", msg)
	}
	if _, err := n.cli.Status(context.Background()); errs.CodeOf(err) != errs.Unavailable {
		t.Fatalf("status after tampering: %v", err)
	}
	n.close()

	// reindex rebuilds; the node serves again
	if _, err := Reindex(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, dir)
	waitChecked(t, n)
	if v, err := n.cli.Get(context.Background(), id); err != nil || v.Author != "cert-a" {
		t.Fatalf("after reindex: %+v %v", v, err)
	}
	n.close()

	// start-up: a deleted row and, separately, a replaced key file
	execSQL(t, dir, `DELETE FROM versions WHERE idx = 4`)
	n = startNode(t, dir)
	waitRefusal(t, n, id)
	n.close()
	if _, err := Reindex(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	other, err := keys.Generate("cert-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	if err := other.Save(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, dir)
	if msg := waitRefusal(t, n, id); !strings.Contains(msg, "key file") {
		t.Fatalf("refusal %q does not name the key file", msg)
	}
	resp, err := http.Get(n.d.URL() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz must still answer: %v", err)
	}
	resp.Body.Close()
}

// waitChecked waits for the node's first integrity check and fails if it
// found a problem.
func waitChecked(t *testing.T, n *testNode) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		checks, problem := n.d.IntegrityChecks()
		if problem != "" {
			t.Fatalf("integrity problem: %s", problem)
		}
		if checks > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no integrity check ran")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
