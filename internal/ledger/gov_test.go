package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// community is a test network of members with their own nonce counters.
type community struct {
	t      *testing.T
	apps   []*App // replicas fed the same blocks
	ms     map[string]member
	nonces map[string]uint64
	height int64
}

func newCommunity(t *testing.T, votingPeriod int64, ids ...string) *community {
	c := &community{t: t, ms: map[string]member{}, nonces: map[string]uint64{}}
	var ms []member
	for _, id := range ids {
		m := newMember(id)
		c.ms[id] = m
		ms = append(ms, m)
	}
	g := genesisWithParams(t, votingPeriod, ms...)
	for i := 0; i < 2; i++ {
		a, err := New(NewMemKV(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: g}); err != nil {
			t.Fatal(err)
		}
		c.apps = append(c.apps, a)
	}
	return c
}

func genesisWithParams(t *testing.T, votingPeriod int64, ms ...member) []byte {
	var g Genesis
	if err := json.Unmarshal(genesis(t, ms...), &g); err != nil {
		t.Fatal(err)
	}
	for i := range g.Members {
		g.Members[i].ValidatorKey = valKey(g.Members[i].ID)
	}
	p := DefaultParams()
	p.VotingPeriod = votingPeriod
	g.Params = &p
	b, _ := json.Marshal(g)
	return b
}

func valKey(id string) []byte {
	seed := sha256.Sum256([]byte("validator " + id))
	return ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
}

