package relevance

import "time"

// Notification tells a user that a new record matched subscriptions of
// theirs that ask for notifications. It holds what the ledger's public
// header shows of the record (id, type, author, level), never its content:
// the user reads the record itself through the API, under its clearance.
type Notification struct {
	ID            int64     `json:"id"`
	Owner         string    `json:"owner"`
	Subscriptions []string  `json:"subscriptions"` // ids of the matching subscriptions
	Names         []string  `json:"names"`         // their names, in the same order
	ObjectID      string    `json:"object_id"`
	Version       string    `json:"version"`
	Type          string    `json:"type"`
	Author        string    `json:"author"`
	TLP           string    `json:"tlp"` // TLP level name
	Index         uint64    `json:"index"`
	Created       time.Time `json:"created"`
	Read          bool      `json:"read"`
	ReadAt        time.Time `json:"read_at,omitzero"`
}
