package relevance

import (
	"fmt"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// BenchmarkFeed measures what GET /v1/feed does after its projection
// query: read 1,000 STIX objects into items and rank them against 20
// subscriptions and the member's profile.
func BenchmarkFeed(b *testing.B) {
	objs := make([][]byte, 1000)
	for i := range objs {
		objs[i] = fmt.Appendf(nil, `{"type":"indicator","id":"indicator--%d","labels":["l%d","ransomware"],"pattern":"[ipv4-addr:value = '10.0.%d.%d'] OR [domain-name:value = 'x%d.example']","pattern_type":"stix","x_phalanx_sectors":["s%d"]}`,
			i, i%7, i/256, i%256, i, i%5)
	}
	var subs []Subscription
	for i := range 20 {
		f, _ := ParseFilter(fmt.Sprintf("type=indicator label=l%d kind=ipv4,url sector=s%d", i, i%5))
		subs = append(subs, Subscription{ID: fmt.Sprint(i), Name: fmt.Sprint(i), Filter: f})
	}
	r := Ranker{Subscriptions: subs, Me: Profile{Member: "me", Sectors: []string{"s1"}, Technologies: []string{"exchange"}},
		Authors: map[string]Profile{"a": {Member: "a", Sectors: []string{"s2"}}}}
	b.ReportAllocs()
	for b.Loop() {
		items := make([]Item, len(objs))
		for i, o := range objs {
			items[i] = ItemOf("indicator--x", "indicator", "a", uint64(i), tlp.Green, o)
		}
		if len(r.Rank(items)) != len(objs) {
			b.Fatal("lost items")
		}
	}
}
