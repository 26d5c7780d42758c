package daemon

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// memberSet fetches the members as `phalanx members --json` prints them
// and parses them as `phalanx verify` does.
func memberSet(ctx context.Context, t *testing.T, n *testNode) ([]proof.Member, []byte) {
	t.Helper()
	ms, err := n.cli.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ms)
	if err != nil {
		t.Fatal(err)
	}
	out, err := proof.ParseMembers(b)
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}

// waitProof polls until the node serves the proof of id (a record is
// provable once the block after its own is committed).
func waitProof(ctx context.Context, t *testing.T, n *testNode, id, version string) *proof.Bundle {
	t.Helper()
	for {
		b, err := n.cli.Proof(ctx, id, version)
		if err == nil {
			return b
		}
		if code := errs.CodeOf(err); (code != errs.Unavailable && code != errs.NotFound) || ctx.Err() != nil {
			t.Fatalf("proof of %s: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cloneBundle(t *testing.T, b *proof.Bundle) *proof.Bundle {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := proof.ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editCommit decodes the bundle's commit, lets edit change it and encodes
// it back.
func editCommit(t *testing.T, b *proof.Bundle, edit func(c *cmtproto.Commit)) {
	t.Helper()
	var c cmtproto.Commit
	if err := c.Unmarshal(b.Checkpoint.Commit); err != nil {
		t.Fatal(err)
	}
	edit(&c)
	raw, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b.Checkpoint.Commit = raw
}

// signed lists the positions of the commit's precommits for the block.
func signed(c *cmtproto.Commit) []int {
	var out []int
	for i, s := range c.Signatures {
		if s.BlockIdFlag == cmtproto.BlockIDFlagCommit {
			out = append(out, i)
		}
	}
	return out
}

func editHeader(t *testing.T, b *proof.Bundle, edit func(h *cmtproto.Header)) {
	t.Helper()
	var h cmtproto.Header
	if err := h.Unmarshal(b.Checkpoint.Header); err != nil {
		t.Fatal(err)
	}
	edit(&h)
	raw, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b.Checkpoint.Header = raw
}

// TestProofBundlesOnFourValidators runs a real four-member network,
// fetches proof bundles through the API and verifies them offline; then
// every kind of tampering fails with its own reason.
func TestProofBundlesOnFourValidators(t *testing.T) {
	dirs, err := InitTestnet(t.TempDir(), 4, TestnetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*testNode, len(dirs))
	for i, dir := range dirs {
		nodes[i] = startNode(t, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitCaughtUp(ctx, t, nodes)
	res := nodes[0].publish(indicators(0, 3, "2026-01-01T00:00:00.000Z"))
	id := res.Transactions[0].Objects[1]
	ms, _ := memberSet(ctx, t, nodes[0])
	b := waitProof(ctx, t, nodes[0], id, "")
	if r := proof.Verify(b, ms); !r.OK() {
		t.Fatalf("genuine bundle fails: %+v", r.Checks)
	}
	if b.Format != proof.BundleFormatV2 || b.Tx != nil || b.TxObject != 1 || len(b.ItemPath) != 2 {
		t.Fatalf("a record published through intake is proven by %s (tx %d bytes, item %d, path %d), want a v2 bundle",
			b.Format, len(b.Tx), b.TxObject, len(b.ItemPath))
	}
	// another member's node serves an equally valid proof of the same record
	if other := waitProof(ctx, t, nodes[2], id, "2026-01-01T00:00:00Z"); !proof.Verify(other, ms).OK() || other.Record.Index != b.Record.Index {
		t.Fatalf("member3's bundle: %+v", proof.Verify(other, ms).Checks)
	}
	checkTampering(t, b, ms)
	more := nodes[0].publish(indicators(10, 3, "2026-01-01T00:00:00.000Z"))
	waitProof(ctx, t, nodes[1], more.Transactions[0].Objects[0], "")
	checkConsistencyAndStream(ctx, t, nodes[1], ms)
}

func checkTampering(t *testing.T, genuine *proof.Bundle, ms []proof.Member) {
	mallory := ed25519.NewKeyFromSeed(make([]byte, 32))
	cases := []struct {
		name   string
		edit   func(b *proof.Bundle) []proof.Member
		failed []string // exactly these checks fail
	}{
		{"record object byte", func(b *proof.Bundle) []proof.Member {
			b.Record.Object[10] ^= 1
			return ms
		}, []string{proof.CheckLeaf, proof.CheckItem}},
		{"record height", func(b *proof.Bundle) []proof.Member {
			b.Record.Height++
			return ms
		}, []string{proof.CheckLeaf}},
		{"leaf hash", func(b *proof.Bundle) []proof.Member {
			b.LeafHash[0] ^= 1
			return ms
		}, []string{proof.CheckLeaf, proof.CheckInclusion}},
		{"inclusion path", func(b *proof.Bundle) []proof.Member {
			b.Inclusion[0][5] ^= 1
			return ms
		}, []string{proof.CheckInclusion}},
		{"item path byte", func(b *proof.Bundle) []proof.Member {
			b.ItemPath[0][3] ^= 1
			return ms
		}, []string{proof.CheckItem}},
		{"transaction header byte", func(b *proof.Bundle) []proof.Member {
			b.TxHeader[3] ^= 1 // in the chain id
			return ms
		}, []string{proof.CheckAuthor}},
		{"transaction signature byte", func(b *proof.Bundle) []proof.Member {
			b.TxSignature[len(b.TxSignature)-1] ^= 1
			return ms
		}, []string{proof.CheckAuthor}},
		{"root re-signed by an outsider", func(b *proof.Bundle) []proof.Member {
			c := openNote(t, b.Checkpoint.Note)
			c.Root[0] ^= 1
			b.Checkpoint.Note, _ = proof.SignCheckpoint(c, proof.NewSigner("mallory", mallory))
			return ms
		}, []string{proof.CheckInclusion, proof.CheckAppHash}},
		{"root in a note still signed by the node", func(b *proof.Bundle) []proof.Member {
			c := openNote(t, b.Checkpoint.Note)
			_, sigs, _ := strings.Cut(b.Checkpoint.Note, "\n\n")
			c.Root[0] ^= 1
			b.Checkpoint.Note = c.Text() + "\n" + sigs
			return ms
		}, []string{proof.CheckCheckpoint, proof.CheckInclusion, proof.CheckAppHash}},
		{"header app hash", func(b *proof.Bundle) []proof.Member {
			editHeader(t, b, func(h *cmtproto.Header) { h.AppHash[0] ^= 1 })
			return ms
		}, []string{proof.CheckAppHash, proof.CheckHeader}},
		{"header other field", func(b *proof.Bundle) []proof.Member {
			editHeader(t, b, func(h *cmtproto.Header) { h.ProposerAddress[0] ^= 1 })
			return ms
		}, []string{proof.CheckHeader}},
		{"two signatures flipped", func(b *proof.Bundle) []proof.Member {
			editCommit(t, b, func(c *cmtproto.Commit) {
				for _, i := range signed(c)[:2] {
					c.Signatures[i].Signature[0] ^= 1
				}
			})
			return ms
		}, []string{proof.CheckSignatures}},
		{"signatures dropped below 2/3", func(b *proof.Bundle) []proof.Member {
			editCommit(t, b, func(c *cmtproto.Commit) {
				for _, i := range signed(c)[2:] { // keep two of four
					c.Signatures[i] = cmtproto.CommitSig{BlockIdFlag: cmtproto.BlockIDFlagAbsent}
				}
			})
			return ms
		}, []string{proof.CheckSignatures}},
		{"validator keys swapped", func(b *proof.Bundle) []proof.Member {
			out := slices.Clone(ms)
			for i := range out {
				seed := sha256.Sum256([]byte("other " + out[i].ID))
				out[i].ValidatorKey = ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
			}
			return out
		}, []string{proof.CheckSignatures}},
		{"author key swapped", func(b *proof.Bundle) []proof.Member {
			out := slices.Clone(ms)
			for i := range out {
				out[i].SignKey = mallory.Public().(ed25519.PublicKey)
			}
			return out
		}, []string{proof.CheckAuthor}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := cloneBundle(t, genuine)
			members := tc.edit(b)
			r := proof.Verify(b, members)
			if got := r.Failed(); !slices.Equal(got, tc.failed) {
				t.Fatalf("failed checks %v, want %v: %+v", got, tc.failed, r.Checks)
			}
		})
	}
	// one bad signature: the rest still carry the block when three good
	// ones of four remain (3/4 > 2/3), and the bad one is named either way
	b := cloneBundle(t, genuine)
	var good int
	editCommit(t, b, func(c *cmtproto.Commit) {
		s := signed(c)
		c.Signatures[s[0]].Signature[0] ^= 1
		good = len(s) - 1
	})
	r := proof.Verify(b, ms)
	if c, _ := r.Find(proof.CheckSignatures); r.OK() != (good >= 3) || !strings.Contains(c.Detail, "does not verify") {
		t.Fatalf("one bad signature, %d good: %+v", good, r.Checks)
	}
}

func hashes(hs []proof.HexBytes) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func openNote(t *testing.T, note string) proof.Checkpoint {
	t.Helper()
	c, _, err := proof.OpenCheckpoint(note, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkConsistencyAndStream: the checkpoint stream verifies, and
// consistency proofs between its checkpoints verify.
func checkConsistencyAndStream(ctx context.Context, t *testing.T, n *testNode, ms []proof.Member) {
	page, err := n.cli.Checkpoints(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var hs []int64
	var sizes []uint64
	for _, sc := range page.Checkpoints {
		c, r := proof.VerifyCheckpoint(sc, ms)
		if !r.OK() {
			t.Fatalf("stream checkpoint: %+v", r.Checks)
		}
		hs, sizes = append(hs, c.Height), append(sizes, c.Size)
	}
	if !slices.IsSorted(hs) || len(hs) < 3 || sizes[0] != 0 {
		t.Fatalf("stream heights %v sizes %v", hs, sizes)
	}
	// from the first checkpoint with records (3) to the newest (6)
	from := slices.IndexFunc(sizes, func(s uint64) bool { return s > 0 })
	cp, err := n.cli.Consistency(ctx, hs[from], hs[len(hs)-1])
	if err != nil {
		t.Fatal(err)
	}
	if r := proof.VerifyConsistency(cp, ms); !r.OK() {
		t.Fatalf("consistency: %+v", r.Checks)
	}
	cp.Hashes = append(cp.Hashes, cp.Hashes...)
	if r := proof.VerifyConsistency(cp, ms); r.OK() {
		t.Fatal("a padded consistency proof verifies")
	}
	first, last := page.Checkpoints[from], page.Checkpoints[len(page.Checkpoints)-1]
	if ev, err := proof.Compare(first, last, hashes(cp.Hashes[:len(cp.Hashes)/2]), ms); err != nil || ev.Equivocation {
		t.Fatalf("checkpoints with their consistency proof: %+v %v", ev, err)
	}
	if _, err := n.cli.Checkpoint(ctx, page.Latest+1000); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("checkpoint beyond the chain: %v", err)
	}
}

// TestEquivocationEvidence forks a one-member network: the same data
// directory, copied before its first block, runs twice and commits a
// different record each time. The two signed checkpoints cannot both
// hold, and the evidence names the validator that signed both.
func TestEquivocationEvidence(t *testing.T) {
	dirA := initDir(t)
	dirB := dirA + "-fork"
	copyDir(t, dirA, dirB)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var cps [2]proof.SignedCheckpoint
	var ms []proof.Member
	for i, dir := range []string{dirA, dirB} {
		n := startNode(t, dir)
		res := n.publish(indicators(100*i, 1, "2026-01-01T00:00:00.000Z"))
		b := waitProof(ctx, t, n, res.Transactions[0].Objects[0], "")
		cps[i] = b.Checkpoint
		ms, _ = memberSet(ctx, t, n)
		n.close()
	}
	ev, err := proof.Compare(cps[0], cps[1], nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Equivocation || !slices.Equal(ev.Signers, []string{"cert-a"}) {
		t.Fatalf("evidence %+v", ev)
	}
	// the same checkpoint twice is no evidence
	if ev, err := proof.Compare(cps[0], cps[0], nil, ms); err != nil || ev.Equivocation {
		t.Fatalf("self-comparison: %+v %v", ev, err)
	}
}

// copyDir copies a stopped node's data directory, keeping file modes.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		info, err := e.Info()
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestProofRoutesRejectBadInput: every proof and checkpoint route answers
// malformed or unauthenticated requests with the proper status and code.
func TestProofRoutesRejectBadInput(t *testing.T) {
	n := startNode(t, initDir(t))
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, n.d.URL()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Error.Code
	}
	for _, tc := range []struct {
		path   string
		token  string
		status int
		code   string
	}{
		{"/v1/checkpoints/latest", "", http.StatusUnauthorized, errs.Unauthenticated},
		{"/v1/proofs/indicator--00000000-0000-4000-8000-000000000000", "", http.StatusUnauthorized, errs.Unauthenticated},
		{"/v1/checkpoints/abc", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/checkpoints/-1", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/checkpoints/99999", n.token, http.StatusNotFound, errs.NotFound},
		{"/v1/checkpoints?since=x", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/checkpoints?limit=0", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/checkpoints?bogus=1", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/proofs/consistency", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/proofs/consistency?from=x", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/proofs/consistency?from=5&to=2", n.token, http.StatusBadRequest, errs.Invalid},
		{"/v1/proofs/indicator--00000000-0000-4000-8000-000000000000", n.token, http.StatusNotFound, errs.NotFound},
		{"/v1/proofs/indicator--00000000-0000-4000-8000-000000000000?version=2026-01-01T00:00:00Z", n.token, http.StatusNotFound, errs.NotFound},
		{"/v1/proofs/x?version=a&extra=1", n.token, http.StatusBadRequest, errs.Invalid},
	} {
		if status, code := get(tc.path, tc.token); status != tc.status || code != tc.code {
			t.Errorf("GET %s: %d %s, want %d %s", tc.path, status, code, tc.status, tc.code)
		}
	}
}
