package proof

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/types"
)

func TestParseCheckpointTextRejects(t *testing.T) {
	good := Checkpoint{Origin: "phalanx-x", Size: 3, Root: fill(1), Height: 5, StateHash: fill(2)}
	if c, err := ParseCheckpointText(good.Text()); err != nil || c.Size != 3 || c.Height != 5 {
		t.Fatalf("good checkpoint: %+v %v", c, err)
	}
	bad := map[string]string{
		"no newline":     strings.TrimSuffix(good.Text(), "\n"),
		"leading zero":   strings.Replace(good.Text(), "\n3\n", "\n03\n", 1),
		"negative size":  strings.Replace(good.Text(), "\n3\n", "\n-3\n", 1),
		"short root":     strings.Replace(good.Text(), good.Text()[10:54], "AAAA", 1),
		"missing height": strings.Replace(good.Text(), "height 5\n", "", 1),
		"wrong keyword":  strings.Replace(good.Text(), "height 5", "heigth 5", 1),
		"extra line":     good.Text() + "extra\n",
		"space origin":   strings.Replace(good.Text(), "phalanx-x", "phalanx x", 1),
		"empty":          "",
		"oversized":      strings.Repeat("a", MaxNoteBytes+1),
	}
	for name, text := range bad {
		if _, err := ParseCheckpointText(text); err == nil {
			t.Errorf("%s: accepted %q", name, text)
		}
	}
}

