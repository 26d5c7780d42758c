package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// Defaults of Config.
const (
	DefaultBatch   = 500
	MaxBatch       = 1000 // the ledger's objects per transaction
	maxExamples    = 20   // rejected entries listed in a summary
	checkpointMode = 0o600
)

// Ledger is what an import needs from a node.
type Ledger interface {
	// Known returns, for each of ids that the ledger holds, its versions
	// (modified or created timestamps; anything for SCOs).
	Known(ctx context.Context, ids []string) (map[string][]string, error)
	// Publish commits objs and waits; it returns one result per
	// transaction, in order, covering every object. Private objects are
	// sealed for the importing member alone.
	Publish(ctx context.Context, objs []*stix.Object, private bool) ([]TxResult, error)
}

// TxResult is what became of one transaction of a Publish.
type TxResult struct {
	Objects  int    // how many of the published objects it carried, in order
	Accepted bool   // committed and accepted
	Reason   string // why the ledger rejected it
}

// Config configures Run. Source and Ledger are required.
type Config struct {
	Source Source
	Ledger Ledger
	// Key identifies the input (path, size, modification time); a
	// checkpoint for another key is ignored.
	Key string
	// Checkpoint is the file recording the last committed position; ""
	// disables resumption.
	Checkpoint string
	Batch      int      // objects per publish; 0 means DefaultBatch
	Progress   Progress // nil reports nothing
}

// Summary is what an import did.
type Summary struct {
	Read      int64            `json:"read"` // entries read from the source
	Accepted  int64            `json:"accepted"`
	Duplicate int64            `json:"duplicate"`
	Rejected  int64            `json:"rejected"`
	Reasons   map[string]int64 `json:"reasons,omitempty"` // rejection reason → count
	Examples  []Rejection      `json:"examples,omitempty"`
	Resumed   int64            `json:"resumed_at,omitempty"` // position a resumed import started from
	Elapsed   time.Duration    `json:"elapsed"`
}

// Rejection is one refused entry.
type Rejection struct {
	Where  string `json:"where"`
	Reason string `json:"reason"`
}

// checkpoint is the file that lets an interrupted import resume.
type checkpoint struct {
	Key     string  `json:"key"`
	Summary Summary `json:"summary"`
}

// Run imports everything cfg.Source yields. Entries up to the checkpoint's
// position are skipped; after each committed batch the position is
// written; objects the ledger already holds count as duplicates (so an
// import interrupted between commit and checkpoint repeats nothing). The
// checkpoint is removed when the import completes.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if cfg.Source == nil || cfg.Ledger == nil {
		return Summary{}, errors.New("importer: Config.Source and Ledger are required")
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	cfg.Batch = min(cfg.Batch, MaxBatch)
	r := &run{cfg: cfg, start: time.Now(), sum: Summary{Reasons: map[string]int64{}}}
	if err := r.resume(); err != nil {
		return r.sum, err
	}
	err := r.loop(ctx)
	r.sum.Elapsed = time.Since(r.start)
	if cfg.Progress != nil {
		cfg.Progress.Done(r.stats())
	}
	if err != nil {
		return r.sum, err
	}
	if cfg.Checkpoint != "" {
		if err := os.Remove(cfg.Checkpoint); err != nil && !errors.Is(err, os.ErrNotExist) {
			return r.sum, fmt.Errorf("remove checkpoint: %w", err)
		}
	}
	return r.sum, nil
}

type run struct {
	cfg   Config
	start time.Time
	sum   Summary
}

// resume skips what a checkpoint of the same input says is done.
func (r *run) resume() error {
	if r.cfg.Checkpoint == "" {
		return nil
	}
	b, err := os.ReadFile(r.cfg.Checkpoint)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	var cp checkpoint
	if err := json.Unmarshal(b, &cp); err != nil || cp.Key != r.cfg.Key {
		return nil // another input, or damaged: start over (duplicates are detected anyway)
	}
	for i := int64(0); i < cp.Summary.Read; i++ {
		if _, err := r.cfg.Source.Next(); err != nil {
			return fmt.Errorf("skip to checkpoint position %d: %w", cp.Summary.Read, err)
		}
	}
	r.sum = cp.Summary
	if r.sum.Reasons == nil {
		r.sum.Reasons = map[string]int64{}
	}
	r.sum.Resumed = cp.Summary.Read
	return nil
}

