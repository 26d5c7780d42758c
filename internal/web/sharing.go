package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// sharing returns the Backend's sealing and sharing-group capability
// (api.Sharing), or an Invalid error naming what is missing.
func (s *Server) sharing() (api.Sharing, error) {
	sh, ok := s.cfg.Backend.(api.Sharing)
	if !ok {
		return nil, errs.Errorf(errs.Invalid, "this node does not seal content or keep sharing groups")
	}
	return sh, nil
}

// address reads the recipients ("to", one value per chosen member, commas
// allowed), the sharing group and, for uploads, the least TLP level of a
// publish form, as POST /v1/objects?to=&group=&tlp= reads its query.
func address(r *http.Request) (intake.Address, error) {
	var a intake.Address
	for _, v := range r.PostForm["to"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(a.To, id) {
				a.To = append(a.To, id)
			}
		}
	}
	a.Group = strings.TrimSpace(r.PostFormValue("group"))
	if t := r.PostFormValue("tlp"); t != "" {
		l, err := tlp.Parse(t)
		if err != nil {
			return a, errs.Errorf(errs.Invalid, "marking %q: %v", t, err)
		}
		a.TLP = l
	}
	return a, nil
}

// publishAddressed publishes body as POST /v1/objects does: through the
// Sharing capability when the node has it (it seals what is above GREEN
// for the recipients and refuses it when nobody is named; unaddressed
// CLEAR and GREEN content goes in plaintext), else plainly, and an
// address on a node that cannot seal is refused.
func (s *Server) publishAddressed(ctx context.Context, body []byte, a intake.Address) ([]intake.Submission, error) {
	if sh, ok := s.cfg.Backend.(api.Sharing); ok {
		return sh.PublishTo(ctx, body, a)
	}
	if len(a.To) > 0 || a.Group != "" || a.TLP != 0 {
		_, err := s.sharing()
		return nil, err
	}
	return s.cfg.Backend.Publish(ctx, body)
}

// directory returns the members a publish may be addressed to (the
// active ones other than this node's member) and the sharing groups.
func (s *Server) directory(ctx context.Context) ([]api.Member, []ledger.Group, error) {
	st, err := s.cfg.Backend.Status(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("status: %w", err)
	}
	ms, err := s.cfg.Backend.Members(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("members: %w", err)
	}
	var out []api.Member
	for _, m := range ms {
		if m.ID != st.Member && m.Status == "active" {
			out = append(out, m)
		}
	}
	sh, ok := s.cfg.Backend.(api.Sharing)
	if !ok {
		return out, nil, nil
	}
	gs, err := sh.Groups(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("groups: %w", err)
	}
	return out, gs, nil
}

// changeGroup submits a sharing-group change from the Community page's
// forms (create, add, remove), waits (bounded) for its commit and shows
// the page again.
func (s *Server) changeGroup(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	op := ledger.GroupOp{Op: r.PostFormValue("op"), Name: strings.TrimSpace(r.PostFormValue("name")),
		Extend: r.PostFormValue("extend") == "on"}
	for _, m := range r.PostForm["members"] {
		if m = strings.TrimSpace(m); m != "" {
			op.Members = append(op.Members, m)
		}
	}
	switch {
	case op.Op != "create" && op.Op != "add" && op.Op != "remove":
		return s.groupError(w, r, v, errs.Errorf(errs.Invalid, "group change %q: want create, add or remove", op.Op))
	case op.Name == "":
		return s.groupError(w, r, v, errs.Errorf(errs.Invalid, "a sharing group needs a name"))
	case len(op.Members) == 0:
		return s.groupError(w, r, v, errs.Errorf(errs.Invalid, "choose at least one member to %s", op.Op))
	}
	sh, err := s.sharing()
	if err != nil {
		return s.groupError(w, r, v, err)
	}
	sub, err := sh.ChangeGroup(r.Context(), op)
	if err != nil {
		return s.groupError(w, r, v, err)
	}
	if sub.Code != 0 {
		return s.groupError(w, r, v, errs.Errorf(errs.Invalid, "group %s %s refused: %s %s", op.Op, op.Name, sub.Codename, sub.Log))
	}
	out, err := s.waitFor(r, sub.TxHash)
	if err != nil {
		return err
	}
	if out.Code != 0 {
		return s.groupError(w, r, v, errs.Errorf(errs.Invalid, "group %s %s rejected by the ledger: %s %s", op.Op, op.Name, out.Codename, out.Log))
	}
	q := url.Values{"group": {op.Name}, "op": {op.Op}}
	http.Redirect(w, r, "/community?"+q.Encode()+"#groups", http.StatusSeeOther)
	return nil
}

// groupError shows the Community page again with why a group change was
// refused.
func (s *Server) groupError(w http.ResponseWriter, r *http.Request, v *Viewer, err error) error {
	if errs.CodeOf(err) != errs.Invalid {
		return err
	}
	return s.showCommunity(w, r, v, http.StatusBadRequest, err.Error())
}

// addressField is what the recipients and group fields of one publish
// form show.
type addressField struct {
	Prefix  string // id prefix of the form's fields
	Members []api.Member
	Groups  []ledger.Group
	To      map[string]bool // recipients checked
	Group   string          // group selected
}

// addressOf lays out the address fields of the publish form with id
// prefix: the form that was posted and refused shows its choices again.
func addressOf(v view, prefix string) addressField {
	p, _ := v.Data.(publishPage)
	f := addressField{Prefix: prefix, Members: p.Members, Groups: p.Groups, To: map[string]bool{}}
	if p.Posted == prefix {
		f.To, f.Group = p.To, p.Form["group"]
	}
	return f
}
