package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// PublishResult is what the node said of each transaction of a publish.
type PublishResult = api.PublishResult

// Publish submits body, a STIX bundle or a single STIX object. With wait it
// returns once every transaction is committed; the node waits at most until
// shortly before ctx's deadline, or its own limit. Without wait it returns
// once the node has submitted the transactions.
//
// If the node rejected a transaction, or waiting failed, Publish returns
// both the result (saying what happened to each transaction) and an
// *errs.Error: Rejected, or Unavailable for a wait that timed out.
func (c *Client) Publish(ctx context.Context, body []byte, wait bool) (PublishResult, error) {
	resp, err := c.do(ctx, request{
		method: http.MethodPost, path: []string{"v1", "objects"}, query: waitQuery(ctx, wait),
		contentType: "application/json", body: body,
	})
	if err != nil {
		return PublishResult{}, err
	}
	defer resp.Body.Close()
	return decodeResult(resp, "publish", func(r PublishResult) bool { return len(r.Transactions) > 0 })
}

// waitQuery is the query of a POST that may wait for commits: with wait,
// the node is asked to stop waiting in time to answer before ctx's
// deadline.
func waitQuery(ctx context.Context, wait bool) url.Values {
	q := url.Values{}
	if wait {
		q.Set("wait", "true")
		if d, ok := serverWait(ctx); ok {
			q.Set("timeout", strconv.FormatFloat(d.Seconds(), 'f', 3, 64))
		}
	}
	return q
}

// serverWait is how long the node may wait for commits so that its answer
// arrives before ctx's deadline: a quarter of the time left, at most two
// seconds, is kept for the answer to come back (a tenth was too little on
// a loaded machine: 200 ms of a 2 s deadline).
func serverWait(ctx context.Context) (time.Duration, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	d := time.Until(dl)
	d -= min(d/4, 2*time.Second)
	return max(d, time.Millisecond), true
}

// decodeResult reads the answer to a publish, proposal or vote, which
// carries its result even when it reports an error. For an error answer,
// has tells whether the decoded result says anything (else it is zeroed:
// the body was a plain error); what names the request in errors.
func decodeResult[T any](resp *http.Response, what string, has func(T) bool) (T, error) {
	var zero T
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return zero, fmt.Errorf("read %s response: %w", what, err)
	}
	var res T
	jerr := json.Unmarshal(b, &res)
	if resp.StatusCode < 300 {
		if jerr != nil {
			return zero, fmt.Errorf("decode %s response: %w", what, jerr)
		}
		return res, nil
	}
	if jerr != nil || !has(res) {
		res = zero
	}
	return res, errorFrom(resp.StatusCode, b)
}

// Get returns the latest version of the object id.
func (c *Client) Get(ctx context.Context, id string) (projection.Version, error) {
	var v projection.Version
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "objects", id}}, &v)
	return v, err
}

// Versions returns every version of the object id, oldest first.
func (c *Client) Versions(ctx context.Context, id string) ([]projection.Version, error) {
	var vs api.VersionsResponse
	err := c.call(ctx, request{
		method: http.MethodGet, path: []string{"v1", "objects", id},
		query: url.Values{"versions": {"all"}},
	}, &vs)
	return vs.Versions, err
}

// Search returns one page of the versions matching q.
func (c *Client) Search(ctx context.Context, q projection.Query) (projection.Page, error) {
	var p projection.Page
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "search"}, query: api.EncodeQuery(q)}, &p)
	return p, err
}

// SearchAll yields every version matching q, following the pages' cursors
// from q.Cursor on. It stops at the first error, which it yields.
func (c *Client) SearchAll(ctx context.Context, q projection.Query) iter.Seq2[projection.Version, error] {
	return func(yield func(projection.Version, error) bool) {
		for {
			page, err := c.Search(ctx, q)
			if err != nil {
				yield(projection.Version{}, err)
				return
			}
			for _, v := range page.Items {
				if !yield(v, nil) {
					return
				}
			}
			if page.NextCursor == "" || page.NextCursor == q.Cursor {
				return
			}
			q.Cursor = page.NextCursor
		}
	}
}

// Outcome returns what the ledger decided about the transaction txHash;
// errs.NotFound if it is not (yet) committed.
func (c *Client) Outcome(ctx context.Context, txHash string) (intake.Outcome, error) {
	var out intake.Outcome
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "txs", txHash}}, &out)
	return out, err
}

// Status describes the node and its view of the ledger.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	var st api.Status
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "status"}}, &st)
	return st, err
}

// Members lists the community's members.
func (c *Client) Members(ctx context.Context) ([]api.Member, error) {
	var ms api.MembersResponse
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "members"}}, &ms)
	return ms.Members, err
}

// CreateToken creates an API token with role; the result holds its secret,
// which the node never shows again. It needs an admin token.
func (c *Client) CreateToken(ctx context.Context, name string, role auth.Role) (api.CreatedToken, error) {
	body, err := json.Marshal(api.CreateTokenRequest{Name: name, Role: role})
	if err != nil {
		return api.CreatedToken{}, fmt.Errorf("encode token request: %w", err)
	}
	var ct api.CreatedToken
	err = c.call(ctx, request{
		method: http.MethodPost, path: []string{"v1", "tokens"},
		contentType: "application/json", body: body,
	}, &ct)
	return ct, err
}

// ListTokens lists the node's API tokens (never their secrets). It needs an
// admin token.
func (c *Client) ListTokens(ctx context.Context) ([]auth.Token, error) {
	var ts api.TokensResponse
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "tokens"}}, &ts)
	return ts.Tokens, err
}

// RevokeToken revokes the API token id. It needs an admin token.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: []string{"v1", "tokens", id}}, nil)
}
