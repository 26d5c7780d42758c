package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// TestKeyRotation: prepared keys are filed by vote; once the rotation
// passes the node signs with them, the old key file is retired, and the
// old key no longer signs for the member. The network has one validator,
// so it commits after the rotation only if the node's consensus signer
// switched to the new validator key too — and again after a restart,
// which installs the new key in place of the old.
func TestKeyRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node")
	p := ledger.DefaultParams()
	p.VotingPeriod = 1
	if err := Init(dir, InitOptions{Member: "cert-a", APIListen: "127.0.0.1:0", Params: &p}); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, dir)
	old := n.d.intake.Identity()
	app, err := PrepareRotation(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareRotation(dir); err == nil {
		t.Fatal("a second PrepareRotation overwrote the prepared keys")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(app.ValidatorKey) != 32 {
		t.Fatalf("prepared validator key: %x", app.ValidatorKey)
	}
	rot := ledger.Rotation{Member: "cert-a", SignKey: app.SignKey, SealKey: app.SealKey, ValidatorKey: app.ValidatorKey}
	sub, err := n.d.intake.Propose(ctx, ledger.Propose{Kind: ledger.KindRotate, Rotation: &rot})
	if err != nil || sub.Code != 0 {
		t.Fatalf("propose: %+v %v", sub, err)
	}
	if out, err := n.d.intake.Wait(ctx, sub.TxHash); err != nil || out.Proposal != 1 {
		t.Fatalf("proposal committed: %+v %v", out, err)
	}
	if sub, err := n.d.intake.Vote(ctx, 1, ledger.VoteYes); err != nil || sub.Code != 0 {
		t.Fatalf("vote: %+v %v", sub, err)
	}
	for !bytes.Equal(n.d.intake.Identity().SignPublic(), app.SignKey) {
		if ctx.Err() != nil {
			t.Fatal("node did not adopt the rotated keys")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cur, err := keys.Load(filepath.Join(dir, KeyFile))
	if err != nil || !bytes.Equal(cur.SignPublic(), app.SignKey) {
		t.Fatalf("member.json after rotation: %v", err)
	}
	retired, _ := os.ReadDir(filepath.Join(dir, retiredDir))
	if len(retired) != 1 || keys.Exists(filepath.Join(dir, NextKeyFile)) {
		t.Fatalf("retired %v, next file still there: %v", retired, keys.Exists(filepath.Join(dir, NextKeyFile)))
	}
	for i := range 3 { // blocks E+1… : the validator set changes at E+2
		n.publish(indicators(i*2, 2, "2026-01-01T00:00:00.000Z")) // signed with the new member key
	}
	requireValidator(ctx, t, n, app.ValidatorKey)
	n.d.intake.SetIdentity(old)
	subs, err := n.d.intake.Publish(ctx, []byte(indicators(10, 1, "2026-01-01T00:00:00.000Z")))
	if err != nil || len(subs) != 1 || subs[0].Code != ledger.CodeBadSignature {
		t.Fatalf("publish with the retired key: %+v %v", subs, err)
	}

	n.close()
	n = startNode(t, dir)
	n.publish(indicators(20, 1, "2026-01-01T00:00:00.000Z"))
	requireValidator(ctx, t, n, app.ValidatorKey)
	home := filepath.Join(dir, cometDir)
	if _, err := os.Stat(filepath.Join(home, "config", "priv_validator_key.next.json")); err == nil {
		t.Error("the prepared validator key was not installed at restart")
	}
}

// requireValidator checks that the node's validator set is exactly key.
func requireValidator(ctx context.Context, t *testing.T, n *testNode, key []byte) {
	t.Helper()
	vals, err := n.d.cmt.Validators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 || !bytes.Equal(vals[0].PubKey.Bytes(), key) {
		t.Fatalf("validators %v, want only %x", vals, key)
	}
}
