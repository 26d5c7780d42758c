package proof

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"github.com/cometbft/cometbft/types"
	"github.com/phalanx-ledger/phalanx/internal/edsig"
)

// maxSignedBytes bounds an encoded header or commit.
const maxSignedBytes = 1 << 20

// signedBlock is a decoded block header with the commit that signs it.
type signedBlock struct {
	header types.Header
	commit *types.Commit
}

// decodeSigned decodes a protobuf cometbft.types.v1.Header and Commit.
func decodeSigned(headerPB, commitPB []byte) (signedBlock, error) {
	if len(headerPB) == 0 || len(commitPB) == 0 {
		return signedBlock{}, fmt.Errorf("header and commit are required")
	}
	if len(headerPB) > maxSignedBytes || len(commitPB) > maxSignedBytes {
		return signedBlock{}, fmt.Errorf("header or commit over %d bytes", maxSignedBytes)
	}
	var ph cmtproto.Header
	if err := ph.Unmarshal(headerPB); err != nil {
		return signedBlock{}, fmt.Errorf("decode header: %w", err)
	}
	h, err := types.HeaderFromProto(&ph)
	if err != nil {
		return signedBlock{}, fmt.Errorf("decode header: %w", err)
	}
	var pc cmtproto.Commit
	if err := pc.Unmarshal(commitPB); err != nil {
		return signedBlock{}, fmt.Errorf("decode commit: %w", err)
	}
	c, err := types.CommitFromProto(&pc)
	if err != nil {
		return signedBlock{}, fmt.Errorf("decode commit: %w", err)
	}
	return signedBlock{header: h, commit: c}, nil
}

// EncodeSigned encodes a header and its commit as the bundle carries them.
func EncodeSigned(h *types.Header, c *types.Commit) (headerPB, commitPB []byte, err error) {
	if headerPB, err = h.ToProto().Marshal(); err != nil {
		return nil, nil, fmt.Errorf("encode header %d: %w", h.Height, err)
	}
	if commitPB, err = c.ToProto().Marshal(); err != nil {
		return nil, nil, fmt.Errorf("encode commit %d: %w", c.Height, err)
	}
	return headerPB, commitPB, nil
}

// checkHeader checks that the commit is for this header: same height and
// the commit's block id hash is the header's hash.
func (s signedBlock) checkHeader() error {
	if s.commit.Height != s.header.Height {
		return fmt.Errorf("commit is for height %d, header is height %d", s.commit.Height, s.header.Height)
	}
	if hh := s.header.Hash(); !bytes.Equal(hh, s.commit.BlockID.Hash) {
		return fmt.Errorf("header hashes to %X but the commit signs block %X", []byte(hh), []byte(s.commit.BlockID.Hash))
	}
	return nil
}

// tally is who signed a commit and with how much of the members' power.
type tally struct {
	signers  []string // member ids whose precommit for the block verifies
	signed   int64
	total    int64
	problems []string // signatures that do not count, and why
}

// quorum reports whether more than 2/3 of the total power signed.
func (t tally) quorum() bool { return t.total > 0 && 3*t.signed > 2*t.total }

func (t tally) String() string {
	s := fmt.Sprintf("%d of %d voting power signed (%s); more than 2/3 is needed", t.signed, t.total, strings.Join(t.signers, ", "))
	if len(t.problems) > 0 {
		s += "; not counted: " + strings.Join(t.problems, "; ")
	}
	return s
}

// tallyCommit verifies every precommit of the commit with the validator
// keys of the member set and sums the power of those that verify.
func tallyCommit(chainID string, c *types.Commit, ms []Member) tally {
	vals := validators(ms)
	var t tally
	for _, v := range vals {
		t.total += v.power
	}
	seen := map[[20]byte]bool{}
	for i, sig := range c.Signatures {
		if sig.BlockIDFlag != types.BlockIDFlagCommit {
			continue
		}
		var addr [20]byte
		copy(addr[:], sig.ValidatorAddress)
		v, ok := vals[addr]
		switch {
		case len(sig.ValidatorAddress) != 20 || !ok:
			t.problems = append(t.problems, fmt.Sprintf("signature %d is by validator %s, not in the member set", i, hex.EncodeToString(sig.ValidatorAddress)))
		case seen[addr]:
			t.problems = append(t.problems, fmt.Sprintf("signature %d repeats %s", i, v.member))
		case !edsig.Verify(v.pub, c.VoteSignBytes(chainID, int32(i)), sig.Signature):
			t.problems = append(t.problems, fmt.Sprintf("signature %d by %s does not verify", i, v.member))
		default:
			seen[addr] = true
			t.signers = append(t.signers, v.member)
			t.signed += v.power
		}
	}
	sort.Strings(t.signers)
	return t
}
