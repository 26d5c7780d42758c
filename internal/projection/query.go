package projection

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Search limits.
const (
	DefaultLimit = 50   // page size when Query.Limit is 0
	MaxLimit     = 1000 // larger limits are clamped to this
	maxFilter    = 100  // entries per Types, Labels or Authors list
	maxText      = 1000 // bytes of Query.Text
)

const versionColumns = `v.idx, v.id, v.type, v.version, v.revoked, v.is_latest, v.author, v.height, v.added, v.tx_hash, v.object, v.tlp, v.sealed, v.recipients, v.grp`

// Get returns the latest version of the object with the given STIX id, or
// with all set every version ordered by version ascending. It fails with
// errs.Invalid for a malformed id and errs.NotFound if there is none.
func (s *Store) Get(ctx context.Context, id string, all bool) ([]Version, error) {
	if !validID(id) {
		return nil, errs.Errorf(errs.Invalid, "invalid STIX id %q", id)
	}
	q := `SELECT ` + versionColumns + ` FROM versions v WHERE v.id = ? AND v.is_latest = 1`
	if all {
		q = `SELECT ` + versionColumns + ` FROM versions v WHERE v.id = ? ORDER BY v.vkey, v.idx`
	}
	vs, err := s.queryVersions(ctx, q, id)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	if len(vs) == 0 {
		return nil, errs.Errorf(errs.NotFound, "object %s not found", id)
	}
	return vs, nil
}

// Search returns one page of the versions q selects, newest ledger index
// first. Pages are stable while records are added: a cursor resumes below
// the last index returned, so later pages neither repeat nor skip a version
// (without AllVersions, an object updated meanwhile moves to its new,
// higher index and is not on later pages). Since and Until select
// versioned objects only (not SCOs).
func (s *Store) Search(ctx context.Context, q Query) (Page, error) {
	sqlText, args, limit, err := buildSearch(q)
	if err != nil {
		return Page{}, err
	}
	vs, err := s.queryVersions(ctx, sqlText, args...)
	if err != nil {
		return Page{}, fmt.Errorf("search: %w", err)
	}
	page := Page{Items: vs}
	if len(vs) > limit {
		page.Items = vs[:limit]
		page.NextCursor = encodeCursor(page.Items[limit-1].Index)
	}
	if page.Items == nil {
		page.Items = []Version{}
	}
	return page, nil
}

// buildSearch turns q into SQL and arguments; the query asks for one row
// more than the page size so that Search knows whether more exist.
func buildSearch(q Query) (string, []any, int, error) {
	limit, err := pageSize(q.Limit)
	if err != nil {
		return "", nil, 0, err
	}
	if err := checkFilters(q); err != nil {
		return "", nil, 0, err
	}
	var b where
	switch {
	case !q.AllVersions && q.Viewer != nil:
		// the newest version the viewer may read, which need not be the
		// newest stored
		cond, args := viewerCond("w", *q.Viewer)
		b.add(`NOT EXISTS (SELECT 1 FROM versions w WHERE w.id = v.id AND (w.vkey > v.vkey OR (w.vkey = v.vkey AND w.idx > v.idx)) AND `+cond+`)`, args...)
	case !q.AllVersions:
		b.add(`v.is_latest = 1`)
	}
	if q.Cursor != "" {
		idx, err := decodeCursor(q.Cursor)
		if err != nil {
			return "", nil, 0, err
		}
		b.add(`v.idx < ?`, int64(idx))
	}
	b.in(`v.type`, q.Types)
	b.in(`v.author`, q.Authors)
	for _, l := range q.Labels {
		b.add(`v.idx IN (SELECT l.idx FROM labels l WHERE l.label = ?)`, l)
	}
	if !q.Since.IsZero() {
		b.add(`v.vkey >= ?`, q.Since.UTC().Format(vkeyLayout))
	}
	if !q.Until.IsZero() {
		b.add(`v.vkey <> '' AND v.vkey < ?`, q.Until.UTC().Format(vkeyLayout))
	}
	b.addedAfter(q.AddedAfter)
	b.text(q.Text)
	if q.Viewer != nil {
		b.viewer(*q.Viewer)
	}
	sqlText := `SELECT ` + versionColumns + ` FROM versions v` + b.String() + ` ORDER BY v.idx DESC LIMIT ?`
	return sqlText, append(b.args, limit+1), limit, nil
}

// unixNanos is t in unix nanoseconds, saturated to the int64 range.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func pageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, errs.Errorf(errs.Invalid, "invalid limit %d: must not be negative", n)
	case n == 0:
		return DefaultLimit, nil
	default:
		return min(n, MaxLimit), nil
	}
}

func checkFilters(q Query) error {
	for _, f := range []struct {
		name string
		n    int
	}{{"types", len(q.Types)}, {"labels", len(q.Labels)}, {"authors", len(q.Authors)}} {
		if f.n > maxFilter {
			return errs.Errorf(errs.Invalid, "too many %s: %d, at most %d", f.name, f.n, maxFilter)
		}
	}
	if len(q.Text) > maxText {
		return errs.Errorf(errs.Invalid, "search text too long: %d bytes, at most %d", len(q.Text), maxText)
	}
	if !utf8.ValidString(q.Text) || strings.ContainsRune(q.Text, 0) {
		return errs.Errorf(errs.Invalid, "search text must be UTF-8 without NUL characters")
	}
	return nil
}

