package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

func liveIndicator(version string, revoked bool) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--0000aaaa-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"%s","name":"live","pattern":"[domain-name:value = 'live.example'] OR [ipv4-addr:value = '203.0.113.0/24']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":70,"revoked":%v,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`,
		version, revoked)
}

// TestMatchFollowsLedgerLive keeps one match stream open against a real
// single-node network while an indicator is published and then revoked:
// lines written after the publish returns (committed and queryable) hit,
// lines written after the revocation returns do not.
func TestMatchFollowsLedgerLive(t *testing.T) {
	n := startNode(t, initDir(t))
	pr, pw := io.Pipe()
	hits := make(chan detect.Hit, 100)
	done := make(chan error, 1)
	var stats detect.Stats
	go func() {
		var err error
		stats, err = n.cli.Match(context.Background(), pr, client.MatchOptions{Source: "live.log"}, func(h detect.Hit) error {
			hits <- h
			return nil
		})
		done <- err
	}()
	write := func(line string) {
		t.Helper()
		if _, err := io.WriteString(pw, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	// expect waits for the hit of the line just written, or checks none came.
	expect := func(want string) {
		t.Helper()
		select {
		case h := <-hits:
			if want == "" || h.Observed != want {
				t.Fatalf("hit %+v, want %q", h, want)
			}
			if h.Marking != "tlp:green" || h.Author != "cert-a" || h.Confidence == nil || *h.Confidence != 70 || h.Source != "live.log" {
				t.Errorf("hit metadata %+v", h)
			}
		case <-time.After(time.Second):
			if want != "" {
				t.Fatalf("no hit on %q within a second", want)
			}
		}
	}
	write("query a.live.example from 203.0.113.9")
	expect("")
	n.publish(liveIndicator("2026-01-01T00:00:00.000Z", false))
	write("query a.live.example")
	expect("a.live.example")
	write("fw DST=203.0.113.200")
	expect("203.0.113.200")
	n.publish(liveIndicator("2026-01-02T00:00:00.000Z", true))
	write("query a.live.example from 203.0.113.9")
	expect("")
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if stats.Lines != 4 || stats.Hits != 2 {
		t.Errorf("summary %+v", stats)
	}
}

// TestMatchIndexSurvivesRestart checks the index is rebuilt from the ledger
// when a node starts, and that publishing an unsupported pattern is refused.
func TestMatchIndexSurvivesRestart(t *testing.T) {
	dir := initDir(t)
	n := startNode(t, dir)
	n.publish(liveIndicator("2026-01-01T00:00:00.000Z", false))
	bad := strings.Replace(liveIndicator("2026-01-03T00:00:00.000Z", false), "[domain-name:value = 'live.example'] OR", "[file:name = 'x.exe'] AND", 1)
	_, err := n.cli.Publish(context.Background(), []byte(bad), false)
	if err == nil || !strings.Contains(err.Error(), "STIX pattern not supported by the matcher: AND between observations") {
		t.Errorf("unsupported pattern: %v", err)
	}
	n.close()
	n = startNode(t, dir)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []string
		_, err := n.cli.Match(context.Background(), strings.NewReader("x.live.example\n"), client.MatchOptions{}, func(h detect.Hit) error {
			got = append(got, h.Value)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && got[0] == "live.example" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: hits %v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAlertsAndSightings matches a burst of hits on two indicators, one
// marked TLP:GREEN (opted in for sightings) and one TLP:AMBER (not): the
// node keeps alerts for both and publishes sightings of the green one only,
// one per interval the burst spanned, whose counts add up to the burst.
func TestAlertsAndSightings(t *testing.T) {
	dir := initDir(t)
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sightings = map[string]bool{"tlp:green": true}
	cfg.SightingInterval = "500ms"
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, dir)
	n.publish(liveIndicator("2026-01-01T00:00:00.000Z", false))
	amber := strings.NewReplacer("0000aaaa", "0000bbbb", "live.example", "amber.example",
		"34098fce-860f-48ae-8e50-ebd3cc5e41da", "f88d31f6-486f-44da-b317-01333bde0b82").Replace(liveIndicator("2026-01-01T00:00:00.000Z", false))
	// Above GREEN: sealed, here for this member only.
	if res, err := n.cli.PublishTo(context.Background(), []byte(amber), intake.Address{To: []string{"cert-a"}}, true); err != nil || !res.Transactions[0].Committed() {
		t.Fatalf("publish the AMBER indicator: %+v %v", res, err)
	}
	var log strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&log, "query host%d.live.example from 10.0.0.%d\n", i, i%250)
	}
	log.WriteString("query amber.example\n")
	start := time.Now()
	st, err := n.cli.Match(context.Background(), strings.NewReader(log.String()), client.MatchOptions{}, func(detect.Hit) error { return nil })
	if err != nil || st.Hits != 2001 {
		t.Fatalf("match: %+v %v", st, err)
	}
	// A slow run (the race detector) can spread the burst over intervals.
	maxSightings := int(time.Since(start)/(500*time.Millisecond)) + 2
	list, err := n.cli.Alerts(context.Background(), time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("alerts %+v", list)
	}
	for _, a := range list {
		want := map[string]int64{"live.example": 2000, "amber.example": 1}[a.Value]
		if a.Hits != want || a.FirstSeen.After(a.LastSeen) {
			t.Errorf("alert %+v, want %d hits", a, want)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		page, err := n.cli.Search(context.Background(), projection.Query{Types: []string{"sighting"}, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if total := checkSightings(t, page.Items); total == 2000 {
			if len(page.Items) > maxSightings {
				t.Fatalf("%d sightings for one burst, want at most %d", len(page.Items), maxSightings)
			}
			return
		} else if total > 2000 {
			t.Fatalf("sightings count %d hits, want 2000", total)
		}
		if time.Now().After(deadline) {
			t.Fatal("the burst's sightings were not all published")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkSightings asserts that every sighting is of the green indicator,
// marked like it and sighted by its creator, and returns their total count.
func checkSightings(t *testing.T, items []projection.Version) int {
	t.Helper()
	total := 0
	for _, it := range items {
		var s map[string]any
		if err := json.Unmarshal(it.Object, &s); err != nil {
			t.Fatal(err)
		}
		count, _ := s["count"].(float64)
		if s["sighting_of_ref"] != "indicator--0000aaaa-1111-4111-8111-111111111111" || count < 1 ||
			fmt.Sprint(s["object_marking_refs"]) != "[marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da]" ||
			fmt.Sprint(s["where_sighted_refs"]) != "["+fmt.Sprint(s["created_by_ref"])+"]" {
			t.Fatalf("sighting %v", s)
		}
		total += int(count)
	}
	return total
}

// TestPublishWarnsOnWarninglists configures the shared warninglists: a
// publish of an indicator for a public DNS resolver is accepted with a
// warning, and hits on it are marked benign.
func TestPublishWarnsOnWarninglists(t *testing.T) {
	dir := initDir(t)
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Warninglists = filepath.Join(testutil.SharedTestdata(t), "warninglists")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, dir)
	ind := strings.Replace(liveIndicator("2026-01-01T00:00:00.000Z", false), "203.0.113.0/24", "8.8.8.8", 1)
	res := n.publish(ind)
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `8.8.8.8 is on the warninglist "List of known IPv4 public DNS resolvers"`) {
		t.Errorf("warnings %q", res.Warnings)
	}
	var hits []detect.Hit
	if _, err := n.cli.Match(context.Background(), strings.NewReader("dns 8.8.8.8 x.live.example\n"), client.MatchOptions{}, func(h detect.Hit) error {
		hits = append(hits, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || !hits[0].Benign || hits[1].Benign {
		t.Errorf("hits %+v", hits)
	}
	cfg.Warninglists = "no-such-dir"
	b, _ = json.Marshal(cfg)
	n.close()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, Options{CometLog: io.Discard}); err == nil || !strings.Contains(err.Error(), "config warninglists") {
		t.Errorf("missing warninglists dir: %v", err)
	}
}

// TestSealedIndicatorMatches: an AMBER indicator sealed for this member is
// matchable once committed and again after a restart (the start-up
// preload opens sealed records like the follower does).
func TestSealedIndicatorMatches(t *testing.T) {
	dir := initDir(t)
	n := startNode(t, dir)
	const id = "indicator--5ea1ed00-0000-4000-8000-0000000000aa"
	obj := `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"sealed","pattern":"[domain-name:value = 'sealed.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`
	res, err := n.cli.PublishTo(context.Background(), []byte(`{"type":"bundle","id":"bundle--5ea1ed00-0000-4000-8000-0000000000ab","objects":[`+obj+`]}`),
		intake.Address{To: []string{"cert-a"}}, true)
	if err != nil || !res.Transactions[0].Committed() {
		t.Fatalf("publish: %+v %v", res, err)
	}
	hits := func() []detect.Hit {
		var got []detect.Hit
		if _, err := n.cli.Match(context.Background(), strings.NewReader("query a.sealed.example\n"), client.MatchOptions{}, func(h detect.Hit) error {
			got = append(got, h)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := hits(); len(got) != 1 || got[0].IndicatorID != id {
		t.Fatalf("sealed indicator after commit: %+v", got)
	}
	n.close()
	n = startNode(t, dir)
	deadline := time.Now().Add(10 * time.Second)
	for got := hits(); len(got) != 1 || got[0].IndicatorID != id; got = hits() {
		if time.Now().After(deadline) {
			t.Fatalf("sealed indicator after restart: %+v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
