package projection

import (
	"encoding/json"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
)

// Version is one stored version of a STIX object, with where the ledger put it.
type Version struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Version string          `json:"version"` // normalised modified (or created, or "" for SCOs)
	Revoked bool            `json:"revoked"`
	Latest  bool            `json:"latest"`
	Author  string          `json:"author"`
	Height  int64           `json:"height"`
	Index   uint64          `json:"index"`
	Added   time.Time       `json:"added"`   // block time of the commit
	TxHash  string          `json:"tx_hash"` // upper-case hex
	Object  json.RawMessage `json:"object"`
	// TLP is the version's TLP level (1 CLEAR … 5 RED, see internal/tlp).
	TLP uint8 `json:"tlp"`
	// Sealed: the version was sealed on the ledger and opened by this node.
	Sealed bool `json:"sealed,omitempty"`
	// Recipients are the members a sealed version was sealed for.
	Recipients []string `json:"recipients,omitempty"`
	// Group is the sharing group a sealed version was addressed to.
	Group string `json:"group,omitempty"`
}

// Query selects object versions. Zero fields do not filter.
type Query struct {
	Types       []string  // STIX types (OR)
	Text        string    // free text over name, description, pattern and observable values
	Labels      []string  // every label must be present (AND)
	Authors     []string  // member ids (OR)
	Since       time.Time // modified >= Since
	Until       time.Time // modified < Until
	AddedAfter  time.Time // block time > AddedAfter
	AllVersions bool      // all versions instead of the latest of each object
	Limit       int       // page size; 0 means 50; capped at 1000
	Cursor      string    // opaque, from a previous Page
	// Viewer, when set, keeps only the versions it may read (see
	// internal/access); the same rule as access.MayRead, in SQL.
	Viewer *access.Viewer
}

// Page is one page of search results, newest ledger index first.
type Page struct {
	Items      []Version `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}