// where accumulates AND-ed conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds `col IN (...)` unless vals is empty.
// addedAfter keeps the versions committed strictly after block time t
// (none when t is zero). Block times increase with height, so those are
// the versions from the first such index on: one probe of added_at (the
// first index stored at each block time) bounds a range of the primary key.
func (w *where) addedAfter(t time.Time) {
	if t.IsZero() {
		return
	}
	at := unixNanos(t)
	w.add(`v.idx >= (SELECT a.first_idx FROM added_at a WHERE a.added > ? ORDER BY a.added LIMIT 1) AND +v.added > ?`, at, at)
}

func (w *where) in(col string, vals []string) { whereIn(w, col, vals) }

func (w *where) inInts(col string, vals []int64) { whereIn(w, col, vals) }

// whereIn adds "col IN (vals…)"; nothing when vals is empty.
func whereIn[T any](w *where, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	w.add(col+` IN (?`+strings.Repeat(`, ?`, len(vals)-1)+`)`, args...)
}

// text adds the free-text condition: every term in the full-text index, or
// the whole text equal to an observable value.
func (w *where) text(text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	exact := `v.idx IN (SELECT o.idx FROM obs_values o WHERE o.value = ?)`
	value := strings.ToLower(text)
	if m := matchExpr(text); m != "" {
		w.add(`(v.idx IN (SELECT rowid FROM fts WHERE fts MATCH ?) OR v.idx IN (SELECT rowid FROM fts_sealed WHERE fts_sealed MATCH ?) OR `+exact+`)`, m, m, value)
		return
	}
	w.add(exact, value)
}

// viewer keeps the versions v may read.
func (w *where) viewer(v access.Viewer) {
	cond, args := viewerCond("v", v)
	w.add(cond, args...)
}

// viewerCond is the rule of access.MayRead in SQL, over the versions row
// alias t.
func viewerCond(t string, v access.Viewer) (string, []any) {
	cond := t + `.tlp BETWEEN 1 AND ?`
	args := []any{int64(min(v.Clearance, tlp.Red))}
	switch {
	case v.Client:
		cond += ` AND ` + t + `.tlp <= ?`
		args = append(args, int64(tlp.Amber))
	case !v.Admin:
		grants := "[]"
		if len(v.Grants) > 0 {
			b, _ := json.Marshal(v.Grants) // strings: cannot fail
			grants = string(b)
		}
		cond += ` AND (` + t + `.tlp < ? OR ` + t + `.id IN (SELECT value FROM json_each(?)))`
		args = append(args, int64(tlp.Red), grants)
	}
	return `(` + cond + `)`, args
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// matchExpr turns user text into an FTS5 query that cannot be a syntax
// error or use FTS operators: each whitespace-separated term becomes a
// quoted phrase (all must match). Terms without a letter or digit, which
// the tokenizer would reduce to nothing, are dropped.
func matchExpr(text string) string {
	var terms []string
	for _, t := range strings.Fields(text) {
		if strings.IndexFunc(t, isWordRune) < 0 {
			continue
		}
		terms = append(terms, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
	}
	return strings.Join(terms, " ")
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// queryVersions runs a SELECT of versionColumns and scans the rows.
func (s *Store) queryVersions(ctx context.Context, q string, args ...any) ([]Version, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

func scanVersion(rows *sql.Rows) (Version, error) {
	var v Version
	var idx, added int64
	var txHash, object []byte
	var recipients string
	err := rows.Scan(&idx, &v.ID, &v.Type, &v.Version, &v.Revoked, &v.Latest, &v.Author, &v.Height, &added, &txHash, &object,
		&v.TLP, &v.Sealed, &recipients, &v.Group)
	if err != nil {
		return Version{}, err
	}
	if recipients != "" {
		v.Recipients = strings.Split(recipients, ",")
	}
	v.Index = uint64(idx)
	v.Added = time.Unix(0, added).UTC()
	v.TxHash = strings.ToUpper(hex.EncodeToString(txHash))
	v.Object = object
	return v, nil
}

// Cursors are base64url(tag, u64be(index), first 4 bytes of SHA-256 of both).
const (
	cursorTag = 1
	cursorLen = 1 + 8 + 4
)

func encodeCursor(idx uint64) string {
	b := binary.BigEndian.AppendUint64([]byte{cursorTag}, idx)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(append(b, sum[:4]...))
}

func decodeCursor(c string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != cursorLen || b[0] != cursorTag {
		return 0, errs.Errorf(errs.Invalid, "invalid cursor: not one this server issued")
	}
	sum := sha256.Sum256(b[:9])
	if string(sum[:4]) != string(b[9:]) {
		return 0, errs.Errorf(errs.Invalid, "invalid cursor: checksum mismatch")
	}
	return binary.BigEndian.Uint64(b[1:9]), nil
}

// validID reports whether id has the STIX form type--UUID.
func validID(id string) bool {
	cut := strings.LastIndex(id, "--")
	if cut < 0 {
		return false
	}
	typ, uuid := id[:cut], id[cut+2:]
	if len(typ) < 3 || len(typ) > 250 || len(uuid) != 36 {
		return false
	}
	for _, c := range typ {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	for i, c := range uuid {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