func (r *run) loop(ctx context.Context) error {
	for {
		batch, read, err := r.fill()
		if err != nil && err != io.EOF {
			return err
		}
		if len(batch) > 0 {
			if err := r.commit(ctx, batch); err != nil {
				return err
			}
		}
		r.sum.Read += read
		if err := r.save(); err != nil {
			return err
		}
		if r.cfg.Progress != nil {
			r.cfg.Progress.Update(r.stats())
		}
		if err == io.EOF {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// fill reads up to Batch objects, counting rejected entries on the way.
func (r *run) fill() ([]Item, int64, error) {
	var batch []Item
	var read int64
	for len(batch) < r.cfg.Batch {
		it, err := r.cfg.Source.Next()
		if err != nil {
			return batch, read, err
		}
		read++
		if it.Object == nil {
			r.reject(it.Where, it.Reason())
			continue
		}
		batch = append(batch, it)
	}
	return batch, read, nil
}

// Reason is why an item was rejected.
func (it Item) Reason() string { return it.Reject }

func (r *run) reject(where, reason string) {
	r.sum.Rejected++
	r.sum.Reasons[reasonKey(reason)]++
	if len(r.sum.Examples) < maxExamples {
		r.sum.Examples = append(r.sum.Examples, Rejection{Where: where, Reason: reason})
	}
}

// reasonKey groups reasons: quoted values become "…".
func reasonKey(reason string) string { return quoted.ReplaceAllString(reason, `"…"`) }

var quoted = regexp.MustCompile(`"[^"]*"`)

// commit drops duplicates, publishes the rest and isolates any object a
// transaction was rejected for.
func (r *run) commit(ctx context.Context, batch []Item) error {
	fresh, err := r.dedup(ctx, batch)
	if err != nil {
		return err
	}
	return r.publish(ctx, fresh)
}

func (r *run) dedup(ctx context.Context, batch []Item) ([]Item, error) {
	ids := make([]string, 0, len(batch))
	for _, it := range batch {
		ids = append(ids, it.Object.ID)
	}
	known, err := r.cfg.Ledger.Known(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("check duplicates: %w", err)
	}
	seen := map[string]bool{}
	var fresh []Item
	for _, it := range batch {
		o := it.Object
		key := o.ID + "\x00" + o.Version()
		if it.ByID {
			key = o.ID
		}
		vs, isKnown := known[o.ID]
		switch {
		case seen[key], isKnown && (it.ByID || o.IsSCO() || hasVersion(vs, o.Version())):
			r.sum.Duplicate++
		default:
			fresh = append(fresh, it)
		}
		seen[key] = true
	}
	return fresh, nil
}

func hasVersion(vs []string, v string) bool {
	want, err := time.Parse(time.RFC3339Nano, v)
	for _, x := range vs {
		if x == v {
			return true
		}
		if t, err2 := time.Parse(time.RFC3339Nano, x); err == nil && err2 == nil && t.Equal(want) {
			return true
		}
	}
	return false
}

// publish commits items, the private ones apart from the others.
func (r *run) publish(ctx context.Context, items []Item) error {
	var shared, private []Item
	for _, it := range items {
		if it.Private {
			private = append(private, it)
		} else {
			shared = append(shared, it)
		}
	}
	if err := r.publishAs(ctx, shared, false); err != nil {
		return err
	}
	return r.publishAs(ctx, private, true)
}

// publishAs commits items; a rejected transaction is split in halves until
// the objects it was rejected for stand alone, and those are rejected.
func (r *run) publishAs(ctx context.Context, items []Item, private bool) error {
	if len(items) == 0 {
		return nil
	}
	objs := make([]*stix.Object, len(items))
	for i, it := range items {
		objs[i] = it.Object
	}
	res, err := r.cfg.Ledger.Publish(ctx, objs, private)
	if err != nil {
		return fmt.Errorf("publish %d objects: %w", len(objs), err)
	}
	pos := 0
	for _, tx := range res {
		part := items[pos:min(pos+tx.Objects, len(items))]
		pos += tx.Objects
		switch {
		case tx.Accepted:
			r.sum.Accepted += int64(len(part))
		case len(part) == 1:
			r.reject(part[0].Where, "ledger rejected "+part[0].Object.ID+": "+tx.Reason)
		default:
			half := len(part) / 2
			if err := r.publishAs(ctx, part[:half], private); err != nil {
				return err
			}
			if err := r.publishAs(ctx, part[half:], private); err != nil {
				return err
			}
		}
	}
	return nil
}

// save writes the checkpoint atomically.
func (r *run) save() error {
	if r.cfg.Checkpoint == "" {
		return nil
	}
	b, err := json.Marshal(checkpoint{Key: r.cfg.Key, Summary: r.sum})
	if err != nil {
		return err
	}
	tmp := r.cfg.Checkpoint + ".tmp"
	if err := os.WriteFile(tmp, b, checkpointMode); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(tmp, r.cfg.Checkpoint); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

func (r *run) stats() Stats {
	done, total := r.cfg.Source.Progress()
	return Stats{Read: r.sum.Read, Done: done, Total: total, Elapsed: time.Since(r.start),
		Accepted: r.sum.Accepted, Duplicate: r.sum.Duplicate, Rejected: r.sum.Rejected}
}

// TopReasons returns the summary's rejection reasons, most frequent first.
func (s Summary) TopReasons() []string {
	out := make([]string, 0, len(s.Reasons))
	for k := range s.Reasons {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if s.Reasons[out[i]] != s.Reasons[out[j]] {
			return s.Reasons[out[i]] > s.Reasons[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}
