package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// Proposal kinds.
const (
	KindAdmit  = "admit_member"
	KindRemove = "remove_member"
	KindRotate = "rotate_keys"
	KindParams = "update_params"
)

// Vote choices.
const (
	VoteYes     = "yes"
	VoteNo      = "no"
	VoteAbstain = "abstain"
)

// Proposal statuses.
const (
	ProposalOpen     = "open"
	ProposalPassed   = "passed"
	ProposalRejected = "rejected"
	ProposalFailed   = "failed" // passed, but could no longer execute
)

// Propose is the payload of a TypePropose transaction: exactly one of
// Member (admit), Target (remove), Rotation or Params is set, per Kind.
type Propose struct {
	Kind     string    `cbor:"1,keyasint" json:"kind"`
	Title    string    `cbor:"2,keyasint,omitempty" json:"title,omitempty"`
	Member   *Member   `cbor:"3,keyasint,omitempty" json:"member,omitempty"`
	Target   string    `cbor:"4,keyasint,omitempty" json:"target,omitempty"`
	Rotation *Rotation `cbor:"5,keyasint,omitempty" json:"rotation,omitempty"`
	Params   *Params   `cbor:"6,keyasint,omitempty" json:"params,omitempty"`
}

// Rotation replaces a member's public keys.
type Rotation struct {
	Member       string `cbor:"1,keyasint" json:"member"`
	SignKey      []byte `cbor:"2,keyasint" json:"sign_key"`
	SealKey      []byte `cbor:"3,keyasint" json:"seal_key"`
	ValidatorKey []byte `cbor:"4,keyasint,omitempty" json:"validator_key,omitempty"`
}

// Vote is the payload of a TypeVote transaction. A member may change its
// vote until the period ends; only its last vote counts.
type Vote struct {
	Proposal uint64 `cbor:"1,keyasint" json:"proposal"`
	Choice   string `cbor:"2,keyasint" json:"choice"`
}

// Proposal is a proposal as the ledger records it.
type Proposal struct {
	ID       uint64  `cbor:"1,keyasint" json:"id"`
	Proposer string  `cbor:"2,keyasint" json:"proposer"`
	Content  Propose `cbor:"3,keyasint" json:"content"`
	Height   int64   `cbor:"4,keyasint" json:"height"`     // block that opened it
	End      int64   `cbor:"5,keyasint" json:"end_height"` // block that tallies it
	Status   string  `cbor:"6,keyasint" json:"status"`
	Yes      int64   `cbor:"7,keyasint" json:"yes"`
	No       int64   `cbor:"8,keyasint" json:"no"`
	Abstain  int64   `cbor:"9,keyasint" json:"abstain"`
	Electors int64   `cbor:"10,keyasint" json:"electors"` // active members at the tally
	Result   string  `cbor:"11,keyasint,omitempty" json:"result,omitempty"`
}

// validatorPower is the voting power every admitted member's validator gets.
const validatorPower = 10

// checkPropose validates a proposal against the state it would execute on.
func (a *App) checkPropose(t *tx.Tx, v view) (*Propose, *rejection) {
	var p Propose
	if err := tx.DecodePayload(t.Body.Payload, &p); err != nil {
		return nil, reject(CodeMalformed, "%v", err)
	}
	if len(p.Title) > 500 {
		return nil, reject(CodeBadProposal, "title is %d bytes; the limit is 500", len(p.Title))
	}
	if err := checkContent(p, v); err != nil {
		return nil, reject(CodeBadProposal, "%s proposal: %v", p.Kind, err)
	}
	return &p, nil
}

// checkContent checks that a proposal's content could execute on v.
func checkContent(p Propose, v view) error {
	set := 0
	for _, b := range []bool{p.Member != nil, p.Target != "", p.Rotation != nil, p.Params != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("exactly one of member, target, rotation or params must be set")
	}
	switch p.Kind {
	case KindAdmit:
		return checkAdmit(p.Member, v)
	case KindRemove:
		return checkRemove(p.Target, v)
	case KindRotate:
		return checkRotate(p.Rotation, v)
	case KindParams:
		if p.Params == nil {
			return fmt.Errorf("no params")
		}
		return p.Params.Validate()
	}
	return fmt.Errorf("unknown kind %q (want %s, %s, %s or %s)", p.Kind, KindAdmit, KindRemove, KindRotate, KindParams)
}

