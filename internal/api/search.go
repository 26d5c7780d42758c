package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Query parameters of GET /v1/search.
const (
	paramType        = "type"
	paramText        = "q"
	paramLabel       = "label"
	paramAuthor      = "author"
	paramSince       = "since"
	paramUntil       = "until"
	paramAddedAfter  = "added_after"
	paramAllVersions = "all_versions"
	paramLimit       = "limit"
	paramCursor      = "cursor"
)

// MaxSearchLimit is the largest page size of GET /v1/search.
const MaxSearchLimit = 1000

// search handles GET /v1/search.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		return err
	}
	viewer, err := s.viewer(r.Context())
	if err != nil {
		return err
	}
	q.Viewer = &viewer
	page, err := s.backend.Search(r.Context(), q)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	page.Items = readable(viewer, page.Items) // the projection filters too; this guards any backend
	if page.Items == nil {
		page.Items = []projection.Version{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// ParseQuery reads the query parameters of GET /v1/search. type, label and
// author may repeat and hold comma-separated lists; times are RFC 3339.
// Errors are errs.Invalid and name the offending parameter.
func ParseQuery(v url.Values) (projection.Query, error) {
	err := allowParams(v, paramType, paramText, paramLabel, paramAuthor, paramSince, paramUntil,
		paramAddedAfter, paramAllVersions, paramLimit, paramCursor)
	if err != nil {
		return projection.Query{}, err
	}
	q := projection.Query{
		Types:   splitList(v[paramType]),
		Text:    strings.TrimSpace(v.Get(paramText)),
		Labels:  splitList(v[paramLabel]),
		Authors: splitList(v[paramAuthor]),
		Cursor:  v.Get(paramCursor),
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{paramSince, &q.Since}, {paramUntil, &q.Until}, {paramAddedAfter, &q.AddedAfter}} {
		if *t.dst, err = parseTime(t.name, v.Get(t.name)); err != nil {
			return projection.Query{}, err
		}
	}
	if q.AllVersions, err = parseBool(paramAllVersions, v.Get(paramAllVersions)); err != nil {
		return projection.Query{}, err
	}
	if q.Limit, err = parseLimit(v.Get(paramLimit)); err != nil {
		return projection.Query{}, err
	}
	return q, nil
}

// EncodeQuery is the inverse of ParseQuery.
func EncodeQuery(q projection.Query) url.Values {
	v := url.Values{}
	setList(v, paramType, q.Types)
	setList(v, paramLabel, q.Labels)
	setList(v, paramAuthor, q.Authors)
	setIf(v, paramText, q.Text)
	setIf(v, paramCursor, q.Cursor)
	setTime(v, paramSince, q.Since)
	setTime(v, paramUntil, q.Until)
	setTime(v, paramAddedAfter, q.AddedAfter)
	if q.AllVersions {
		v.Set(paramAllVersions, "true")
	}
	if q.Limit != 0 {
		v.Set(paramLimit, strconv.Itoa(q.Limit))
	}
	return v
}

// splitList flattens repeated, comma-separated values, dropping empty ones.
func splitList(vals []string) []string {
	var out []string
	for _, val := range vals {
		for _, s := range strings.Split(val, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errs.Errorf(errs.Invalid, "invalid %s %q: want an RFC 3339 time such as 2024-05-01T00:00:00Z", name, v)
	}
	return t.UTC(), nil
}

func parseBool(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errs.Errorf(errs.Invalid, "invalid %s %q: want true or false", name, v)
	}
	return b, nil
}

func parseLimit(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxSearchLimit {
		return 0, errs.Errorf(errs.Invalid, "invalid %s %q: want a number from 1 to %d", paramLimit, v, MaxSearchLimit)
	}
	return n, nil
}

func setList(v url.Values, name string, vals []string) {
	if len(vals) > 0 {
		v.Set(name, strings.Join(vals, ","))
	}
}

func setIf(v url.Values, name, val string) {
	if val != "" {
		v.Set(name, val)
	}
}

func setTime(v url.Values, name string, t time.Time) {
	if !t.IsZero() {
		v.Set(name, t.UTC().Format(time.RFC3339Nano))
	}
}
