package api

import (
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
)

// TestOpenAPIRelevanceSchemas checks the relevance schemas' properties are
// the JSON fields of their Go types (as TestOpenAPISchemasMatchTypes does
// for the rest).
func TestOpenAPIRelevanceSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	types := map[string]any{
		"Filter":              relevance.Filter{},
		"SubscriptionRequest": SubscriptionRequest{},
		"Subscription":        relevance.Subscription{},
		"Reason":              relevance.Reason{},
		"FeedEntry":           FeedEntry{},
		"FeedPage":            FeedPage{},
		"Notification":        relevance.Notification{},
		"NotificationPage":    NotificationPage{},
		"ProfileUpdate":       ledger.ProfileUpdate{},
		"Member":              Member{},
		"ProposedMember":      ledger.Member{},
	}
	checkSchemas(t, doc, types)
}
