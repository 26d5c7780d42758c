package api

import (
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// The request and response bodies of the API, shared with package client.

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error as the API reports it: a code of package errs and
// a message safe to show to the caller.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Transaction is one transaction of a publish request: what the mempool
// said of it and, once committed, what the ledger decided.
type Transaction struct {
	TxHash   string                 `json:"tx_hash"`           // upper-case hex
	Objects  []string               `json:"objects,omitempty"` // STIX ids carried, in order
	Height   int64                  `json:"height,omitempty"`  // 0 until committed
	Code     uint32                 `json:"code"`              // 0 when accepted
	Codename string                 `json:"codename"`
	Log      string                 `json:"log,omitempty"`
	Records  []intake.RecordOutcome `json:"records,omitempty"` // records the commit added
}

// Committed reports whether the transaction is known to be committed.
func (t Transaction) Committed() bool { return t.Height > 0 }

// PublishResult is the body of POST /v1/objects. Error is set when the
// request failed after transactions were submitted (some were rejected, or
// waiting for their commit failed); Transactions then still says what
// happened to each.
type PublishResult struct {
	Transactions []Transaction `json:"transactions"`
	Accepted     int           `json:"accepted"` // objects in transactions accepted so far
	Rejected     int           `json:"rejected"` // objects in rejected transactions
	Error        *ErrorDetail  `json:"error,omitempty"`
	// Warnings name indicator values on the node's warninglists (published
	// all the same).
	Warnings []string `json:"warnings,omitempty"`
}

// VersionsResponse is the body of GET /v1/objects/{id}?versions=all.
type VersionsResponse struct {
	Versions []projection.Version `json:"versions"`
}

// MembersResponse is the body of GET /v1/members.
type MembersResponse struct {
	Members []Member `json:"members"`
}

// TokensResponse is the body of GET /v1/tokens.
type TokensResponse struct {
	Tokens []auth.Token `json:"tokens"`
}

// CreateTokenRequest is the body of POST /v1/tokens.
type CreateTokenRequest struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
}

// CreatedToken is the body of a successful POST /v1/tokens: the token and
// its secret, which the node never shows again.
type CreatedToken struct {
	Token   string    `json:"token"` // the secret, for "Authorization: Bearer"
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    auth.Role `json:"role"`
	Created time.Time `json:"created"`
}

// GovResult is the body of POST /v1/gov/proposals and of POST
// /v1/gov/proposals/{id}/votes: what the mempool (and, once committed, the
// ledger) said of the transaction. Proposal is the proposal the transaction
// opened or voted on, when it was waited for and committed. Error is set
// when the transaction was rejected or waiting for it failed.
type GovResult struct {
	Transaction Transaction   `json:"transaction"`
	Proposal    *ProposalView `json:"proposal,omitempty"`
	Error       *ErrorDetail  `json:"error,omitempty"`
}

// VoteRequest is the body of POST /v1/gov/proposals/{id}/votes.
type VoteRequest struct {
	Choice string `json:"choice"` // yes, no or abstain
}

// ProposalsResponse is the body of GET /v1/gov/proposals.
type ProposalsResponse struct {
	Proposals []ProposalView `json:"proposals"` // newest first
}
