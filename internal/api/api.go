// Package api is Phalanx's REST JSON API: publish STIX objects, read and
// search what the ledger committed, follow transactions, inspect the node,
// propose and vote on governance changes as the node's member, and manage
// the node's API tokens.
//
// Every route except /healthz and the OpenAPI document needs an
// "Authorization: Bearer <token>" header; the token's role decides what it
// may do. Errors are JSON objects {"error":{"code":..,"message":..}} whose
// code is one of the codes of package errs, mapped to an HTTP status in one
// table (see StatusOf). The document served at /openapi.json (and, as the
// same JSON, which is valid YAML, at /openapi.yaml) describes every route.
//
// The package depends only on small interfaces (Backend, Tokens) declared
// here, so the node wires the real ledger and token store and tests wire
// fakes (see package apitest).
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Defaults and limits of Config.
const (
	// DefaultMaxBodyBytes is the largest request body accepted by default.
	DefaultMaxBodyBytes int64 = 16 << 20
	// DefaultPublishTimeout bounds how long POST /v1/objects?wait=true waits
	// for commits when Config.PublishTimeout is zero.
	DefaultPublishTimeout = 60 * time.Second
	// MaxPublishTimeout is the largest Config.PublishTimeout; it stays below
	// the write timeout Serve sets.
	MaxPublishTimeout = 5 * time.Minute
)

// Backend is what the API needs from the node: the intake pipeline, the
// ledger's transaction outcomes, the projection and the node's state.
type Backend interface {
	// Publish validates body (a STIX bundle or a single object), signs it
	// into transactions and hands them to the mempool. Bad input yields an
	// *errs.Error with code Invalid, TooLarge or Unavailable.
	Publish(ctx context.Context, body []byte) ([]intake.Submission, error)
	// Wait blocks until the transaction is committed and queryable, or ctx
	// is done (then it returns ctx's error). An unknown hash may yield
	// errs.NotFound.
	Wait(ctx context.Context, txHash string) (intake.Outcome, error)
	// Outcome looks a committed transaction up without blocking; errs.NotFound
	// if it is not (yet) committed.
	Outcome(ctx context.Context, txHash string) (intake.Outcome, error)
	// Get returns the latest version of the object id, or every version when
	// all is set; an empty result means the object is unknown.
	Get(ctx context.Context, id string, all bool) ([]projection.Version, error)
	// Search returns one page of object versions matching q.
	Search(ctx context.Context, q projection.Query) (projection.Page, error)
	// Status describes the node and its view of the ledger.
	Status(ctx context.Context) (Status, error)
	// Members lists the community's members as the ledger records them.
	Members(ctx context.Context) ([]Member, error)
	// Propose signs and submits a governance proposal as this member.
	Propose(ctx context.Context, p ledger.Propose) (intake.Submission, error)
	// Vote signs and submits this member's vote (yes, no, abstain).
	Vote(ctx context.Context, proposal uint64, choice string) (intake.Submission, error)
	// Proposals lists the ledger's proposals, newest first.
	Proposals(ctx context.Context) ([]ProposalView, error)
	// Proposal returns one proposal with its current votes; errs.NotFound
	// if there is none.
	Proposal(ctx context.Context, id uint64) (ProposalView, error)
	// Params returns the community parameters in force.
	Params(ctx context.Context) (ledger.Params, error)
}

// ProposalView is a proposal with the members' current votes.
type ProposalView struct {
	ledger.Proposal
	Votes map[string]string `json:"votes"` // member id → yes, no or abstain
}

// Tokens is the node's store of API credentials.
type Tokens interface {
	// Authenticate returns the token whose secret is secret, or an
	// errs.Unauthenticated error.
	Authenticate(ctx context.Context, secret string) (auth.Token, error)
	// CreateToken makes a token and returns its secret, shown only once.
	// An unknown role yields errs.Invalid.
	CreateToken(ctx context.Context, name string, role auth.Role) (string, auth.Token, error)
	// ListTokens lists the tokens (never their secrets).
	ListTokens(ctx context.Context) ([]auth.Token, error)
	// RevokeToken deletes a token; errs.NotFound if there is none with id.
	RevokeToken(ctx context.Context, id string) error
}