// sign makes a transaction of member id with its next nonce.
func (c *community) sign(id string, typ tx.Type, payload any) []byte {
	c.t.Helper()
	b, err := tx.EncodePayload(payload)
	if err != nil {
		c.t.Fatal(err)
	}
	m, ok := c.ms[id]
	if !ok {
		m = newMember(id)
	}
	c.nonces[id]++
	raw, err := tx.Sign(tx.Body{ChainID: testChain, Type: typ, Author: id, Nonce: c.nonces[id], Payload: b}, m.key)
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

// block runs one block on every replica and checks they agree.
func (c *community) block(txs ...[]byte) *abci.FinalizeBlockResponse {
	c.t.Helper()
	c.height++
	var first *abci.FinalizeBlockResponse
	for _, a := range c.apps {
		res := finalize(c.t, a, c.height, txs...)
		if first == nil {
			first = res
			continue
		}
		if !bytes.Equal(res.AppHash, first.AppHash) || len(res.ValidatorUpdates) != len(first.ValidatorUpdates) {
			c.t.Fatalf("height %d: replicas disagree", c.height)
		}
	}
	return first
}

func (c *community) expect(res *abci.FinalizeBlockResponse, i int, code uint32, msg string) {
	c.t.Helper()
	r := res.TxResults[i]
	if r.Code != code || !strings.Contains(r.Log, msg) {
		c.t.Fatalf("height %d tx %d: %d (%s) %q; want %s containing %q", c.height, i, r.Code, CodeName(r.Code), r.Log, CodeName(code), msg)
	}
}

func newcomer(id string) Member {
	m := newMember(id)
	seal := sha256.Sum256([]byte("seal " + id))
	return Member{ID: id, Name: strings.ToUpper(id), SignKey: m.key.Public().(ed25519.PublicKey), SealKey: seal[:],
		ValidatorKey: valKey(id), Sectors: []string{"energy"}, Regions: []string{"EU"}}
}

func TestAdmitAndRemoveByVote(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob", "carol", "dave")
	eve := newcomer("eve")
	c.ms["eve"] = newMember("eve")
	res := c.block(c.sign("alice", tx.TypePropose, Propose{Kind: KindAdmit, Title: "admit Eve", Member: &eve}))
	c.expect(res, 0, CodeOK, "")
	if string(res.TxResults[0].Data) != "1" {
		t.Fatalf("proposal id %q, want 1", res.TxResults[0].Data)
	}
	res = c.block(
		c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}),
		c.sign("bob", tx.TypeVote, Vote{Proposal: 1, Choice: VoteNo}),
		c.sign("bob", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}), // changed: counted once
		c.sign("carol", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}),
	)
	for i := range res.TxResults {
		c.expect(res, i, CodeOK, "")
	}
	c.block()
	res = c.block() // height 4 = 1 + voting period 3: tally
	if len(res.ValidatorUpdates) != 1 || res.ValidatorUpdates[0].Power != validatorPower || !bytes.Equal(res.ValidatorUpdates[0].PubKeyBytes, eve.ValidatorKey) {
		t.Fatalf("validator updates %+v", res.ValidatorUpdates)
	}
	p, ok, _ := c.apps[0].Proposal(1)
	if !ok || p.Status != ProposalPassed || p.Yes != 3 || p.No != 0 || p.Electors != 4 {
		t.Fatalf("proposal %+v", p)
	}
	if ev := res.Events; len(ev) != 1 || ev[0].Type != "proposal_closed" {
		t.Fatalf("events %+v", ev)
	}
	m := c.apps[1].committedMember("eve")
	if m == nil || m.Status != StatusActive || m.JoinHeight != 4 || m.Power != validatorPower {
		t.Fatalf("eve = %+v", m)
	}
	res = c.block(c.sign("eve", tx.TypePublish, mustPublish(t, indicator(1, "2026-01-01T00:00:00.000Z"))))
	c.expect(res, 0, CodeOK, "")

	// remove dave: 4 of 5 yes
	res = c.block(c.sign("bob", tx.TypePropose, Propose{Kind: KindRemove, Target: "dave"}))
	c.expect(res, 0, CodeOK, "")
	var votes [][]byte
	for _, id := range []string{"alice", "bob", "carol", "eve"} {
		votes = append(votes, c.sign(id, tx.TypeVote, Vote{Proposal: 2, Choice: VoteYes}))
	}
	c.block(votes...)
	c.block()
	res = c.block()
	if len(res.ValidatorUpdates) != 1 || res.ValidatorUpdates[0].Power != 0 {
		t.Fatalf("removal validator updates %+v", res.ValidatorUpdates)
	}
	res = c.block(c.sign("dave", tx.TypePublish, mustPublish(t, indicator(2, "2026-01-01T00:00:00.000Z"))))
	c.expect(res, 0, CodeRemovedMember, `"dave" was removed`)
	c.nonces["dave"]--
	res = c.block(c.sign("dave", tx.TypePropose, Propose{Kind: KindRemove, Target: "alice"}))
	c.expect(res, 0, CodeRemovedMember, "removed")
}

func mustPublish(t *testing.T, objs ...string) tx.Publish {
	raws := make([][]byte, len(objs))
	for i, o := range objs {
		raws[i] = []byte(o)
	}
	return tx.Publish{Objects: raws}
}

func TestProposalRejectedWithoutSupermajority(t *testing.T) {
	c := newCommunity(t, 2, "alice", "bob", "carol", "dave")
	eve := newcomer("eve")
	c.block(c.sign("alice", tx.TypePropose, Propose{Kind: KindAdmit, Member: &eve}))
	c.block(c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}), c.sign("bob", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}),
		c.sign("carol", tx.TypeVote, Vote{Proposal: 1, Choice: VoteNo}))
	res := c.block()
	p, _, _ := c.apps[0].Proposal(1)
	if p.Status != ProposalRejected || p.Result != "not approved" || len(res.ValidatorUpdates) != 0 || c.apps[0].committedMember("eve") != nil {
		t.Fatalf("2 of 4 yes: %+v", p)
	}
	// no quorum: one vote of four
	c.block(c.sign("bob", tx.TypePropose, Propose{Kind: KindRemove, Target: "dave"}))
	c.block(c.sign("bob", tx.TypeVote, Vote{Proposal: 2, Choice: VoteYes}))
	c.block()
	if p, _, _ := c.apps[0].Proposal(2); p.Status != ProposalRejected || p.Result != "no quorum" {
		t.Fatalf("1 of 4 voting: %+v", p)
	}
}

