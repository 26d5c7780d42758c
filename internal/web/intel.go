package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Item is one record in a list: the stored version and what the UI shows
// of it.
type Item struct {
	projection.Version
	Name string
	TLP  TLP
}

// item describes v for a list.
func item(v projection.Version) Item {
	return Item{Version: v, Name: displayName(v), TLP: TLP{Level: markingOf(v.Object)}}
}

// displayName is a record's name, or for unnamed objects its value or
// pattern.
func displayName(v projection.Version) string {
	var o struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		Pattern string `json:"pattern"`
		Type    string `json:"relationship_type"`
	}
	_ = json.Unmarshal(v.Object, &o)
	for _, s := range []string{o.Name, o.Value, o.Pattern, o.Type} {
		if s != "" {
			return s
		}
	}
	return v.ID
}

// visible keeps the versions v may see.
func (s *Server) visible(v *Viewer, vs []projection.Version) []projection.Version {
	out := vs[:0:0]
	for _, x := range vs {
		if s.mayRead(v, x) {
			out = append(out, x)
		}
	}
	return out
}

// mayRead is the read rule of every page: the Clearance capability when
// set, else access.MayRead with the user's clearance.
func (s *Server) mayRead(v *Viewer, x projection.Version) bool {
	if s.cfg.Clearance != nil {
		return s.cfg.Clearance.Visible(*v, x)
	}
	return access.MayRead(v.Access, access.Label{ID: x.ID, Level: tlp.Level(x.TLP)})
}

// search runs q as v: the projection keeps only what v may read, so pages
// are full; visible then applies the page rule once more.
func (s *Server) search(ctx context.Context, v *Viewer, q projection.Query) (projection.Page, error) {
	if s.cfg.Clearance == nil {
		acc := v.Access
		q.Viewer = &acc
	}
	page, err := s.cfg.Backend.Search(ctx, q)
	if err != nil {
		return page, err
	}
	page.Items = s.visible(v, page.Items)
	return page, nil
}

// searchTypes are the STIX types offered in the search form.
var searchTypes = []string{"indicator", "malware", "threat-actor", "intrusion-set", "campaign", "attack-pattern",
	"tool", "vulnerability", "report", "sighting", "relationship", "identity", "observed-data", "course-of-action",
	"ipv4-addr", "ipv6-addr", "domain-name", "url", "file", "email-addr"}

type intelPage struct {
	Form     searchForm
	Types    []string
	Levels   []string
	Items    []Item
	Searched bool
	Next     string // URL of the next page, "" on the last
	Filtered int    // results of this page hidden by the marking filter
}

// searchForm is the search page's query string.
type searchForm struct {
	Q, Type, Marking, Author, Label, Since, Until string
}

func (f searchForm) query() (projection.Query, error) {
	q := projection.Query{Text: strings.TrimSpace(f.Q), Limit: 50}
	if f.Type != "" {
		q.Types = []string{f.Type}
	}
	if f.Author != "" {
		q.Authors = []string{strings.TrimSpace(f.Author)}
	}
	for _, l := range strings.Split(f.Label, ",") {
		if l = strings.TrimSpace(l); l != "" {
			q.Labels = append(q.Labels, l)
		}
	}
	var err error
	if q.Since, err = parseDate("from", f.Since); err != nil {
		return q, err
	}
	if q.Until, err = parseDate("until", f.Until); err != nil {
		return q, err
	}
	if !q.Until.IsZero() {
		q.Until = q.Until.Add(24 * time.Hour) // the whole "until" day
	}
	if f.Marking != "" && tlpRank(f.Marking) < 0 && f.Marking != "none" {
		return q, errs.Errorf(errs.Invalid, "unknown marking %q", f.Marking)
	}
	return q, nil
}

func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, errs.Errorf(errs.Invalid, "%s date %q: want YYYY-MM-DD", field, s)
	}
	return t, nil
}

// intel is the search page.
func (s *Server) intel(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	qs := r.URL.Query()
	f := searchForm{Q: qs.Get("q"), Type: qs.Get("type"), Marking: qs.Get("marking"), Author: qs.Get("author"),
		Label: qs.Get("label"), Since: qs.Get("since"), Until: qs.Get("until")}
	data := intelPage{Form: f, Types: searchTypes, Levels: tlpLevels, Searched: len(qs) > 0}
	q, err := f.query()
	if err != nil {
		return err
	}
	q.Cursor = qs.Get("cursor")
	page, err := s.search(r.Context(), v, q)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	for _, x := range s.visible(v, page.Items) {
		it := item(x)
		if f.Marking != "" && it.TLP.Level != strings.TrimPrefix(f.Marking, "none") {
			data.Filtered++
			continue
		}
		data.Items = append(data.Items, it)
	}
	if page.NextCursor != "" {
		next := url.Values{}
		for k, vals := range qs {
			if k != "cursor" {
				next[k] = vals
			}
		}
		next.Set("cursor", page.NextCursor)
		data.Next = "/intel?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, "intel", v, data)
	return nil
}

type objectPage struct {
	Item
	Props    []prop
	Versions []Item
	Graph    graph
	ProofURL string
	Flash    string
}

// prop is one STIX property for the properties table.
type prop struct {
	Key   string
	Value string
	Refs  []string // ids, when the property is a reference
}

// object is an object's page: properties, versions, relationships.
func (s *Server) object(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	id := r.PathValue("id")
	vs, err := s.cfg.Backend.Get(r.Context(), id, true)
	if err != nil {
		return fmt.Errorf("get %s: %w", id, err)
	}
	vs = s.visible(v, vs)
	if len(vs) == 0 {
		return errs.Errorf(errs.NotFound, "no object %q on this node", id)
	}
	latest := vs[len(vs)-1]
	for _, x := range vs {
		if x.Latest {
			latest = x
		}
	}
	data := objectPage{Item: item(latest), Props: properties(latest.Object)}
	for i := len(vs) - 1; i >= 0; i-- {
		data.Versions = append(data.Versions, item(vs[i]))
	}
	if data.Graph, err = s.neighbourhood(r, v, latest); err != nil {
		return err
	}
	if s.cfg.Proofs != nil {
		data.ProofURL = proofURL(id, "")
	}
	if r.URL.Query().Get("published") != "" {
		data.Flash = "Published and committed at height " + fmt.Sprint(latest.Height) + "."
	}
	s.render(w, r, http.StatusOK, "object", v, data)
	return nil
}

// properties lists an object's properties in name order, references
// separately so the page can link them.
func properties(object json.RawMessage) []prop {
	var m map[string]json.RawMessage
	if json.Unmarshal(object, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]prop, 0, len(keys))
	for _, k := range keys {
		p := prop{Key: k}
		if refs := refsOf(k, m[k]); refs != nil {
			p.Refs = refs
		} else {
			var str string
			if json.Unmarshal(m[k], &str) == nil {
				p.Value = str
			} else {
				b, _ := json.MarshalIndent(m[k], "", "  ")
				p.Value = string(b)
			}
		}
		out = append(out, p)
	}
	return out
}

// refsOf returns the ids of a *_ref or *_refs property, or nil.
func refsOf(key string, raw json.RawMessage) []string {
	switch {
	case strings.HasSuffix(key, "_ref"):
		var id string
		if json.Unmarshal(raw, &id) == nil && strings.Contains(id, "--") {
			return []string{id}
		}
	case strings.HasSuffix(key, "_refs"):
		var ids []string
		if json.Unmarshal(raw, &ids) == nil {
			return ids
		}
	}
	return nil
}
