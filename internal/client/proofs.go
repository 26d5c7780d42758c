package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// Proof returns the proof bundle of an object version ("" for the latest).
func (c *Client) Proof(ctx context.Context, id, version string) (*proof.Bundle, error) {
	var q url.Values
	if version != "" {
		q = url.Values{"version": {version}}
	}
	var b proof.Bundle
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "proofs", id}, query: q}, &b)
	return &b, err
}

// Consistency returns the consistency proof between the checkpoints at
// heights from and to (to < 0: the newest).
func (c *Client) Consistency(ctx context.Context, from, to int64) (*proof.ConsistencyProof, error) {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}}
	if to >= 0 {
		q.Set("to", strconv.FormatInt(to, 10))
	}
	var cp proof.ConsistencyProof
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "proofs", "consistency"}, query: q}, &cp)
	return &cp, err
}

// Checkpoint returns the signed checkpoint at height (< 0: the newest).
func (c *Client) Checkpoint(ctx context.Context, height int64) (*proof.SignedCheckpoint, error) {
	seg := "latest"
	if height >= 0 {
		seg = strconv.FormatInt(height, 10)
	}
	var sc proof.SignedCheckpoint
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "checkpoints", seg}}, &sc)
	return &sc, err
}

// Checkpoints returns one page of the checkpoint stream from height since.
func (c *Client) Checkpoints(ctx context.Context, since int64, limit int) (api.CheckpointsResponse, error) {
	q := url.Values{"since": {strconv.FormatInt(since, 10)}, "limit": {strconv.Itoa(limit)}}
	var out api.CheckpointsResponse
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "checkpoints"}, query: q}, &out)
	return out, err
}