func TestUpdateParamsByVote(t *testing.T) {
	c := newCommunity(t, 1, "alice")
	p := DefaultParams()
	p.VotingPeriod, p.MaxObjectsPerTx = 5, 1
	c.block(c.sign("alice", tx.TypePropose, Propose{Kind: KindParams, Params: &p}))
	if got := c.apps[0].Params(); got.VotingPeriod != 1 {
		t.Fatalf("params changed before the tally: %+v", got)
	}
	c.block(c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes})) // height 2 = 1 + 1: tallied after the vote
	if got := c.apps[0].Params(); got.VotingPeriod != 5 || got.MaxObjectsPerTx != 1 {
		t.Fatalf("params after tally: %+v", got)
	}
	res := c.block(c.sign("alice", tx.TypePublish, mustPublish(t, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z"))))
	c.expect(res, 0, CodeTooLarge, "limit is 1")
}

// TestGovernanceBadInput: each bad proposal or vote is refused with its code
// and changes nothing.
func TestGovernanceBadInput(t *testing.T) {
	c := newCommunity(t, 12, "alice", "bob", "carol", "dave")
	eve := newcomer("eve")
	c.block(c.sign("alice", tx.TypePropose, Propose{Kind: KindAdmit, Member: &eve}))
	dupKey := newcomer("frank")
	dupKey.SignKey = c.ms["bob"].key.Public().(ed25519.PublicKey)
	taken := newcomer("bob")
	lowApproval := DefaultParams()
	lowApproval.ApprovalNum, lowApproval.ApprovalDen = 1, 5
	forged := c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes})
	forged[len(forged)-3] ^= 1
	c.nonces["alice"]--
	cases := []struct {
		name string
		raw  func() []byte
		code uint32
		msg  string
	}{
		{"vote by non-member", func() []byte { return c.sign("mallory", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}) }, CodeUnknownMember, "not a member"},
		{"vote on unknown proposal", func() []byte { return c.sign("bob", tx.TypeVote, Vote{Proposal: 99, Choice: VoteYes}) }, CodeNoProposal, "no proposal 99"},
		{"bad choice", func() []byte { return c.sign("bob", tx.TypeVote, Vote{Proposal: 1, Choice: "maybe"}) }, CodeBadVote, "maybe"},
		{"key already a member's", func() []byte { return c.sign("bob", tx.TypePropose, Propose{Kind: KindAdmit, Member: &dupKey}) }, CodeBadProposal, "already held by member bob"},
		{"id already a member", func() []byte { return c.sign("bob", tx.TypePropose, Propose{Kind: KindAdmit, Member: &taken}) }, CodeBadProposal, `"bob" is taken`},
		{"threshold lets a minority decide", func() []byte { return c.sign("bob", tx.TypePropose, Propose{Kind: KindParams, Params: &lowApproval}) }, CodeBadProposal, "minority"},
		{"remove a non-member", func() []byte { return c.sign("bob", tx.TypePropose, Propose{Kind: KindRemove, Target: "zed"}) }, CodeBadProposal, "not an active member"},
		{"unknown kind", func() []byte { return c.sign("bob", tx.TypePropose, Propose{Kind: "dissolve", Target: "x"}) }, CodeBadProposal, "unknown kind"},
		{"forged signature", func() []byte { return forged }, CodeBadSignature, "signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.apps[0].State()
			raw := tc.raw()
			chk, _ := c.apps[0].CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw})
			if chk.Code != tc.code || !strings.Contains(chk.Log, tc.msg) {
				t.Fatalf("CheckTx = %d %q; want %s containing %q", chk.Code, chk.Log, CodeName(tc.code), tc.msg)
			}
			res := c.block(raw)
			c.expect(res, 0, tc.code, tc.msg)
			for id := range c.nonces { // a rejected transaction does not use its nonce
				c.nonces[id] = c.apps[0].Nonce(id)
			}
			if after := c.apps[0].State(); !bytes.Equal(after.AppHash, before.AppHash) {
				t.Fatal("a rejected governance transaction changed the state")
			}
		})
	}
	// the period ends at height 13: a vote at height 14 is late
	for c.height < 13 {
		c.block()
	}
	res := c.block(c.sign("bob", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}))
	c.expect(res, 0, CodeClosed, "closed at height 13")
}

