package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/measure"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// LatencyResult is a steady-rate run's publish-to-queryable latencies.
type LatencyResult struct {
	Rate     int             // objects/s asked for
	Achieved float64         // objects/s actually published
	Lat      []time.Duration // one per object, sorted
	Checked  int             // objects fetched from the projection right after Wait
	Retries  int             // publishes refused by the nonce race and retried
	PeakRSS  uint64
}

// Quantile is the nearest-rank q-quantile of the latencies.
func (r LatencyResult) Quantile(q float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	i := int(q*float64(len(r.Lat))+0.999999) - 1
	return r.Lat[min(max(i, 0), len(r.Lat)-1)]
}

// String is the run's one-line report.
func (r LatencyResult) String() string {
	return fmt.Sprintf("latency at %d/s (achieved %.1f/s, %d objects, one per tx): p50 %v, p90 %v, p99 %v, max %v; %d checked queryable; nonce-race retries %d; peak RSS %s",
		r.Rate, r.Achieved, len(r.Lat), report.Ms(r.Quantile(0.5)), report.Ms(r.Quantile(0.9)), report.Ms(r.Quantile(0.99)),
		report.Ms(r.Quantile(1)), r.Checked, r.Retries, report.MiB(r.PeakRSS))
}

// latencyRun describes a steady-rate run.
type latencyRun struct {
	tmp        string
	objs       []*stix.Object
	rate       int
	duration   time.Duration
	checkEvery int // fetch every checkEvery-th object from the projection after its Wait
}

// sample is one object's measurement.
type sample struct {
	lat     time.Duration
	retries int
}

// run publishes one object per transaction at a steady rate on a fresh
// node and measures, for each, the time from just before publishing to
// Wait returning, which the daemon does only once the object is queryable.
func (r latencyRun) run(ctx context.Context) (LatencyResult, error) {
	total := int(float64(r.rate) * r.duration.Seconds())
	if total > len(r.objs) {
		return LatencyResult{}, fmt.Errorf("latency run needs %d objects; the data set has %d", total, len(r.objs))
	}
	n, err := startNode(ctx, r.tmp)
	if err != nil {
		return LatencyResult{}, err
	}
	defer n.Close()
	resetPeakRSS()

	samples := make([]sample, total)
	errs := make([]error, total)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(r.rate)
	start := time.Now()
	for i := range total {
		// An absolute schedule: a late start is made up, never dropped.
		if err := sleepUntil(ctx, start.Add(time.Duration(i)*interval)); err != nil {
			wg.Wait()
			return LatencyResult{}, err
		}
		wg.Go(func() { samples[i], errs[i] = publishOne(ctx, n, r.objs[i], i%r.checkEvery == 0) })
	}
	sent := time.Since(start)
	wg.Wait()
	res := LatencyResult{Rate: r.rate, Achieved: float64(total-1) / sent.Seconds(),
		Checked: (total + r.checkEvery - 1) / r.checkEvery, PeakRSS: measure.PeakRSS("/proc/self/status")}
	for i, s := range samples {
		if errs[i] != nil {
			return res, errs[i]
		}
		res.Lat = append(res.Lat, s.lat)
		res.Retries += s.retries
	}
	slices.Sort(res.Lat)
	return res, nil
}

// publishOne publishes o alone, waits until it is queryable and returns how
// long that took. With check set it then fetches o from the projection
// (outside the measured time) to confirm that Wait's answer holds.
func publishOne(ctx context.Context, n *benchNode, o *stix.Object, check bool) (sample, error) {
	t0 := time.Now()
	subs, retries, err := publish(ctx, n.Intake(), []*stix.Object{o})
	s := sample{retries: retries}
	if err != nil {
		return s, fmt.Errorf("publish %s: %w", o.ID, err)
	}
	out, err := n.Intake().Wait(ctx, subs[0].TxHash)
	s.lat = time.Since(t0)
	if err != nil {
		return s, fmt.Errorf("wait for %s: %w", o.ID, err)
	}
	if out.Code != 0 || len(out.Records) != 1 {
		return s, fmt.Errorf("%s: rejected (code %d %s: %s)", o.ID, out.Code, out.Codename, out.Log)
	}
	if !check {
		return s, nil
	}
	vs, err := n.Projection().Get(ctx, o.ID, false)
	if err != nil || len(vs) == 0 {
		return s, fmt.Errorf("%s: not queryable after Wait returned (err %v)", o.ID, err)
	}
	return s, nil
}

// sleepUntil sleeps until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
