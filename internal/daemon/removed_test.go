package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// TestRemovedMemberReceivesNothing: after member4's removal by vote, a
// record for a sharing group it belongs to is sealed for the group's
// remaining members only, a record addressed to it is refused, and no
// file of member4's node holds the new record's canary, although its node
// still follows the chain.
func TestRemovedMemberReceivesNothing(t *testing.T) {
	p := ledger.DefaultParams()
	p.VotingPeriod = 10 // blocks: room for three votes on a loaded machine
	dirs, err := InitTestnet(t.TempDir(), 4, TestnetOptions{Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*testNode, len(dirs))
	for i, dir := range dirs {
		nodes[i] = startNode(t, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	waitCaughtUp(ctx, t, nodes)
	a := nodes[0]
	if _, err := a.cli.ChangeGroup(ctx, ledger.GroupOp{Op: ledger.GroupCreate, Name: "all", Members: []string{"member2", "member3", "member4"}}, true); err != nil {
		t.Fatal(err)
	}
	sub, err := a.d.Intake().Propose(ctx, ledger.Propose{Kind: ledger.KindRemove, Target: "member4"})
	if err != nil || sub.Code != 0 {
		t.Fatalf("propose: %+v %v", sub, err)
	}
	out, err := a.d.Intake().Wait(ctx, sub.TxHash)
	if err != nil || out.Proposal == 0 {
		t.Fatalf("proposal: %+v %v", out, err)
	}
	for _, n := range nodes[:3] {
		for _, ok, _ := n.d.Ledger().Proposal(out.Proposal); !ok; _, ok, _ = n.d.Ledger().Proposal(out.Proposal) {
			if ctx.Err() != nil {
				t.Fatalf("%s never saw the proposal", n.d.Member())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if sub, err := n.d.Intake().Vote(ctx, out.Proposal, ledger.VoteYes); err != nil || sub.Code != 0 {
			t.Fatalf("%s vote: %+v %v", n.d.Member(), sub, err)
		}
	}
	for removed := false; !removed; {
		for _, m := range a.d.Ledger().Members() {
			removed = removed || (m.ID == "member4" && m.Status == ledger.StatusRemoved)
		}
		if pr, _, _ := a.d.Ledger().Proposal(out.Proposal); pr.Status == ledger.ProposalRejected || pr.Status == ledger.ProposalFailed {
			t.Fatalf("the removal did not pass: %+v", pr)
		}
		if ctx.Err() != nil {
			t.Fatal("member4 was not removed")
		}
		time.Sleep(50 * time.Millisecond)
	}

	canary := newCanary(t)
	body := []byte(canaryObject(42, canary, tlp.AmberID))
	if _, err := a.cli.PublishTo(ctx, body, intake.Address{To: []string{"member4"}}, true); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("publish to the removed member: %v", err)
	}
	res, err := a.cli.PublishTo(ctx, body, intake.Address{Group: "all"}, true)
	if err != nil || !res.Transactions[0].Committed() {
		t.Fatalf("publish to the group: %+v %v", res, err)
	}
	id := res.Transactions[0].Objects[0]
	v := waitGet(ctx, t, nodes[1], id)
	if len(v.Recipients) != 3 || v.Recipients[2] != "member3" {
		t.Fatalf("recipients %v; want member1..3", v.Recipients)
	}
	waitGet(ctx, t, nodes[2], id) // member3 has opened it before the scan below
	d := nodes[3]
	for d.d.Ledger().State().Records < a.d.Ledger().State().Records {
		if ctx.Err() != nil {
			t.Fatal("member4 stopped following the chain")
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitProjected(ctx, t, d)
	if _, err := d.cli.Get(ctx, id); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("member4 reads the record: %v", err)
	}
	for _, n := range nodes {
		n.close()
	}
	if hits := testutil.ScanTree(t, dirs[3], []byte(canary)); len(hits) != 0 {
		t.Fatalf("member4 holds the canary in %v", hits)
	}
	if hits := testutil.ScanTree(t, dirs[2], []byte(canary)); len(hits) == 0 {
		t.Fatal("member3, a recipient, does not hold the canary: the scan is blind")
	}
}
