package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// fakeExporter records the caller and since it was asked for.
type fakeExporter struct {
	caller access.Caller
	since  time.Time
}

func (f *fakeExporter) ContentType(format string) (string, error) {
	if format != "csv" {
		return "", errs.Errorf(errs.Invalid, "unknown export format %q", format)
	}
	return "text/csv; charset=utf-8", nil
}

func (f *fakeExporter) Export(_ context.Context, w io.Writer, format string, since time.Time, c access.Caller) error {
	f.caller, f.since = c, since
	fmt.Fprint(w, "type,value\n")
	return nil
}

func TestExport(t *testing.T) {
	fx := &fakeExporter{}
	e := newEnv(t, func(c *api.Config) { c.Exporter = fx })
	resp, body := e.do(t, http.MethodGet, "/v1/export/csv?since=2026-01-02T03:04:05Z", readerSecret, "", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || string(body) != "type,value\n" {
		t.Fatalf("export: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if auth.Role(fx.caller.Role) != auth.RoleReader || fx.caller.TokenID == "" || !fx.since.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("exporter got caller %+v since %v", fx.caller, fx.since)
	}
	resp, body = e.do(t, http.MethodGet, "/v1/export/csv?since=yesterday", readerSecret, "", "")
	wantError(t, resp, body, http.StatusBadRequest, errs.Invalid)
	resp, body = e.do(t, http.MethodGet, "/v1/export/pdf", readerSecret, "", "")
	wantError(t, resp, body, http.StatusBadRequest, errs.Invalid)
	resp, body = e.do(t, http.MethodGet, "/v1/export/csv", "", "", "")
	wantError(t, resp, body, http.StatusUnauthorized, errs.Unauthenticated)

	plain := newEnv(t) // no exporter configured
	resp, body = plain.do(t, http.MethodGet, "/v1/export/csv", readerSecret, "", "")
	wantError(t, resp, body, http.StatusNotFound, errs.NotFound)
}
