package sighting

import (
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/alerts"
)

func TestBuild(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	id := Identity("chain", "cert-a")
	as := []alerts.Alert{
		{IndicatorID: "indicator--0000aaaa-1111-4111-8111-111111111111", Value: "a.example", Marking: "tlp:green", Hits: 5, FirstSeen: t0, LastSeen: t0.Add(time.Minute)},
		{IndicatorID: "indicator--0000aaaa-1111-4111-8111-111111111111", Value: "10.0.0.0/8", Marking: "tlp:green", Hits: 7, FirstSeen: t0.Add(-time.Minute), LastSeen: t0},
		{IndicatorID: "indicator--0000bbbb-1111-4111-8111-111111111111", Value: "b.example", Marking: "tlp:amber", Hits: 1, FirstSeen: t0, LastSeen: t0},
		{IndicatorID: "indicator--0000cccc-1111-4111-8111-111111111111", Value: "8.8.8.8", Marking: "tlp:green", Hits: 9, Benign: true, FirstSeen: t0, LastSeen: t0},
	}
	objs, err := Build(as, id, map[string]bool{"tlp:green": true}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("%d sightings", len(objs))
	}
	raw := string(objs[0].Raw)
	for _, want := range []string{`"count":12`, `"first_seen":"2026-05-01T11:59:00.000Z"`, `"last_seen":"2026-05-01T12:01:00.000Z"`,
		`"sighting_of_ref":"indicator--0000aaaa-1111-4111-8111-111111111111"`, `"where_sighted_refs":["` + id + `"]`,
		`"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]`} {
		if !strings.Contains(raw, want) {
			t.Errorf("sighting %s lacks %s", raw, want)
		}
	}
	if err := OptIns(map[string]bool{"tlp:purple": true}); err == nil {
		t.Error("tlp:purple accepted")
	}
}
