package api

import (
	"encoding/json"
	"net/http"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// Codes the HTTP edge adds to those of package errs, for failures that only
// exist in HTTP.
const (
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
)

// statusOfCode is the one table from error codes to HTTP status codes.
var statusOfCode = map[string]int{
	errs.Invalid:             http.StatusBadRequest,
	errs.Unauthenticated:     http.StatusUnauthorized,
	errs.Forbidden:           http.StatusForbidden,
	errs.NotFound:            http.StatusNotFound,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	errs.Conflict:            http.StatusConflict,
	errs.TooLarge:            http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	errs.Rejected:            http.StatusUnprocessableEntity,
	errs.Unavailable:         http.StatusServiceUnavailable,
	errs.Internal:            http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for an error code; 500 for unknown codes.
func StatusOf(code string) int {
	if st, ok := statusOfCode[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// CodeOfStatus returns the error code for an HTTP status, for responses that
// carry no error body (from a proxy, say): the table's code for that status,
// else Unavailable for 502 and 504, Invalid for other 4xx and Internal
// otherwise.
func CodeOfStatus(status int) string {
	for code, st := range statusOfCode {
		if st == status {
			return code
		}
	}
	switch {
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		return errs.Unavailable
	case status >= 400 && status < 500:
		return errs.Invalid
	}
	return errs.Internal
}

// detailOf turns err into what the caller may see. Internal errors keep
// their details out of the response.
func detailOf(err error) ErrorDetail {
	code := errs.CodeOf(err)
	if _, ok := statusOfCode[code]; !ok || code == errs.Internal {
		return ErrorDetail{Code: errs.Internal, Message: "internal error"}
	}
	return ErrorDetail{Code: code, Message: errs.MessageOf(err)}
}

// writeError writes err as an error response, logging internal errors with
// their details.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	d := detailOf(err)
	s.logIfInternal(r, d, err)
	if d.Code == errs.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="phalanx"`)
	}
	writeJSON(w, StatusOf(d.Code), ErrorBody{Error: d})
}

func (s *Server) logIfInternal(r *http.Request, d ErrorDetail, err error) {
	if d.Code == errs.Internal {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// writeJSON writes v as the JSON body of a response with status. It does
// not escape HTML characters, so STIX objects keep their bytes (a pattern's
// "<" stays "<").
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status is sent; a failed write only means the client left
}
