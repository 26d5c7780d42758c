package client_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// admit is a proposal to admit the member id.
func admit(id, title string) ledger.Propose {
	return ledger.Propose{Kind: ledger.KindAdmit, Title: title, Member: &ledger.Member{
		ID: id, Name: "New CERT", SignKey: bytes.Repeat([]byte{1}, 32), SealKey: bytes.Repeat([]byte{2}, 32),
		ValidatorKey: bytes.Repeat([]byte{3}, 32),
	}}
}

func TestProposeAndVote(t *testing.T) {
	c := newClient(t, newServer(t, false), adminSecret)
	ctx := context.Background()

	res, err := c.Propose(ctx, admit("newco", "admit NewCo"), true)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Proposal
	if !res.Transaction.Committed() || p == nil || p.ID != 1 || p.Proposer != apitest.Author ||
		p.Content.Title != "admit NewCo" || !bytes.Equal(p.Content.Member.ValidatorKey, bytes.Repeat([]byte{3}, 32)) {
		t.Fatalf("propose: %+v", res)
	}
	res, err = c.Propose(ctx, ledger.Propose{Kind: ledger.KindRemove, Target: apitest.Author}, false)
	if err != nil || res.Transaction.Committed() || res.Transaction.TxHash == "" || res.Proposal != nil {
		t.Fatalf("propose without wait: %+v, %v", res, err)
	}

	res, err = c.Vote(ctx, 1, ledger.VoteYes, true)
	if err != nil || res.Proposal == nil || res.Proposal.Votes[apitest.Author] != ledger.VoteYes {
		t.Fatalf("vote: %+v, %v", res, err)
	}
	if res, err = c.Vote(ctx, 1, ledger.VoteAbstain, false); err != nil || res.Transaction.Committed() {
		t.Fatalf("vote without wait: %+v, %v", res, err)
	}

	ps, err := c.Proposals(ctx)
	if err != nil || len(ps) != 2 || ps[0].ID != 2 || ps[1].ID != 1 {
		t.Fatalf("proposals: %+v, %v", ps, err)
	}
	got, err := c.Proposal(ctx, 1)
	if err != nil || got.Votes[apitest.Author] != ledger.VoteAbstain || got.Content.Member.ID != "newco" {
		t.Fatalf("proposal: %+v, %v", got, err)
	}
	_, err = c.Proposal(ctx, 99)
	wantCode(t, err, errs.NotFound)
}

func TestGovRejected(t *testing.T) {
	var backend *apitest.Backend
	srv := newServer(t, false, func(c *api.Config) { backend = c.Backend.(*apitest.Backend) })
	c := newClient(t, srv, adminSecret)
	ctx := context.Background()

	res, err := c.Propose(ctx, admit(apitest.Author, ""), true)
	wantCode(t, err, errs.Rejected)
	if res.Transaction.Codename != "bad_proposal" || res.Transaction.Log != `admit_member proposal: member id "member-test" is taken` {
		t.Errorf("result %+v", res)
	}
	res, err = c.Vote(ctx, 7, ledger.VoteYes, false)
	wantCode(t, err, errs.Rejected)
	if res.Transaction.Codename != "unknown_proposal" {
		t.Errorf("result %+v", res)
	}
	closed := backend.PutProposal(api.ProposalView{Proposal: ledger.Proposal{Status: ledger.ProposalPassed}})
	res, err = c.Vote(ctx, closed, ledger.VoteNo, true)
	wantCode(t, err, errs.Rejected)
	if res.Transaction.Codename != "voting_closed" {
		t.Errorf("result %+v", res)
	}

	res, err = c.Propose(ctx, ledger.Propose{}, true)
	wantCode(t, err, errs.Invalid)
	if res.Transaction.TxHash != "" {
		t.Errorf("result of a refused request %+v", res)
	}
	_, err = newClient(t, srv, readerSecret).Vote(ctx, 1, ledger.VoteYes, true)
	wantCode(t, err, errs.Forbidden)
	if _, err := newClient(t, srv, readerSecret).Proposals(ctx); err != nil {
		t.Errorf("reader listing proposals: %v", err)
	}
}

func TestProposeWaitFollowsDeadline(t *testing.T) {
	c := newClient(t, newServer(t, false), adminSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := c.Propose(ctx, admit("newco", apitest.TitleHang), true)
	wantCode(t, err, errs.Unavailable)
	if res.Transaction.TxHash == "" || res.Transaction.Committed() {
		t.Errorf("result %+v", res)
	}
}