func checkAdmit(m *Member, v view) error {
	if m == nil {
		return fmt.Errorf("no member")
	}
	if err := m.validate(); err != nil {
		return err
	}
	if len(m.ValidatorKey) == 0 {
		return fmt.Errorf("member %s: a validator key is required", m.ID)
	}
	if v.member(m.ID) != nil {
		return fmt.Errorf("member id %q is taken", m.ID)
	}
	return keysUnused(v, "", m.SignKey, m.SealKey, m.ValidatorKey)
}

func checkRemove(id string, v view) error {
	m := v.member(id)
	if m == nil || m.Status != StatusActive {
		return fmt.Errorf("%q is not an active member", id)
	}
	if len(activeMembers(v)) <= 1 {
		return fmt.Errorf("cannot remove the last active member")
	}
	return nil
}

func checkRotate(r *Rotation, v view) error {
	if r == nil {
		return fmt.Errorf("no rotation")
	}
	m := v.member(r.Member)
	if m == nil || m.Status != StatusActive {
		return fmt.Errorf("%q is not an active member", r.Member)
	}
	n := *m
	n.SignKey, n.SealKey = r.SignKey, r.SealKey
	if len(r.ValidatorKey) > 0 {
		n.ValidatorKey = r.ValidatorKey
	}
	if err := n.validate(); err != nil {
		return err
	}
	return keysUnused(v, r.Member, r.SignKey, r.SealKey, r.ValidatorKey)
}

// keysUnused refuses keys that any member other than except already holds.
func keysUnused(v view, except string, keys ...[]byte) error {
	for _, m := range v.allMembers() {
		if m.ID == except {
			continue
		}
		for _, k := range keys {
			if len(k) > 0 && (bytes.Equal(k, m.SignKey) || bytes.Equal(k, m.SealKey) || bytes.Equal(k, m.ValidatorKey)) {
				return fmt.Errorf("a key is already held by member %s", m.ID)
			}
		}
	}
	return nil
}

// checkVote validates a vote against the proposal it names.
func (a *App) checkVote(t *tx.Tx, v view, height int64) (*Vote, *rejection) {
	var vo Vote
	if err := tx.DecodePayload(t.Body.Payload, &vo); err != nil {
		return nil, reject(CodeMalformed, "%v", err)
	}
	switch vo.Choice {
	case VoteYes, VoteNo, VoteAbstain:
	default:
		return nil, reject(CodeBadVote, "vote %q: want yes, no or abstain", vo.Choice)
	}
	p, ok, err := v.proposal(vo.Proposal)
	if err != nil {
		return nil, reject(CodeInternal, "read state: %v", err)
	}
	if !ok {
		return nil, reject(CodeNoProposal, "no proposal %d", vo.Proposal)
	}
	if p.Status != ProposalOpen || height > p.End {
		return nil, reject(CodeClosed, "proposal %d closed at height %d", p.ID, p.End)
	}
	return &vo, nil
}

// deliverGov executes a validated proposal or vote in the block.
func (b *block) deliverPropose(author string, p *Propose) []byte {
	id := b.nextProposal()
	prop := Proposal{ID: id, Proposer: author, Content: *p, Height: b.height,
		End: b.height + b.params().VotingPeriod, Status: ProposalOpen}
	b.putProposal(prop)
	b.writes.set(pendingKey(prop.End, id), []byte{1})
	b.writes.set(keyNextProp, u64(id+1))
	return []byte(strconv.FormatUint(id, 10))
}

func (b *block) deliverVote(author string, vo *Vote) {
	b.writes.set(voteKey(vo.Proposal, author), []byte(vo.Choice))
}

func (b *block) nextProposal() uint64 {
	if v, ok := b.writes.get(keyNextProp); ok {
		return binary.BigEndian.Uint64(v)
	}
	v, _ := b.a.kv.Get(keyNextProp) // a read error leaves 0: proposals start at 1
	if len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 1
}

func (b *block) putProposal(p Proposal) {
	b.writes.set(propKey(p.ID), mustEncode(p))
	b.props[p.ID] = p
}

