package proof

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// VerifyConsistency checks a consistency proof: both checkpoints are
// signed by more than 2/3 of the members' power and the later log extends
// the earlier one.
func VerifyConsistency(cp *ConsistencyProof, ms []Member) Report {
	var r Report
	from, rf := VerifyCheckpoint(cp.From, ms)
	to, rt := VerifyCheckpoint(cp.To, ms)
	for _, c := range rf.Checks {
		c.Name = "from." + c.Name
		r.Checks = append(r.Checks, c)
	}
	for _, c := range rt.Checks {
		c.Name = "to." + c.Name
		r.Checks = append(r.Checks, c)
	}
	if from.Origin == "" || to.Origin == "" {
		r.add(CheckConsistent, errors.New("a checkpoint does not parse"), "")
		return r
	}
	r.add(CheckConsistent, checkConsistent(from, to, hashes(cp.Hashes)),
		fmt.Sprintf("tree of size %d extends tree of size %d", to.Size, from.Size))
	return r
}

func hashes(hs []HexBytes) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func checkConsistent(from, to Checkpoint, path [][]byte) error {
	switch {
	case from.Origin != to.Origin:
		return fmt.Errorf("checkpoints are of different logs (%q, %q)", from.Origin, to.Origin)
	case from.Size > to.Size:
		return fmt.Errorf("the log shrank: %d records at height %d, %d at height %d", from.Size, from.Height, to.Size, to.Height)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, from.Size, to.Size, path, from.Root, to.Root); err != nil {
		return fmt.Errorf("tree of size %d does not extend tree of size %d: %v", to.Size, from.Size, err)
	}
	return nil
}

// Evidence is the outcome of comparing two signed checkpoints of one log.
// When they cannot both be true (a fork), Equivocation is set and Signers
// names the validators whose commit signatures appear on both: under
// CometBFT's rules an honest validator never signs two forks.
type Evidence struct {
	Equivocation bool         `json:"equivocation"`
	Reason       string       `json:"reason"`
	A            CheckpointID `json:"a"`
	B            CheckpointID `json:"b"`
	Signers      []string     `json:"signed_both,omitempty"`
	Checks       []Check      `json:"checks"` // verification of each checkpoint
}

// CheckpointID summarises a checkpoint in evidence.
type CheckpointID struct {
	Origin  string   `json:"origin"`
	Height  int64    `json:"height"`
	Size    uint64   `json:"size"`
	Root    HexBytes `json:"root"`
	AppHash HexBytes `json:"app_hash"`
}

func idOf(c Checkpoint) CheckpointID {
	return CheckpointID{Origin: c.Origin, Height: c.Height, Size: c.Size, Root: c.Root, AppHash: c.AppHash()}
}

// Compare decides whether two signed checkpoints of one log can both be
// true. Both must verify against the member set (otherwise one is simply
// forged and proves nothing about the validators). Checkpoints of equal
// height or size must agree, and a later one must not be smaller; those
// are equivocation. Checkpoints of different sizes are consistent with a
// valid consistency proof (path) between them; without one Compare
// returns ErrUndecided. It returns an error when a checkpoint does not
// verify.
func Compare(a, b SignedCheckpoint, path [][]byte, ms []Member) (Evidence, error) {
	ca, ra := VerifyCheckpoint(a, ms)
	cb, rb := VerifyCheckpoint(b, ms)
	ev := Evidence{A: idOf(ca), B: idOf(cb), Checks: append(prefixed("a.", ra), prefixed("b.", rb)...)}
	if !ra.OK() || !rb.OK() {
		return ev, fmt.Errorf("checkpoint %s does not verify; only two valid checkpoints are evidence", failedSide(ra))
	}
	if ca.Height > cb.Height {
		ca, cb, a, b = cb, ca, b, a
	}
	if ca.Origin == cb.Origin && ca.Height < cb.Height && ca.Size < cb.Size {
		if err := checkConsistent(ca, cb, path); err != nil {
			ev.Reason = fmt.Sprintf("undecided: no valid consistency proof from size %d to %d (%v)", ca.Size, cb.Size, err)
			return ev, fmt.Errorf("%w: %s; ask a node for `phalanx proof --consistency %d %d`: a log that forked cannot produce one",
				ErrUndecided, ev.Reason, ca.Height, cb.Height)
		}
	}
	ev.Reason = conflict(ca, cb)
	if ev.Reason == "" {
		ev.Reason = fmt.Sprintf("consistent: the log at height %d extends the log at height %d", cb.Height, ca.Height)
		return ev, nil
	}
	ev.Equivocation = true
	ev.Signers = signedBoth(a, b, ms)
	return ev, nil
}

func failedSide(ra Report) string {
	if !ra.OK() {
		return "a"
	}
	return "b"
}

func prefixed(p string, r Report) []Check {
	out := make([]Check, len(r.Checks))
	for i, c := range r.Checks {
		c.Name = p + c.Name
		out[i] = c
	}
	return out
}

// ErrUndecided is returned by Compare for checkpoints of different sizes
// without a valid consistency proof between them: not evidence either way.
var ErrUndecided = errors.New("cannot decide")

// conflict returns why two valid checkpoints (a no later than b, linked by
// a verified consistency proof when their sizes differ) cannot both hold,
// or "" when they can.
func conflict(a, b Checkpoint) string {
	switch {
	case a.Origin != b.Origin:
		return "" // different logs never conflict
	case a.Height == b.Height && !bytes.Equal(a.AppHash(), b.AppHash()):
		return fmt.Sprintf("two different states were signed at height %d", a.Height)
	case a.Size == b.Size && !bytes.Equal(a.Root, b.Root):
		return fmt.Sprintf("two different logs of %d records were signed", a.Size)
	case a.Size > b.Size:
		return fmt.Sprintf("the log shrank from %d records at height %d to %d at height %d", a.Size, a.Height, b.Size, b.Height)
	}
	return ""
}

// signedBoth names the members whose validator signatures verify on both
// checkpoints' commits.
func signedBoth(a, b SignedCheckpoint, ms []Member) []string {
	sa, errA := decodeSigned(a.Header, a.Commit)
	sb, errB := decodeSigned(b.Header, b.Commit)
	if errA != nil || errB != nil {
		return nil
	}
	ta := tallyCommit(sa.header.ChainID, sa.commit, ms)
	tb := tallyCommit(sb.header.ChainID, sb.commit, ms)
	in := map[string]bool{}
	for _, s := range ta.signers {
		in[s] = true
	}
	var out []string
	for _, s := range tb.signers {
		if in[s] {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
