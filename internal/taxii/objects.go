package taxii

import (
	"encoding/json"
	"net/http"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Envelope is a TAXII 2.1 envelope resource (§3.7).
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// ManifestRecord is one entry of a manifest (§5.3.1).
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// Manifest is a manifest resource (§5.3.1).
type Manifest struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// Versions is a versions resource (§5.8.1).
type Versions struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

var listFilters = []string{"added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"}

// page runs the query of a collection endpoint: the caller's scope, the
// collection, the request's filters.
func (s *Server) page(r *http.Request, req *request, c collection, f filters) (projection.ListPage, error) {
	if f.noneSpec {
		return projection.ListPage{Items: []projection.Version{}}, nil
	}
	q := scoped(req, c)
	q.IDs, q.Types, q.AddedAfter, q.Versions = f.q.IDs, f.q.Types, f.q.AddedAfter, f.q.Versions
	q.After, q.HasAfter = f.q.After, f.q.HasAfter
	q.Limit = f.q.Limit
	if q.Limit == 0 {
		q.Limit = MaxPageSize
	}
	return s.cfg.Reader.List(r.Context(), q)
}

// dateHeaders sets X-TAXII-Date-Added-First and -Last (§3.4) from a page.
func dateHeaders(w http.ResponseWriter, p projection.ListPage) {
	if len(p.Items) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", formatTimestamp(p.Items[0].Added))
	w.Header().Set("X-TAXII-Date-Added-Last", formatTimestamp(p.Items[len(p.Items)-1].Added))
}

func next(p projection.ListPage) string {
	if !p.More {
		return ""
	}
	return projection.EncodeListCursor(p.Last)
}

func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, req *request) error {
	c, err := s.collection(r, req)
	if err != nil {
		return err
	}
	f, err := parseFilters(r, listFilters...)
	if err != nil {
		return err
	}
	p, err := s.page(r, req, c, f)
	if err != nil {
		return err
	}
	writeEnvelope(w, p)
	return nil
}

func writeEnvelope(w http.ResponseWriter, p projection.ListPage) {
	env := Envelope{More: p.More, Next: next(p)}
	for _, v := range p.Items {
		env.Objects = append(env.Objects, json.RawMessage(v.Object))
	}
	dateHeaders(w, p)
	writeTAXII(w, http.StatusOK, env)
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, req *request) error {
	c, err := s.collection(r, req)
	if err != nil {
		return err
	}
	f, err := parseFilters(r, listFilters...)
	if err != nil {
		return err
	}
	p, err := s.page(r, req, c, f)
	if err != nil {
		return err
	}
	m := Manifest{More: p.More, Next: next(p)}
	for _, v := range p.Items {
		m.Objects = append(m.Objects, ManifestRecord{ID: v.ID, DateAdded: formatTimestamp(v.Added),
			Version: versionOf(v), MediaType: STIXMediaType})
	}
	dateHeaders(w, p)
	writeTAXII(w, http.StatusOK, m)
	return nil
}

// versionOf is a version's TAXII version: modified (or created); for
// objects without either (SCOs) the date added, as §5.3.1 says servers
// should use.
func versionOf(v projection.Version) string {
	if v.Version != "" {
		return v.Version
	}
	return formatTimestamp(v.Added)
}

// objectPage runs the query of the object and versions endpoints: the
// object's id comes from the path; allVersions ignores match[version].
func (s *Server) objectPage(r *http.Request, req *request, allVersions bool, allowed ...string) (projection.ListPage, error) {
	c, err := s.collection(r, req)
	if err != nil {
		return projection.ListPage{}, err
	}
	id := r.PathValue("object")
	if !stixIDRe.MatchString(id) {
		return projection.ListPage{}, errs.Errorf(errs.NotFound, "no object %q: not a STIX identifier", clip(id))
	}
	f, err := parseFilters(r, allowed...)
	if err != nil {
		return projection.ListPage{}, err
	}
	f.q.IDs = []string{id}
	if allVersions {
		f.q.Versions = projection.VersionMatch{All: true}
	}
	if err := s.mustExist(r, req, c, id); err != nil {
		return projection.ListPage{}, err
	}
	return s.page(r, req, c, f)
}

// mustExist answers 404 unless the collection holds some version of id
// the caller may read.
func (s *Server) mustExist(r *http.Request, req *request, c collection, id string) error {
	q := scoped(req, c)
	q.IDs, q.Versions.All, q.Limit = []string{id}, true, 1
	p, err := s.cfg.Reader.List(r.Context(), q)
	if err != nil {
		return err
	}
	if len(p.Items) == 0 {
		return errs.Errorf(errs.NotFound, "no object %s in collection %s", id, c.ID)
	}
	return nil
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, req *request) error {
	p, err := s.objectPage(r, req, false, "added_after", "limit", "next", "match[version]", "match[spec_version]")
	if err != nil {
		return err
	}
	writeEnvelope(w, p)
	return nil
}

func (s *Server) getVersions(w http.ResponseWriter, r *http.Request, req *request) error {
	p, err := s.objectPage(r, req, true, "added_after", "limit", "next", "match[spec_version]")
	if err != nil {
		return err
	}
	vs := Versions{More: p.More, Next: next(p)}
	for _, v := range p.Items {
		vs.Versions = append(vs.Versions, versionOf(v))
	}
	dateHeaders(w, p)
	writeTAXII(w, http.StatusOK, vs)
	return nil
}
