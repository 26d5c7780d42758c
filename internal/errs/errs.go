// Package errs is Phalanx's one error type: a machine-readable code and a
// human message. Edges (REST, TAXII, CLI) map codes to status codes in one
// table each; everything else wraps errors with fmt.Errorf("...: %w", err)
// and the code survives the wrapping.
package errs

import (
	"errors"
	"fmt"
)

// Codes. Each maps to one HTTP status in internal/api.
const (
	Invalid         = "invalid"         // malformed or invalid input (400)
	Unauthenticated = "unauthenticated" // missing or wrong credential (401)
	Forbidden       = "forbidden"       // authenticated but not allowed (403)
	NotFound        = "not_found"       // no such thing (404)
	Conflict        = "conflict"        // duplicate or state conflict (409)
	TooLarge        = "too_large"       // body, object or transaction too large (413)
	Rejected        = "rejected"        // the ledger rejected a transaction (422)
	Unavailable     = "unavailable"     // node not ready, mempool full, timeout (503)
	Internal        = "internal"        // a bug or an I/O failure (500)
)

// Error is an error with a code. Message is safe to show to the caller.
type Error struct {
	Code    string
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the message of the first *Error in err's chain (the part
// safe to show to a caller), or "internal error" for any other error.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
