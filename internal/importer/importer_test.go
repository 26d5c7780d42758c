package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// drain reads a source to the end.
func drain(t *testing.T, src Source) (objs []*stix.Object, rejects []Item) {
	t.Helper()
	defer src.Close()
	for {
		it, err := src.Next()
		if err == io.EOF {
			return objs, rejects
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Object != nil {
			objs = append(objs, it.Object)
		} else {
			rejects = append(rejects, it)
		}
	}
}

// TestSharedTestdata reads the real feeds and checks the counts their
// READMEs state.
func TestSharedTestdata(t *testing.T) {
	td := testutil.SharedTestdata(t)
	for _, tc := range []struct {
		path     string
		accepted int
		rejected int
		types    map[string]int // pattern prefix → count
	}{
		{"attack/ics-attack-18.1.json", 1826, 0, nil},
		{"iocs/ipsum/ipsum.txt", 120430, 0, map[string]int{"[ipv4-addr": 120430}},
		{"iocs/signature-base/hash-iocs.txt", 1039 + 926 + 1259, 0, map[string]int{"[file:hashes.MD5": 1039, "[file:hashes.'SHA-1'": 926, "[file:hashes.'SHA-256'": 1259}},
		{"iocs/signature-base/c2-iocs.txt", 1844, 0, map[string]int{"[domain-name": 1709, "[ipv4-addr": 135}},
		{"iocs/unit42/Shade-ransomware-URLs-March-and-April-2019.txt", 203, 2, map[string]int{"[url": 203}},
		{"iocs/unit42/emotet-may-2019-sha256.txt", 3189, 1, nil},
		{"iocs/unit42/6908_of_8712_coin_mining_urls_in_pandb.txt", 6908, 0, nil},
	} {
		src, err := Open(filepath.Join(td, tc.path), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		objs, rejects := drain(t, src)
		if len(objs) != tc.accepted || len(rejects) != tc.rejected {
			t.Errorf("%s: %d objects, %d rejected (%v); want %d, %d", tc.path, len(objs), len(rejects), firstReasons(rejects), tc.accepted, tc.rejected)
		}
		for prefix, want := range tc.types {
			n := 0
			for _, o := range objs {
				if strings.HasPrefix(o.Pattern, prefix) {
					n++
				}
			}
			if n != want {
				t.Errorf("%s: %d patterns %s, want %d", tc.path, n, prefix, want)
			}
		}
	}
}

func firstReasons(items []Item) []string {
	var out []string
	for _, it := range items[:min(3, len(items))] {
		out = append(out, it.Where+": "+it.Reject)
	}
	return out
}

// TestInfobloxCSV: the type column is used, defanged values refanged, the
// classification becomes a label, unsupported types are rejected.
func TestInfobloxCSV(t *testing.T) {
	td := testutil.SharedTestdata(t)
	src, err := Open(filepath.Join(td, "iocs/infoblox-csv/keitaro_abuse_20260331.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs, rejects := drain(t, src)
	if len(rejects) != 0 || len(objs) == 0 {
		t.Fatalf("%d objects, rejects %v", len(objs), firstReasons(rejects))
	}
	o := objs[0]
	if o.Pattern != "[ipv4-addr:value = '158.94.209.29']" || len(o.Labels) != 1 || o.Labels[0] != "malicious" {
		t.Errorf("first row: pattern %s labels %v", o.Pattern, o.Labels)
	}
	var urls int
	for _, o := range objs {
		if strings.HasPrefix(o.Pattern, "[url:value = 'http://62.60.178.163/") {
			urls++
		}
	}
	if urls == 0 {
		t.Error("defanged hXXp[:]// URL not refanged")
	}
	// telfhash rows are refused with the reason.
	all := 0
	for _, f := range []string{"decoy_parking_20251216_iocs.csv", "olympics_20240729_iocs.csv", "prolific_puma_20231031.csv"} {
		src, err := Open(filepath.Join(td, "iocs/infoblox-csv", f), Options{})
		if err != nil {
			t.Fatal(err)
		}
		objs, rejects := drain(t, src)
		all += len(objs)
		for _, r := range rejects {
			if !strings.Contains(r.Reject, "unsupported IOC type") {
				t.Errorf("%s %s: %s", f, r.Where, r.Reject)
			}
		}
	}
	if all == 0 {
		t.Error("no objects from the CSV files")
	}
}

// TestForcedType: --type applies to every value and refuses the others.
func TestForcedType(t *testing.T) {
	td := testutil.SharedTestdata(t)
	src, err := Open(filepath.Join(td, "iocs/signature-base/c2-iocs.txt"), Options{Type: "ipv4"})
	if err != nil {
		t.Fatal(err)
	}
	objs, rejects := drain(t, src)
	if len(objs) != 135 || len(rejects) != 1709 {
		t.Errorf("forced ipv4: %d objects, %d rejected; want 135, 1709", len(objs), len(rejects))
	}
	if _, err := Open(filepath.Join(td, "iocs/signature-base/c2-iocs.txt"), Options{Type: "bogus"}); err == nil {
		t.Error("unknown --type accepted")
	}
}

func TestUpgradeSTIX20(t *testing.T) {
	src, err := Open("testdata/stix20-bundle.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs, rejects := drain(t, src)
	if len(objs) != 8 || len(rejects) != 0 {
		t.Fatalf("%d objects, rejects %v", len(objs), firstReasons(rejects))
	}
	byType := map[string]map[string]any{}
	for _, o := range objs {
		var m map[string]any
		json.Unmarshal(o.Raw, &m)
		byType[o.Type] = m
		if m["spec_version"] != "2.1" {
			t.Errorf("%s: spec_version %v", o.ID, m["spec_version"])
		}
	}
	if byType["indicator"]["pattern_type"] != "stix" || byType["indicator"]["created"] != "2016-04-06T20:03:48.000Z" {
		t.Errorf("indicator %v", byType["indicator"])
	}
	if byType["malware"]["is_family"] != true {
		t.Errorf("malware %v", byType["malware"])
	}
	// 2.0's open-vocabulary labels move to 2.1's *_types.
	for typ, field := range map[string]string{"indicator": "indicator_types", "malware": "malware_types"} {
		if vs, ok := byType[typ][field].([]any); !ok || len(vs) == 0 || byType[typ]["labels"] != nil {
			t.Errorf("%s: %s %v, labels %v", typ, field, byType[typ][field], byType[typ]["labels"])
		}
	}
	if byType["indicator"]["name"] != "Poison Ivy Malware" {
		t.Error("upgrade lost a property")
	}
	embedded := byType["observed-data"]["objects"].(map[string]any)["0"].(map[string]any)
	if id, _ := embedded["id"].(string); !strings.HasPrefix(id, "file--") || embedded["spec_version"] != "2.1" {
		t.Errorf("embedded observable %v: want a file-- id", embedded)
	}
}

func TestMISPEvent(t *testing.T) {
	td := testutil.SharedTestdata(t)
	src, err := Open(filepath.Join(td, "misp-feed/0dbb179a-1c8c-4e7c-a264-2440414dbac8.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs, rejects := drain(t, src)
	if len(rejects) != 0 || len(objs) < 2 {
		t.Fatalf("%d objects, %v", len(objs), firstReasons(rejects))
	}
	report := objs[len(objs)-1]
	if report.Type != "report" || report.ID != "report--0dbb179a-1c8c-4e7c-a264-2440414dbac8" {
		t.Fatalf("last object %s %s, want the event's report", report.Type, report.ID)
	}
	clear := tlp.ClearID
	for _, o := range objs {
		var m struct {
			Markings []string       `json:"object_marking_refs"`
			Sharing  map[string]any `json:"x_phalanx_sharing"`
			Refs     []string       `json:"object_refs"`
		}
		json.Unmarshal(o.Raw, &m)
		if len(m.Markings) != 1 || m.Markings[0] != clear {
			t.Errorf("%s: markings %v, want TLP:CLEAR from the event's tlp:clear tag", o.ID, m.Markings)
		}
		if len(o.Labels) != 1 || o.Labels[0] != "infoblox" {
			t.Errorf("%s: labels %v", o.ID, o.Labels)
		}
		if m.Sharing["source"] != "misp" || m.Sharing["scope"] == "" {
			t.Errorf("%s: sharing %v", o.ID, m.Sharing)
		}
		if o.Type == "report" && len(m.Refs) != len(objs)-1 {
			t.Errorf("report refs %d, want %d", len(m.Refs), len(objs)-1)
		}
	}
	if objs[0].ID != "indicator--77084a53-a024-43cb-8881-c8a715bf9de3" || objs[0].Pattern != "[domain-name:value = 'comalign.pro']" {
		t.Errorf("first attribute: %s %s", objs[0].ID, objs[0].Pattern)
	}
}

func TestMISPFeed(t *testing.T) {
	td := testutil.SharedTestdata(t)
	src, err := Open(filepath.Join(td, "misp-feed"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs, rejects := drain(t, src)
	reports := 0
	for _, o := range objs {
		if o.Type == "report" {
			reports++
		}
	}
	if reports != 29 || len(objs) < 3000 || len(rejects) > 5 {
		t.Errorf("feed: %d objects, %d reports, %d rejected %v", len(objs), reports, len(rejects), firstReasons(rejects))
	}
	done, total := src.Progress()
	if done != 29 || total != 29 {
		t.Errorf("progress %d/%d events", done, total)
	}
}

// TestBundleStreams: a bundle is read object by object; the heap stays far
// below the bundle's size.
func TestBundleStreams(t *testing.T) {
	const n = 40000
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`))
		for i := 0; i < n; i++ {
			if i > 0 {
				pw.Write([]byte(","))
			}
			fmt.Fprintf(pw, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"%s","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, i, strings.Repeat("x", 500))
		}
		pw.Write([]byte(`]}`))
		pw.Close()
	}()
	src := newBundleSource(&countingReader{r: pr}, pr)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, uint64(0)
	count := 0
	for {
		it, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil || it.Object == nil {
			t.Fatalf("object %d: %v %s", count, err, it.Reject)
		}
		count++
		if count%2000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	bundleBytes := uint64(n * 750)
	if count != n || peak-min(peak, base) > bundleBytes/3 {
		t.Errorf("read %d objects; heap grew %d bytes for a %d-byte bundle", count, peak-min(peak, base), bundleBytes)
	}
}

// fakeLedger records what is published; it rejects transactions holding
// an id in bad and fails the failAt-th Publish call.
type fakeLedger struct {
	have      map[string][]string
	bad       map[string]bool
	published map[string]int
	calls     int
	failAt    int
	private   []string // ids published for the importing member alone
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{have: map[string][]string{}, bad: map[string]bool{}, published: map[string]int{}}
}

func (f *fakeLedger) Known(_ context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, id := range ids {
		if vs, ok := f.have[id]; ok {
			out[id] = vs
		}
	}
	return out, nil
}

func (f *fakeLedger) Publish(_ context.Context, objs []*stix.Object, private bool) ([]TxResult, error) {
	f.calls++
	for _, o := range objs {
		if private {
			f.private = append(f.private, o.ID)
		}
	}
	if f.calls == f.failAt {
		return nil, errors.New("node went away")
	}
	for _, o := range objs {
		if f.bad[o.ID] {
			return []TxResult{{Objects: len(objs), Reason: "not_owner: " + o.ID}}, nil
		}
	}
	for _, o := range objs {
		f.have[o.ID] = append(f.have[o.ID], o.Version())
		f.published[o.ID]++
	}
	return []TxResult{{Objects: len(objs), Accepted: true}}, nil
}

func levels5(t *testing.T) string {
	return filepath.Join(testutil.SharedTestdata(t), "iocs/ipsum/levels-5.txt")
}

// TestRunResume: an import that fails midway resumes from its checkpoint
// and publishes every object exactly once.
func TestRunResume(t *testing.T) {
	ctx := context.Background()
	led := newFakeLedger()
	led.failAt = 3
	cp := filepath.Join(t.TempDir(), "cp.json")
	open := func() Source {
		src, err := Open(levels5(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	sum, err := Run(ctx, Config{Source: open(), Ledger: led, Key: "k", Checkpoint: cp, Batch: 100})
	if err == nil || sum.Accepted != 200 {
		t.Fatalf("first run: %+v, %v; want a failure after 200 accepted", sum, err)
	}
	sum, err = Run(ctx, Config{Source: open(), Ledger: led, Key: "k", Checkpoint: cp, Batch: 100})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed != 200 || sum.Accepted != 1413 || sum.Duplicate != 0 || sum.Read != 1413 {
		t.Errorf("resumed run: %+v", sum)
	}
	for id, n := range led.published {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
	if len(led.published) != 1413 {
		t.Errorf("%d objects published, want 1413", len(led.published))
	}
	// Importing again: everything is a duplicate, nothing published.
	before := led.calls
	sum, err = Run(ctx, Config{Source: open(), Ledger: led, Key: "k", Checkpoint: cp, Batch: 100})
	if err != nil || sum.Duplicate != 1413 || sum.Accepted != 0 || led.calls != before {
		t.Errorf("re-import: %+v, %v, %d publishes", sum, err, led.calls-before)
	}
}

// TestRunIsolatesRejected: a rejected transaction is split until the
// objects it was rejected for stand alone.
func TestRunIsolatesRejected(t *testing.T) {
	led := newFakeLedger()
	src, _ := Open(levels5(t), Options{})
	objs, _ := drain(t, src)
	led.bad[objs[17].ID], led.bad[objs[420].ID] = true, true
	src, _ = Open(levels5(t), Options{})
	sum, err := Run(context.Background(), Config{Source: src, Ledger: led, Batch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != 1411 || sum.Rejected != 2 || len(sum.Examples) != 2 || !strings.Contains(sum.Examples[0].Reason, "not_owner") {
		t.Errorf("summary %+v", sum)
	}
}

// TestProgress: the bar shows percentage, rate and ETA; the log writes
// plain lines.
func TestProgress(t *testing.T) {
	s := Stats{Read: 500, Done: 250, Total: 1000, Elapsed: 10 * time.Second, Accepted: 400, Duplicate: 90, Rejected: 10}
	var b strings.Builder
	(&Bar{W: &b, Width: 10}).Update(s)
	if got := b.String(); !strings.Contains(got, "[██·······") || !strings.Contains(got, " 25%") ||
		!strings.Contains(got, "50/s") || !strings.Contains(got, "ETA 00:30") || !strings.HasPrefix(got, "\r") {
		t.Errorf("bar %q", got)
	}
	b.Reset()
	l := &Log{W: &b}
	l.Update(s)
	l.Update(s) // within Every: no second line
	l.Done(s)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "rate=50/s") || !strings.Contains(lines[0], "eta=30s") || strings.Contains(b.String(), "\r") {
		t.Errorf("log %q", b.String())
	}
}

// commitThenFail commits its n-th publish and then reports an error, as a
// node that dies after the commit but before the answer would.
type commitThenFail struct {
	*fakeLedger
	n int
}

func (c *commitThenFail) Publish(ctx context.Context, objs []*stix.Object, private bool) ([]TxResult, error) {
	res, err := c.fakeLedger.Publish(ctx, objs, private)
	if c.fakeLedger.calls == c.n {
		return nil, errors.New("connection reset after commit")
	}
	return res, err
}

// TestRunResumeAfterUnrecordedCommit: the batch committed but not
// checkpointed is found on the ledger when the import resumes: counted as
// duplicates, published once.
func TestRunResumeAfterUnrecordedCommit(t *testing.T) {
	led := &commitThenFail{fakeLedger: newFakeLedger(), n: 2}
	cp := filepath.Join(t.TempDir(), "cp.json")
	src, _ := Open(levels5(t), Options{})
	if _, err := Run(context.Background(), Config{Source: src, Ledger: led, Key: "k", Checkpoint: cp, Batch: 500}); err == nil {
		t.Fatal("first run did not fail")
	}
	src, _ = Open(levels5(t), Options{})
	sum, err := Run(context.Background(), Config{Source: src, Ledger: led, Key: "k", Checkpoint: cp, Batch: 500})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed != 500 || sum.Duplicate != 500 || sum.Accepted != 500+413 {
		t.Errorf("summary %+v", sum)
	}
	for id, n := range led.published {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
	if len(led.published) != 1413 {
		t.Errorf("%d published", len(led.published))
	}
}

// TestMISPDistributionOrganisationOnly: an attribute MISP shares with "your
// organisation only" (distribution 0) is published for the importing
// member alone; the event's other attributes and its report go to the
// community as the event's distribution says.
func TestMISPDistributionOrganisationOnly(t *testing.T) {
	event := `{"Event":{"uuid":"5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f","info":"mixed distribution","date":"2026-03-01","timestamp":"1772323200","distribution":"1",
		"Attribute":[
			{"uuid":"6a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d","type":"domain","value":"shared.example","timestamp":"1772323200","distribution":"5"},
			{"uuid":"7b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e","type":"ip-dst","value":"198.51.100.77","timestamp":"1772323200","distribution":"0"}]}}`
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, []byte(event), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := Open(path, Options{Format: "misp"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	l := newFakeLedger()
	sum, err := Run(context.Background(), Config{Source: src, Ledger: l})
	if err != nil || sum.Accepted != 3 {
		t.Fatalf("import: %+v %v", sum, err)
	}
	if !slices.Equal(l.private, []string{"indicator--7b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e"}) {
		t.Fatalf("published for the member alone: %v, want only the distribution-0 attribute", l.private)
	}
}

// TestMISPObservations: attributes MISP does not flag for detection
// (to_ids false) become the cyber observable they name and an
// observed-data object referring to it; flagged ones stay indicators. Real
// event: misp-events/pymisp/mainly_objects_1.json, whose file objects carry
// unflagged MD5/SHA-1/SHA-256/SHA-512 hashes.
func TestMISPObservations(t *testing.T) {
	path := filepath.Join(testutil.SharedTestdata(t), "misp-events/pymisp/mainly_objects_1.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type attribute struct {
		UUID  string `json:"uuid"`
		Type  string `json:"type"`
		ToIDs bool   `json:"to_ids"`
	}
	var doc struct {
		Event struct {
			Attribute []attribute
			Object    []struct{ Attribute []attribute }
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	attrs := doc.Event.Attribute
	for _, o := range doc.Event.Object {
		attrs = append(attrs, o.Attribute...)
	}
	items, err := ParseMISPEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*stix.Object{}
	for _, it := range items {
		if it.Object != nil {
			byID[it.Object.ID] = it.Object
		}
	}
	observed := 0
	for _, a := range attrs {
		if _, mapped := mispTypes[a.Type]; !mapped {
			continue
		}
		ind, od := byID["indicator--"+a.UUID], byID["observed-data--"+a.UUID]
		if a.ToIDs {
			if ind == nil || od != nil {
				t.Errorf("attribute %s (to_ids): indicator %v, observed-data %v", a.UUID, ind != nil, od != nil)
			}
			continue
		}
		if ind != nil || od == nil {
			t.Errorf("attribute %s (not to_ids): indicator %v, observed-data %v", a.UUID, ind != nil, od != nil)
			continue
		}
		observed++
		var m struct {
			Refs []string `json:"object_refs"`
		}
		json.Unmarshal(od.Raw, &m)
		if len(m.Refs) != 1 || byID[m.Refs[0]] == nil || !byID[m.Refs[0]].IsSCO() {
			t.Errorf("observed-data of %s refers to %v, not to an observable of the import", a.UUID, m.Refs)
		}
	}
	if observed == 0 {
		t.Fatal("no attribute of the event became an observation")
	}
}
