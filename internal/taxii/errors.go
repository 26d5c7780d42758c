package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// Error is a TAXII 2.1 error message resource (§3.6.1).
type Error struct {
	Title           string            `json:"title"`
	Description     string            `json:"description,omitempty"`
	ErrorID         string            `json:"error_id,omitempty"`
	ErrorCode       string            `json:"error_code,omitempty"`
	HTTPStatus      string            `json:"http_status,omitempty"`
	ExternalDetails string            `json:"external_details,omitempty"`
	Details         map[string]string `json:"details,omitempty"`
}

// httpError is an error with the HTTP status and title it answers with.
type httpError struct {
	status int
	title  string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func taxiiErr(status int, title, format string, args ...any) error {
	return &httpError{status: status, title: title, msg: fmt.Sprintf(format, args...)}
}

// statusOfCode is the TAXII edge's one table from errs codes to HTTP
// status and error title.
var statusOfCode = map[string]struct {
	status int
	title  string
}{
	errs.Invalid:         {http.StatusBadRequest, "bad request"},
	errs.Unauthenticated: {http.StatusUnauthorized, "unauthorized"},
	errs.Forbidden:       {http.StatusForbidden, "forbidden"},
	errs.NotFound:        {http.StatusNotFound, "not found"},
	errs.Conflict:        {http.StatusConflict, "conflict"},
	errs.TooLarge:        {http.StatusRequestEntityTooLarge, "request entity too large"},
	errs.Rejected:        {http.StatusUnprocessableEntity, "unprocessable entity"},
	errs.Unavailable:     {http.StatusServiceUnavailable, "service unavailable"},
}

// errorOf turns err into a status and TAXII error resource; internal
// errors keep their details out of the response.
func errorOf(err error) (int, Error) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, Error{Title: he.title, Description: he.msg, HTTPStatus: strconv.Itoa(he.status)}
	}
	code := errs.CodeOf(err)
	if m, ok := statusOfCode[code]; ok {
		return m.status, Error{Title: m.title, Description: errs.MessageOf(err), ErrorCode: code, HTTPStatus: strconv.Itoa(m.status)}
	}
	return http.StatusInternalServerError, Error{Title: "internal error", ErrorCode: errs.Internal, HTTPStatus: "500"}
}

// writeError writes err as a TAXII error message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorOf(err)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "taxii internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="phalanx-taxii", Bearer realm="phalanx-taxii"`)
	}
	writeTAXII(w, status, body)
}

// writeTAXII writes v as a TAXII JSON body. HTML characters stay as they
// are so STIX objects keep their bytes.
func writeTAXII(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status is sent; a failed write only means the client left
}
