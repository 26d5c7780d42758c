package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
)

// Subscribe adds a subscription for the token's user.
func (c *Client) Subscribe(ctx context.Context, req api.SubscriptionRequest) (relevance.Subscription, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return relevance.Subscription{}, fmt.Errorf("encode subscription: %w", err)
	}
	var out relevance.Subscription
	err = c.call(ctx, request{method: http.MethodPost, path: []string{"v1", "subscriptions"},
		contentType: "application/json", body: body}, &out)
	return out, err
}

// Subscriptions lists the token's user's subscriptions.
func (c *Client) Subscriptions(ctx context.Context) ([]relevance.Subscription, error) {
	var out []relevance.Subscription
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "subscriptions"}}, &out)
	return out, err
}

// Unsubscribe deletes one of the token's user's subscriptions.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: []string{"v1", "subscriptions", id}}, nil)
}

// Feed returns one page of the token's user's ranked feed.
func (c *Client) Feed(ctx context.Context, cursor string, limit int) (api.FeedPage, error) {
	q := url.Values{}
	setPage(q, cursor, limit)
	var out api.FeedPage
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "feed"}, query: q}, &out)
	return out, err
}

// Notifications returns one page of the token's user's notifications.
func (c *Client) Notifications(ctx context.Context, unread bool, cursor string, limit int) (api.NotificationPage, error) {
	q := url.Values{}
	setPage(q, cursor, limit)
	if unread {
		q.Set("unread", "true")
	}
	var out api.NotificationPage
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "notifications"}, query: q}, &out)
	return out, err
}

// MarkRead marks one of the token's user's notifications read.
func (c *Client) MarkRead(ctx context.Context, id int64) (relevance.Notification, error) {
	var out relevance.Notification
	err := c.call(ctx, request{method: http.MethodPost, path: []string{"v1", "notifications", strconv.FormatInt(id, 10), "read"}}, &out)
	return out, err
}

// UpdateProfile replaces this node's member's profile on the ledger.
func (c *Client) UpdateProfile(ctx context.Context, p ledger.ProfileUpdate, wait bool) (PublishResult, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return PublishResult{}, fmt.Errorf("encode profile: %w", err)
	}
	return c.postTx(ctx, []string{"v1", "profile"}, body, wait)
}

func setPage(q url.Values, cursor string, limit int) {
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
}
