package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/alerts"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// MatchOptions are the parameters of POST /v1/match.
type MatchOptions struct {
	Format string   // text, jsonl, eve, zeek, csv; "" lets the node detect it
	Fields []string // structured formats: only these fields
	Exact  bool     // no CIDR or subdomain matching
	Source string   // name reported in hits
}

// Match streams telemetry from r to the node, which matches it against the
// member's indicators, and calls fn with every hit in input order. It
// returns the node's summary, or the error that ended the scan.
func (c *Client) Match(ctx context.Context, r io.Reader, o MatchOptions, fn func(detect.Hit) error) (detect.Stats, error) {
	q := url.Values{}
	if o.Format != "" {
		q.Set("format", o.Format)
	}
	for _, f := range o.Fields {
		q.Add("field", f)
	}
	if o.Exact {
		q.Set("exact", "true")
	}
	if o.Source != "" {
		q.Set("source", o.Source)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: []string{"v1", "match"}, query: q,
		contentType: "application/octet-stream", stream: r})
	if err != nil {
		return detect.Stats{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return detect.Stats{}, decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l api.MatchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return detect.Stats{}, fmt.Errorf("decode match response line: %w", err)
		}
		switch {
		case l.Error != nil:
			return detect.Stats{}, &errs.Error{Code: l.Error.Code, Message: l.Error.Message}
		case l.Summary != nil:
			return *l.Summary, nil
		case l.Hit != nil:
			if err := fn(*l.Hit); err != nil {
				return detect.Stats{}, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return detect.Stats{}, c.transportError(ctx, http.MethodPost, "/v1/match", err)
	}
	return detect.Stats{}, &errs.Error{Code: errs.Unavailable, Message: "the node ended the match stream without a summary"}
}

// Alerts lists the node's local alerts last seen at or after since (zero:
// all), most recent first, at most limit (0: the node's default).
func (c *Client) Alerts(ctx context.Context, since time.Time, limit int) ([]alerts.Alert, error) {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.AlertsResponse
	if err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "alerts"}, query: q}, &out); err != nil {
		return nil, err
	}
	return out.Alerts, nil
}
