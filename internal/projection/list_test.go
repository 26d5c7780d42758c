package projection

import (
	"context"
	"slices"
	"testing"
	"time"
)

const (
	tlpGreen = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	tlpRed   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

// listFixture: records 0-2 are three versions of indicator 1, 3 a green
// indicator, 4 a red one, 5 an SCO, 6 a second version of the green one
// by the same author; record i is committed at t0 + i s.
func listFixture(t *testing.T) *Store {
	s, _ := openTest(t)
	var l ledger
	l.add("cert-a", indicator(1, "2026-01-01T00:00:00Z", "one", "[ipv4-addr:value = '10.0.0.1']"))
	l.add("cert-a", indicator(1, "2026-02-01T00:00:00Z", "one", "[ipv4-addr:value = '10.0.0.1']"))
	l.add("cert-a", indicator(1, "2026-03-01T00:00:00Z", "one", "[ipv4-addr:value = '10.0.0.1']"))
	green := indicator(2, "2026-01-01T00:00:00Z", "green", "[ipv4-addr:value = '10.0.0.2']")
	green["object_marking_refs"] = []string{tlpGreen}
	l.add("cert-b", green)
	red := indicator(3, "2026-01-01T00:00:00Z", "red", "[ipv4-addr:value = '10.0.0.3']")
	red["object_marking_refs"] = []string{tlpRed}
	l.add("cert-a", red)
	l.add("cert-a", sco("ipv4-addr", 4, "10.0.0.4"))
	green2 := indicator(2, "2026-04-01T00:00:00Z", "green", "[ipv4-addr:value = '10.0.0.2']")
	green2["object_marking_refs"] = []string{tlpGreen}
	l.add("cert-b", green2)
	mustApply(t, s, l.recs...)
	return s
}

func mustList(t *testing.T, s *Store, q ListQuery) ListPage {
	t.Helper()
	p, err := s.List(context.Background(), q)
	if err != nil {
		t.Fatalf("List(%+v): %v", q, err)
	}
	return p
}

func TestListOrderAndVersions(t *testing.T) {
	s := listFixture(t)
	for _, tc := range []struct {
		name string
		q    ListQuery
		want []uint64
	}{
		{"latest by default, ascending", ListQuery{}, []uint64{2, 4, 5, 6}},
		{"all", ListQuery{Versions: VersionMatch{All: true}}, []uint64{0, 1, 2, 3, 4, 5, 6}},
		{"first", ListQuery{Versions: VersionMatch{First: true}}, []uint64{0, 3, 4, 5}},
		{"first and last", ListQuery{Versions: VersionMatch{First: true, Last: true}}, []uint64{0, 2, 3, 4, 5, 6}},
		{"at a version", ListQuery{Versions: VersionMatch{At: []time.Time{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}}}, []uint64{1}},
		{"ids", ListQuery{IDs: []string{stixID("indicator", 2)}, Versions: VersionMatch{All: true}}, []uint64{3, 6}},
		{"types", ListQuery{Types: []string{"ipv4-addr"}}, []uint64{5}},
		{"authors", ListQuery{Authors: []string{"cert-b"}}, []uint64{6}},
		{"added after record 3", ListQuery{AddedAfter: t0.Add(3 * time.Second), Versions: VersionMatch{All: true}}, []uint64{4, 5, 6}},
		{"added after everything", ListQuery{AddedAfter: t0.Add(time.Hour)}, []uint64{}},
		{"added after, between records", ListQuery{AddedAfter: t0.Add(1500 * time.Millisecond), Versions: VersionMatch{All: true}}, []uint64{2, 3, 4, 5, 6}},
		{"marked green", ListQuery{Markings: []MarkingFilter{{Any: []string{tlpGreen}}}}, []uint64{6}},
		{"unmarked", ListQuery{Markings: []MarkingFilter{{OrNoneOf: []string{tlpGreen, tlpRed}}}}, []uint64{2, 5}},
		{"green or unmarked", ListQuery{Markings: []MarkingFilter{{Any: []string{tlpGreen}, OrNoneOf: []string{tlpGreen, tlpRed}}}}, []uint64{2, 5, 6}},
		{"empty filter reads nothing", ListQuery{Markings: []MarkingFilter{{}}}, []uint64{}},
	} {
		if got := indexes(mustList(t, s, tc.q).Items); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestListPaging(t *testing.T) {
	s := listFixture(t)
	var got []uint64
	q := ListQuery{Versions: VersionMatch{All: true}, Limit: 3}
	for {
		p := mustList(t, s, q)
		got = append(got, indexes(p.Items)...)
		if !p.More {
			break
		}
		idx, err := DecodeListCursor(EncodeListCursor(p.Last))
		if err != nil || idx != p.Last {
			t.Fatalf("cursor round trip: %d %v", idx, err)
		}
		q.After, q.HasAfter = idx, true
	}
	if !slices.Equal(got, []uint64{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("paged %v", got)
	}
	for _, bad := range []string{"", "x", EncodeListCursor(1)[:5], encodeCursor(3)} {
		if _, err := DecodeListCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
	if _, err := s.List(context.Background(), ListQuery{Limit: -1}); err == nil {
		t.Error("negative limit accepted")
	}
	if p := mustList(t, s, ListQuery{Limit: 5000, Versions: VersionMatch{All: true}}); len(p.Items) != 7 || p.More {
		t.Errorf("huge limit: %d items", len(p.Items))
	}
}
