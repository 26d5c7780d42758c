package export

import (
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/ioc"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// FuzzEntries: any stored object yields observable entries whose values
// are valid IOCs of their kind, and an RPZ owner only for addresses.
func FuzzEntries(f *testing.F) {
	f.Add(`{"type":"indicator","id":"indicator--1","pattern":"[url:value = 'http://a.b/\\'x'] OR [file:hashes.'SHA-256' = 'ab']","pattern_type":"stix"}`)
	f.Add(`{"type":"file","id":"file--1","hashes":{"MD5":"d41d8cd98f00b204e9800998ecf8427e"}}`)
	f.Add(`{"type":"ipv6-addr","id":"ipv6-addr--1","value":"2001:db8::/32"}`)
	f.Fuzz(func(t *testing.T, obj string) {
		for _, e := range entriesOf(projection.Version{Object: []byte(obj), Added: time.Unix(0, 0)}) {
			got, err := ioc.Classify(e.Value, e.Kind)
			if err != nil || got.Value != e.Value {
				t.Fatalf("entry %+v does not re-classify: %+v %v", e, got, err)
			}
			if _, ok := rpzIP(e.Value); ok != (e.Kind == "ipv4" || e.Kind == "ipv6" || e.Kind == "cidr") && e.Kind != "cidr" {
				t.Fatalf("rpzIP(%q) for kind %s", e.Value, e.Kind)
			}
		}
	})
}
