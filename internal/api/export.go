package api

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// exportWriteTimeout bounds how long one export may stream.
const exportWriteTimeout = 30 * time.Minute

// Exporter writes exports (package export) through the node's read seam.
type Exporter interface {
	// ContentType returns the media type of a format, or errs.Invalid for
	// an unknown format.
	ContentType(format string) (string, error)
	// Export writes what caller may read, added after since (zero: all),
	// in format to w.
	Export(ctx context.Context, w io.Writer, format string, since time.Time, caller access.Caller) error
}

// export serves GET /v1/export/{format}?since=RFC3339.
func (s *Server) export(w http.ResponseWriter, r *http.Request) error {
	if s.exporter == nil {
		return errs.Errorf(errs.NotFound, "this node offers no exports")
	}
	format := r.PathValue("format")
	ct, err := s.exporter.ContentType(format)
	if err != nil {
		return err
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return errs.Errorf(errs.Invalid, "since: %q is not an RFC 3339 timestamp", v)
		}
	}
	viewer, err := s.viewer(r.Context())
	if err != nil {
		return err
	}
	caller := access.Caller{Viewer: viewer}
	if info := infoFrom(r.Context()); info != nil {
		caller.TokenID, caller.Role = info.token, string(info.role)
	}
	// A full export of a large ledger may take longer than the server's
	// write timeout, which is sized for publishing.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(exportWriteTimeout))
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := s.exporter.Export(r.Context(), w, format, since, caller); err != nil {
		// The status line is sent; the client sees a truncated body.
		s.log.ErrorContext(r.Context(), "export failed midway", "format", format, "err", err)
	}
	return nil
}
