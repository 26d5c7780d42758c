// Package audit compares what a node serves with what its ledger
// committed: the SQLite projection, record by record, against the ledger's
// records (the node's own state at run time, or a replay of the block
// store for `phalanx audit`). It reports the first difference with the
// record's index, height and object.
package audit

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// Diff is the first place where the projection and the ledger differ.
type Diff struct {
	Index    uint64 `json:"index"`
	Height   int64  `json:"height"`    // block height of the ledger's record (0 if the ledger has none)
	ObjectID string `json:"object_id"` // the ledger's object id (or the projection's if the ledger has none)
	Problem  string `json:"problem"`
}

func (d *Diff) String() string {
	return fmt.Sprintf("record %d (height %d, %s): %s", d.Index, d.Height, d.ObjectID, d.Problem)
}

// Scanner is the projection: every stored record in index order and the
// next index it expects.
type Scanner interface {
	Scan(ctx context.Context, fn func(record.Record) error) (uint64, error)
}

// Records reads the ledger's records with index in [from, to), at most max,
// with the sealed ones this node can open opened (Object set); a sealed
// record left with a nil Object is one the projection must not hold.
type Records func(from, to uint64, max int) ([]record.Record, error)

// batch is how many ledger records are read at a time.
const batch = 4096

var errFound = errors.New("difference found")

// Projection compares every projection row with the ledger record of the
// same index: the index sequence must have no gaps and end at the
// projection's next index, and every field must be equal. ledgerSize is
// the number of records the ledger holds. It returns the first difference
// (nil if none) and how many records it compared. The ledger's records
// are read ahead on a second goroutine (ledger must be safe for use
// alongside the projection's scan), so reading and decoding them overlaps
// the projection's scan.
func Projection(ctx context.Context, proj Scanner, ledger Records, ledgerSize uint64) (*Diff, uint64, error) {
	return projection(ctx, proj, ledger, ledgerSize, func() uint64 { return ledgerSize }, batch)
}

// projection compares with a ledger of at most bound records, which may
// still be growing (a replay in progress: then ledger blocks until it has
// the records asked for or the replay ended, and an empty batch means the
// end); final waits for and returns the number of records it ends with.
func projection(ctx context.Context, proj Scanner, ledger Records, bound uint64, final func() uint64, size int) (*Diff, uint64, error) {
	ahead := readAhead(ledger, bound, size)
	defer ahead.stop()
	c := &comparer{ledger: ledger, ahead: ahead, size: size}
	next, err := proj.Scan(ctx, c.row)
	if errors.Is(err, errFound) {
		return c.diff, c.i, nil
	}
	if err != nil {
		return nil, c.i, err
	}
	if c.err != nil {
		return nil, c.i, c.err
	}
	ledgerSize := final()
	switch {
	case next > ledgerSize:
		return &Diff{Index: ledgerSize, Problem: fmt.Sprintf("projection claims %d records; the ledger has %d", next, ledgerSize)}, c.i, nil
	case c.i < next:
		if err := c.skipTo(next); errors.Is(err, errFound) {
			return c.diff, c.i, nil
		} else if err != nil {
			return nil, c.i, err
		}
	}
	return nil, c.i, nil
}

// fetched is one batch of ledger records read ahead.
type fetched struct {
	from uint64
	recs []record.Record
	err  error
}

// reader reads the ledger's records in batches, in index order, ahead of
// the comparison.
type reader struct {
	batches chan fetched
	done    chan struct{}
	exited  chan struct{}
}

func readAhead(ledger Records, ledgerSize uint64, size int) *reader {
	r := &reader{batches: make(chan fetched, 2), done: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(r.exited)
		defer close(r.batches)
		for from := uint64(0); from < ledgerSize; from += uint64(size) {
			recs, err := ledger(from, from+uint64(size), size)
			select {
			case r.batches <- fetched{from: from, recs: recs, err: err}:
			case <-r.done:
				return
			}
			if err != nil || len(recs) == 0 {
				return
			}
		}
	}()
	return r
}

// stop ends the read-ahead and waits for its goroutine.
func (r *reader) stop() {
	close(r.done)
	<-r.exited
}

type comparer struct {
	ledger Records
	ahead  *reader
	size   int             // records per batch
	buf    []record.Record // a batch of ledger records, by index from bufFrom
	from   uint64
	i      uint64 // next index expected
	diff   *Diff
	err    error
}

