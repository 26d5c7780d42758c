package taxii

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// collectionNS is the UUIDv5 namespace of collection ids: a collection's
// id is UUIDv5(collectionNS, alias), the same on every node.
var collectionNS = uuid.MustParse("5b0b4cf1-7b53-4c5c-9a43-61a1f1d2f0a7")

// Collection is a TAXII 2.1 collection resource (§5.2.1).
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// collection is a collection and how it narrows a query.
type collection struct {
	Collection
	writable bool // accepts POST (for callers who may publish)
	public   bool // the anonymous TLP:CLEAR collection
	narrow   func(q *projection.ListQuery)
}

// Aliases of the collections every node offers.
const (
	AliasAll         = "all"
	AliasOwn         = "own"
	AliasPublicClear = "public-clear"
)

func collectionID(alias string) string {
	return uuid.NewSHA1(collectionNS, []byte(alias)).String()
}

// collections lists what req's caller may see, in a fixed order.
func (s *Server) collections(req *request) []collection {
	var out []collection
	if !req.caller.Anonymous {
		out = append(out, s.named(AliasAll, "Everything", "Every object this caller may read.", true, nil))
		for _, l := range []tlp.Level{tlp.Clear, tlp.Green, tlp.Amber, tlp.AmberStrict, tlp.Red} {
			out = append(out, s.named(levelAlias(l), "TLP:"+l.String(),
				"Objects at TLP:"+l.String()+" (by their TLP 1.0 or 2.0 marking, or the publisher's default) that this caller may read.",
				false, atLevel(l)))
		}
		member := s.cfg.Member
		out = append(out, s.named(AliasOwn, "Own publications", "Objects published by member "+member+".", true,
			func(q *projection.ListQuery) { q.Authors = []string{member} }))
		for _, g := range req.scope.Groups {
			out = append(out, s.named("group-"+g, "Sharing group "+g, "Objects addressed to sharing group "+g+" that this caller may read.", false,
				func(q *projection.ListQuery) { q.Groups = []string{g} }))
		}
	}
	if s.cfg.PublicClear {
		c := s.named(AliasPublicClear, "Public TLP:CLEAR", "Objects marked TLP:CLEAR, readable without credentials.", false, atLevel(tlp.Clear))
		c.public = true
		out = append(out, c)
	}
	for i := range out {
		out[i].CanWrite = out[i].writable && !req.caller.Anonymous && auth.Role(req.caller.Role).Can(auth.ActionPublish)
	}
	return out
}

func (s *Server) named(alias, title, desc string, writable bool, narrow func(*projection.ListQuery)) collection {
	return collection{
		Collection: Collection{ID: collectionID(alias), Title: title, Description: desc, Alias: alias,
			CanRead: true, MediaTypes: []string{STIXMediaType}},
		writable: writable,
		narrow:   narrow,
	}
}

func atLevel(l tlp.Level) func(*projection.ListQuery) {
	return func(q *projection.ListQuery) { q.Levels = []tlp.Level{l} }
}

// levelAlias is a TLP collection's alias: tlp-clear, …, tlp-amber-strict.
func levelAlias(l tlp.Level) string {
	return "tlp-" + strings.ReplaceAll(strings.ToLower(l.String()), "+", "-")
}

// collection finds the collection named by id (or alias) among those the
// caller may see; 404 otherwise (401 for an anonymous caller), so a caller
// cannot probe for collections it may not see.
func (s *Server) collection(r *http.Request, req *request) (collection, error) {
	id := r.PathValue("collection")
	for _, c := range s.collections(req) {
		if c.ID == id || c.Alias == id {
			return c, nil
		}
	}
	if req.caller.Anonymous {
		return collection{}, errs.Errorf(errs.Unauthenticated, "collection %q needs credentials (or does not exist)", clip(id))
	}
	return collection{}, errs.Errorf(errs.NotFound, "no collection %q", clip(id))
}

// scoped returns a query narrowed by the caller's scope and collection c.
func scoped(req *request, c collection) projection.ListQuery {
	q := projection.ListQuery{Viewer: &req.scope.Viewer}
	if c.narrow != nil {
		c.narrow(&q)
	}
	return q
}

// clip shortens caller input quoted in messages.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func (s *Server) getCollections(w http.ResponseWriter, r *http.Request, req *request) error {
	cs := s.collections(req)
	out := struct {
		Collections []Collection `json:"collections,omitempty"`
	}{}
	for _, c := range cs {
		out.Collections = append(out.Collections, c.Collection)
	}
	writeTAXII(w, http.StatusOK, out)
	return nil
}

func (s *Server) getCollection(w http.ResponseWriter, r *http.Request, req *request) error {
	c, err := s.collection(r, req)
	if err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, c.Collection)
	return nil
}
