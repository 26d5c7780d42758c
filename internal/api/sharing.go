package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Sharing is the optional capability of a Backend that seals content for
// recipients, keeps sharing groups and withdraws sealed records. The
// node's backend has it; a Backend without it refuses addressed publishes.
type Sharing interface {
	// PublishTo publishes body as addressed (see intake.Service.PublishTo).
	PublishTo(ctx context.Context, body []byte, a intake.Address) ([]intake.Submission, error)
	// ChangeGroup submits a sharing-group change signed by this member.
	ChangeGroup(ctx context.Context, op ledger.GroupOp) (intake.Submission, error)
	// Groups lists the ledger's sharing groups.
	Groups(ctx context.Context) ([]ledger.Group, error)
	// Withdraw submits the withdrawal of a sealed record this member wrote.
	Withdraw(ctx context.Context, id, version string) (intake.Submission, error)
}

// WithdrawRequest is the body of POST /v1/withdrawals.
type WithdrawRequest struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// parseAddress reads the to, group and tlp parameters of a publish.
func parseAddress(q url.Values) (intake.Address, error) {
	var a intake.Address
	for _, v := range q["to"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				a.To = append(a.To, id)
			}
		}
	}
	a.Group = q.Get("group")
	if t := q.Get("tlp"); t != "" {
		l, err := tlp.Parse(t)
		if err != nil {
			return a, errs.Errorf(errs.Invalid, "invalid tlp parameter: %v", err)
		}
		a.TLP = l
	}
	return a, nil
}

func (s *Server) sharing() (Sharing, error) {
	sh, ok := s.backend.(Sharing)
	if !ok {
		return nil, errs.Errorf(errs.Invalid, "this node does not seal content, keep sharing groups or withdraw records")
	}
	return sh, nil
}

// listGroups handles GET /v1/groups.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sharing()
	if err != nil {
		return err
	}
	gs, err := sh.Groups(r.Context())
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	if gs == nil {
		gs = []ledger.Group{}
	}
	writeJSON(w, http.StatusOK, gs)
	return nil
}

// changeGroup handles POST /v1/groups.
func (s *Server) changeGroup(w http.ResponseWriter, r *http.Request) error {
	wait, timeout, err := parsePublishQuery(r.URL.Query(), s.publishTimeout)
	if err != nil {
		return err
	}
	var op ledger.GroupOp
	if err := readJSONBody(w, r, maxGovBody, "group change", &op); err != nil {
		return err
	}
	if op.Op == "" || op.Name == "" {
		return errs.Errorf(errs.Invalid, "invalid group change: op (create, add, remove) and name are required")
	}
	sh, err := s.sharing()
	if err != nil {
		return err
	}
	sub, err := sh.ChangeGroup(r.Context(), op)
	if err != nil {
		return fmt.Errorf("group %s %s: %w", op.Op, op.Name, err)
	}
	return s.answerSubmissions(w, r, []intake.Submission{sub}, wait, timeout)
}

// withdraw handles POST /v1/withdrawals.
func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) error {
	wait, timeout, err := parsePublishQuery(r.URL.Query(), s.publishTimeout)
	if err != nil {
		return err
	}
	var req WithdrawRequest
	if err := readJSONBody(w, r, maxGovBody, "withdrawal", &req); err != nil {
		return err
	}
	if !strings.Contains(req.ID, "--") || req.Version == "" {
		return errs.Errorf(errs.Invalid, "invalid withdrawal: id (a STIX id) and version are required")
	}
	sh, err := s.sharing()
	if err != nil {
		return err
	}
	sub, err := sh.Withdraw(r.Context(), req.ID, req.Version)
	if err != nil {
		return fmt.Errorf("withdraw %s: %w", req.ID, err)
	}
	return s.answerSubmissions(w, r, []intake.Submission{sub}, wait, timeout)
}

// answerSubmissions writes what happened to submitted transactions,
// waiting for their commit when asked, as POST /v1/objects does.
func (s *Server) answerSubmissions(w http.ResponseWriter, r *http.Request, subs []intake.Submission, wait bool, timeout time.Duration, warnings ...string) error {
	res := fromSubmissions(subs)
	res.Warnings = warnings
	if wait {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := s.waitAll(ctx, &res, timeout); err != nil {
			return s.writePublishError(w, r, res, err)
		}
	}
	if err := rejection(res); err != nil {
		return s.writePublishError(w, r, res, err)
	}
	status := http.StatusAccepted
	if wait {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
	return nil
}
