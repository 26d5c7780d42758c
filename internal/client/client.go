// Package client is a Go client for Phalanx's REST API (package api).
//
//	c, err := client.New("https://127.0.0.1:8443", token, client.WithCAFile("ca.pem"))
//	res, err := c.Publish(ctx, bundle, true)
//
// Errors the server reports come back as *errs.Error with the server's code
// and message, so callers can show a one-line reason or branch on
// errs.CodeOf. A node that cannot be reached yields errs.Unavailable; a done
// context yields an error wrapping the context's error.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// maxErrorBody caps how much of an error response the client reads.
const maxErrorBody = 1 << 20

// Client talks to one node's API with one token. It is safe for concurrent
// use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// Option configures a Client.
type Option func(*options) error

type options struct {
	hc    *http.Client
	roots *x509.CertPool
}

// WithHTTPClient makes the Client send requests with hc, as it is
// configured. It cannot be combined with WithRootCAs or WithCAFile.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		o.hc = hc
		return nil
	}
}

// WithRootCAs makes the Client trust the certificates in pool (instead of
// the system's) for a node serving TLS.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(o *options) error {
		if pool == nil {
			return errors.New("nil *x509.CertPool")
		}
		o.roots = pool
		return nil
	}
}

// WithCAFile makes the Client trust the PEM certificates in the file at
// path (instead of the system's), such as a node's self-signed certificate.
func WithCAFile(path string) Option {
	return func(o *options) error {
		pem, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("CA file %s holds no PEM certificate", path)
		}
		o.roots = pool
		return nil
	}
}

// New returns a Client for the API at baseURL (such as
// "https://127.0.0.1:8443") that authenticates with token.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: invalid API URL %q: %w", baseURL, err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("client: invalid API URL %q: want http:// or https:// and a host", baseURL)
	}
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	hc, err := o.httpClient()
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return &Client{base: base, token: token, hc: hc}, nil
}

func (o options) httpClient() (*http.Client, error) {
	switch {
	case o.hc != nil && o.roots != nil:
		return nil, errors.New("WithHTTPClient cannot be combined with WithRootCAs or WithCAFile")
	case o.hc != nil:
		return o.hc, nil
	case o.roots != nil:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: o.roots, MinVersion: tls.VersionTLS12}
		return &http.Client{Transport: tr}, nil
	}
	return &http.Client{}, nil
}

// BaseURL returns the API's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// request describes one API call.
type request struct {
	method      string
	path        []string // path segments, unescaped
	query       url.Values
	contentType string
	body        []byte
	stream      io.Reader // a body of unknown length, sent as it is read (instead of body)
}

// do sends req and returns the response with a 2xx status; any other status
// becomes an *errs.Error. The caller closes the body.
func (c *Client) do(ctx context.Context, req request) (*http.Response, error) {
	segs := make([]string, len(req.path))
	for i, s := range req.path {
		segs[i] = url.PathEscape(s)
	}
	u := c.base.JoinPath(segs...)
	u.RawQuery = req.query.Encode()
	hreq, err := http.NewRequestWithContext(ctx, req.method, u.String(), bytes.NewReader(req.body))
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", req.method, u.Path, err)
	}
	switch {
	case req.stream != nil:
		hreq.Body, hreq.ContentLength = io.NopCloser(req.stream), -1
	case req.body == nil:
		hreq.Body, hreq.ContentLength = http.NoBody, 0
	}
	if req.contentType != "" {
		hreq.Header.Set("Content-Type", req.contentType)
	}
	if c.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.token)
	}
	hreq.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, req.method, u.Path, err)
	}
	return resp, nil
}

// transportError explains a request that got no response.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", method, path, ctx.Err())
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &errs.Error{Code: errs.Unavailable, Message: fmt.Sprintf("cannot reach the node at %s: %v", c.base, err)}
}

// call sends req and decodes a 2xx response's JSON body into out (unless
// out is nil).
func (c *Client) call(ctx context.Context, req request, out any) error {
	resp, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response of %s %s: %w", req.method, resp.Request.URL.Path, err)
	}
	return nil
}

// decodeError turns a non-2xx response into an *errs.Error, using the
// server's error body when there is one.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return errorFrom(resp.StatusCode, b)
}

func errorFrom(status int, body []byte) error {
	var eb api.ErrorBody
	if err := json.Unmarshal(body, &eb); err == nil && eb.Error.Code != "" {
		return &errs.Error{Code: eb.Error.Code, Message: eb.Error.Message}
	}
	return &errs.Error{
		Code:    api.CodeOfStatus(status),
		Message: fmt.Sprintf("the node answered HTTP %d %s", status, http.StatusText(status)),
	}
}