// TestRotateKeysByVote: after a passed rotation the member signs with its
// new key; its old key no longer verifies, and the validator key moves.
func TestRotateKeysByVote(t *testing.T) {
	c := newCommunity(t, 1, "alice")
	fresh := newMember("alice-2026")
	seal := sha256.Sum256([]byte("new seal"))
	rot := Rotation{Member: "alice", SignKey: fresh.key.Public().(ed25519.PublicKey), SealKey: seal[:], ValidatorKey: valKey("alice-new")}
	c.block(c.sign("alice", tx.TypePropose, Propose{Kind: KindRotate, Rotation: &rot}))
	res := c.block(c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}))
	if len(res.ValidatorUpdates) != 2 || res.ValidatorUpdates[0].Power != 0 || !bytes.Equal(res.ValidatorUpdates[1].PubKeyBytes, rot.ValidatorKey) {
		t.Fatalf("validator updates %+v", res.ValidatorUpdates)
	}
	res = c.block(c.sign("alice", tx.TypePublish, mustPublish(t, indicator(1, "2026-01-01T00:00:00.000Z"))))
	c.expect(res, 0, CodeBadSignature, "signature")
	c.nonces["alice"]--
	c.ms["alice"] = member{id: "alice", key: fresh.key}
	res = c.block(c.sign("alice", tx.TypePublish, mustPublish(t, indicator(1, "2026-01-01T00:00:00.000Z"))))
	c.expect(res, 0, CodeOK, "")
}

// TestForgedProposal: a proposal whose signature does not verify is refused.
func TestForgedProposal(t *testing.T) {
	c := newCommunity(t, 5, "alice", "bob")
	raw := c.sign("alice", tx.TypePropose, Propose{Kind: KindRemove, Target: "bob"})
	raw[len(raw)-1] ^= 0x80
	res := c.block(raw)
	c.expect(res, 0, CodeBadSignature, "signature does not verify")
	if ps, _ := c.apps[0].Proposals(); len(ps) != 0 {
		t.Fatalf("forged proposal recorded: %+v", ps)
	}
}

// TestParseCacheFollowsParams: a transaction CheckTx accepted (and whose
// parse it cached) on one replica only must get the same verdict there as
// on a replica that never saw it, after a vote lowered the limits.
func TestParseCacheFollowsParams(t *testing.T) {
	c := newCommunity(t, 1, "alice")
	p := DefaultParams()
	p.VotingPeriod, p.MaxObjectsPerTx = 1, 1
	propose := c.sign("alice", tx.TypePropose, Propose{Kind: KindParams, Params: &p})
	vote := c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes})
	pub := c.sign("alice", tx.TypePublish, mustPublish(t, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z")))
	if res, err := c.apps[0].CheckTx(context.Background(), &abci.CheckTxRequest{Tx: pub, Type: abci.CHECK_TX_TYPE_CHECK}); err != nil || res.Code != 0 {
		t.Fatalf("CheckTx: %+v %v", res, err)
	}
	c.block(propose)
	c.block(vote)
	if got := c.apps[1].Params(); got.MaxObjectsPerTx != 1 {
		t.Fatalf("params after tally: %+v", got)
	}
	res := c.block(pub) // block() fails if the replicas disagree
	c.expect(res, 0, CodeTooLarge, "limit is 1")
}
