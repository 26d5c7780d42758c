package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// Proofs is what the proof and checkpoint routes need from the node
// (package prover implements it).
type Proofs interface {
	// Bundle returns the proof bundle of one object version.
	Bundle(ctx context.Context, id, version string) (*proof.Bundle, error)
	// Checkpoint returns the signed checkpoint at height.
	Checkpoint(ctx context.Context, height int64) (proof.SignedCheckpoint, proof.Checkpoint, error)
	// Latest is the newest height with a signed checkpoint.
	Latest() int64
	// Checkpoints returns signed checkpoints from height since on (heights
	// whose state did not change are skipped) and the height to continue
	// from.
	Checkpoints(ctx context.Context, since int64, limit int) ([]proof.SignedCheckpoint, int64, error)
	// Consistency returns the consistency proof between two heights.
	Consistency(ctx context.Context, from, to int64) (*proof.ConsistencyProof, error)
}

// CheckpointsResponse is the body of GET /v1/checkpoints.
type CheckpointsResponse struct {
	Checkpoints []proof.SignedCheckpoint `json:"checkpoints"`
	Latest      int64                    `json:"latest"` // newest height with a signed checkpoint
	Next        int64                    `json:"next"`   // the since of the next page (> latest: up to date)
}

func (s *Server) proofsOrUnavailable() (Proofs, error) {
	if s.proofs == nil {
		return nil, errs.Errorf(errs.Unavailable, "this node does not serve proofs")
	}
	return s.proofs, nil
}

// getProof handles GET /v1/proofs/{id}?version=V.
func (s *Server) getProof(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proofsOrUnavailable()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := allowParams(q, "version"); err != nil {
		return err
	}
	id, version := r.PathValue("id"), q.Get("version")
	if !q.Has("version") {
		vs, err := s.backend.Get(r.Context(), id, false)
		if err != nil {
			return fmt.Errorf("proof of %s: %w", id, err)
		}
		if len(vs) == 0 {
			return errs.Errorf(errs.NotFound, "no object %s", id)
		}
		version = vs[len(vs)-1].Version
	}
	b, err := p.Bundle(r.Context(), id, version)
	if err != nil {
		return fmt.Errorf("proof of %s: %w", id, err)
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// getConsistency handles GET /v1/proofs/consistency?from=H1&to=H2.
func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proofsOrUnavailable()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := allowParams(q, "from", "to"); err != nil {
		return err
	}
	from, err := parseHeight("from", q.Get("from"))
	if err != nil {
		return err
	}
	to := p.Latest()
	if q.Has("to") {
		if to, err = parseHeight("to", q.Get("to")); err != nil {
			return err
		}
	}
	cp, err := p.Consistency(r.Context(), from, to)
	if err != nil {
		return fmt.Errorf("consistency proof: %w", err)
	}
	writeJSON(w, http.StatusOK, cp)
	return nil
}

// getCheckpoint handles GET /v1/checkpoints/{height}.
func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proofsOrUnavailable()
	if err != nil {
		return err
	}
	h, err := parseHeight("height", r.PathValue("height"))
	if err != nil {
		return err
	}
	sc, _, err := p.Checkpoint(r.Context(), h)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

// getLatestCheckpoint handles GET /v1/checkpoints/latest.
func (s *Server) getLatestCheckpoint(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proofsOrUnavailable()
	if err != nil {
		return err
	}
	sc, _, err := p.Checkpoint(r.Context(), p.Latest())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

// listCheckpoints handles GET /v1/checkpoints?since=H&limit=N.
func (s *Server) listCheckpoints(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proofsOrUnavailable()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := allowParams(q, "since", "limit"); err != nil {
		return err
	}
	var since int64
	if q.Has("since") {
		if since, err = parseHeight("since", q.Get("since")); err != nil {
			return err
		}
	}
	limit := 100
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > 1000 {
			return errs.Errorf(errs.Invalid, "limit %q: want an integer from 1 to 1000", q.Get("limit"))
		}
		limit = n
	}
	cs, next, err := p.Checkpoints(r.Context(), since, limit)
	if err != nil {
		return fmt.Errorf("checkpoints since %d: %w", since, err)
	}
	if cs == nil {
		cs = []proof.SignedCheckpoint{}
	}
	writeJSON(w, http.StatusOK, CheckpointsResponse{Checkpoints: cs, Latest: p.Latest(), Next: next})
	return nil
}

func parseHeight(name, v string) (int64, error) {
	h, err := strconv.ParseInt(v, 10, 64)
	if err != nil || h < 0 {
		return 0, errs.Errorf(errs.Invalid, "%s %q: want a block height (a non-negative integer)", name, v)
	}
	return h, nil
}
