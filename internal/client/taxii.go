package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/taxii"
)

// maxKnownIDs is how many ids one manifest request asks about (the TAXII
// server's limit on match[id] values).
const maxKnownIDs = 100

// KnownVersions asks the node's TAXII manifest which of ids the ledger
// holds, and in which versions (for SCOs, their date added). Ids the
// caller may not read count as unknown.
func (c *Client) KnownVersions(ctx context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for start := 0; start < len(ids); start += maxKnownIDs {
		chunk := ids[start:min(start+maxKnownIDs, len(ids))]
		next := ""
		for {
			m, err := c.manifest(ctx, chunk, next)
			if err != nil {
				return nil, err
			}
			for _, rec := range m.Objects {
				out[rec.ID] = append(out[rec.ID], rec.Version)
			}
			if !m.More || m.Next == "" {
				break
			}
			next = m.Next
		}
	}
	return out, nil
}

func (c *Client) manifest(ctx context.Context, ids []string, next string) (taxii.Manifest, error) {
	q := url.Values{}
	q.Set("match[id]", strings.Join(ids, ","))
	q.Set("match[version]", "all")
	q.Set("limit", fmt.Sprint(taxii.MaxPageSize))
	if next != "" {
		q.Set("next", next)
	}
	u := c.base.JoinPath("taxii2", taxii.APIRoot, "collections", taxii.AliasAll, "manifest") // JoinPath drops a trailing slash
	u.Path += "/"
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return taxii.Manifest{}, fmt.Errorf("build manifest request: %w", err)
	}
	req.Header.Set("Accept", taxii.MediaType)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return taxii.Manifest{}, c.transportError(ctx, http.MethodGet, u.Path, err)
	}
	defer resp.Body.Close()
	var m taxii.Manifest
	if resp.StatusCode != http.StatusOK {
		var e taxii.Error
		json.NewDecoder(resp.Body).Decode(&e)
		return m, fmt.Errorf("TAXII manifest: HTTP %d: %s %s", resp.StatusCode, e.Title, e.Description)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return m, fmt.Errorf("decode TAXII manifest: %w", err)
	}
	return m, nil
}