// want returns the ledger's record idx (nil if the ledger has none): from
// the batch at hand, the next batch read ahead, or (out of order) read now.
func (c *comparer) want(idx uint64) (*record.Record, error) {
	if !c.holds(idx) && c.ahead != nil {
		if f, ok := <-c.ahead.batches; ok {
			if f.err != nil {
				return nil, fmt.Errorf("read ledger records from %d: %w", f.from, f.err)
			}
			c.buf, c.from = f.recs, f.from
		} else {
			c.ahead = nil // all read: whatever comes now is read directly
		}
	}
	if !c.holds(idx) {
		recs, err := c.ledger(idx, idx+uint64(c.size), c.size)
		if err != nil {
			return nil, fmt.Errorf("read ledger records from %d: %w", idx, err)
		}
		c.buf, c.from = recs, idx
	}
	return find(c.buf, idx), nil
}

// find returns the record with index idx in recs (in index order), or
// nil: at its offset from the first when recs has no gap before it (as a
// ledger's batches have none), else by binary search.
func find(recs []record.Record, idx uint64) *record.Record {
	if len(recs) == 0 || idx < recs[0].Index {
		return nil
	}
	if k := idx - recs[0].Index; k < uint64(len(recs)) && recs[k].Index == idx {
		return &recs[k]
	}
	k, ok := slices.BinarySearchFunc(recs, idx, func(r record.Record, idx uint64) int { return cmp.Compare(r.Index, idx) })
	if !ok {
		return nil
	}
	return &recs[k]
}

// holds reports whether the batch at hand covers index idx.
func (c *comparer) holds(idx uint64) bool {
	return c.buf != nil && idx >= c.from && idx < c.from+uint64(c.size)
}

func (c *comparer) row(got record.Record) error {
	if got.Index < c.i {
		c.diff = &Diff{Index: got.Index, Height: got.Height, ObjectID: got.ObjectID, Problem: "projection holds the row twice"}
		return errFound
	}
	if err := c.skipTo(got.Index); err != nil {
		return err
	}
	w, err := c.want(got.Index)
	if err != nil {
		c.err = err
		return err
	}
	switch {
	case w == nil:
		c.diff = &Diff{Index: got.Index, Height: got.Height, ObjectID: got.ObjectID, Problem: "projection has a row the ledger does not"}
		return errFound
	case !held(w):
		c.diff = &Diff{Index: got.Index, Height: w.Height, ObjectID: w.ObjectID,
			Problem: "projection holds a sealed record this node cannot open, or one that was withdrawn"}
		return errFound
	}
	if field := Differs(*w, got); field != "" {
		c.diff = &Diff{Index: got.Index, Height: w.Height, ObjectID: w.ObjectID, Problem: "projection's " + field + " differs from the ledger's"}
		return errFound
	}
	c.i++
	return nil
}

// skipTo moves the expected index up to idx: every record in between must
// be one the projection does not hold.
func (c *comparer) skipTo(idx uint64) error {
	for ; c.i < idx; c.i++ {
		w, err := c.want(c.i)
		if err != nil {
			c.err = err
			return err
		}
		if w == nil || held(w) {
			c.diff = missing(c.i, w)
			return errFound
		}
	}
	return nil
}

// held reports whether the projection holds a ledger record: every
// plaintext record, and a sealed one only once this node opened it (the
// Records function opens what it can; Object stays nil otherwise).
func held(w *record.Record) bool { return w.Object != nil }

func missing(idx uint64, w *record.Record) *Diff {
	d := &Diff{Index: idx, Problem: "projection has no row for this record"}
	if w != nil {
		d.Height, d.ObjectID = w.Height, w.ObjectID
	}
	return d
}

// Differs names the first field in which two records differ ("" if none).
func Differs(a, b record.Record) string {
	switch {
	case a.Index != b.Index:
		return "index"
	case a.Height != b.Height:
		return "height"
	case !a.Time.Equal(b.Time):
		return "time"
	case !bytes.Equal(a.TxHash, b.TxHash):
		return "tx hash"
	case a.Author != b.Author:
		return "author"
	case a.ObjectID != b.ObjectID:
		return "object id"
	case a.Type != b.Type:
		return "type"
	case a.Modified != b.Modified:
		return "version"
	case !bytes.Equal(a.Object, b.Object):
		return "object"
	}
	return ""
}
