package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVerifyWorkedExample: `phalanx verify` checks the worked example of
// docs/verification.md offline (no node, no network) and names the failed
// check of a tampered copy.
func TestVerifyWorkedExample(t *testing.T) {
	bundle := filepath.Join("..", "..", "internal", "proof", "testdata", "example-bundle.json")
	members := filepath.Join("..", "..", "internal", "proof", "testdata", "example-members.json")
	out := mustRunCLI(t, "", "verify", bundle, "--members", members)
	if strings.Count(out, "ok  ") != 7 {
		t.Fatalf("verify printed:\n%s", out)
	}
	b, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	os.WriteFile(tampered, []byte(strings.Replace(string(b), `"tx_object": 1`, `"tx_object": 2`, 1)), 0o644)
	out, errOut, code := runCLI(t, "", "verify", tampered, "--members", members)
	if code != 1 || !strings.Contains(out, "FAIL author_signature") || errOut != "phalanx: verification failed: author_signature\n" {
		t.Fatalf("tampered: exit %d\n%s\n%s", code, out, errOut)
	}
	// the same objects in a version 2 transaction: eight checks, and a
	// changed item position fails the item check
	bundleV2 := filepath.Join("..", "..", "internal", "proof", "testdata", "example-bundle-v2.json")
	if out := mustRunCLI(t, "", "verify", bundleV2, "--members", members); strings.Count(out, "ok  ") != 8 || !strings.Contains(out, "tx_item") {
		t.Fatalf("verify v2 printed:\n%s", out)
	}
	b2, err := os.ReadFile(bundleV2)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(tampered, []byte(strings.Replace(string(b2), `"tx_object": 1`, `"tx_object": 2`, 1)), 0o644)
	out, errOut, code = runCLI(t, "", "verify", tampered, "--members", members)
	if code != 1 || !strings.Contains(out, "FAIL tx_item") || errOut != "phalanx: verification failed: tx_item\n" {
		t.Fatalf("tampered v2: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := runCLI(t, "", "verify", bundle); code != 1 || !strings.Contains(errOut, "--members") {
		t.Fatalf("without --members: exit %d %q", code, errOut)
	}
	// two valid checkpoints of one height with different states: a fork
	forkA := filepath.Join("..", "..", "internal", "proof", "testdata", "fork-a.json")
	forkB := filepath.Join("..", "..", "internal", "proof", "testdata", "fork-b.json")
	out, errOut, code = runCLI(t, "", "verify", forkA, forkB, "--members", members)
	if code != 1 || !strings.Contains(out, "two different states were signed at height 5") ||
		!strings.Contains(out, "validators that signed both: cert-a") || !strings.Contains(errOut, "equivocation") {
		t.Fatalf("fork: exit %d\n%s\n%s", code, out, errOut)
	}
	if out := mustRunCLI(t, "", "verify", forkA, forkA, "--members", members); !strings.HasPrefix(out, "consistent") {
		t.Fatalf("same checkpoint twice:\n%s", out)
	}
}

// TestProofCommands runs a node with `phalanx up`, saves a proof bundle,
// the member set, checkpoints and a consistency proof with the CLI, checks
// them with `phalanx verify`, stops the node and audits it.
func TestProofCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	up := startUp(t, dir)
	work := t.TempDir()
	save := func(name, content string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	members := save("members.json", mustRunCLI(t, "", "members", "--json", "--dir", dir))
	first := save("first.json", mustRunCLI(t, "", "checkpoint", "--dir", dir))
	mustRunCLI(t, indicatorBundle(0, 2), "publish", "-", "--dir", dir)
	id := "indicator--00000001-3333-4333-8333-333333333333"
	var bundle string
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errOut, code := runCLI(t, "", "proof", id, "--dir", dir)
		if code == 0 {
			bundle = save("bundle.json", out)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proof: %s", errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out := mustRunCLI(t, "", "verify", bundle, "--members", members); strings.Count(out, "ok  ") != 8 { // a v2 bundle
		t.Fatalf("verify bundle:\n%s", out)
	}
	// several ids: one bundle per line, verified as a batch; a tampered
	// line is named
	ids := []string{id, "indicator--00000000-3333-4333-8333-333333333333"}
	lines := mustRunCLI(t, "", append(append([]string{"proof"}, ids...), "--dir", dir)...)
	if n := strings.Count(lines, "\n"); n != 2 {
		t.Fatalf("proof of two ids printed %d lines:\n%s", n, lines)
	}
	if out := mustRunCLI(t, lines, "verify", "--batch", "-", "--members", members); !strings.HasPrefix(out, "2 bundles, 2 verified, 0 failed") {
		t.Fatalf("verify --batch:\n%s", out)
	}
	bad := save("bad.jsonl", lines+strings.Replace(lines, `"tx_object":0`, `"tx_object":1`, 1))
	out, errOut, code := runCLI(t, "", "verify", "--batch", bad, "--members", members)
	if code != 1 || !strings.Contains(out, "line 4: FAIL "+ids[1]+" (record 22): tx_item") || !strings.Contains(out, "4 bundles, 3 verified, 1 failed") ||
		errOut != "phalanx: verification failed for 1 of 4 bundles\n" {
		t.Fatalf("verify --batch with a tampered line: exit %d\n%s\n%s", code, out, errOut)
	}
	var sc struct {
		Note string `json:"note"`
	}
	json.Unmarshal([]byte(mustRunCLI(t, "", "checkpoint", "--dir", dir)), &sc)
	var firstCP struct {
		Note string `json:"note"`
	}
	b, _ := os.ReadFile(first)
	json.Unmarshal(b, &firstCP)
	h1, h2 := noteHeight(t, firstCP.Note), noteHeight(t, sc.Note)
	cons := save("consistency.json", mustRunCLI(t, "", "proof", "--consistency", h1, h2, "--dir", dir))
	if out := mustRunCLI(t, "", "verify", cons, "--members", members); strings.Contains(out, "FAIL") || !strings.Contains(out, "ok   consistency") {
		t.Fatalf("verify consistency:\n%s", out)
	}
	latest := save("latest.json", mustRunCLI(t, "", "checkpoint", h2, "--dir", dir))
	if out := mustRunCLI(t, "", "verify", first, latest, "--consistency", cons, "--members", members); !strings.HasPrefix(out, "consistent") {
		t.Fatalf("compare:\n%s", out)
	}
	stream := mustRunCLI(t, "", "checkpoints", "--since", "0", "--dir", dir)
	if lines := strings.Split(strings.TrimSpace(stream), "\n"); len(lines) < 2 {
		t.Fatalf("checkpoint stream:\n%s", stream)
	}
	up.interrupt(t)
	if out := mustRunCLI(t, "", "audit", "--dir", dir); !strings.Contains(out, "24 records") {
		t.Fatalf("audit:\n%s", out)
	}
}

func noteHeight(t *testing.T, note string) string {
	t.Helper()
	for _, line := range strings.Split(note, "\n") {
		if h, ok := strings.CutPrefix(line, "height "); ok {
			return h
		}
	}
	t.Fatalf("no height in %q", note)
	return ""
}
