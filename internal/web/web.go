// Package web is the analyst's web UI that every node serves at "/" beside
// its REST API: server-rendered pages (html/template, embedded with
// go:embed, a few lines of optional JavaScript) for the dashboard, intel
// search and object pages, publishing, the community's members and
// proposals, the ledger explorer and the node's tokens.
//
// Signing in takes one of the node's API tokens; the browser then holds a
// random session id in an HttpOnly, SameSite=Lax cookie (Secure when the
// node serves TLS) and every state-changing form carries the session's
// CSRF token, checked on POST together with the request's origin. The
// token's role decides what the session may do, exactly as in the API, and
// a revoked token ends its sessions at once.
//
// Like package api, the UI depends only on small interfaces: the API's
// Backend and Tokens, a session store, and optional capabilities that
// later features plug in (Chain for the ledger explorer, Alerts for the
// detection matcher's alerts, Proofs for proof pages and checkpoints, Clearance for which
// records a viewer may see, Markings for the TLP levels this node can
// publish). A missing capability hides its part of a page.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/web/session"
)

// DefaultSessionTTL is how long a sign-in lasts when Config.SessionTTL is
// zero.
const DefaultSessionTTL = 8 * time.Hour

// Sessions is the store of signed-in browsers (package session).
type Sessions interface {
	Create(ctx context.Context, tokenID, role string, ttl time.Duration) (string, session.Session, error)
	Get(ctx context.Context, id string) (session.Session, error)
	Delete(ctx context.Context, id string) error
	DeleteForToken(ctx context.Context, tokenID string) error
}

var _ Sessions = (*session.Store)(nil)

// Alerts is where the dashboard reads the node's recent local alerts from
// (the detection matcher, when the node has one).
type Alerts interface {
	// RecentAlerts returns at most n alerts, newest first.
	RecentAlerts(ctx context.Context, n int) ([]Alert, error)
}

// Alert is one local detection alert.
type Alert struct {
	Time    time.Time
	Object  string // STIX id of the intel that matched
	Summary string
}

// Proofs serves the proofs of records and the signed checkpoints they are
// proven against (package prover satisfies it): the object page links to
// its proof, the proof page renders and verifies it, the ledger explorer
// shows the checkpoints.
type Proofs interface {
	// Bundle returns the proof bundle of one version of a record.
	Bundle(ctx context.Context, id, version string) (*proof.Bundle, error)
	// Checkpoint returns the signed checkpoint at height.
	Checkpoint(ctx context.Context, height int64) (proof.SignedCheckpoint, proof.Checkpoint, error)
	// Latest is the newest height with a signed checkpoint.
	Latest() int64
}

// Clearance decides which records a viewer may see. Every record the UI
// shows (lists, object pages, graphs, the dashboard) passes through it.
type Clearance interface {
	Visible(v Viewer, rec projection.Version) bool
}

// Markings lists the TLP levels ("clear", "green", "amber", "amber+strict",
// "red") this node can publish. Without it the UI offers CLEAR and GREEN
// only: anything above GREEN must be sealed for its recipients, and a node
// that cannot seal must not publish it in plaintext.
type Markings interface {
	PublishableLevels() []string
}

// Viewer is the signed-in user of a request.
type Viewer struct {
	TokenID string
	Name    string
	Role    string
	CSRF    string
	// Access is what the user may read (TLP clearance, client, grants):
	// every record on every page passes access.MayRead with it.
	Access access.Viewer
	// Owner names the user as the owner of subscriptions and
	// notifications (api.OwnerOf).
	Owner string
}

// Config configures a Server. Backend, Tokens and Sessions are required;
// the rest is optional.
type Config struct {
	Backend   api.Backend
	Tokens    api.Tokens
	Sessions  Sessions
	Chain     Chain     // ledger explorer; nil hides it
	Alerts    Alerts    // nil: no alerts
	Proofs    Proofs    // nil: no proof pages or checkpoints
	Clearance Clearance // nil: access.MayRead with the user's clearance
	Markings  Markings  // nil: CLEAR and GREEN
	// Secure marks cookies Secure; set it when the node serves TLS.
	Secure bool
	// SessionTTL is how long a sign-in lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// PublishWait bounds how long the publish form waits for a commit
	// before showing the progress page instead; 0 means 20 seconds.
	PublishWait time.Duration
	Logger      *slog.Logger
	Now         func() time.Time // nil: time.Now
}

// Server serves the web UI. Create it with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	pages   pages
	imports imports // imports started from the publish page
}

// New validates cfg, applies its defaults and parses the templates.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Backend == nil:
		return nil, errors.New("web: Config.Backend is required")
	case cfg.Tokens == nil:
		return nil, errors.New("web: Config.Tokens is required")
	case cfg.Sessions == nil:
		return nil, errors.New("web: Config.Sessions is required")
	case cfg.SessionTTL < 0 || cfg.PublishWait < 0:
		return nil, errors.New("web: durations must not be negative")
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.PublishWait == 0 {
		cfg.PublishWait = 20 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	s.imports.ctx, s.imports.cancel = context.WithCancel(context.Background())
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// IsAPIPath reports whether path belongs to the REST API rather than the
// UI (REST under /v1/, TAXII 2.1 under /taxii2/, health and the OpenAPI
// document): the node's combined handler sends those to the API.
func IsAPIPath(path string) bool {
	switch path {
	case "/healthz", "/openapi.json", "/openapi.yaml", "/taxii2":
		return true
	}
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/taxii2/")
}

// WithAPI returns the node's combined handler: API paths go to apiHandler,
// everything else to the UI.
func (s *Server) WithAPI(apiHandler http.Handler) http.Handler {
	ui := s.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsAPIPath(r.URL.Path) {
			apiHandler.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
}
