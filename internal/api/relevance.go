package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Relevance is the optional capability of a Backend that keeps per-user
// subscriptions, ranks each user's feed and stores its notifications
// (package relevance). Owner is the caller: its user name, or "token:" and
// the token id for a credential without a user account.
type Relevance interface {
	Subscriptions(ctx context.Context, owner string) ([]relevance.Subscription, error)
	// Subscribe validates and stores a subscription for owner.
	Subscribe(ctx context.Context, owner string, s relevance.Subscription) (relevance.Subscription, error)
	// Unsubscribe deletes owner's subscription id (errs.NotFound if none).
	Unsubscribe(ctx context.Context, owner, id string) error
	// Feed ranks what v may read for owner and returns one page.
	Feed(ctx context.Context, owner string, v access.Viewer, cursor string, limit int) (FeedPage, error)
	// Notifications returns a page of owner's notifications, newest first.
	Notifications(ctx context.Context, owner string, unread bool, cursor string, limit int) (NotificationPage, error)
	// MarkRead marks owner's notification id read (errs.NotFound if none).
	MarkRead(ctx context.Context, owner string, id int64) (relevance.Notification, error)
}

// SubscriptionRequest is the body of POST /v1/subscriptions.
type SubscriptionRequest struct {
	Name    string           `json:"name"`
	Filter  relevance.Filter `json:"filter"`
	Notify  bool             `json:"notify"`
	Webhook string           `json:"webhook,omitempty"`
}

// FeedEntry is one record of a user's feed, with why it is where it is.
type FeedEntry struct {
	Tier    int                `json:"tier"` // 2 subscribed, 1 profile, 0 recent
	Reasons []relevance.Reason `json:"reasons"`
	Record  projection.Version `json:"record"`
}

// FeedPage is one page of GET /v1/feed.
type FeedPage struct {
	Items      []FeedEntry `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty"`
	// Window is how many of the newest readable records were ranked.
	Window int `json:"window"`
}

// NotificationPage is one page of GET /v1/notifications.
type NotificationPage struct {
	Items      []relevance.Notification `json:"items"`
	NextCursor string                   `json:"next_cursor,omitempty"`
}

// MaxFeedLimit is the largest page of the feed and of notifications.
const MaxFeedLimit = 200

func (s *Server) relevance() (Relevance, error) {
	rl, ok := s.backend.(Relevance)
	if !ok {
		return nil, errs.Errorf(errs.Invalid, "this node keeps no subscriptions, feed or notifications")
	}
	return rl, nil
}

// OwnerOf is who owns the subscriptions and notifications of a token: its
// user, or for a token without a user account the token itself ("token:"
// and its id). The web UI uses it to call Relevance for a session.
func OwnerOf(tok auth.Token) string {
	if tok.User != "" {
		return tok.User
	}
	return "token:" + tok.ID
}

// owner is the caller as an owner of subscriptions and notifications.
func owner(ctx context.Context) (string, error) {
	tok, ok := tokenFrom(ctx)
	if !ok {
		return "", errs.Errorf(errs.Unauthenticated, "no credential")
	}
	return OwnerOf(tok), nil
}

// listSubscriptions handles GET /v1/subscriptions.
func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	rl, who, err := s.relevanceOwner(r)
	if err != nil {
		return err
	}
	subs, err := rl.Subscriptions(r.Context(), who)
	if err != nil {
		return fmt.Errorf("list subscriptions: %w", err)
	}
	if subs == nil {
		subs = []relevance.Subscription{}
	}
	writeJSON(w, http.StatusOK, subs)
	return nil
}

// subscribe handles POST /v1/subscriptions.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	var req SubscriptionRequest
	if err := readJSONBody(w, r, maxGovBody, "subscription", &req); err != nil {
		return err
	}
	rl, who, err := s.relevanceOwner(r)
	if err != nil {
		return err
	}
	// A webhook makes the node send HTTP requests where the subscriber
	// says: only the member's admins may aim it (no reader-made requests
	// to internal addresses).
	if tok, _ := tokenFrom(r.Context()); req.Webhook != "" && tok.Role != auth.RoleAdmin {
		return errs.Errorf(errs.Forbidden, "only an admin may set a webhook; subscribe without one, or ask an admin")
	}
	sub, err := rl.Subscribe(r.Context(), who, relevance.Subscription{Name: req.Name, Filter: req.Filter, Notify: req.Notify, Webhook: req.Webhook})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

