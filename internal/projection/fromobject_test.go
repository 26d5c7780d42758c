package projection

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// sameFields fails t unless fieldsOf(o), when it answers, is exactly what
// extract gives for o.Raw; it reports whether fieldsOf answered.
func sameFields(t testing.TB, o *stix.Object) bool {
	t.Helper()
	want, err := extract(o.Raw)
	if err != nil {
		t.Fatalf("%s: extract: %v", o.ID, err)
	}
	got, ok := fieldsOf(o)
	if ok && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: fields from the parse differ from extract:\n%s\n%s\nobject %s", o.ID, showFields(got), showFields(want), o.Raw)
	}
	r := record.Record{Object: o.Raw, Parsed: o}
	viaRecord, err := extractRecord(&r)
	if err != nil || !reflect.DeepEqual(viaRecord, want) {
		t.Fatalf("%s: extractRecord differs from extract (%v):\n%s\n%s", o.ID, err, showFields(viaRecord), showFields(want))
	}
	return ok
}

func showFields(f fields) string {
	s := fmt.Sprintf("%+v", f)
	if f.Indicator != nil {
		s += fmt.Sprintf(" indicator %+v", *f.Indicator)
		if f.Indicator.Confidence != nil {
			s += fmt.Sprintf(" confidence %d", *f.Indicator.Confidence)
		}
	}
	return s
}

