package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// maxGovBody caps the body of the governance POSTs: a proposal is a few
// keys, a title of at most 500 bytes and a handful of numbers.
const maxGovBody = 64 << 10

// govTx describes a governance transaction being answered.
type govTx struct {
	what    string // "proposal" or "vote on proposal 3", for messages
	wait    bool
	timeout time.Duration
	// find returns the proposal the transaction, committed at height,
	// opened or voted on.
	find func(ctx context.Context, height int64) (*ProposalView, error)
}

// propose handles POST /v1/gov/proposals.
func (s *Server) propose(w http.ResponseWriter, r *http.Request) error {
	wait, timeout, err := parsePublishQuery(r.URL.Query(), s.publishTimeout)
	if err != nil {
		return err
	}
	var p ledger.Propose
	if err := readJSONBody(w, r, maxGovBody, "proposal", &p); err != nil {
		return err
	}
	if p.Kind == "" {
		return errs.Errorf(errs.Invalid, "invalid proposal: kind is required (%s, %s, %s or %s)",
			ledger.KindAdmit, ledger.KindRemove, ledger.KindRotate, ledger.KindParams)
	}
	sub, err := s.backend.Propose(r.Context(), p)
	if err != nil {
		return fmt.Errorf("propose %s: %w", p.Kind, err)
	}
	return s.answerGov(w, r, sub, govTx{
		what: "proposal", wait: wait, timeout: timeout,
		find: func(ctx context.Context, height int64) (*ProposalView, error) {
			return s.openedProposal(ctx, p, height)
		},
	})
}

// vote handles POST /v1/gov/proposals/{id}/votes.
func (s *Server) vote(w http.ResponseWriter, r *http.Request) error {
	id, err := parseProposalID(r.PathValue("id"))
	if err != nil {
		return err
	}
	wait, timeout, err := parsePublishQuery(r.URL.Query(), s.publishTimeout)
	if err != nil {
		return err
	}
	var req VoteRequest
	if err := readJSONBody(w, r, maxGovBody, "vote", &req); err != nil {
		return err
	}
	if req.Choice == "" {
		return errs.Errorf(errs.Invalid, "invalid vote: choice is required (%s, %s or %s)",
			ledger.VoteYes, ledger.VoteNo, ledger.VoteAbstain)
	}
	sub, err := s.backend.Vote(r.Context(), id, req.Choice)
	if err != nil {
		return fmt.Errorf("vote on proposal %d: %w", id, err)
	}
	return s.answerGov(w, r, sub, govTx{
		what: fmt.Sprintf("vote on proposal %d", id), wait: wait, timeout: timeout,
		find: func(ctx context.Context, _ int64) (*ProposalView, error) {
			p, err := s.backend.Proposal(ctx, id)
			return &p, err
		},
	})
}

// answerGov writes what became of a submitted governance transaction: 202
// at once, or 200 once committed when waiting; 422 if the mempool or the
// block rejected it and 503 if waiting timed out, both with the
// transaction and an error.
func (s *Server) answerGov(w http.ResponseWriter, r *http.Request, sub intake.Submission, g govTx) error {
	res := GovResult{Transaction: Transaction{TxHash: sub.TxHash, Code: sub.Code, Codename: sub.Codename, Log: sub.Log}}
	if g.wait && sub.Code == 0 {
		ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
		err := s.waitTx(ctx, &res.Transaction, g.timeout)
		cancel()
		if err != nil {
			return s.writeGovError(w, r, res, err)
		}
	}
	if tx := res.Transaction; tx.Code != 0 {
		return s.writeGovError(w, r, res, errs.Errorf(errs.Rejected, "%s rejected: %s: %s", g.what, tx.Codename, tx.Log))
	}
	if !g.wait {
		writeJSON(w, http.StatusAccepted, res)
		return nil
	}
	res.Proposal = s.committedProposal(r, g, res.Transaction.Height)
	writeJSON(w, http.StatusOK, res)
	return nil
}

