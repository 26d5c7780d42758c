package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/warninglist"
)

// matcher keeps the detection index in step with the ledger: the follower
// hands it the same records it applies to the projection, right after
// SQLite has them, so a committed indicator is matchable as soon as it is
// queryable and a revoking version removes it as fast.
type matcher struct {
	idx  *detect.Index
	warn *warninglist.Set // nil without configured warninglists
	log  *slog.Logger
	// readable is the seam for marking filters: only records the member may
	// read go into the index. Today every record on the ledger is plaintext
	// and readable by all members; when sealed records arrive the follower
	// will hand over only those this member can open, and this filter can
	// drop anything else.
	readable func(record.Record) bool
}

// startMatcher loads the configured warninglists and feeds the index from
// the follower.
func (d *Daemon) startMatcher() error {
	var warn *warninglist.Set
	if d.cfg.Warninglists != "" {
		var err error
		if warn, err = warninglist.LoadDir(inDir(d.dir, d.cfg.Warninglists)); err != nil {
			return fmt.Errorf("config warninglists: %w", err)
		}
	}
	d.match = newMatcher(d.log, warn)
	d.follow.preload = d.match.load
	d.follow.records = d.match.apply
	return nil
}

func newMatcher(log *slog.Logger, warn *warninglist.Set) *matcher {
	return &matcher{idx: detect.New(1 << 16), warn: warn, log: log, readable: func(record.Record) bool { return true }}
}

// load indexes the ledger's records [0, upTo): those the projection already
// holds at start-up (the follower's catch-up hands over the rest).
func (m *matcher) load(ctx context.Context, app *ledger.App, upTo uint64) error {
	for next := uint64(0); next < upTo; {
		if err := ctx.Err(); err != nil {
			return err
		}
		recs, err := app.Records(next, upTo, 5000)
		if err != nil {
			return fmt.Errorf("index records from %d: %w", next, err)
		}
		if len(recs) == 0 {
			return nil
		}
		m.apply(recs)
		next = recs[len(recs)-1].Index + 1
	}
	return nil
}

// apply indexes committed records; an indicator version older than the one
// indexed is ignored, so records may arrive twice.
func (m *matcher) apply(recs []record.Record) {
	for _, r := range recs {
		if !m.readable(r) {
			continue
		}
		in, ok, err := detect.FromRecord(r)
		if err != nil {
			m.log.Warn("indicator not matchable", "id", r.ObjectID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		if err := m.idx.Add(in); err != nil {
			m.log.Warn("indicator not indexed", "id", r.ObjectID, "err", err)
		}
	}
}

var (
	_ api.Matcher       = backend{}
	_ api.PublishWarner = backend{}
)

// Match scans telemetry against the index (POST /v1/match).
func (b backend) Match(ctx context.Context, r io.Reader, cfg detect.Config, emit func(detect.Hit) error) (detect.Stats, error) {
	if b.d.match.warn != nil {
		cfg.Warninglists = b.d.match.warn
	}
	return b.d.match.idx.Scan(ctx, r, cfg, emit)
}

// PublishWarnings lists the indicator values of body that are on the
// node's warninglists.
func (b backend) PublishWarnings(body []byte) []string {
	if b.d.match.warn == nil {
		return nil
	}
	objs, err := stix.ParseInput(body)
	if err != nil {
		return nil
	}
	return detect.Warnings(objs, b.d.match.warn)
}
