package stix

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// benchIndicator is a typical indicator of about 500 bytes.
const benchIndicator = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
	`"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-06T20:03:48.000Z",` +
	`"modified":"2016-04-06T20:03:48.000Z","indicator_types":["malicious-activity"],"name":"Poison Ivy C2",` +
	`"description":"Known Poison Ivy command and control server",` +
	`"pattern":"[ipv4-addr:value = '198.51.100.3'] OR [domain-name:value = 'c2.example.com']",` +
	`"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z",` +
	`"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`

func BenchmarkParseIndicator(b *testing.B) {
	data := []byte(benchIndicator)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseInputAttack parses the ATT&CK Mobile bundle; ns/object is
// the figure to compare with BenchmarkParseIndicator.
func BenchmarkParseInputAttack(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(testutil.SharedTestdata(b), "attack", "mobile-attack-17.1.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		objs, err := ParseInput(data)
		if err != nil {
			b.Fatal(err)
		}
		n = len(objs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/object")
}
