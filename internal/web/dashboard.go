package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Bounds of the dashboard.
const (
	feedSize  = 10
	chartDays = 14
	chartScan = 1000 // newest records counted for the chart
)

type dashboardPage struct {
	Status   api.Status
	Feed     []Item
	Why      []string // per Feed entry: why it is there (ranked feed only)
	Ranked   bool     // Feed is the user's ranked feed (subscriptions, profile)
	Awaiting []api.ProposalView
	Alerts   []Alert
	HasAlert bool // the node has an alert source
	Chart    chart
}

// dashboard shows network health, the newest intel, proposals awaiting
// this member's vote, recent alerts and a chart of records over time.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	ctx := r.Context()
	st, err := s.cfg.Backend.Status(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	data := dashboardPage{Status: st, HasAlert: s.cfg.Alerts != nil}
	if err := s.dashboardFeed(r, v, &data); err != nil {
		return err
	}
	if data.Awaiting, err = s.awaiting(r, st.Member); err != nil {
		return err
	}
	if s.cfg.Alerts != nil {
		if data.Alerts, err = s.recentAlerts(r, v); err != nil {
			return err
		}
	}
	if data.Chart, err = s.recordsChart(r, v); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "dashboard", v, data)
	return nil
}

// recentAlerts returns the newest alerts on indicators v may read: an
// alert names its indicator's value, so it is as confidential as the
// indicator.
func (s *Server) recentAlerts(r *http.Request, v *Viewer) ([]Alert, error) {
	list, err := s.cfg.Alerts.RecentAlerts(r.Context(), 3*feedSize)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	var out []Alert
	for _, a := range list {
		vs, err := s.cfg.Backend.Get(r.Context(), a.Object, false)
		if errs.CodeOf(err) == errs.NotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("alert on %s: %w", a.Object, err)
		}
		if len(s.visible(v, vs)) > 0 {
			out = append(out, a)
		}
		if len(out) == feedSize {
			break
		}
	}
	return out, nil
}

// awaiting lists the open proposals member has not voted on.
func (s *Server) awaiting(r *http.Request, member string) ([]api.ProposalView, error) {
	ps, err := s.cfg.Backend.Proposals(r.Context())
	if err != nil {
		return nil, fmt.Errorf("proposals: %w", err)
	}
	var out []api.ProposalView
	for _, p := range ps {
		if p.Status == ledger.ProposalOpen && p.Votes[member] == "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// chart is a bar chart of records and sightings per day, laid out for an
// SVG, with the numbers for a table.
type chart struct {
	Days              []chartDay
	Width, Height     int
	Max               int
	Records, Sighting int // totals
	Capped            bool
}

type chartDay struct {
	Label              string
	Records, Sightings int
	X, W               int // bar position and width
	SX, LX             int // sightings bar position, label centre
	RY, RH             int // records bar
	SY, SH             int // sightings bar
}

// recordsChart counts the newest chartScan records and sightings by the
// day of their block time over the last chartDays days.
func (s *Server) recordsChart(r *http.Request, v *Viewer) (chart, error) {
	c := chart{Width: 700, Height: 180}
	today := s.now().UTC().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, -(chartDays - 1))
	c.Days = make([]chartDay, chartDays)
	for i := range c.Days {
		c.Days[i].Label = first.AddDate(0, 0, i).Format("01-02")
	}
	count := func(types []string, add func(d *chartDay)) error {
		page, err := s.search(r.Context(), v, projection.Query{Types: types, AddedAfter: first.Add(-time.Nanosecond),
			Limit: chartScan, AllVersions: true})
		if err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		c.Capped = c.Capped || page.NextCursor != ""
		for _, x := range s.visible(v, page.Items) {
			if d := int(x.Added.UTC().Sub(first) / (24 * time.Hour)); d >= 0 && d < chartDays {
				add(&c.Days[d])
			}
		}
		return nil
	}
	if err := count(nil, func(d *chartDay) { d.Records++ }); err != nil {
		return c, err
	}
	if err := count([]string{"sighting"}, func(d *chartDay) { d.Sightings++ }); err != nil {
		return c, err
	}
	c.layout()
	return c, nil
}

// layout computes the bars: per day a records bar and a sightings bar
// side by side, scaled to the largest count.
func (c *chart) layout() {
	const top, bottom, left = 10, 30, 10
	for _, d := range c.Days {
		c.Max = max(c.Max, d.Records, d.Sightings)
		c.Records += d.Records
		c.Sighting += d.Sightings
	}
	plot := c.Height - top - bottom
	slot := (c.Width - left) / len(c.Days)
	for i := range c.Days {
		d := &c.Days[i]
		d.X, d.W = left+i*slot, (slot-6)/2
		d.SX, d.LX = d.X+d.W+2, d.X+d.W+1
		if c.Max > 0 {
			d.RH, d.SH = d.Records*plot/c.Max, d.Sightings*plot/c.Max
		}
		d.RY, d.SY = top+plot-d.RH, top+plot-d.SH
	}
}

// dashboardFeed fills the dashboard's feed: the user's ranked feed (what
// matches its subscriptions, then this member's profile, then the newest)
// when the node keeps subscriptions, else the newest readable records.
func (s *Server) dashboardFeed(r *http.Request, v *Viewer, data *dashboardPage) error {
	if rl, ok := s.relevanceOf(); ok {
		page, err := rl.Feed(r.Context(), v.Owner, v.Access, "", feedSize)
		if err != nil {
			return fmt.Errorf("feed: %w", err)
		}
		data.Ranked = true
		for _, e := range s.visibleEntries(v, page.Items) {
			data.Feed, data.Why = append(data.Feed, item(e.Record)), append(data.Why, why(e.Reasons))
		}
		return nil
	}
	feed, err := s.search(r.Context(), v, projection.Query{Limit: feedSize})
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	for _, x := range s.visible(v, feed.Items) {
		data.Feed = append(data.Feed, item(x))
	}
	return nil
}
