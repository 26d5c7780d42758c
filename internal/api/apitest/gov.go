package apitest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// Titles that steer a proposal through the fake.
const (
	// TitleFail makes the ledger reject the proposal at commit.
	TitleFail = "apitest:fail"
	// TitleHang makes the proposal never commit.
	TitleHang = "apitest:hang"
)

// VotingPeriod is the number of blocks the fake keeps a proposal open.
var VotingPeriod = ledger.DefaultParams().VotingPeriod

// Propose implements api.Backend. Like the ledger's CheckTx it refuses
// (code bad_proposal) an unknown kind, content that does not match the kind,
// admitting a member id that MembersValue holds, removing or rotating one it
// does not hold, and invalid parameters.
func (b *Backend) Propose(_ context.Context, p ledger.Propose) (intake.Submission, error) {
	if b.Err != nil {
		return intake.Submission{}, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	sub := b.govSubmission("propose", p)
	if err := b.checkPropose(p); err != nil {
		return reject(sub, ledger.CodeBadProposal, fmt.Sprintf("%s proposal: %v", p.Kind, err)), nil
	}
	switch p.Title {
	case TitleHang:
		b.hanging[sub.TxHash] = true
		return sub, nil
	case TitleFail:
		b.commitGov(sub.TxHash, ledger.CodeBadProposal, p.Kind+" proposal: failed by the test at commit")
		return sub, nil
	}
	b.commitGov(sub.TxHash, ledger.CodeOK, "")
	id := b.nextProp
	b.nextProp++
	b.props[id] = api.ProposalView{
		Proposal: ledger.Proposal{ID: id, Proposer: Author, Content: p, Height: b.height,
			End: b.height + VotingPeriod, Status: ledger.ProposalOpen},
		Votes: map[string]string{},
	}
	return sub, nil
}

// checkPropose is the fake's rough version of the ledger's proposal check.
// b.mu must be held.
func (b *Backend) checkPropose(p ledger.Propose) error {
	set := 0
	for _, ok := range []bool{p.Member != nil, p.Target != "", p.Rotation != nil, p.Params != nil} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("exactly one of member, target, rotation or params must be set")
	}
	switch p.Kind {
	case ledger.KindAdmit:
		if p.Member == nil {
			return fmt.Errorf("no member")
		}
		if b.member(p.Member.ID) != nil {
			return fmt.Errorf("member id %q is taken", p.Member.ID)
		}
	case ledger.KindRemove:
		return b.checkActive(p.Target)
	case ledger.KindRotate:
		if p.Rotation == nil {
			return fmt.Errorf("no rotation")
		}
		return b.checkActive(p.Rotation.Member)
	case ledger.KindParams:
		if p.Params == nil {
			return fmt.Errorf("no params")
		}
		return p.Params.Validate()
	default:
		return fmt.Errorf("unknown kind %q", p.Kind)
	}
	return nil
}

func (b *Backend) checkActive(id string) error {
	if m := b.member(id); m == nil || m.Status != ledger.StatusActive {
		return fmt.Errorf("%q is not an active member", id)
	}
	return nil
}

// member returns the member of MembersValue with id, or nil.
func (b *Backend) member(id string) *api.Member {
	for i := range b.MembersValue {
		if b.MembersValue[i].ID == id {
			return &b.MembersValue[i]
		}
	}
	return nil
}

// Vote implements api.Backend, refusing as the ledger does a choice other
// than yes, no or abstain (bad_vote), an unknown proposal
// (unknown_proposal) and a proposal that is no longer open (voting_closed).
func (b *Backend) Vote(_ context.Context, proposal uint64, choice string) (intake.Submission, error) {
	if b.Err != nil {
		return intake.Submission{}, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	sub := b.govSubmission("vote", ledger.Vote{Proposal: proposal, Choice: choice})
	p, ok := b.props[proposal]
	switch {
	case choice != ledger.VoteYes && choice != ledger.VoteNo && choice != ledger.VoteAbstain:
		return reject(sub, ledger.CodeBadVote, fmt.Sprintf("vote %q: want yes, no or abstain", choice)), nil
	case !ok:
		return reject(sub, ledger.CodeNoProposal, fmt.Sprintf("no proposal %d", proposal)), nil
	case p.Status != ledger.ProposalOpen:
		return reject(sub, ledger.CodeClosed, fmt.Sprintf("proposal %d closed at height %d", p.ID, p.End)), nil
	}
	b.commitGov(sub.TxHash, ledger.CodeOK, "")
	p.Votes = maps.Clone(p.Votes)
	if p.Votes == nil {
		p.Votes = map[string]string{}
	}
	p.Votes[Author] = choice
	b.props[proposal] = p
	return sub, nil
}

// govSubmission is an accepted submission of a governance transaction with
// a hash unique to this call. b.mu must be held.
func (b *Backend) govSubmission(kind string, payload any) intake.Submission {
	b.txs++
	body, _ := json.Marshal(payload) // plain structs: cannot fail
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write(binary.BigEndian.AppendUint64(nil, b.txs))
	h.Write(body)
	return intake.Submission{TxHash: strings.ToUpper(hex.EncodeToString(h.Sum(nil))), Codename: ledger.CodeName(ledger.CodeOK)}
}

// reject marks sub as refused by CheckTx with code.
func reject(sub intake.Submission, code uint32, log string) intake.Submission {
	sub.Code, sub.Codename, sub.Log = code, ledger.CodeName(code), log
	return sub
}

// commitGov records the outcome of a governance transaction in a new block.
// b.mu must be held.
func (b *Backend) commitGov(hash string, code uint32, log string) {
	b.height++
	b.outcomes[hash] = intake.Outcome{TxHash: hash, Height: b.height, Code: code,
		Codename: ledger.CodeName(code), Log: log}
}

// Proposals implements api.Backend, newest first.
// Params returns the default parameters, or Err.
func (b *Backend) Params(context.Context) (ledger.Params, error) {
	if b.Err != nil {
		return ledger.Params{}, b.Err
	}
	return ledger.DefaultParams(), nil
}

func (b *Backend) Proposals(context.Context) ([]api.ProposalView, error) {
	if b.Err != nil {
		return nil, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := slices.Sorted(maps.Keys(b.props))
	slices.Reverse(ids)
	out := make([]api.ProposalView, len(ids))
	for i, id := range ids {
		out[i] = cloneView(b.props[id])
	}
	return out, nil
}

// Proposal implements api.Backend.
func (b *Backend) Proposal(_ context.Context, id uint64) (api.ProposalView, error) {
	if b.Err != nil {
		return api.ProposalView{}, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.props[id]
	if !ok {
		return api.ProposalView{}, errs.Errorf(errs.NotFound, "no proposal %d", id)
	}
	return cloneView(p), nil
}

// PutProposal stores p as the ledger's proposal p.ID, replacing any, so a
// test can set up closed or other members' proposals. A zero ID takes the
// next free one. It returns the ID.
func (b *Backend) PutProposal(p api.ProposalView) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.ID == 0 {
		p.ID = b.nextProp
	}
	b.nextProp = max(b.nextProp, p.ID+1)
	b.props[p.ID] = cloneView(p)
	return p.ID
}

// cloneView copies p so callers cannot share its votes with the fake.
func cloneView(p api.ProposalView) api.ProposalView {
	p.Votes = maps.Clone(p.Votes)
	return p
}