// committedProposal looks up the proposal of a committed transaction. The
// transaction is committed whatever the lookup says, so a failed lookup is
// logged and leaves the proposal out of the answer.
func (s *Server) committedProposal(r *http.Request, g govTx, height int64) *ProposalView {
	p, err := g.find(r.Context(), height)
	if err != nil || p == nil {
		s.log.WarnContext(r.Context(), "look up the proposal of a committed transaction",
			"path", r.URL.Path, "height", height, "err", err)
		return nil
	}
	p.Votes = votesOrEmpty(p.Votes)
	return p
}

// openedProposal finds the proposal with content that this node's member
// opened at height: the newest of its proposals of that block with equal
// content, else the newest of them.
func (s *Server) openedProposal(ctx context.Context, content ledger.Propose, height int64) (*ProposalView, error) {
	st, err := s.backend.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	ps, err := s.backend.Proposals(ctx)
	if err != nil {
		return nil, fmt.Errorf("list proposals: %w", err)
	}
	newestFirst(ps)
	var found *ProposalView
	for i := range ps {
		p := &ps[i]
		if p.Height < height {
			break // ids grow with height: the rest are older
		}
		if p.Height != height || p.Proposer != st.Member {
			continue
		}
		if sameContent(p.Content, content) {
			return p, nil
		}
		found = cmp.Or(found, p)
	}
	if found == nil {
		return nil, fmt.Errorf("no proposal by %s at height %d", st.Member, height)
	}
	return found, nil
}

// sameContent reports whether two proposals' contents encode alike.
func sameContent(a, b ledger.Propose) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

// listProposals handles GET /v1/gov/proposals.
// params answers GET /v1/gov/params: the community parameters in force.
func (s *Server) params(w http.ResponseWriter, r *http.Request) error {
	p, err := s.backend.Params(r.Context())
	if err != nil {
		return fmt.Errorf("read params: %w", err)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) listProposals(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.backend.Proposals(r.Context())
	if err != nil {
		return fmt.Errorf("list proposals: %w", err)
	}
	if ps == nil {
		ps = []ProposalView{}
	}
	newestFirst(ps)
	for i := range ps {
		ps[i].Votes = votesOrEmpty(ps[i].Votes)
	}
	writeJSON(w, http.StatusOK, ProposalsResponse{Proposals: ps})
	return nil
}

// getProposal handles GET /v1/gov/proposals/{id}.
func (s *Server) getProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := parseProposalID(r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.backend.Proposal(r.Context(), id)
	if err != nil {
		return fmt.Errorf("proposal %d: %w", id, err)
	}
	p.Votes = votesOrEmpty(p.Votes)
	writeJSON(w, http.StatusOK, p)
	return nil
}

// parseProposalID reads a proposal id of a path.
func parseProposalID(v string) (uint64, error) {
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errs.Errorf(errs.Invalid, "invalid proposal id %q: want a number", v)
	}
	return id, nil
}

// newestFirst orders proposals by descending id.
func newestFirst(ps []ProposalView) {
	slices.SortStableFunc(ps, func(a, b ProposalView) int { return cmp.Compare(b.ID, a.ID) })
}

// votesOrEmpty makes a proposal without votes show {} rather than null.
func votesOrEmpty(v map[string]string) map[string]string {
	if v == nil {
		return map[string]string{}
	}
	return v
}

// writeGovError writes a failed governance request: the error, and what
// became of the transaction.
func (s *Server) writeGovError(w http.ResponseWriter, r *http.Request, res GovResult, err error) error {
	d := detailOf(err)
	s.logIfInternal(r, d, err)
	res.Error = &d
	writeJSON(w, StatusOf(d.Code), res)
	return nil
}

// readJSONBody reads r's JSON body strictly into v; what names the body in
// errors.
func readJSONBody(w http.ResponseWriter, r *http.Request, limit int64, what string, v any) error {
	body, err := readBody(w, r, limit, "application/json")
	if err != nil {
		return err
	}
	if err := decodeStrict(body, v); err != nil {
		return errs.Errorf(errs.Invalid, "invalid %s: %v", what, err)
	}
	return nil
}
