package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/alerts"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/sighting"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/warninglist"
	"github.com/phalanx-ledger/phalanx/internal/web"
)

// matcher keeps the detection index in step with the ledger: the follower
// hands it the same records it applies to the projection, right after
// SQLite has them, so a committed indicator is matchable as soon as it is
// queryable and a revoking version removes it as fast.
type matcher struct {
	idx  *detect.Index
	warn *warninglist.Set // nil without configured warninglists
	log  *slog.Logger

	// Hits become local alerts (flushed every second and at the end of
	// each scan) and, for opted-in markings, sightings (every interval).
	alerts   *alerts.Store
	toAlert  *alerts.Tally
	toSight  *alerts.Tally
	optIn    map[string]bool
	interval time.Duration
	identity string
	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
	// open opens the sealed records addressed to this member (the
	// follower's opener); preload reads records straight from the ledger
	// and opens them with it. nil leaves records as they are.
	open func([]record.Record) []record.Record
}

// readable reports whether the member may read r, i.e. r is plaintext or
// a sealed record this node opened: only those go into the index.
func readable(r record.Record) bool { return r.Sealed == nil || len(r.Object) > 0 }

// startMatcher loads the configured warninglists and opens the alert
// store; the follower then feeds the index (see startLedger).
func (d *Daemon) startMatcher(ctx context.Context) error {
	var warn *warninglist.Set
	if d.cfg.Warninglists != "" {
		var err error
		if warn, err = warninglist.LoadDir(inDir(d.dir, d.cfg.Warninglists)); err != nil {
			return fmt.Errorf("config warninglists: %w", err)
		}
	}
	d.match = newMatcher(d.log, warn)
	var err error
	if d.match.alerts, err = alerts.Open(ctx, filepath.Join(d.dir, alertsFile)); err != nil {
		return err
	}
	d.match.optIn = d.cfg.Sightings
	d.match.interval = DefaultSightingInterval
	if d.cfg.SightingInterval != "" {
		d.match.interval, _ = time.ParseDuration(d.cfg.SightingInterval) // validated with the config
	}
	d.match.identity = sighting.Identity(d.cfg.ChainID, d.cfg.Member)
	return nil
}

// DefaultSightingInterval is how often hits are reported as sightings.
const DefaultSightingInterval = 5 * time.Minute

// startReporting runs the loop that writes alerts and publishes sightings.
func (m *matcher) startReporting(ctx context.Context, in *intake.Service) {
	ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	m.done = make(chan struct{})
	go m.report(ctx, in)
}

func (m *matcher) report(ctx context.Context, in *intake.Service) {
	defer close(m.done)
	alertTick := time.NewTicker(time.Second)
	defer alertTick.Stop()
	sightTick := time.NewTicker(m.interval)
	defer sightTick.Stop()
	for {
		select {
		case <-ctx.Done():
			m.flushAlerts(context.Background())
			return
		case <-alertTick.C:
			m.flushAlerts(ctx)
		case <-sightTick.C:
			m.publishSightings(ctx, in)
		}
	}
}

func (m *matcher) flushAlerts(ctx context.Context) {
	if err := m.alerts.Record(ctx, m.toAlert.Take()); err != nil {
		m.log.Error("record alerts", "err", err)
	}
}

// publishSightings publishes one sighting per opted-in indicator hit since
// the last interval.
func (m *matcher) publishSightings(ctx context.Context, in *intake.Service) {
	hits := m.toSight.Take()
	if len(m.optIn) == 0 || len(hits) == 0 {
		return
	}
	objs, err := sighting.Build(hits, m.identity, m.optIn, time.Now())
	if err != nil {
		m.log.Error("build sightings", "err", err)
		return
	}
	if len(objs) == 0 {
		return
	}
	if _, err := in.PublishObjects(ctx, objs); err != nil {
		m.log.Error("publish sightings", "n", len(objs), "err", err)
	}
}

func (m *matcher) stop() {
	m.stopOnce.Do(func() {
		if m.cancel != nil {
			m.cancel()
			<-m.done
		}
		if m.alerts != nil {
			m.alerts.Close()
		}
	})
}

func newMatcher(log *slog.Logger, warn *warninglist.Set) *matcher {
	return &matcher{idx: detect.New(1 << 16), warn: warn, log: log, toAlert: alerts.NewTally(), toSight: alerts.NewTally()}
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
		next = recs[len(recs)-1].Index + 1
		if m.open != nil {
			recs = m.open(recs)
		}
		m.apply(recs, nil)
	}
	return nil
}

// indicatorOf is detect.FromRecord, from the fields the projection decoded
// when there are any.
func indicatorOf(r record.Record, decoded *projection.Indicator) (detect.Indicator, bool, error) {
	if decoded != nil {
		return detect.FromFields(r, detect.IndicatorFields(*decoded))
	}
	return detect.FromRecord(r)
}

// apply indexes committed records; an indicator version older than the one
// indexed is ignored, so records may arrive twice.
//
// decoded holds, by record index, what the projection decoded of
// indicators (projection.ApplyDecoded); the others are decoded here.
func (m *matcher) apply(recs []record.Record, decoded map[uint64]*projection.Indicator) {
	for _, r := range recs {
		if !readable(r) {
			continue
		}
		in, ok, err := indicatorOf(r, decoded[r.Index])
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
	m := b.d.match
	if m.warn != nil {
		cfg.Warninglists = m.warn
	}
	st, err := m.idx.Scan(ctx, r, cfg, func(h detect.Hit) error {
		now := time.Now()
		m.toAlert.Add(h, now)
		m.toSight.Add(h, now)
		return emit(h)
	})
	m.flushAlerts(ctx)
	return st, err
}

// Alerts lists local alerts (GET /v1/alerts).
func (b backend) Alerts(ctx context.Context, since time.Time, limit int) ([]alerts.Alert, error) {
	return b.d.match.alerts.List(ctx, since, limit)
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

// webAlerts serves the dashboard's recent local alerts from the node's
// alert store (the same store as GET /v1/alerts).
type webAlerts struct{ d *Daemon }

var _ web.Alerts = webAlerts{}

// RecentAlerts implements web.Alerts: the n alerts seen last.
func (a webAlerts) RecentAlerts(ctx context.Context, n int) ([]web.Alert, error) {
	list, err := a.d.match.alerts.List(ctx, time.Time{}, n)
	if err != nil {
		return nil, fmt.Errorf("recent alerts: %w", err)
	}
	out := make([]web.Alert, len(list))
	for i, x := range list {
		s := fmt.Sprintf("%s %s: %d hit", x.Type, x.Value, x.Hits)
		if x.Hits != 1 {
			s += "s"
		}
		if x.LastWhere != "" {
			s += ", last at " + x.LastWhere
		}
		if x.Benign {
			s += " (on a warninglist)"
		}
		out[i] = web.Alert{Time: x.LastSeen, Object: x.IndicatorID, Summary: s}
	}
	return out, nil
}

// webMarkings tells the UI this node seals, so it offers every TLP level.
type webMarkings struct{}

var _ web.Markings = webMarkings{}

// PublishableLevels implements web.Markings.
func (webMarkings) PublishableLevels() []string {
	return []string{"clear", "green", "amber", "amber+strict", "red"}
}
