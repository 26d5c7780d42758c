package projection

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Apply adds records to the projection in one transaction. Records must come
// in increasing Index order: one whose Index is below NextIndex is already
// applied and is skipped, so replaying a batch is harmless; one above it is a
// gap, and Apply fails (errs.Conflict) without applying anything.
//
// A second version of an object with a version it already has (which the
// ledger never accepts) is skipped, though its index is consumed.
func (s *Store) Apply(ctx context.Context, recs []record.Record) error {
	return s.applyAndKeep(ctx, recs, nil)
}

// ApplyDecoded is Apply, and also returns, by record index, the matcher's
// fields of each indicator it decoded (see Indicator), so the caller's
// matcher need not decode them again. Records it skipped, and indicators
// with a property of an unexpected shape, are not in the map.
func (s *Store) ApplyDecoded(ctx context.Context, recs []record.Record) (map[uint64]*Indicator, error) {
	decoded := make(map[uint64]*Indicator, len(recs))
	if err := s.applyAndKeep(ctx, recs, decoded); err != nil {
		return nil, err
	}
	return decoded, nil
}

// applyAndKeep applies recs and, when decoded is not nil, records in it
// the matcher's fields of every indicator decoded.
func (s *Store) applyAndKeep(ctx context.Context, recs []record.Record, decoded map[uint64]*Indicator) error {
	if len(recs) == 0 {
		return nil
	}
	if err := inTx(ctx, s.write, func(tx *sql.Tx) error { return s.apply(ctx, tx, recs, decoded) }); err != nil {
		return err
	}
	_ = s.eraseLog(ctx) // a withdrawal's log not yet truncated: retried here until it is
	if s.sinceCheckpoint.Add(int64(len(recs))) >= checkpointRecords {
		s.sinceCheckpoint.Store(0)
		s.ckpt.request()
	}
	return nil
}

// checkpointRecords is how many records Apply writes to the log between
// checkpoints. A checkpoint copies every page in the log into the
// database, so pages that successive Apply calls write again (index
// leaves, the newest pages of versions, the full-text index's structure)
// are copied once per checkpoint rather than once per block: 2–8% of
// Apply's CPU at 1,000 records a call (docs/benchmarks.md, "Session 6").
// At that pace the log holds a few MB; the writer's wal_autocheckpoint
// bounds it should the checkpointer fall behind.
const checkpointRecords = 4096

func (s *Store) apply(ctx context.Context, tx *sql.Tx, recs []record.Record, decoded map[uint64]*Indicator) error {
	next, err := getMeta(ctx, tx, metaNextIndex)
	if err != nil {
		return fmt.Errorf("apply: read next index: %w", err)
	}
	recs, err = pending(recs, uint64(next))
	if err != nil || len(recs) == 0 {
		return err
	}
	if err := s.ids.ready(ctx, tx); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	b := newBatch(ctx, tx, s.stmts)
	b.ids = s.ids
	b.decoded = decoded
	if err := b.apply(recs); err != nil {
		return err
	}
	last := recs[len(recs)-1]
	const setMeta = `UPDATE OR FAIL meta SET value = CASE key WHEN 'next_index' THEN ? ELSE ? END WHERE key IN ('next_index', 'height')`
	if _, err := tx.ExecContext(ctx, setMeta, int64(last.Index+1), last.Height); err != nil {
		return fmt.Errorf("apply: update position: %w", err)
	}
	return nil
}

// pending returns the records of recs not applied yet (index next on),
// checking that they follow one another without a gap.
func pending(recs []record.Record, next uint64) ([]record.Record, error) {
	out := make([]record.Record, 0, len(recs))
	for i := range recs {
		switch idx := recs[i].Index; {
		case idx < next:
			continue
		case idx > next:
			return nil, errs.Errorf(errs.Conflict, "apply record %d: gap in ledger index, expected %d", idx, next)
		}
		out = append(out, recs[i])
		next++
	}
	return out, nil
}

