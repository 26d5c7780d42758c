package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Export streams GET /v1/export/{format} to w: what the caller may read,
// added after since (zero: everything).
func (c *Client) Export(ctx context.Context, format string, since time.Time, w io.Writer) error {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: []string{"v1", "export", format}, query: q})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("export %s: %w", format, err)
	}
	return nil
}
