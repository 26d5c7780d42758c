package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// PublishTo publishes body addressed to members, a sharing group and/or at
// a TLP level (see intake.Address); the node seals what must be sealed.
// Results and errors are as for Publish.
func (c *Client) PublishTo(ctx context.Context, body []byte, a intake.Address, wait bool) (PublishResult, error) {
	q := waitQuery(ctx, wait)
	if len(a.To) > 0 {
		q.Set("to", strings.Join(a.To, ","))
	}
	if a.Group != "" {
		q.Set("group", a.Group)
	}
	if a.TLP != 0 {
		q.Set("tlp", a.TLP.String())
	}
	resp, err := c.do(ctx, request{
		method: http.MethodPost, path: []string{"v1", "objects"}, query: q,
		contentType: "application/json", body: body,
	})
	if err != nil {
		return PublishResult{}, err
	}
	defer resp.Body.Close()
	return decodeResult(resp, "publish", func(r PublishResult) bool { return len(r.Transactions) > 0 })
}

// ChangeGroup creates or changes a sharing group as this node's member.
func (c *Client) ChangeGroup(ctx context.Context, op ledger.GroupOp, wait bool) (PublishResult, error) {
	body, err := json.Marshal(op)
	if err != nil {
		return PublishResult{}, fmt.Errorf("encode group change: %w", err)
	}
	return c.postTx(ctx, []string{"v1", "groups"}, body, wait)
}

// Groups lists the ledger's sharing groups.
func (c *Client) Groups(ctx context.Context) ([]ledger.Group, error) {
	var out []ledger.Group
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "groups"}}, &out)
	return out, err
}

// Withdraw withdraws a sealed record version this node's member wrote.
func (c *Client) Withdraw(ctx context.Context, id, version string, wait bool) (PublishResult, error) {
	body, err := json.Marshal(api.WithdrawRequest{ID: id, Version: version})
	if err != nil {
		return PublishResult{}, fmt.Errorf("encode withdrawal: %w", err)
	}
	return c.postTx(ctx, []string{"v1", "withdrawals"}, body, wait)
}

func (c *Client) postTx(ctx context.Context, path []string, body []byte, wait bool) (PublishResult, error) {
	resp, err := c.do(ctx, request{
		method: http.MethodPost, path: path, query: waitQuery(ctx, wait),
		contentType: "application/json", body: body,
	})
	if err != nil {
		return PublishResult{}, err
	}
	defer resp.Body.Close()
	return decodeResult(resp, strings.Join(path, "/"), func(r PublishResult) bool { return len(r.Transactions) > 0 })
}