// tally closes every proposal whose period ends at this block, in id order,
// and executes those that passed.
func (b *block) tally() ([]abci.Event, error) {
	var ids []uint64
	start := pendingKey(b.height, 0)
	end := pendingKey(b.height+1, 0)
	err := b.a.kv.Iterate(start, end, func(k, _ []byte) error {
		ids = append(ids, binary.BigEndian.Uint64(k[len(k)-8:]))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list proposals ending at %d: %w", b.height, err)
	}
	events := make([]abci.Event, 0, len(ids))
	for _, id := range ids {
		ev, err := b.close(id)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

func (b *block) close(id uint64) (abci.Event, error) {
	p, ok, err := b.proposal(id)
	if err != nil || !ok {
		return abci.Event{}, fmt.Errorf("proposal %d pending but unreadable: %v", id, err)
	}
	electors := activeMembers(b)
	for _, m := range electors {
		choice, err := b.vote(id, m.ID)
		if err != nil {
			return abci.Event{}, err
		}
		switch choice {
		case VoteYes:
			p.Yes++
		case VoteNo:
			p.No++
		case VoteAbstain:
			p.Abstain++
		}
	}
	p.Electors = int64(len(electors))
	prm := b.params()
	quorate := (p.Yes+p.No+p.Abstain)*prm.QuorumDen >= p.Electors*prm.QuorumNum
	approved := p.Yes*prm.ApprovalDen > p.Electors*prm.ApprovalNum
	switch {
	case !quorate:
		p.Status, p.Result = ProposalRejected, "no quorum"
	case !approved:
		p.Status, p.Result = ProposalRejected, "not approved"
	default:
		p.Status, p.Result = ProposalPassed, "executed"
		if err := b.execute(p.Content); err != nil {
			p.Status, p.Result = ProposalFailed, err.Error()
		}
	}
	b.putProposal(p)
	return proposalEvent(p), nil
}

func proposalEvent(p Proposal) abci.Event {
	attr := func(k, v string) abci.EventAttribute { return abci.EventAttribute{Key: k, Value: v, Index: true} }
	return abci.Event{Type: "proposal_closed", Attributes: []abci.EventAttribute{
		attr("id", strconv.FormatUint(p.ID, 10)), attr("kind", p.Content.Kind), attr("status", p.Status),
		attr("yes", strconv.FormatInt(p.Yes, 10)), attr("no", strconv.FormatInt(p.No, 10)),
		attr("abstain", strconv.FormatInt(p.Abstain, 10)), attr("electors", strconv.FormatInt(p.Electors, 10)),
		attr("result", p.Result),
	}}
}

// execute carries out a passed proposal, re-checking it against the state
// of this block (it may have become impossible since it was opened).
func (b *block) execute(c Propose) error {
	if err := checkContent(c, b); err != nil {
		return err
	}
	switch c.Kind {
	case KindAdmit:
		m := *c.Member
		m.Status, m.JoinHeight, m.Power = StatusActive, b.height, validatorPower
		b.putMember(m)
		b.valUpdates = append(b.valUpdates, validatorUpdate(m.ValidatorKey, validatorPower))
	case KindRemove:
		m := *b.member(c.Target)
		m.Status, m.Power = StatusRemoved, 0
		b.putMember(m)
		if len(m.ValidatorKey) > 0 {
			b.valUpdates = append(b.valUpdates, validatorUpdate(m.ValidatorKey, 0))
		}
	case KindRotate:
		b.rotate(*c.Rotation)
	case KindParams:
		p := *c.Params
		b.newParams = &p
		b.writes.set(keyParams, mustEncode(p))
	}
	return nil
}

func (b *block) rotate(r Rotation) {
	m := *b.member(r.Member)
	m.SignKey, m.SealKey = r.SignKey, r.SealKey
	if len(r.ValidatorKey) > 0 && !bytes.Equal(r.ValidatorKey, m.ValidatorKey) {
		if len(m.ValidatorKey) > 0 {
			b.valUpdates = append(b.valUpdates, validatorUpdate(m.ValidatorKey, 0))
		}
		m.ValidatorKey = r.ValidatorKey
		b.valUpdates = append(b.valUpdates, validatorUpdate(m.ValidatorKey, m.Power))
	}
	b.putMember(m)
}

func (b *block) putMember(m Member) {
	b.members[m.ID] = &m
	b.writes.set(memberKey(m.ID), mustEncode(m))
}

func validatorUpdate(key []byte, power int64) abci.ValidatorUpdate {
	return abci.ValidatorUpdate{Power: power, PubKeyType: "ed25519", PubKeyBytes: key}
}

// activeMembers returns the active members of a view, sorted by id.
func activeMembers(v view) []*Member {
	var out []*Member
	for _, m := range v.allMembers() {
		if m.Status == StatusActive {
			out = append(out, m)
		}
	}
	return out
}

// sortedMembers returns the members of a map sorted by id.
func sortedMembers(ms map[string]*Member) []*Member {
	out := make([]*Member, 0, len(ms))
	for _, m := range ms {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