// batch applies one batch of records. It decides in Go which version of
// each object is the latest and which records are duplicates, and writes
// each table with multi-row inserts while JSON decoding runs ahead.
type batch struct {
	ctx, rowCtx context.Context
	tx          *sql.Tx
	objects     map[string]*objectVersions // stored versions of the batch's objects
	demote      []int64                    // versions no longer latest

	versions, labels, values, addedAt, text, sealedText *inserter
	lastAdded                                           int64 // block time of the last version written, if any
	anyAdded                                            bool

	ids     *idFilter             // ids that may be stored
	decoded map[uint64]*Indicator // when set, receives each indicator's matcher fields
}

func newBatch(ctx context.Context, tx *sql.Tx, st *statements) *batch {
	// Row statements run without cancellation: for a cancellable context
	// the driver starts a watcher goroutine per statement, which costs
	// more than the insert. The loop checks ctx itself, and the
	// transaction, begun with ctx, is rolled back if ctx ends.
	rowCtx := context.WithoutCancel(ctx)
	return &batch{
		ctx: ctx, rowCtx: rowCtx, tx: tx,
		versions: st.versions.in(rowCtx, tx),
		labels:   st.labels.in(rowCtx, tx),
		values:   st.values.in(rowCtx, tx),
		addedAt:  st.addedAt.in(rowCtx, tx),
		text:     st.text.in(rowCtx, tx),

		sealedText: st.sealedText.in(rowCtx, tx),
	}
}

// objectVersions are the versions of one object, as stored or applied.
type objectVersions struct {
	vkeys     map[string]bool
	latestIdx int64
	latest    string // vkey of the latest version
}

