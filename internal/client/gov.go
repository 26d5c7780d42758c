package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// GovResult is what the node said of a proposal or vote transaction.
type GovResult = api.GovResult

// Propose submits the governance proposal p, signed as the node's member;
// it needs an admin token. With wait it returns once the transaction is
// committed, and the result's Proposal is the proposal it opened (whose ID
// members vote on); the node waits at most until shortly before ctx's
// deadline, or its own limit. Without wait it returns once the node has
// submitted the transaction.
//
// If the ledger refused the proposal, or waiting failed, Propose returns
// both the result (whose Transaction has the ledger's code and log) and an
// *errs.Error: Rejected, or Unavailable for a wait that timed out.
func (c *Client) Propose(ctx context.Context, p ledger.Propose, wait bool) (GovResult, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return GovResult{}, fmt.Errorf("encode proposal: %w", err)
	}
	return c.postGov(ctx, []string{"v1", "gov", "proposals"}, body, wait)
}

// Vote submits the node's member's vote on proposal id: choice is yes, no
// or abstain. It needs an admin token, waits as Propose does and, with
// wait, returns the proposal with its votes. A later vote replaces an
// earlier one until the voting period ends.
func (c *Client) Vote(ctx context.Context, id uint64, choice string, wait bool) (GovResult, error) {
	body, err := json.Marshal(api.VoteRequest{Choice: choice})
	if err != nil {
		return GovResult{}, fmt.Errorf("encode vote: %w", err)
	}
	return c.postGov(ctx, []string{"v1", "gov", "proposals", strconv.FormatUint(id, 10), "votes"}, body, wait)
}

// postGov posts a proposal or vote and reads the answer.
func (c *Client) postGov(ctx context.Context, path []string, body []byte, wait bool) (GovResult, error) {
	resp, err := c.do(ctx, request{
		method: http.MethodPost, path: path, query: waitQuery(ctx, wait),
		contentType: "application/json", body: body,
	})
	if err != nil {
		return GovResult{}, err
	}
	defer resp.Body.Close()
	return decodeResult(resp, "governance", func(r GovResult) bool { return r.Transaction.TxHash != "" })
}

// Proposals lists the ledger's proposals with the members' current votes,
// newest first.
func (c *Client) Proposals(ctx context.Context) ([]api.ProposalView, error) {
	var ps api.ProposalsResponse
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "gov", "proposals"}}, &ps)
	return ps.Proposals, err
}

// Params returns the community parameters in force.
func (c *Client) Params(ctx context.Context) (ledger.Params, error) {
	var p ledger.Params
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "gov", "params"}}, &p)
	return p, err
}

// Proposal returns proposal id with the members' current votes;
// errs.NotFound if there is none.
func (c *Client) Proposal(ctx context.Context, id uint64) (api.ProposalView, error) {
	var p api.ProposalView
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "gov", "proposals", strconv.FormatUint(id, 10)}}, &p)
	return p, err
}
