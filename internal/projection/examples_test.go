package projection

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// TestOASISExamples applies every object of the OASIS STIX 2.1 examples and
// reads each one back.
func TestOASISExamples(t *testing.T) {
	ctx := context.Background()
	files := exampleFiles(t)

	var l ledger
	for _, f := range files {
		for _, o := range exampleObjects(t, f) {
			l.add("oasis", o)
		}
	}
	if len(l.recs) < 200 {
		t.Fatalf("only %d example objects found", len(l.recs))
	}
	s, _ := openTest(t)
	mustApply(t, s, l.recs...)
	for _, r := range l.recs {
		vs, err := s.Get(ctx, r.ObjectID, false)
		if err != nil {
			t.Fatalf("Get %s: %v", r.ObjectID, err)
		}
		if !json.Valid(vs[0].Object) {
			t.Fatalf("%s: stored object is not JSON", r.ObjectID)
		}
	}
	// Three example files each carry an indicator for 10.0.0.0.
	p := mustSearch(t, s, Query{Text: "10.0.0.0"})
	ids := make([]string, len(p.Items))
	for i, v := range p.Items {
		ids[i] = v.ID
	}
	if len(ids) != 3 || !slices.Contains(ids, "indicator--33fe3b22-0201-47cf-85d0-97c02164528d") {
		t.Fatalf("search 10.0.0.0: %v", ids)
	}
	if p := mustSearch(t, s, Query{Text: "poison ivy", Types: []string{"malware"}}); len(p.Items) == 0 {
		t.Fatal("no malware matches poison ivy")
	}
}

// exampleObjects returns the objects of a bundle file, or the file's one
// object if it is not a bundle.
// exampleFiles lists the OASIS STIX 2.1 example bundles of the shared
// test data, threat reports included.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(testutil.SharedTestdata(t), "stix2.1-examples")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(dir, "threat-reports", "*.json"))
	return append(files, more...)
}

func exampleObjects(t *testing.T, path string) []obj {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Type    string `json:"type"`
		Objects []obj  `json:"objects"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if top.Type == "bundle" {
		return top.Objects
	}
	var o obj
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []obj{o}
}
