// Package access is the one seam through which every read path of a node
// (TAXII, exports) asks what a caller may read. A Policy turns a Caller into
// a Scope; the projection applies the Scope to every query, so no read path
// filters on its own.
//
// Today's policy (Open) lets every authenticated caller read every
// committed record and an anonymous caller only TLP:CLEAR content. The
// confidentiality work (TLP clearance per user, sealed records, sharing
// groups) plugs in by providing another Policy.
package access

import (
	"context"

	"github.com/phalanx-ledger/phalanx/internal/auth"
)

// TLP is a Traffic Light Protocol level, ordered from least to most
// restricted. Objects without a TLP marking have level Unmarked.
type TLP int

// TLP levels. TLP 1.0 WHITE counts as Clear; AMBER+STRICT as Amber.
const (
	Unmarked TLP = iota
	Clear
	Green
	Amber
	Red
)

// String returns the level's lower-case name.
func (l TLP) String() string {
	switch l {
	case Clear:
		return "clear"
	case Green:
		return "green"
	case Amber:
		return "amber"
	case Red:
		return "red"
	}
	return "unmarked"
}

// markingIDs are the STIX marking-definition ids of each TLP level, TLP 1.0
// (STIX 2.1 §7.2.1.4) and TLP 2.0 (the OASIS TLP 2.0 marking extension).
var markingIDs = map[TLP][]string{
	Clear: {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
	Green: {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"},
	Amber: {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
		"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
	Red: {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
}

// MarkingIDs returns the marking-definition ids that put an object at level
// l (none for Unmarked).
func MarkingIDs(l TLP) []string { return append([]string(nil), markingIDs[l]...) }

// LevelOf returns the TLP level a marking-definition id stands for, and
// whether it is a TLP marking at all.
func LevelOf(markingID string) (TLP, bool) {
	for l, ids := range markingIDs {
		for _, id := range ids {
			if id == markingID {
				return l, true
			}
		}
	}
	return Unmarked, false
}

// Caller is who is reading: an API token, or nobody (Anonymous).
type Caller struct {
	Anonymous bool
	TokenID   string
	Role      auth.Role
}

// Scope is what a caller may read. The zero Scope reads nothing.
type Scope struct {
	// All lets the caller read every committed record.
	All bool
	// Levels lists the TLP levels readable when All is not set.
	Levels []TLP
	// Groups lists the sharing groups whose collections the caller sees
	// (none exist yet).
	Groups []Group
}

// Group is a sharing group a caller belongs to.
type Group struct {
	ID, Name string
}

// Policy decides what a caller may read. Every read path calls it once per
// request and hands the Scope to the projection.
type Policy interface {
	Scope(ctx context.Context, c Caller) (Scope, error)
}

// Open is today's policy: authenticated callers read everything, anonymous
// callers read TLP:CLEAR only.
type Open struct{}

var _ Policy = Open{}

// Scope implements Policy.
func (Open) Scope(_ context.Context, c Caller) (Scope, error) {
	if c.Anonymous {
		return Scope{Levels: []TLP{Clear}}, nil
	}
	return Scope{All: true}, nil
}

// Markings returns the scope as marking-definition ids: all reports that
// nothing is filtered; otherwise a readable object carries one of anyOf,
// or (when unmarked objects are readable) none of noneOf.
func (s Scope) Markings() (all bool, anyOf, noneOf []string) {
	if s.All {
		return true, nil, nil
	}
	for _, l := range s.Levels {
		if l == Unmarked {
			for _, m := range []TLP{Clear, Green, Amber, Red} {
				noneOf = append(noneOf, markingIDs[m]...)
			}
			continue
		}
		anyOf = append(anyOf, markingIDs[l]...)
	}
	return false, anyOf, noneOf
}