// testdataObjects returns every object of the OASIS STIX 2.1 examples and
// the ATT&CK bundles of the shared test data, as written, by source.
func testdataObjects(t testing.TB) map[string][]json.RawMessage {
	t.Helper()
	shared := testutil.SharedTestdata(t)
	files, _ := filepath.Glob(filepath.Join(shared, "stix2.1-examples", "*.json"))
	more, _ := filepath.Glob(filepath.Join(shared, "stix2.1-examples", "threat-reports", "*.json"))
	attack, _ := filepath.Glob(filepath.Join(shared, "attack", "*-attack-*.json"))
	out := map[string][]json.RawMessage{}
	for _, f := range append(append(files, more...), attack...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var top struct {
			Type    string            `json:"type"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(b, &top); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		src := "oasis"
		if strings.Contains(f, "attack") {
			src = "attack"
		}
		if top.Type != "bundle" {
			top.Objects = []json.RawMessage{b}
		}
		out[src] = append(out[src], top.Objects...)
	}
	if len(out["oasis"]) < 200 || len(out["attack"]) < 1000 {
		t.Fatalf("found %d OASIS example and %d ATT&CK objects", len(out["oasis"]), len(out["attack"]))
	}
	return out
}

// TestFieldsOfTestdata: for every object of the OASIS examples and the
// ATT&CK bundles that stix.Parse accepts, the fields built from the parse
// are exactly extract's; and the parse is used for nearly all ATT&CK
// objects (the bulk of what members publish), not left to extract.
func TestFieldsOfTestdata(t *testing.T) {
	for src, raws := range testdataObjects(t) {
		parsed, fast := 0, 0
		for _, raw := range raws {
			o, err := stix.Parse(raw)
			if err != nil {
				continue
			}
			parsed++
			if sameFields(t, o) {
				fast++
			}
		}
		t.Logf("%s: %d objects, %d parse, %d of those built from the parse", src, len(raws), parsed, fast)
		if src == "attack" && fast < parsed*9/10 {
			t.Errorf("ATT&CK: only %d of %d objects built from the parse", fast, parsed)
		}
	}
}

// TestFieldsOfEdgeCases: objects whose parse leaves out or normalises
// something extract reads get extract's fields all the same.
func TestFieldsOfEdgeCases(t *testing.T) {
	const sdo = `"spec_version":"2.1","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"`
	ind := func(extra string) string {
		return `{"type":"indicator",` + sdo + `,"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[file:hashes.'SHA-256' = 'EF53']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00.000Z"` + extra + `}`
	}
	rel := func(extra string) string {
		return `{"type":"relationship",` + sdo + `,"id":"relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e","relationship_type":"uses","source_ref":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","target_ref":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0062"` + extra + `}`
	}
	cases := []struct {
		name string
		obj  string
		fast bool // built from the parse, not by extract
	}{
		{"indicator", ind(`,"name":"x","labels":["a","b"],"revoked":true,"valid_until":"2017-01-01T00:00:00.000Z"`), true},
		{"indicator confidence", ind(`,"confidence":85`), true},
		{"indicator confidence -0", ind(`,"confidence":-0`), true},
		{"indicator confidence 50.0", ind(`,"confidence":50.0`), false},
		{"indicator confidence 5e1", ind(`,"confidence":5e1`), false},
		{"indicator markings", ind(`,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]`), true},
		{"indicator granular markings", ind(`,"granular_markings":[{"selectors":["name"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}],"name":"n"`), false},
		{"indicator sigma", strings.Replace(ind(""), `"pattern_type":"stix"`, `"pattern_type":"sigma"`, 1), true},
		{"indicator custom hashes", ind(`,"hashes":{"MD5":"AA"}`), false},
		{"indicator custom value", ind(`,"value":7`), false},
		{"relationship", rel(""), true},
		{"relationship custom name", rel(`,"name":"n"`), true},
		{"relationship custom name number", rel(`,"name":5`), false},
		{"relationship custom empty name", rel(`,"name":""`), false},
		{"relationship empty description", rel(`,"description":""`), true},
		{"relationship custom pattern", rel(`,"pattern":"[x:y = 'z']"`), false},
		{"relationship custom valid_from", rel(`,"valid_from":1`), false},
		{"relationship custom number", rel(`,"number":1`), false},
		{"custom type", `{"type":"x-mitre-tactic",` + sdo + `,"id":"x-mitre-tactic--57b56a43-b8b0-4cba-9deb-34e3e1faed9e","name":"Collection","description":"d","x_mitre_shortname":"collection"}`, true},
		{"custom type odd name", `{"type":"x-mitre-tactic",` + sdo + `,"id":"x-mitre-tactic--57b56a43-b8b0-4cba-9deb-34e3e1faed9e","name":["Collection"]}`, false},
		{"custom type odd description", `{"type":"x-mitre-tactic",` + sdo + `,"id":"x-mitre-tactic--57b56a43-b8b0-4cba-9deb-34e3e1faed9e","name":"n","description":{"a":1}}`, false},
		{"custom type empty description", `{"type":"x-mitre-tactic",` + sdo + `,"id":"x-mitre-tactic--57b56a43-b8b0-4cba-9deb-34e3e1faed9e","name":"n","description":""}`, false},
		{"created not normalised", strings.Replace(rel(""), `"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"`, `"created":"2016-04-06T20:03:48.120Z","modified":"2016-04-06T20:03:49.000Z"`, 1), true},
		{"observed-data objects", `{"type":"observed-data",` + sdo + `,"id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,"objects":{"0":{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"10.0.0.1"}}}`, false},
		{"sco", `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`, false},
		{"marking definition", `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--a1b2c3d4-0000-4000-8000-000000000001","created":"2016-08-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"x"},"labels":[1]}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := stix.Parse([]byte(c.obj))
			if err != nil {
				t.Fatalf("stix.Parse: %v", err)
			}
			if fast := sameFields(t, o); fast != c.fast {
				t.Fatalf("built from the parse: %v, want %v", fast, c.fast)
			}
		})
	}
}

// FuzzFieldsOf: for any input stix.Parse accepts, the fields built from
// the parse (when fieldsOf answers) are exactly extract's.
func FuzzFieldsOf(f *testing.F) {
	f.Add([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"n","confidence":5,"labels":["l"],"pattern":"[file:hashes.'SHA-256' = 'EF53'] AND [url:value = 'http://A/']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`))
	if os.Getenv("PHALANX_SHARED_TESTDATA") != "" || dirExists(filepath.Join("..", "..", "..", "shared", "testdata")) {
		for _, raws := range testdataObjects(f) {
			for i := 0; i < len(raws); i += 7 {
				f.Add([]byte(raws[i]))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := stix.Parse(data)
		if err != nil {
			return
		}
		sameFields(t, o)
	})
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// TestParsedSameProjection: the projection of records carrying the
// ledger's parse is the projection of the same records without it (as a
// rebuild reads them from the state): same digest, same rows in every
// table, same full-text index, same indicators handed to the matcher.
func TestParsedSameProjection(t *testing.T) {
	var live, rebuilt []record.Record
	for _, src := range []string{"oasis", "attack"} {
		for _, raw := range testdataObjects(t)[src] {
			o, err := stix.Parse(raw)
			if err != nil {
				continue
			}
			idx := uint64(len(live))
			tx := sha256.Sum256(binary.BigEndian.AppendUint64(nil, idx))
			r := record.Record{Index: idx, Height: int64(idx/100 + 1), Time: t0.Add(time.Duration(idx/100) * time.Second),
				TxHash: tx[:], Author: "alice", ObjectID: o.ID, Type: o.Type, Modified: o.Version(), Object: o.Raw}
			rebuilt = append(rebuilt, r)
			r.Parsed = o
			live = append(live, r)
		}
	}
	var dumps, digests [2]string
	var decoded [2]map[uint64]*Indicator
	for i, recs := range [][]record.Record{live, rebuilt} {
		s, _ := openTest(t)
		for start := 0; start < len(recs); start += 1000 {
			d, err := s.ApplyDecoded(context.Background(), recs[start:min(start+1000, len(recs))])
			if err != nil {
				t.Fatal(err)
			}
			if decoded[i] == nil {
				decoded[i] = d
			} else {
				for k, v := range d {
					decoded[i][k] = v
				}
			}
		}
		dumps[i] = dumpStore(t, s)
		var err error
		if digests[i], err = s.IndexDigest(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if dumps[0] != dumps[1] {
		t.Fatalf("projections differ:\n%s", firstDiff(dumps[0], dumps[1]))
	}
	if digests[0] != digests[1] {
		t.Fatalf("index digests differ: %s with the parse, %s without", digests[0], digests[1])
	}
	if !reflect.DeepEqual(decoded[0], decoded[1]) {
		t.Fatal("indicators handed to the matcher differ")
	}
	if len(decoded[0]) < 40 {
		t.Fatalf("only %d indicators decoded", len(decoded[0]))
	}
}

// dumpStore is every row of every projection table, the full-text
// indexes' terms with their positions, and the digest.
func dumpStore(t *testing.T, s *Store) string {
	t.Helper()
	ctx := context.Background()
	digest, err := s.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("digest " + digest + "\n")
	for _, q := range []string{
		`SELECT idx, id, type, version, vkey, created, revoked, author, height, added, hex(tx_hash), object, name, is_latest, tlp, recipients, grp, sealed FROM versions ORDER BY idx`,
		`SELECT label, idx FROM labels ORDER BY label, idx`,
		`SELECT value, idx FROM obs_values ORDER BY value, idx`,
		`SELECT added, first_idx FROM added_at ORDER BY added`,
		`SELECT term, doc, col, offset FROM temp.fts_terms ORDER BY term, doc, col, offset`,
	} {
		if strings.Contains(q, "fts_terms") {
			if _, err := s.write.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, fts, instance)`); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := s.write.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v\t", v)
			}
			b.WriteByte('\n')
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if n == 0 {
			t.Fatalf("no rows from %s", q)
		}
	}
	return b.String()
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  with the parse: %s\n  without:        %s", i, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(la), len(lb))
}

// TestIndexDigestCoversDerivedFields: IndexDigest tells apart two
// projections of the same records that differ only in a derived field
// (the TLP level), which Digest does not.
func TestIndexDigestCoversDerivedFields(t *testing.T) {
	ctx := context.Background()
	var l ledger
	r := l.add("alice", indicator(1, "2026-01-02T00:00:00Z", "one", "[ipv4-addr:value = '10.0.0.1']", "l1"))
	var digests, indexDigests [2]string
	for i, lvl := range []uint8{2, 1} {
		s, _ := openTest(t)
		r.Access = &record.Access{Level: lvl}
		mustApply(t, s, r)
		var err error
		if digests[i], err = s.Digest(ctx); err != nil {
			t.Fatal(err)
		}
		if indexDigests[i], err = s.IndexDigest(ctx); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.IndexDigest(ctx); again != indexDigests[i] {
			t.Fatalf("IndexDigest not stable: %s then %s", indexDigests[i], again)
		}
	}
	if digests[0] != digests[1] || indexDigests[0] == indexDigests[1] {
		t.Fatalf("digests %v, index digests %v: want the same digest, different index digests", digests, indexDigests)
	}
}
