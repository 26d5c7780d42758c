package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

type communityPage struct {
	Self      string
	Members   []api.Member
	Proposals []proposalRow
	CanVote   bool
	Flash     string
	Error     string         // why a group change was refused
	Groups    []ledger.Group // sharing groups; nil with HasGroups false when the node keeps none
	HasGroups bool
}

// proposalRow is a proposal with its current votes counted.
type proposalRow struct {
	api.ProposalView
	Open                      bool
	YesNow, NoNow, AbstainNow int    // votes cast so far
	Mine                      string // this member's current vote
}

// community shows the member directory and the proposals with tallies and
// vote buttons.
func (s *Server) community(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return s.showCommunity(w, r, v, http.StatusOK, "")
}

// showCommunity renders the Community page; msg is why a form was
// refused.
func (s *Server) showCommunity(w http.ResponseWriter, r *http.Request, v *Viewer, status int, msg string) error {
	ctx := r.Context()
	st, err := s.cfg.Backend.Status(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	data := communityPage{Self: st.Member, CanVote: v.Role == "admin", Error: msg}
	if sh, ok := s.cfg.Backend.(api.Sharing); ok {
		data.HasGroups = true
		if data.Groups, err = sh.Groups(ctx); err != nil {
			return fmt.Errorf("groups: %w", err)
		}
	}
	if data.Members, err = s.cfg.Backend.Members(ctx); err != nil {
		return fmt.Errorf("members: %w", err)
	}
	ps, err := s.cfg.Backend.Proposals(ctx)
	if err != nil {
		return fmt.Errorf("proposals: %w", err)
	}
	for _, p := range ps {
		row := proposalRow{ProposalView: p, Open: p.Status == ledger.ProposalOpen, Mine: p.Votes[st.Member]}
		for _, c := range p.Votes {
			switch c {
			case "yes":
				row.YesNow++
			case "no":
				row.NoNow++
			case "abstain":
				row.AbstainNow++
			}
		}
		data.Proposals = append(data.Proposals, row)
	}
	if n := r.URL.Query().Get("voted"); n != "" {
		data.Flash = "Your vote on proposal " + n + " is on the ledger."
	}
	if g, op := r.URL.Query().Get("group"), r.URL.Query().Get("op"); g != "" && msg == "" {
		data.Flash = map[string]string{"create": "Sharing group " + g + " created.", "add": "Members added to sharing group " + g + ".",
			"remove": "Members removed from sharing group " + g + "."}[op]
	}
	s.render(w, r, status, "community", v, data)
	return nil
}

// vote casts this member's vote from the proposal's buttons and waits
// (bounded) for it to be committed.
func (s *Server) vote(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.Invalid, "proposal id %q: want a number", r.PathValue("id"))
	}
	choice := r.PostFormValue("choice")
	if choice != "yes" && choice != "no" && choice != "abstain" {
		return errs.Errorf(errs.Invalid, "vote %q: want yes, no or abstain", choice)
	}
	sub, err := s.cfg.Backend.Vote(r.Context(), id, choice)
	if err != nil {
		return fmt.Errorf("vote on proposal %d: %w", id, err)
	}
	if sub.Code != 0 {
		return errs.Errorf(errs.Rejected, "vote on proposal %d refused: %s %s", id, sub.Codename, sub.Log)
	}
	out, err := s.waitFor(r, sub.TxHash)
	if err != nil {
		return err
	}
	if out.Code != 0 {
		return errs.Errorf(errs.Rejected, "vote on proposal %d rejected: %s %s", id, out.Codename, out.Log)
	}
	http.Redirect(w, r, "/community?voted="+strconv.FormatUint(id, 10)+"#proposal-"+strconv.FormatUint(id, 10), http.StatusSeeOther)
	return nil
}
