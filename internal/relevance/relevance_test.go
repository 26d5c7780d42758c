package relevance

import (
	"reflect"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

func mustFilter(t *testing.T, s string) Filter {
	t.Helper()
	f, err := ParseFilter(s)
	if err != nil {
		t.Fatalf("ParseFilter(%q): %v", s, err)
	}
	return f
}

func TestParseFilter(t *testing.T) {
	f := mustFilter(t, "type=Indicator,malware label=ransomware  tlp=tlp:amber,GREEN kind=IPv4 sector=Finance label=wiper type=indicator")
	want := Filter{Types: []string{"indicator", "malware"}, Labels: []string{"ransomware", "wiper"},
		Sectors: []string{"finance"}, Markings: []string{"AMBER", "GREEN"}, ValueKinds: []string{"ipv4"}}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got %+v, want %+v", f, want)
	}
	if got := f.String(); got != "type=indicator,malware label=ransomware,wiper sector=finance tlp=AMBER,GREEN kind=ipv4" {
		t.Errorf("String = %q", got)
	}
	for _, bad := range []string{"type", "colour=red", "tlp=purple", "kind=mac", "label=", "label=a,,b",
		"type=" + strings.Repeat("x", MaxValueLen+1), "label=" + strings.Repeat("a,", MaxValues) + "a"} {
		_, err := ParseFilter(bad)
		if errs.CodeOf(err) != errs.Invalid {
			t.Errorf("ParseFilter(%q) = %v, want an invalid error", bad, err)
		}
	}
	if f, err := ParseFilter("  "); err != nil || !f.Empty() {
		t.Errorf("empty filter: %+v, %v", f, err)
	}
}

const ransomIndicator = `{"type":"indicator","id":"indicator--1","labels":["Ransomware"],
 "pattern":"[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'evil.example'] OR [file:hashes.'SHA-256' = 'ab']",
 "pattern_type":"stix","x_phalanx_sectors":["energy"]}`

func TestItemOf(t *testing.T) {
	it := ItemOf("indicator--1", "indicator", "acme", 7, tlp.Green, []byte(ransomIndicator))
	if want := []string{"domain", "hash", "ipv4"}; !reflect.DeepEqual(it.ValueKinds, want) {
		t.Errorf("value kinds %v, want %v", it.ValueKinds, want)
	}
	if !reflect.DeepEqual(it.Sectors, []string{"energy"}) {
		t.Errorf("sectors %v", it.Sectors)
	}
	cidr := ItemOf("ipv4-addr--1", "ipv4-addr", "acme", 1, tlp.Green, []byte(`{"type":"ipv4-addr","value":"10.0.0.0/8"}`))
	if !reflect.DeepEqual(cidr.ValueKinds, []string{"cidr"}) {
		t.Errorf("cidr kinds %v", cidr.ValueKinds)
	}
	odd := ItemOf("x--1", "indicator", "acme", 1, tlp.Green, []byte(`{"labels":"not-a-list","pattern":7}`))
	if len(odd.Labels) != 0 || len(odd.ValueKinds) != 0 {
		t.Errorf("odd object read as %+v", odd)
	}
	loc := ItemOf("location--1", "location", "acme", 1, tlp.Green, []byte(`{"region":"europe","country":"FR"}`))
	if !reflect.DeepEqual(loc.Regions, []string{"europe", "FR"}) {
		t.Errorf("location regions %v", loc.Regions)
	}
}

func TestMatch(t *testing.T) {
	it := ItemOf("indicator--1", "indicator", "acme", 7, tlp.Green, []byte(ransomIndicator))
	acme := Profile{Member: "acme", Sectors: []string{"Finance"}}
	cases := []struct {
		filter string
		want   bool
	}{
		{"", true},
		{"type=indicator label=ransomware", true},
		{"type=malware label=ransomware", false},
		{"label=wiper", false},
		{"sector=finance", true}, // the author's profile
		{"sector=energy", true},  // the object's own sectors
		{"sector=health", false},
		{"tlp=GREEN", true},
		{"tlp=AMBER,RED", false},
		{"kind=url", false},
		{"kind=url,domain type=indicator", true},
	}
	for _, c := range cases {
		got, why := mustFilter(t, c.filter).Match(it, acme)
		if got != c.want {
			t.Errorf("%q matches = %v, want %v", c.filter, got, c.want)
		}
		if got && c.filter != "" && len(why) != len(strings.Fields(c.filter)) {
			t.Errorf("%q: reasons %v, want one per dimension", c.filter, why)
		}
	}
}