// unsubscribe handles DELETE /v1/subscriptions/{id}.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	rl, who, err := s.relevanceOwner(r)
	if err != nil {
		return err
	}
	if err := rl.Unsubscribe(r.Context(), who, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// feed handles GET /v1/feed.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := allowParams(q, paramLimit, paramCursor); err != nil {
		return err
	}
	limit, err := feedLimit(q.Get(paramLimit))
	if err != nil {
		return err
	}
	rl, who, err := s.relevanceOwner(r)
	if err != nil {
		return err
	}
	viewer, err := s.viewer(r.Context())
	if err != nil {
		return err
	}
	page, err := rl.Feed(r.Context(), who, viewer, q.Get(paramCursor), limit)
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	items := page.Items[:0:0] // the backend filters too; this guards any backend
	for _, e := range page.Items {
		if access.MayRead(viewer, access.Label{ID: e.Record.ID, Level: tlp.Level(e.Record.TLP)}) {
			items = append(items, e)
		}
	}
	page.Items = items
	writeJSON(w, http.StatusOK, page)
	return nil
}

// listNotifications handles GET /v1/notifications.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := allowParams(q, paramLimit, paramCursor, "unread"); err != nil {
		return err
	}
	limit, err := feedLimit(q.Get(paramLimit))
	if err != nil {
		return err
	}
	unread, err := parseBool("unread", q.Get("unread"))
	if err != nil {
		return err
	}
	rl, who, err := s.relevanceOwner(r)
	if err != nil {
		return err
	}
	viewer, err := s.viewer(r.Context())
	if err != nil {
		return err
	}
	page, err := rl.Notifications(r.Context(), who, unread, q.Get(paramCursor), limit)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	// A clearance lowered since the notification was raised hides it.
	items := page.Items[:0:0]
	for _, n := range page.Items {
		l, err := tlp.Parse(n.TLP)
		if err == nil && access.MayRead(viewer, access.Label{ID: n.ObjectID, Level: l}) {
			items = append(items, n)
		}
	}
	page.Items = items
	writeJSON(w, http.StatusOK, page)
	return nil
}

// markRead handles POST /v1/notifications/{id}/read.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return errs.Errorf(errs.Invalid, "invalid notification id %q: want a positive number", r.PathValue("id"))
	}
	rl, who, err := s.relevanceOwner(r)
	if err != nil {
		return err
	}
	n, err := rl.MarkRead(r.Context(), who, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) relevanceOwner(r *http.Request) (Relevance, string, error) {
	rl, err := s.relevance()
	if err != nil {
		return nil, "", err
	}
	who, err := owner(r.Context())
	return rl, who, err
}

func feedLimit(v string) (int, error) {
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxFeedLimit {
		return 0, errs.Errorf(errs.Invalid, "invalid %s %q: want a number from 1 to %d", paramLimit, v, MaxFeedLimit)
	}
	return n, nil
}

// Profiles is the optional capability of a Backend that changes this
// member's profile on the ledger (a profile transaction).
type Profiles interface {
	UpdateProfile(ctx context.Context, p ledger.ProfileUpdate) (intake.Submission, error)
}

// updateProfile handles POST /v1/profile.
func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request) error {
	wait, timeout, err := parsePublishQuery(r.URL.Query(), s.publishTimeout)
	if err != nil {
		return err
	}
	var p ledger.ProfileUpdate
	if err := readJSONBody(w, r, maxGovBody, "profile", &p); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return errs.Errorf(errs.Invalid, "invalid profile: %v", err)
	}
	pr, ok := s.backend.(Profiles)
	if !ok {
		return errs.Errorf(errs.Invalid, "this node cannot change its member's profile")
	}
	sub, err := pr.UpdateProfile(r.Context(), p)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	return s.answerSubmissions(w, r, []intake.Submission{sub}, wait, timeout)
}
