package api

import (
	"reflect"
	"slices"
	"sort"
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
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		if fields := jsonFields(reflect.TypeOf(v)); !slices.Equal(props, fields) {
			t.Errorf("schema %s properties %v, Go type %T fields %v", name, props, v, fields)
		}
		for _, r := range s.Required {
			if _, ok := s.Properties[r]; !ok {
				t.Errorf("schema %s requires unknown property %s", name, r)
			}
		}
	}
}