func TestParseMembersRejects(t *testing.T) {
	key := `"` + strings.Repeat("A", 43) + `="`
	for name, doc := range map[string]string{
		"not an array":  `{"id":"a"}`,
		"no id":         `[{"sign_key":` + key + `}]`,
		"duplicate":     `[{"id":"a","sign_key":` + key + `},{"id":"a","sign_key":` + key + `}]`,
		"short key":     `[{"id":"a","sign_key":"AAAA"}]`,
		"negative":      `[{"id":"a","sign_key":` + key + `,"power":-1}]`,
		"bad validator": `[{"id":"a","sign_key":` + key + `,"validator_key":"AAAA"}]`,
	} {
		if _, err := ParseMembers([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if ms, err := ParseMembers([]byte(`[{"id":"a","name":"A","sign_key":` + key + `,"sectors":["x"]}]`)); err != nil || len(ms) != 1 {
		t.Errorf("members with extra fields: %v %v", ms, err)
	}
}

func TestParseBundleRejects(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "example-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBundle(good); err != nil {
		t.Fatal(err)
	}
	s := string(good)
	for name, doc := range map[string]string{
		"unknown field": strings.Replace(s, `"format"`, `"extra":1,"format"`, 1),
		"other format":  strings.Replace(s, BundleFormat, "phalanx-proof-bundle/v9", 1),
		"trailing":      s + "{}",
		"bad hex":       strings.Replace(s, `"leaf_hash": "`, `"leaf_hash": "zz`, 1),
		"truncated":     s[:len(s)/2],
	} {
		if _, err := ParseBundle([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if Kind(good) != BundleFormat || Kind([]byte("nope")) != "" {
		t.Error("Kind")
	}
}

// signedAt makes a checkpoint signed by the worked example's validator,
// bound by a header at height c.Height+1.
func signedAt(t *testing.T, c Checkpoint) SignedCheckpoint {
	t.Helper()
	author, val := seedKey("phalanx example author"), seedKey("phalanx example validator")
	addr := tmhash.SumTruncated(val.Public().(ed25519.PublicKey))
	h := types.Header{Version: cmtversion.Consensus{Block: 11, App: 1}, ChainID: c.Origin, Height: c.Height + 1,
		Time: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), ValidatorsHash: fill(0x15), AppHash: c.AppHash(), ProposerAddress: addr}
	commit := &types.Commit{Height: h.Height, BlockID: types.BlockID{Hash: h.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: fill(0x19)}},
		Signatures: []types.CommitSig{{BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: addr, Timestamp: h.Time}}}
	commit.Signatures[0].Signature = ed25519.Sign(val, commit.VoteSignBytes(c.Origin, 0))
	hb, cb, err := EncodeSigned(&h, commit)
	if err != nil {
		t.Fatal(err)
	}
	note, err := SignCheckpoint(c, NewSigner("cert-a", author))
	if err != nil {
		t.Fatal(err)
	}
	return SignedCheckpoint{Format: CheckpointFormat, Note: note, Header: hb, Commit: cb}
}

func TestCompare(t *testing.T) {
	ms := buildExample(t, 1).members
	base := Checkpoint{Origin: "phalanx-example", Size: 3, Root: fill(1), Height: 5, StateHash: fill(2)}
	a := signedAt(t, base)
	if _, r := VerifyCheckpoint(a, ms); !r.OK() {
		t.Fatalf("synthetic checkpoint: %+v", r.Checks)
	}
	sameHeight := base
	sameHeight.StateHash = fill(3)
	sameSize := base
	sameSize.Height, sameSize.Root = 9, fill(4)
	sameHeightMore := base
	sameHeightMore.Size, sameHeightMore.Root = 4, fill(8)
	shrunk := base
	shrunk.Height, shrunk.Size = 9, 2
	grown := base
	grown.Height, grown.Size, grown.Root = 9, 4, fill(5)
	for name, tc := range map[string]struct {
		b    Checkpoint
		want string
	}{
		"same height":               {sameHeight, "two different states were signed at height 5"},
		"same size":                 {sameSize, "two different logs of 3 records"},
		"same height, more records": {sameHeightMore, "two different states were signed at height 5"},
		"shrunk":                    {shrunk, "the log shrank"},
		"same":                      {base, ""},
		"later, equal":              {Checkpoint{Origin: base.Origin, Size: 3, Root: base.Root, Height: 7, StateHash: fill(6)}, ""},
		"other origin":              {Checkpoint{Origin: "phalanx-other", Size: 3, Root: fill(7), Height: 5, StateHash: fill(2)}, ""},
	} {
		ev, err := Compare(a, signedAt(t, tc.b), nil, ms)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := ev.Equivocation; got != (tc.want != "") || (got && (!strings.Contains(ev.Reason, tc.want) || len(ev.Signers) != 1 || ev.Signers[0] != "cert-a")) {
			t.Errorf("%s: %+v", name, ev)
		}
	}
	if ev, err := Compare(a, signedAt(t, grown), nil, ms); !errors.Is(err, ErrUndecided) || ev.Equivocation {
		t.Errorf("different sizes without a proof: %+v %v", ev, err)
	}
	checkForkFiles(t, a, signedAt(t, sameHeight))
	// a checkpoint the members did not sign is not evidence
	other := buildExample(t, 1).members
	other[0].ValidatorKey = seedKey("someone else").Public().(ed25519.PublicKey)
	if _, err := Compare(a, signedAt(t, sameHeight), nil, other); err == nil {
		t.Error("unsigned checkpoints compared as evidence")
	}
}

func FuzzParseBundle(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "example-bundle.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"phalanx-proof-bundle/v1"}`))
	if v2, err := os.ReadFile(filepath.Join("testdata", "example-bundle-v2.json")); err == nil {
		f.Add(v2)
	}
	ms := buildExample(f, 1).members
	f.Fuzz(func(t *testing.T, b []byte) {
		bu, err := ParseBundle(b)
		if err != nil {
			return
		}
		r := Verify(bu, ms) // must not panic on any parsed bundle
		if r.OK() && !bytes.Equal(LeafHash(bu.Record), bu.LeafHash) {
			t.Fatal("verified a bundle whose leaf is not its record's")
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	ex := buildExample(f, 1)
	f.Add(ex.bundle.Checkpoint.Note)
	f.Add("phalanx\n1\nAAAA\nheight 1\nstate AAAA\n\n— x AAAA\n")
	f.Fuzz(func(t *testing.T, note string) {
		c, _, err := OpenCheckpoint(note, ex.members)
		if err == nil && c.Text() != strings.SplitN(note, "\n\n", 2)[0]+"\n" {
			t.Fatalf("accepted a note whose text is not canonical: %q", note)
		}
	})
}

func FuzzParseMembers(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "example-members.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := ParseMembers(b)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.ID == "" || len(m.SignKey) != ed25519.PublicKeySize {
				t.Fatalf("accepted member %+v", m)
			}
		}
	})
}

func FuzzSignedCheckpoint(f *testing.F) {
	ex := buildExample(f, 1)
	f.Add(ex.bundle.Checkpoint.Header, ex.bundle.Checkpoint.Commit)
	f.Fuzz(func(t *testing.T, header, commit []byte) {
		sc := SignedCheckpoint{Format: CheckpointFormat, Note: ex.bundle.Checkpoint.Note, Header: header, Commit: commit}
		_, r := VerifyCheckpoint(sc, ex.members) // must not panic
		if r.OK() {
			if sb, err := decodeSigned(header, commit); err != nil || sb.checkHeader() != nil {
				t.Fatal("verified a checkpoint whose commit does not sign its header")
			}
		}
	})
}

// TestVerifierCache: a caching verifier reaches the same verdicts as
// Verify, whatever it verified before.
func TestVerifierCache(t *testing.T) {
	ex := buildExample(t, 1)
	v := NewVerifier(ex.members)
	if r := v.Verify(ex.bundle); !r.OK() {
		t.Fatalf("example: %+v", r.Checks)
	}
	tx := *ex.bundle
	tx.Tx = bytes.Clone(tx.Tx)
	tx.Tx[len(tx.Tx)-1] ^= 1 // same claimed hash, other bytes
	sig := *ex.bundle
	sig.Checkpoint.Commit = bytes.Clone(sig.Checkpoint.Commit)
	sig.Checkpoint.Commit[len(sig.Checkpoint.Commit)-1] ^= 1
	for name, b := range map[string]*Bundle{"tx": &tx, "commit": &sig} {
		if got, want := v.Verify(b).Failed(), Verify(b, ex.members).Failed(); len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: cached verifier fails %v, Verify fails %v", name, got, want)
		}
	}
	if r := v.Verify(ex.bundle); !r.OK() {
		t.Fatalf("example after tampered ones: %+v", r.Checks)
	}
}

func FuzzParseConsistency(f *testing.F) {
	ex := buildExample(f, 1)
	good, err := json.Marshal(ConsistencyProof{Format: ConsistencyFormat, From: ex.bundle.Checkpoint, To: ex.bundle.Checkpoint})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := ParseConsistency(b)
		if err != nil {
			return
		}
		r := VerifyConsistency(cp, ex.members) // must not panic
		if r.OK() && len(cp.Hashes) > 128 {
			t.Fatal("verified an oversized proof")
		}
	})
}

// checkForkFiles keeps testdata/fork-a.json and fork-b.json (two valid
// checkpoints of the worked example's member at one height with different
// states, which the CLI test compares) equal to what signedAt makes;
// PHALANX_PRINT_EXAMPLE=1 rewrites them.
func checkForkFiles(t *testing.T, a, b SignedCheckpoint) {
	for name, sc := range map[string]SignedCheckpoint{"fork-a.json": a, "fork-b.json": b} {
		want, err := json.MarshalIndent(sc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join("testdata", name)
		if os.Getenv("PHALANX_PRINT_EXAMPLE") != "" {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs (%v); PHALANX_PRINT_EXAMPLE=1 rewrites it", path, err)
		}
	}
}
