// Package access decides which of a node's users may read a record: the
// Traffic Light Protocol enforced inside a member's node, on every read
// path (REST get, versions, search, exports, TAXII and the UI).
//
// Which records a node holds at all is decided by cryptography (a node
// opens only what was sealed for its member). Inside the node:
//
//   - a user reads nothing above its clearance;
//   - CLEAR, GREEN and AMBER: the member's own users and the clients it
//     registered;
//   - AMBER+STRICT: the member's own users only, never a client;
//   - RED: own users named for the record by the member's admin (a
//     grant), and the admin; never a client.
//
// A denied record is reported as not found, so that denial does not reveal
// existence. The same rule reaches TAXII and the exports through a Policy,
// which turns a Caller into a Scope the projection applies to every query.
// The package imports only the standard library and internal/tlp.
package access

import (
	"context"
	"fmt"
	"slices"

	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Viewer is who is reading: one user (or token) of the node.
type Viewer struct {
	// Clearance is the highest TLP level the user may read.
	Clearance tlp.Level
	// Client marks a registered client of the member (an outside party it
	// shares AMBER with) rather than one of its own users.
	Client bool
	// Admin is the member's admin: it reads RED records without a grant.
	Admin bool
	// Grants are the object ids of RED records the admin named this user
	// for, sorted.
	Grants []string
}

// Label is what a read decision needs to know of a record.
type Label struct {
	ID    string
	Level tlp.Level
}

// MayRead reports whether v may read a record labelled l. Unknown levels
// are denied.
func MayRead(v Viewer, l Label) bool {
	if !l.Level.Valid() || l.Level > v.Clearance {
		return false
	}
	switch l.Level {
	case tlp.Clear, tlp.Green, tlp.Amber:
		return true
	case tlp.AmberStrict:
		return !v.Client
	case tlp.Red:
		if v.Client {
			return false
		}
		_, granted := slices.BinarySearch(v.Grants, l.ID)
		return v.Admin || granted
	}
	return false
}

// Full is the viewer of a credential that predates user accounts: the
// node's own, cleared for everything; RED still needs admin or a grant.
func Full(admin bool) Viewer {
	return Viewer{Clearance: tlp.Red, Admin: admin}
}

// Public is the viewer of an anonymous reader of a collection a member
// chose to publish: TLP:CLEAR only, as an outside party.
func Public() Viewer { return Viewer{Clearance: tlp.Clear, Client: true} }

// Caller is who reads through a TAXII collection or an export: a token of
// the node (and what it may read, resolved by whoever authenticated it), or
// nobody.
type Caller struct {
	Anonymous bool
	TokenID   string
	Role      string // the token's auth role
	Viewer    Viewer // what the token may read; ignored when Anonymous
}

// Scope is what a caller may read on a read path: its viewer rule, which
// the projection applies to every query (so no read path filters on its
// own), and the sharing groups whose collections it sees.
type Scope struct {
	Viewer Viewer
	Groups []string
}

// Policy turns a caller into its scope. TAXII and the exports ask it once
// per request.
type Policy interface {
	Scope(ctx context.Context, c Caller) (Scope, error)
}

// ByClearance is the node's policy: an anonymous caller reads as Public;
// a token reads what its viewer allows and sees the collections of the
// sharing groups Groups names (this member's; nil: none).
type ByClearance struct {
	Groups func(ctx context.Context) ([]string, error)
}

var _ Policy = ByClearance{}

// Scope implements Policy.
func (p ByClearance) Scope(ctx context.Context, c Caller) (Scope, error) {
	if c.Anonymous {
		return Scope{Viewer: Public()}, nil
	}
	s := Scope{Viewer: c.Viewer}
	if p.Groups != nil {
		gs, err := p.Groups(ctx)
		if err != nil {
			return Scope{}, fmt.Errorf("sharing groups: %w", err)
		}
		s.Groups = gs
	}
	return s, nil
}
