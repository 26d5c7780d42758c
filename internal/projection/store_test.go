package projection

import (
	"context"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

func TestApplyAndGet(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var l ledger
	v1 := l.add("cert-a", indicator(1, "2026-01-01T00:00:00Z", "C2", "[ipv4-addr:value = '198.51.100.7']", "c2"))
	v2 := l.add("cert-b", indicator(1, "2026-01-02T00:00:00Z", "C2 v2", "[ipv4-addr:value = '198.51.100.8']", "c2"))
	mustApply(t, s, l.recs...)

	latest, err := s.Get(ctx, v1.ObjectID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 1 {
		t.Fatalf("latest: %d versions, want 1", len(latest))
	}
	checkVersion(t, latest[0], v2, true)

	all, err := s.Get(ctx, v1.ObjectID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("all: %d versions, want 2", len(all))
	}
	checkVersion(t, all[0], v1, false)
	checkVersion(t, all[1], v2, true)

	if n, _ := s.NextIndex(ctx); n != 2 {
		t.Errorf("NextIndex = %d, want 2", n)
	}
	if h, _ := s.Height(ctx); h != v2.Height {
		t.Errorf("Height = %d, want %d", h, v2.Height)
	}
}

func checkVersion(t *testing.T, got Version, r record.Record, latest bool) {
	t.Helper()
	want := Version{
		ID: r.ObjectID, Type: r.Type, Version: r.Modified, Latest: latest, Author: r.Author,
		Height: r.Height, Index: r.Index, Added: r.Time, TxHash: strings.ToUpper(hex.EncodeToString(r.TxHash)),
	}
	obj := got.Object
	got.Object = nil
	if !got.Added.Equal(want.Added) || got.Added.Location() != want.Added.Location() {
		t.Errorf("Added = %v, want %v", got.Added, want.Added)
	}
	got.Added = want.Added
	if got.ID != want.ID || got.Type != want.Type || got.Version != want.Version || got.Latest != want.Latest ||
		got.Author != want.Author || got.Height != want.Height || got.Index != want.Index || got.TxHash != want.TxHash {
		t.Errorf("version = %+v, want %+v", got, want)
	}
	if string(obj) != string(r.Object) {
		t.Errorf("object = %s, want %s", obj, r.Object)
	}
}

func TestGetErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	_, err := s.Get(ctx, stixID("indicator", 9), false)
	wantCode(t, err, errs.NotFound)
	for _, id := range []string{"", "indicator", "indicator--123", "Indicator--" + uid(1), "in--" + uid(1) + "x", "indicator--" + strings.ReplaceAll(uid(1), "-", "x")} {
		_, err := s.Get(ctx, id, true)
		wantCode(t, err, errs.Invalid)
	}
}

func TestOutOfOrderVersions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var l ledger
	// Sub-second precision differs: "…00.5Z" is later than "…00Z" although
	// it sorts earlier as a string.
	steps := []struct {
		modified string
		latest   uint64 // index of the latest version after applying
	}{
		{"2026-01-02T00:00:00Z", 0},
		{"2026-01-01T00:00:00Z", 0},
		{"2026-01-02T00:00:00.5Z", 2},
		{"2026-01-02T00:00:00.25Z", 2},
		{"2026-01-03T00:00:00.000001Z", 4},
	}
	id := stixID("indicator", 1)
	for _, st := range steps {
		mustApply(t, s, l.add("a", indicator(1, st.modified, "x", "[url:value = 'http://x.test']")))
		got, err := s.Get(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Index != st.latest {
			t.Fatalf("after %s: latest %v, want index %d", st.modified, indexes(got), st.latest)
		}
	}
	all, err := s.Get(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	wantIndexes(t, all, 1, 0, 3, 2, 4)
	for _, v := range all {
		if v.Latest != (v.Index == 4) {
			t.Errorf("index %d: Latest = %v", v.Index, v.Latest)
		}
	}
	p := mustSearch(t, s, Query{})
	wantIndexes(t, p.Items, 4)
}

func TestDuplicateVersionSkipped(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var l ledger
	l.add("a", indicator(1, "2026-01-01T00:00:00Z", "first", "[url:value = 'http://a.test']"))
	l.add("a", indicator(1, "2026-01-01T00:00:00.000Z", "again", "[url:value = 'http://b.test']"))
	l.add("a", sco("ipv4-addr", 2, "192.0.2.1"))
	l.add("b", sco("ipv4-addr", 2, "192.0.2.1"))
	mustApply(t, s, l.recs...)
	if n, _ := s.NextIndex(ctx); n != 4 {
		t.Fatalf("NextIndex = %d, want 4 (duplicates consume their index)", n)
	}
	all, err := s.Get(ctx, stixID("indicator", 1), true)
	if err != nil {
		t.Fatal(err)
	}
	wantIndexes(t, all, 0)
	if !all[0].Latest {
		t.Error("first version not latest")
	}
	wantIndexes(t, mustSearch(t, s, Query{Text: "http://b.test"}).Items)
	sco, err := s.Get(ctx, stixID("ipv4-addr", 2), true)
	if err != nil {
		t.Fatal(err)
	}
	wantIndexes(t, sco, 2)
	if sco[0].Version != "" || !sco[0].Latest {
		t.Errorf("SCO version %+v", sco[0])
	}
}

func TestIdempotentReapplyAndGap(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var l ledger
	for i := range 6 {
		l.add("a", sco("domain-name", i, "d"+string(rune('a'+i))+".test"))
	}
	mustApply(t, s, l.recs[:4]...)
	before, _ := s.Digest(ctx)
	mustApply(t, s, l.recs[:4]...) // all skipped
	mustApply(t, s, l.recs[2:3]...)
	if after, _ := s.Digest(ctx); after != before {
		t.Fatal("re-applying changed the projection")
	}
	mustApply(t, s, l.recs[2:]...) // overlap: 2, 3 skipped, 4, 5 applied
	if n, _ := s.NextIndex(ctx); n != 6 {
		t.Fatalf("NextIndex = %d, want 6", n)
	}

	l.add("a", sco("domain-name", 10, "x.test"))
	l.add("a", sco("domain-name", 11, "y.test"))
	err := s.Apply(ctx, l.recs[7:])
	wantCode(t, err, errs.Conflict)
	if !strings.Contains(err.Error(), "expected 6") {
		t.Errorf("gap error %q does not say what was expected", err)
	}
	// A gap inside a batch rolls the whole batch back.
	err = s.Apply(ctx, []record.Record{l.recs[6], l.recs[6]})
	if err != nil {
		t.Fatalf("duplicate in batch: %v", err)
	}
	bad := []record.Record{l.recs[7], l.recs[7]}
	bad[1].Index = 9
	wantCode(t, s.Apply(ctx, bad), errs.Conflict)
	if n, _ := s.NextIndex(ctx); n != 7 {
		t.Fatalf("NextIndex = %d after failed batch, want 7", n)
	}
}

func TestApplyRejectsNonJSONObject(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var l ledger
	r := l.add("a", sco("ipv4-addr", 1, "192.0.2.1"))
	r.Object = []byte("not json")
	err := s.Apply(ctx, []record.Record{r})
	wantCode(t, err, errs.Invalid)
	if n, _ := s.NextIndex(ctx); n != 0 {
		t.Fatalf("NextIndex = %d, want 0", n)
	}
}

func TestResetAndDigest(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	l := sampleLedger()
	mustApply(t, s, l.recs...)
	d1, err := s.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.NextIndex(ctx); n != 0 {
		t.Fatalf("NextIndex after Reset = %d", n)
	}
	if h, _ := s.Height(ctx); h != 0 {
		t.Fatalf("Height after Reset = %d", h)
	}
	wantIndexes(t, mustSearch(t, s, Query{AllVersions: true}).Items)
	wantIndexes(t, mustSearch(t, s, Query{Text: "emotet"}).Items)
	d0, _ := s.Digest(ctx)
	if d0 == d1 {
		t.Fatal("digest of empty projection equals full one")
	}

	// Re-apply one record at a time: same content, same digest.
	for _, r := range l.recs {
		mustApply(t, s, r)
	}
	if d2, _ := s.Digest(ctx); d2 != d1 {
		t.Fatalf("digest after reindex %s, want %s", d2, d1)
	}
	wantIndexes(t, mustSearch(t, s, Query{Text: "emotet"}).Items, 5, 1)

	// A different ledger gives a different digest.
	s2, _ := openTest(t)
	other := sampleLedger()
	other.recs[3].Author = "someone-else"
	mustApply(t, s2, other.recs...)
	if d3, _ := s2.Digest(ctx); d3 == d1 {
		t.Fatal("digest does not cover the author")
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	l := sampleLedger()
	mustApply(t, s, l.recs...)
	d1, _ := s.Digest(ctx)

	s2 := reopen(t, s, path)
	if d2, _ := s2.Digest(ctx); d2 != d1 {
		t.Fatal("digest changed across reopen")
	}
	if n, _ := s2.NextIndex(ctx); n != uint64(len(l.recs)) {
		t.Fatalf("NextIndex = %d, want %d", n, len(l.recs))
	}
	if h, _ := s2.Height(ctx); h != l.recs[len(l.recs)-1].Height {
		t.Fatalf("Height = %d", h)
	}
	wantIndexes(t, mustSearch(t, s2, Query{Text: "emotet"}).Items, 5, 1)
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) < 3 {
		t.Fatalf("embedded migrations %v (%v)", files, err)
	}
	var n int
	if err := s2.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("schema_migrations rows = %d (%v), want %d (each migration once)", n, err, len(files))
	}
}

func TestOpenFileMode(t *testing.T) {
	_, path := openTest(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Fatalf("mode %v, want 0600", m)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, p := range []string{"", dir, filepath.Join(dir, "missing", "p.db"), filepath.Join(dir, "a?b.db")} {
		if s, err := Open(ctx, p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestApplyCancelled(t *testing.T) {
	s, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Apply(ctx, sampleLedger().recs); err == nil {
		t.Fatal("Apply with a cancelled context succeeded")
	}
	if n, _ := s.NextIndex(context.Background()); n != 0 {
		t.Fatalf("NextIndex = %d after a cancelled Apply", n)
	}
}

func TestApplyOddObjects(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var l ledger
	l.add("a", obj{"type": "malware", "id": stixID("malware", 1), "created": "2026-01-01T00:00:00Z",
		"name": 42, "labels": []any{"x", "x", 7, "y"}, "description": []string{"not", "text"}})
	l.add("a", obj{"type": "x-custom-thing", "id": stixID("x-custom-thing", 2), "created": "2026-01-01T00:00:00Z",
		"value": map[string]any{"nested": true}, "hashes": "none"})
	mustApply(t, s, l.recs...)
	wantIndexes(t, mustSearch(t, s, Query{Labels: []string{"x", "y"}}).Items, 0)
	if _, err := s.Get(ctx, stixID("x-custom-thing", 2), false); err != nil {
		t.Fatal(err)
	}
}

// TestApplyReleasesRecords checks (under -race) that Apply stops reading the
// caller's records when it returns, even after an error.
func TestApplyReleasesRecords(t *testing.T) {
	s, _ := openTest(t)
	l := sampleLedger()
	bad := slices.Clone(l.recs)
	bad[2].Object = []byte("[]")
	if err := s.Apply(context.Background(), bad); err == nil {
		t.Fatal("Apply of a non-object succeeded")
	}
	for i := range bad {
		bad[i].Object = nil
	}
	mustApply(t, s, l.recs...)
	for i := range l.recs {
		l.recs[i].Object = nil
	}
}

func TestCloseTwice(t *testing.T) {
	s, _ := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestConcurrentReadsDuringApply(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	done := make(chan error)
	go func() {
		var l ledger
		for i := range 2000 {
			l.add("a", sco("ipv4-addr", i, "192.0.2.1"))
		}
		for i := 0; i < len(l.recs); i += 100 {
			if err := s.Apply(ctx, l.recs[i:i+100]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := s.NextIndex(ctx); n != 2000 {
				t.Fatalf("NextIndex = %d", n)
			}
			return
		default:
			p := mustSearch(t, s, Query{Text: "192.0.2.1", Limit: 10})
			for i := 1; i < len(p.Items); i++ {
				if p.Items[i].Index >= p.Items[i-1].Index {
					t.Fatal("page out of order")
				}
			}
		}
	}
}