func TestRank(t *testing.T) {
	objs := []Item{
		ItemOf("indicator--1", "indicator", "acme", 1, tlp.Green, []byte(ransomIndicator)),
		ItemOf("malware--2", "malware", "globex", 2, tlp.Green, []byte(`{"labels":["trojan"]}`)),
		ItemOf("report--3", "report", "initech", 3, tlp.Green, []byte(`{"labels":["exchange"]}`)),
		ItemOf("note--4", "note", "me", 4, tlp.Green, []byte(`{}`)),
		ItemOf("note--5", "note", "initech", 5, tlp.Green, []byte(`{}`)),
	}
	r := Ranker{
		Subscriptions: []Subscription{{ID: "sub_1", Name: "ransom", Filter: mustFilter(t, "type=indicator label=ransomware")}},
		Me:            Profile{Member: "me", Sectors: []string{"finance"}, Technologies: []string{"Exchange"}},
		Authors: map[string]Profile{"globex": {Member: "globex", Sectors: []string{"finance"}},
			"me": {Member: "me", Sectors: []string{"finance"}}},
	}
	feed := r.Rank(objs)
	var order []string
	for _, e := range feed {
		order = append(order, e.Item.ID)
	}
	// subscribed; then profile (newest first: report via technology label,
	// malware via globex's sector); then the rest, newest first (own
	// records do not count as sharing a sector with oneself).
	want := []string{"indicator--1", "report--3", "malware--2", "note--5", "note--4"}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("feed order %v, want %v", order, want)
	}
	if rs := feed[0].Reasons; len(rs) != 1 || rs[0].Subscription != "sub_1" || !strings.Contains(rs[0].Detail, "label=ransomware") {
		t.Errorf("subscribed reasons %+v", rs)
	}
	if rs := feed[1].Reasons; len(rs) != 1 || rs[0].Detail != "technology exchange" {
		t.Errorf("profile reasons %+v", rs)
	}
	if rs := feed[2].Reasons; len(rs) != 1 || rs[0].Detail != "sector finance" {
		t.Errorf("profile reasons %+v", rs)
	}
	if feed[4].Tier != TierRecent || feed[4].Reasons[0].Kind != "recent" {
		t.Errorf("own record %+v", feed[4])
	}
	// Deterministic: the same input in another order ranks the same.
	rev := []Item{objs[4], objs[3], objs[2], objs[1], objs[0]}
	if !reflect.DeepEqual(r.Rank(rev), feed) {
		t.Error("ranking depends on input order")
	}
}

func TestPage(t *testing.T) {
	var items []Item
	for i := uint64(1); i <= 7; i++ {
		items = append(items, Item{ID: "x", Type: "note", Index: i})
	}
	feed := Ranker{Subscriptions: []Subscription{{ID: "s", Filter: Filter{}}}}.Rank(items[:3])
	feed = append(feed, Ranker{}.Rank(items[3:])...)
	var got []uint64
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := Page(feed, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			got = append(got, e.Item.Index)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		cursor = next
	}
	if want := []uint64{3, 2, 1, 7, 6, 5, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
	for _, bad := range []string{"zz", "Zgj", encodeFeedCursor(3, 1)} {
		if _, _, err := Page(feed, bad, 3); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

func TestNotifying(t *testing.T) {
	it := ItemOf("indicator--1", "indicator", "acme", 7, tlp.Green, []byte(ransomIndicator))
	subs := []Subscription{
		{ID: "a", Notify: true, Filter: mustFilter(t, "label=ransomware")},
		{ID: "b", Notify: false, Filter: mustFilter(t, "label=ransomware")},
		{ID: "c", Notify: true, Filter: mustFilter(t, "label=wiper")},
	}
	got := Notifying(subs, it, Profile{})
	if len(got) != 1 || got[0].ID != "a" {
		t.Errorf("notifying %+v", got)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"type=indicator label=ransomware", "tlp=amber+strict kind=ipv4,cidr", "sector=", "x=y", "=", "label=a,b,c",
		"tYpe=0000\xb90\x85" + strings.Repeat("\xab", 31)} { // invalid UTF-8 grew past the length limit on the round trip
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("error without the invalid code: %v", err)
			}
			return
		}
		again, err := ParseFilter(flt.String())
		if err != nil || !reflect.DeepEqual(again, flt) {
			t.Fatalf("round trip of %q: %+v → %q → %+v, %v", s, flt, flt.String(), again, err)
		}
	})
}

func FuzzFeedCursor(f *testing.F) {
	feed := Ranker{}.Rank([]Item{{ID: "a", Index: 1}, {ID: "b", Index: 2}, {ID: "c", Index: 3}})
	f.Add(encodeFeedCursor(0, 2))
	f.Add("")
	f.Add("ZgAAAAAAAAAAAQ")
	f.Fuzz(func(t *testing.T, c string) {
		page, next, err := Page(feed, c, 2)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("cursor %q: error without the invalid code: %v", c, err)
			}
			return
		}
		if len(page) > 2 || (next != "" && len(page) == 0) {
			t.Fatalf("cursor %q: page of %d, next %q", c, len(page), next)
		}
	})
}
