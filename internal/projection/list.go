package projection

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// ListQuery selects object versions in ascending ledger order (the order in
// which they were committed, hence by date added), as TAXII and the exports
// read them. Zero fields do not filter.
type ListQuery struct {
	IDs     []string // STIX ids (OR)
	Types   []string // STIX types (OR)
	Authors []string // member ids (OR)
	// AddedAfter keeps versions committed strictly after this block time.
	AddedAfter time.Time
	// Versions selects which versions of each object; the zero value
	// selects the latest.
	Versions VersionMatch
	// Viewer, when set, keeps only the versions it may read (the rule of
	// access.MayRead, applied in SQL).
	Viewer *access.Viewer
	// Levels keeps versions at one of these TLP levels (OR), e.g. a
	// per-level collection.
	Levels []tlp.Level
	// Groups keeps versions addressed to one of these sharing groups (OR).
	Groups []string
	// Markings are AND-ed conditions on object_marking_refs.
	Markings []MarkingFilter
	// After resumes after this ledger index (from ListPage.Last); HasAfter
	// says whether it is set.
	After    uint64
	HasAfter bool
	// Limit is the page size; 0 means DefaultLimit, larger than MaxLimit
	// is clamped.
	Limit int
}

// VersionMatch selects versions of an object; several selectors are OR-ed.
// With none set, the latest version is selected.
type VersionMatch struct {
	First, Last, All bool
	At               []time.Time // exact versions (modified, or created)
}

// MarkingFilter keeps versions whose object_marking_refs hold one of Any,
// or, with OrNoneOf set, hold none of OrNoneOf (e.g. objects without any
// TLP marking).
type MarkingFilter struct {
	Any      []string
	OrNoneOf []string
}

// ListPage is one page of a List, oldest first.
type ListPage struct {
	Items []Version
	More  bool   // whether more versions match after the last item
	Last  uint64 // ledger index of the last item; resume with After = Last
}

// List returns one page of the versions q selects, in ascending ledger
// index order. Paging is stable while records are added: a page resumes
// after the last index returned.
func (s *Store) List(ctx context.Context, q ListQuery) (ListPage, error) {
	sqlText, args, limit, err := buildList(q)
	if err != nil {
		return ListPage{}, err
	}
	vs, err := s.queryVersions(ctx, sqlText, args...)
	if err != nil {
		return ListPage{}, fmt.Errorf("list: %w", err)
	}
	page := ListPage{Items: vs}
	if len(vs) > limit {
		page.Items, page.More = vs[:limit], true
	}
	if page.Items == nil {
		page.Items = []Version{}
	}
	if n := len(page.Items); n > 0 {
		page.Last = page.Items[n-1].Index
	}
	return page, nil
}

func buildList(q ListQuery) (string, []any, int, error) {
	limit, err := pageSize(q.Limit)
	if err != nil {
		return "", nil, 0, err
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"ids", len(q.IDs)}, {"types", len(q.Types)}, {"authors", len(q.Authors)}, {"versions", len(q.Versions.At)}} {
		if f.n > maxFilter {
			return "", nil, 0, errs.Errorf(errs.Invalid, "too many %s: %d, at most %d", f.name, f.n, maxFilter)
		}
	}
	var b where
	if q.HasAfter {
		b.add(`v.idx > ?`, int64(q.After))
	}
	b.in(`v.id`, q.IDs)
	b.in(`v.type`, q.Types)
	b.in(`v.author`, q.Authors)
	b.addedAfter(q.AddedAfter)
	versionCond(&b, q.Versions)
	if q.Viewer != nil {
		b.viewer(*q.Viewer)
	}
	if len(q.Levels) > 0 {
		levels := make([]int64, len(q.Levels))
		for i, l := range q.Levels {
			levels[i] = int64(l)
		}
		b.inInts(`v.tlp`, levels)
	}
	b.in(`v.grp`, q.Groups)
	for _, m := range q.Markings {
		markingCond(&b, m)
	}
	sqlText := `SELECT ` + versionColumns + ` FROM versions v` + b.String() + ` ORDER BY v.idx LIMIT ?`
	return sqlText, append(b.args, limit+1), limit, nil
}

// versionCond adds the OR of m's selectors; nothing when All is set.
func versionCond(b *where, m VersionMatch) {
	if m.All {
		return
	}
	var conds []string
	var args []any
	if m.Last || (!m.First && len(m.At) == 0) {
		conds = append(conds, `v.is_latest = 1`)
	}
	if m.First {
		conds = append(conds, `NOT EXISTS (SELECT 1 FROM versions w WHERE w.id = v.id AND w.vkey < v.vkey)`)
	}
	if len(m.At) > 0 {
		conds = append(conds, `v.vkey IN (?`+strings.Repeat(`, ?`, len(m.At)-1)+`)`)
		for _, t := range m.At {
			args = append(args, t.UTC().Format(vkeyLayout))
		}
	}
	b.add(`(`+strings.Join(conds, ` OR `)+`)`, args...)
}

// markingCond adds one MarkingFilter. A filter with neither list matches
// nothing (a scope that grants no level reads nothing).
func markingCond(b *where, m MarkingFilter) {
	const refs = `SELECT 1 FROM json_each(v.object, '$.object_marking_refs') j WHERE j.value IN `
	var conds []string
	var args []any
	if len(m.Any) > 0 {
		conds = append(conds, `EXISTS (`+refs+placeholders(len(m.Any))+`)`)
		args = appendStrings(args, m.Any)
	}
	if len(m.OrNoneOf) > 0 {
		conds = append(conds, `NOT EXISTS (`+refs+placeholders(len(m.OrNoneOf))+`)`)
		args = appendStrings(args, m.OrNoneOf)
	}
	if len(conds) == 0 {
		b.add(`0`)
		return
	}
	b.add(`(`+strings.Join(conds, ` OR `)+`)`, args...)
}

func placeholders(n int) string { return `(?` + strings.Repeat(`, ?`, n-1) + `)` }

func appendStrings(args []any, vals []string) []any {
	for _, v := range vals {
		args = append(args, v)
	}
	return args
}

// List cursors are base64url(tag 2, u64be(index), first 4 bytes of SHA-256
// of both): opaque to clients, and a forged or damaged one is refused.
const listCursorTag = 2

// EncodeListCursor returns the opaque cursor resuming after index idx.
func EncodeListCursor(idx uint64) string {
	b := binary.BigEndian.AppendUint64([]byte{listCursorTag}, idx)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(append(b, sum[:4]...))
}

// DecodeListCursor returns the index a cursor of EncodeListCursor resumes
// after, or errs.Invalid.
func DecodeListCursor(c string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != cursorLen || b[0] != listCursorTag {
		return 0, errs.Errorf(errs.Invalid, "invalid next: not a value this server issued")
	}
	sum := sha256.Sum256(b[:9])
	if string(sum[:4]) != string(b[9:]) {
		return 0, errs.Errorf(errs.Invalid, "invalid next: checksum mismatch")
	}
	return binary.BigEndian.Uint64(b[1:9]), nil
}
