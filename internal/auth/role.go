package auth

import (
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// ParseRole returns the role named s (case-insensitive), or errs.Invalid.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.valid() {
		return "", errs.Errorf(errs.Invalid, "unknown role %q: want admin, analyst, machine or reader", s)
	}
	return r, nil
}

func (r Role) valid() bool {
	switch r {
	case RoleAdmin, RoleAnalyst, RoleMachine, RoleReader:
		return true
	}
	return false
}

// Can reports whether r may do a: admin everything; analyst and machine
// read and publish; reader only read. Unknown roles and actions may nothing.
func (r Role) Can(a Action) bool {
	switch a {
	case ActionRead:
		return r.valid()
	case ActionPublish:
		return r == RoleAdmin || r == RoleAnalyst || r == RoleMachine
	case ActionAdmin:
		return r == RoleAdmin
	}
	return false
}

// Authorize returns nil if t's role may do a, and errs.Forbidden otherwise.
func Authorize(t Token, a Action) error {
	if t.Role.Can(a) {
		return nil
	}
	return errs.Errorf(errs.Forbidden, "role %q may not %s", t.Role, a)
}
