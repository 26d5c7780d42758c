// Package taxii is the node's TAXII 2.1 server (OASIS TAXII Version 2.1,
// 10 June 2021), mounted by the REST API at /taxii2/.
//
// It serves discovery, one API root ("phalanx"), the collections a caller
// may read, objects (GET, POST), object (GET, DELETE), versions, manifest
// and status. Every read goes through one access.Policy, which turns the
// caller into a read scope the projection applies. POST publishes through
// the node's intake pipeline and answers 202 with a status resource that
// moves from pending to complete as the ledger commits; status resources
// are kept in a small SQLite file so they survive a restart. DELETE
// publishes a revoking version (the ledger keeps history; only the
// object's author, this node's member, may revoke).
//
// Authentication: "Authorization: Bearer <token>" or HTTP Basic with any
// user name and the API token as the password. When enabled, anonymous
// callers see one collection of TLP:CLEAR objects and nothing else.
package taxii

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Media types (TAXII 2.1 §1.6.8).
const (
	MediaType     = "application/taxii+json;version=2.1"
	STIXMediaType = "application/stix+json;version=2.1"
)

// Prefix is where the API mounts the server; APIRoot is the one API root's
// name below it.
const (
	Prefix  = "/taxii2/"
	APIRoot = "phalanx"
)

// Defaults of Config.
const (
	DefaultMaxContentLength int64 = 16 << 20
	DefaultDeleteTimeout          = 30 * time.Second
	// StatusExpiry is how long a status item may stay pending before it is
	// reported as failed (the transaction left the mempool uncommitted).
	StatusExpiry = 10 * time.Minute
)

// Reader is the read model the server pages through.
type Reader interface {
	List(ctx context.Context, q projection.ListQuery) (projection.ListPage, error)
}

// Publisher is the node's intake pipeline and transaction outcomes.
type Publisher interface {
	// Level is the TLP level an object would be published at; above
	// GREEN it must be sealed for recipients, which a TAXII POST cannot
	// name, so such objects fail.
	Level(o *stix.Object) (tlp.Level, error)
	PublishObjects(ctx context.Context, objs []*stix.Object) ([]intake.Submission, error)
	Wait(ctx context.Context, txHash string) (intake.Outcome, error)
	Outcome(ctx context.Context, txHash string) (intake.Outcome, error)
}

// Authenticator checks API token secrets.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Token, error)
	// Viewer is what the token may read (its user's clearance).
	Viewer(ctx context.Context, tok auth.Token) (access.Viewer, error)
}

// Config configures a Server. Reader, Publisher, Tokens, Policy, Member
// and StatusDB are required.
type Config struct {
	Reader    Reader
	Publisher Publisher
	Tokens    Authenticator
	Policy    access.Policy
	// Member is the id of the node's member: the author of what the node
	// publishes, and of the "own publications" collection.
	Member string
	// StatusDB is the SQLite file for status resources.
	StatusDB string
	// PublicClear offers an unauthenticated TLP:CLEAR collection.
	PublicClear bool
	// MaxContentLength caps POST bodies; 0 means DefaultMaxContentLength.
	MaxContentLength int64
	// DeleteTimeout bounds how long DELETE waits for the revocation to
	// commit; 0 means DefaultDeleteTimeout.
	DeleteTimeout time.Duration
	Logger        *slog.Logger
	// Now is the clock (status timestamps, revocation times); nil means
	// time.Now.
	Now func() time.Time
}

// Server serves TAXII 2.1. Create it with New; Close it.
type Server struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	statuses *statusStore
	mux      *http.ServeMux
}

// New validates cfg, opens the status store and returns a Server.
func New(ctx context.Context, cfg Config) (*Server, error) {
	switch {
	case cfg.Reader == nil, cfg.Publisher == nil, cfg.Tokens == nil, cfg.Policy == nil:
		return nil, errors.New("taxii: Config.Reader, Publisher, Tokens and Policy are required")
	case cfg.Member == "" || cfg.StatusDB == "":
		return nil, errors.New("taxii: Config.Member and StatusDB are required")
	case cfg.MaxContentLength < 0 || cfg.DeleteTimeout < 0:
		return nil, errors.New("taxii: Config.MaxContentLength and DeleteTimeout must not be negative")
	}
	if cfg.MaxContentLength == 0 {
		cfg.MaxContentLength = DefaultMaxContentLength
	}
	if cfg.DeleteTimeout == 0 {
		cfg.DeleteTimeout = DefaultDeleteTimeout
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.statuses, err = openStatusStore(ctx, cfg.StatusDB); err != nil {
		return nil, fmt.Errorf("taxii: open status store %s: %w", cfg.StatusDB, err)
	}
	s.mux = s.newMux()
	return s, nil
}

// Close closes the status store.
func (s *Server) Close() error { return s.statuses.close() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r) // sets the path values
		return
	}
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, taxiiErr(http.StatusMethodNotAllowed, "method not allowed",
			"method %s is not allowed for %s; allowed: %s", r.Method, r.URL.Path, probe.header.Get("Allow")))
		return
	}
	s.writeError(w, r, taxiiErr(http.StatusNotFound, "not found", "no TAXII resource at %s", r.URL.Path))
}

// probeWriter records what the mux would answer, discarding the body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) WriteHeader(st int) {
	if p.status == 0 {
		p.status = st
	}
}
func (p *probeWriter) Write(b []byte) (int, error) { p.WriteHeader(http.StatusOK); return len(b), nil }
