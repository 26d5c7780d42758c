package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/alerts"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/extract"
)

// Matcher is the optional capability of a Backend that matches telemetry
// against the member's indicator index (POST /v1/match). A Backend without
// it answers that route with Unavailable.
type Matcher interface {
	// Match scans r and calls emit for every hit, in input order.
	Match(ctx context.Context, r io.Reader, cfg detect.Config, emit func(detect.Hit) error) (detect.Stats, error)
}

// PublishWarner is the optional capability of a Backend that warns about
// what a publish contains without refusing it: indicator values on the
// node's warninglists. The warnings go into PublishResult.Warnings.
type PublishWarner interface {
	PublishWarnings(body []byte) []string
}

// AlertLister is the optional capability of a Backend that keeps local
// alerts (GET /v1/alerts).
type AlertLister interface {
	// Alerts returns up to limit alerts last seen at or after since, most
	// recent first.
	Alerts(ctx context.Context, since time.Time, limit int) ([]alerts.Alert, error)
}

// AlertsResponse is the body of GET /v1/alerts.
type AlertsResponse struct {
	Alerts []alerts.Alert `json:"alerts"`
}

// listAlerts answers GET /v1/alerts?since=&limit=.
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) error {
	al, ok := s.backend.(AlertLister)
	if !ok {
		return errs.Errorf(errs.Unavailable, "this node keeps no alerts")
	}
	q := r.URL.Query()
	if err := allowParams(q, "since", "limit"); err != nil {
		return err
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return errs.Errorf(errs.Invalid, "since=%q: want an RFC 3339 time", v)
		}
		since = t
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errs.Errorf(errs.Invalid, "limit=%q: want 1 to 1000", v)
		}
		limit = n
	}
	list, err := al.Alerts(r.Context(), since, limit)
	if err != nil {
		return err
	}
	if list, err = s.readableAlerts(r.Context(), list); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AlertsResponse{Alerts: list})
	return nil
}

// readableAlerts keeps the alerts on indicators the request's token may
// read: an alert names its indicator's value, so it is as confidential as
// the indicator.
func (s *Server) readableAlerts(ctx context.Context, list []alerts.Alert) ([]alerts.Alert, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	out := list[:0:0]
	for _, a := range list {
		vs, err := s.backend.Get(ctx, a.IndicatorID, false)
		if errs.CodeOf(err) == errs.NotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("alert on %s: %w", a.IndicatorID, err)
		}
		if len(readable(v, vs)) > 0 {
			out = append(out, a)
		}
	}
	return out, nil
}

// MatchLine is one line of the POST /v1/match response (JSON lines): a hit,
// or, last, the summary or the error that ended the scan.
type MatchLine struct {
	*detect.Hit
	Summary *detect.Stats `json:"summary,omitempty"`
	Error   *ErrorDetail  `json:"error,omitempty"`
}

// matchIdle bounds how long a match stream may stall in either direction.
const matchIdle = 2 * time.Minute

// match streams the request body (telemetry lines) through the matcher and
// the hits back as JSON lines, flushing as it goes.
func (s *Server) match(w http.ResponseWriter, r *http.Request) error {
	m, ok := s.backend.(Matcher)
	if !ok {
		return errs.Errorf(errs.Unavailable, "this node has no matcher")
	}
	cfg, err := parseMatchQuery(r)
	if err != nil {
		return err
	}
	if err := checkMediaType(r.Header.Get("Content-Type"), []string{"text/plain", "application/octet-stream",
		"application/x-ndjson", "application/json", "text/csv"}); err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex() // read the telemetry while hits go out
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	body := &deadlineReader{r: r.Body, rc: rc}
	dirty := false
	cfg.AfterBlock = func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(matchIdle))
		if !dirty {
			return nil
		}
		dirty = false
		return rc.Flush()
	}
	st, err := m.Match(r.Context(), body, cfg, func(h detect.Hit) error {
		dirty = true
		return enc.Encode(MatchLine{Hit: &h})
	})
	if err != nil {
		detail := errorDetail(err)
		_ = enc.Encode(MatchLine{Error: &detail})
		return nil // the status is sent; the error line says what went wrong
	}
	_ = enc.Encode(MatchLine{Summary: &st})
	return nil
}

// errorDetail describes an error in a stream's last line.
func errorDetail(err error) ErrorDetail {
	var e *errs.Error
	if errors.As(err, &e) {
		return ErrorDetail{Code: e.Code, Message: e.Message}
	}
	if errors.Is(err, detect.ErrLineTooLong) {
		return ErrorDetail{Code: errs.TooLarge, Message: err.Error()}
	}
	return ErrorDetail{Code: errs.Invalid, Message: err.Error()}
}

// deadlineReader extends the read deadline while the body keeps coming.
type deadlineReader struct {
	r  io.Reader
	rc *http.ResponseController
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	_ = d.rc.SetReadDeadline(time.Now().Add(matchIdle))
	return d.r.Read(p)
}

func parseMatchQuery(r *http.Request) (detect.Config, error) {
	q := r.URL.Query()
	if err := allowParams(q, "format", "field", "exact", "source"); err != nil {
		return detect.Config{}, err
	}
	cfg := detect.Config{Format: extract.Format(q.Get("format")), Fields: q["field"], Source: q.Get("source")}
	if cfg.Format != "" && !slices.Contains(extract.Formats, cfg.Format) {
		return cfg, errs.Errorf(errs.Invalid, "format %q: want one of %v", cfg.Format, extract.Formats)
	}
	if _, err := extract.NewSplitter(cfg.Format, cfg.Fields); cfg.Format != "" && err != nil {
		return cfg, errs.Errorf(errs.Invalid, "%v", err)
	}
	if v := q.Get("exact"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, errs.Errorf(errs.Invalid, "exact=%q: want true or false", v)
		}
		cfg.Exact = b
	}
	return cfg, nil
}