func (b *batch) apply(recs []record.Record) error {
	if err := b.loadObjects(recs); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	parsed := extractAhead(ctx, recs)
	defer func() {
		cancel()
		for range parsed { // wait for the decoder to stop using recs
		}
	}()
	for i := range recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &recs[i]
		p := <-parsed
		if r.Object == nil {
			continue // sealed, and not for this node: only the index advances
		}
		if p.err != nil {
			return errs.Errorf(errs.Invalid, "apply record %d (%s): %v", r.Index, r.ObjectID, p.err)
		}
		if err := b.add(r, p.fields); err != nil {
			return fmt.Errorf("apply record %d: %w", r.Index, err)
		}
		if p.Indicator != nil && b.decoded != nil {
			b.decoded[r.Index] = p.Indicator
		}
	}
	if err := b.finish(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

// loadObjects reads the stored versions of every object recs name that
// the id filter says may have some.
func (b *batch) loadObjects(recs []record.Record) error {
	b.objects = make(map[string]*objectVersions, len(recs))
	var ids []string
	for i := range recs {
		if b.ids.mayHave(recs[i].ObjectID) {
			ids = append(ids, recs[i].ObjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	const q = `SELECT id, idx, vkey, is_latest FROM versions WHERE id IN (SELECT value FROM json_each(?))`
	rs, err := b.tx.QueryContext(b.rowCtx, q, string(idsJSON))
	if err != nil {
		return fmt.Errorf("load versions: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var id, vkey string
		var idx int64
		var latest bool
		if err := rs.Scan(&id, &idx, &vkey, &latest); err != nil {
			return fmt.Errorf("load versions: %w", err)
		}
		o := b.object(id)
		o.vkeys[vkey] = true
		if latest {
			o.latestIdx, o.latest = idx, vkey
		}
	}
	return rs.Err()
}

func (b *batch) object(id string) *objectVersions {
	o := b.objects[id]
	if o == nil {
		o = &objectVersions{vkeys: map[string]bool{}, latestIdx: -1}
		b.objects[id] = o
	}
	return o
}

// add writes or buffers the rows of one record, unless it repeats a stored
// version.
func (b *batch) add(r *record.Record, f fields) error {
	idx, vkey := int64(r.Index), versionKey(r.Modified)
	o := b.object(r.ObjectID)
	if o.vkeys[vkey] {
		return nil // a duplicate (id, version): skipped
	}
	o.vkeys[vkey] = true
	isLatest := o.latestIdx < 0 || vkey > o.latest
	if isLatest {
		if o.latestIdx >= 0 {
			b.demote = append(b.demote, o.latestIdx)
		}
		o.latestIdx, o.latest = idx, vkey
	}
	ctx := b.rowCtx
	acc := accessOf(r, f.Level)
	added := r.Time.UnixNano()
	err := b.versions.add(ctx, idx, r.ObjectID, r.Type, r.Modified, vkey, f.Created, f.Revoked,
		r.Author, r.Height, added, r.TxHash, r.Object, f.Name, isLatest,
		int64(acc.Level), strings.Join(acc.Recipients, ","), acc.Group, r.Sealed != nil)
	if err != nil {
		return err
	}
	b.ids.add(r.ObjectID)
	if err := b.addTime(added, idx); err != nil {
		return err
	}
	for _, l := range f.Labels {
		if err := b.labels.add(ctx, l, idx); err != nil {
			return err
		}
	}
	for _, v := range f.Values {
		if err := b.values.add(ctx, strings.ToLower(v), idx); err != nil {
			return err
		}
	}
	var vals string
	if f.Pattern == "" { // a pattern already holds its values' text
		vals = strings.Join(f.Values, " ")
	}
	if r.Sealed != nil {
		return b.sealedText.add(ctx, idx, f.Name, f.Description, f.Pattern, vals)
	}
	return b.text.add(ctx, idx, f.Name, f.Description, f.Pattern, vals)
}

// addTime records that version idx was stored at block time added: one
// added_at row for each run of versions with the same time (a block).
func (b *batch) addTime(added, idx int64) error {
	if b.anyAdded && added == b.lastAdded {
		return nil
	}
	b.anyAdded, b.lastAdded = true, added
	return b.addedAt.add(b.rowCtx, added, idx)
}

// accessOf returns the record's access data, or for a plaintext record
// without it (one read back from the ledger's state, as a rebuild does),
// its TLP level with GREEN as the default: decoded, the level extract
// read, else tlp.Of's.
func accessOf(r *record.Record, decoded tlp.Level) record.Access {
	if r.Access != nil {
		return *r.Access
	}
	if decoded != 0 {
		return record.Access{Level: uint8(decoded)}
	}
	lvl, err := tlp.Of(r.Object, tlp.Green)
	if err != nil {
		lvl = tlp.Green
	}
	return record.Access{Level: uint8(lvl)}
}

// finish writes the rows still buffered and demotes superseded versions.
// Text goes last: a statement that opens a statement journal makes FTS5
// flush its pending terms into a new segment, so interleaving text with
// other writes would create many small segments and spend time merging.
func (b *batch) finish() error {
	for _, in := range []*inserter{b.versions, b.labels, b.values, b.addedAt, b.sealedText} {
		if err := in.flush(b.rowCtx); err != nil {
			return err
		}
	}
	if err := b.demoteSuperseded(); err != nil {
		return err
	}
	return b.text.flush(b.rowCtx)
}

func (b *batch) demoteSuperseded() error {
	if len(b.demote) == 0 {
		return nil
	}
	ids, err := json.Marshal(b.demote)
	if err != nil {
		return err
	}
	const q = `UPDATE OR FAIL versions SET is_latest = 0 WHERE idx IN (SELECT value FROM json_each(?))`
	if _, err := b.tx.ExecContext(b.rowCtx, q, string(ids)); err != nil {
		return fmt.Errorf("demote versions: %w", err)
	}
	return nil
}

// parsed is the outcome of extracting one record's object.
type parsed struct {
	fields
	err error
}

// extractAhead extracts the objects of recs on its own goroutine (from
// the parse a record carries, or by decoding its JSON: extractRecord), so
// that this work overlaps the SQL writes; results arrive in order, and the
// channel is closed when the goroutine is done. It stops early when ctx
// is done.
func extractAhead(ctx context.Context, recs []record.Record) <-chan parsed {
	ch := make(chan parsed, len(recs))
	go func() {
		defer close(ch)
		for i := range recs {
			if ctx.Err() != nil {
				return
			}
			if recs[i].Object == nil {
				ch <- parsed{}
				continue
			}
			f, err := extractRecord(&recs[i])
			ch <- parsed{f, err}
		}
	}()
	return ch
}

// vkeyLayout is RFC 3339 in UTC with a fixed nine-digit fraction, so that
// strings compare as the times they denote.
const vkeyLayout = "2006-01-02T15:04:05.000000000Z"

// versionKey returns the sortable form of a STIX version timestamp; "" stays
// "", and a string that is not RFC 3339 is kept as is.
func versionKey(v string) string {
	if v == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return v
	}
	return t.UTC().Format(vkeyLayout)
}
