package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// feedPageSize is how many ranked entries and notifications the page shows.
const feedPageSize = 50

type feedPage struct {
	Enabled       bool // the node keeps subscriptions (api.Relevance)
	Ranked        []rankedItem
	Window        int // how many of the newest readable records were ranked
	Notifications []relevance.Notification
	Unread        int
	Subscriptions []relevance.Subscription
	Admin         bool // may set a webhook
	Error, Flash  string
	Form          map[string]string
}

// relevanceOf is the node's relevance capability, if any.
func (s *Server) relevanceOf() (api.Relevance, bool) {
	rl, ok := s.cfg.Backend.(api.Relevance)
	return rl, ok
}

// feed shows the signed-in user's ranked feed (why each entry is there),
// its notifications and its subscriptions with forms to change them.
func (s *Server) feed(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	flash := ""
	switch {
	case r.URL.Query().Get("subscribed") != "":
		flash = "Subscribed: " + r.URL.Query().Get("subscribed") + "."
	case r.URL.Query().Get("removed") != "":
		flash = "Subscription " + r.URL.Query().Get("removed") + " removed."
	}
	return s.renderFeed(w, r, v, http.StatusOK, feedPage{Flash: flash})
}

func (s *Server) renderFeed(w http.ResponseWriter, r *http.Request, v *Viewer, status int, data feedPage) error {
	data.Admin = v.Role == string(auth.RoleAdmin)
	if data.Form == nil {
		data.Form = map[string]string{}
	}
	rl, ok := s.relevanceOf()
	if !ok {
		s.render(w, r, status, "feed", v, data)
		return nil
	}
	data.Enabled = true
	ctx := r.Context()
	var err error
	feed, err := rl.Feed(ctx, v.Owner, v.Access, "", feedPageSize)
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	data.Window = feed.Window
	for _, e := range s.visibleEntries(v, feed.Items) {
		data.Ranked = append(data.Ranked, rankedItem{Item: item(e.Record), Why: why(e.Reasons)})
	}
	notes, err := rl.Notifications(ctx, v.Owner, false, "", feedPageSize)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	for _, n := range notes.Items {
		// A notification names a record: only those the user may still read.
		if !s.mayReadHeader(v, n) {
			continue
		}
		data.Notifications = append(data.Notifications, n)
		if !n.Read {
			data.Unread++
		}
	}
	if data.Subscriptions, err = rl.Subscriptions(ctx, v.Owner); err != nil {
		return fmt.Errorf("subscriptions: %w", err)
	}
	s.render(w, r, status, "feed", v, data)
	return nil
}

// rankedItem is a feed entry for a list: the record and why it is there.
type rankedItem struct {
	Item
	Why string
}

// why joins the reasons of a feed entry.
func why(rs []relevance.Reason) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Detail
	}
	return strings.Join(out, "; ")
}

// visibleEntries keeps the feed entries the page rule lets v see.
func (s *Server) visibleEntries(v *Viewer, es []api.FeedEntry) []api.FeedEntry {
	out := es[:0:0]
	for _, e := range es {
		if s.mayRead(v, e.Record) {
			out = append(out, e)
		}
	}
	return out
}

// mayReadHeader applies access.MayRead to a notification's public header.
func (s *Server) mayReadHeader(v *Viewer, n relevance.Notification) bool {
	l, err := tlp.Parse(n.TLP)
	if err != nil {
		return false
	}
	return s.mayRead(v, projection.Version{ID: n.ObjectID, Type: n.Type, Author: n.Author, TLP: uint8(l)})
}

// subscribe adds a subscription from the form (filter in the CLI syntax,
// e.g. "type=indicator label=ransomware tlp=GREEN,AMBER").
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	rl, ok := s.relevanceOf()
	if !ok {
		return errs.Errorf(errs.NotFound, "this node keeps no subscriptions")
	}
	form := map[string]string{"name": strings.TrimSpace(r.PostFormValue("name")), "filter": r.PostFormValue("filter"),
		"notify": r.PostFormValue("notify"), "webhook": strings.TrimSpace(r.PostFormValue("webhook"))}
	fail := func(err error) error {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Forbidden && c != errs.Conflict {
			return err
		}
		return s.renderFeed(w, r, v, api.StatusOf(errs.CodeOf(err)), feedPage{Error: err.Error(), Form: form})
	}
	f, err := relevance.ParseFilter(form["filter"])
	if err != nil {
		return fail(errs.Errorf(errs.Invalid, "filter: %v", err))
	}
	if form["webhook"] != "" && v.Role != string(auth.RoleAdmin) {
		return fail(errs.Errorf(errs.Forbidden, "only an admin may set a webhook"))
	}
	sub, err := rl.Subscribe(r.Context(), v.Owner, relevance.Subscription{Name: form["name"], Filter: f,
		Notify: form["notify"] == "on" || form["webhook"] != "", Webhook: form["webhook"]})
	if err != nil {
		return fail(err)
	}
	http.Redirect(w, r, "/feed?subscribed="+sub.Name+"#subs", http.StatusSeeOther)
	return nil
}

// unsubscribe removes one of the user's subscriptions.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	rl, ok := s.relevanceOf()
	if !ok {
		return errs.Errorf(errs.NotFound, "this node keeps no subscriptions")
	}
	id := r.PathValue("id")
	if err := rl.Unsubscribe(r.Context(), v.Owner, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/feed?removed="+id+"#subs", http.StatusSeeOther)
	return nil
}

// markRead marks one of the user's notifications read.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	rl, ok := s.relevanceOf()
	if !ok {
		return errs.Errorf(errs.NotFound, "this node keeps no notifications")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.Invalid, "notification id %q is not a number", r.PathValue("id"))
	}
	if _, err := rl.MarkRead(r.Context(), v.Owner, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/feed#notes", http.StatusSeeOther)
	return nil
}