// AuthorizeFunc decides whether tok may perform a; it returns nil or an
// errs.Forbidden error. The node passes auth.Authorize.
type AuthorizeFunc func(tok auth.Token, a auth.Action) error

// Status describes a node and its view of the ledger.
type Status struct {
	API           string    `json:"api"`             // base URL of this API
	Member        string    `json:"member"`          // id of the member running the node
	ChainID       string    `json:"chain_id"`        // CometBFT chain id
	Height        int64     `json:"height"`          // last committed block height
	AppHash       string    `json:"app_hash"`        // app hash of that block, upper-case hex
	LastBlockTime time.Time `json:"last_block_time"` // block time of that block
	Records       uint64    `json:"records"`         // records in the ledger's Merkle log
	Projected     uint64    `json:"projected"`       // records the projection has indexed
	NodeID        string    `json:"node_id"`         // CometBFT node id
	Validators    int       `json:"validators"`      // size of the validator set
	CatchingUp    bool      `json:"catching_up"`     // whether the node is still syncing
	Version       string    `json:"version"`         // Phalanx software version
}

// Member is one member of the community as the ledger records it.
type Member struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	SignKey      string   `json:"sign_key"`      // Ed25519 public key, base64
	SealKey      string   `json:"seal_key"`      // X25519 public key, base64
	ValidatorKey string   `json:"validator_key"` // CometBFT validator public key, base64
	Power        int64    `json:"power"`         // voting power
	Sectors      []string `json:"sectors"`
	Regions      []string `json:"regions"`
	Technologies []string `json:"technologies"`
	Status       string   `json:"status"` // e.g. "active", "removed"
	JoinHeight   int64    `json:"join_height"`
}

// Config configures a Server. Backend, Tokens and Authorize are required.
type Config struct {
	Backend   Backend
	Tokens    Tokens
	Authorize AuthorizeFunc
	// Logger receives the access log and internal errors; nil discards.
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// PublishTimeout is the default and the largest wait of
	// POST /v1/objects?wait=true; 0 means DefaultPublishTimeout.
	PublishTimeout time.Duration
	// Proofs serves the proof and checkpoint routes; nil answers them 503.
	Proofs Proofs
	// Health, if set, is asked before every read: an error (the node found
	// its projection or keys altered) is returned instead of the data.
	Health func(context.Context) error
	// TAXII, when set, serves everything under /taxii2/ (package taxii),
	// with its own authentication and TAXII error messages.
	TAXII http.Handler
	// Exporter, when set, serves GET /v1/export/{format}.
	Exporter Exporter
}

// Server serves the API. Create it with New.
type Server struct {
	backend        Backend
	tokens         Tokens
	authorize      AuthorizeFunc
	log            *slog.Logger
	maxBody        int64
	publishTimeout time.Duration
	proofs         Proofs
	health         func(context.Context) error
	taxii          http.Handler
	exporter       Exporter
	mux            *http.ServeMux
}

// New validates cfg, applies its defaults and returns a Server.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		backend:        cfg.Backend,
		tokens:         cfg.Tokens,
		authorize:      cfg.Authorize,
		log:            cfg.Logger,
		maxBody:        cfg.MaxBodyBytes,
		publishTimeout: cfg.PublishTimeout,
		proofs:         cfg.Proofs,
		health:         cfg.Health,
		taxii:          cfg.TAXII,
		exporter:       cfg.Exporter,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.publishTimeout == 0 {
		s.publishTimeout = DefaultPublishTimeout
	}
	s.mux = s.newMux()
	return s, nil
}

func (c Config) validate() error {
	switch {
	case c.Backend == nil:
		return errors.New("api: Config.Backend is required")
	case c.Tokens == nil:
		return errors.New("api: Config.Tokens is required")
	case c.Authorize == nil:
		return errors.New("api: Config.Authorize is required")
	case c.MaxBodyBytes < 0:
		return errors.New("api: Config.MaxBodyBytes must not be negative")
	case c.PublishTimeout < 0 || c.PublishTimeout > MaxPublishTimeout:
		return errors.New("api: Config.PublishTimeout must be between 0 and " + MaxPublishTimeout.String())
	}
	return nil
}

// Handler returns the API's HTTP handler, with access logging and panic
// recovery.
func (s *Server) Handler() http.Handler {
	return s.logRequests(s.recoverPanics(http.HandlerFunc(s.route)))
}
