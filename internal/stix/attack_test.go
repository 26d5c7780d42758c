package stix

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// attackFiles lists the MITRE ATT&CK bundles in the shared test data.
func attackFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.SharedTestdata(t), "attack", "*-attack-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no ATT&CK bundles in the shared test data")
	}
	sort.Strings(files)
	return files
}

// TestAttackBundles parses the MITRE ATT&CK ICS and Mobile bundles whole:
// every object, with its x-mitre-* custom types and x_mitre_* custom
// properties, must be accepted and kept intact.
func TestAttackBundles(t *testing.T) {
	t.Parallel()
	for _, path := range attackFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := ParseInput(data)
			if err != nil {
				t.Fatalf("ParseInput: %v", err)
			}
			samples := readSamples(t, path)
			if len(objs) != len(samples) {
				t.Fatalf("got %d objects, the bundle holds %d", len(objs), len(samples))
			}
			counts := map[string]int{}
			custom := 0
			for i, o := range objs {
				counts[o.Type]++
				if strings.HasPrefix(o.Type, "x-") {
					custom++
				}
				if want := compactJSON(t, string(samples[i].raw)); string(o.Raw) != string(want) {
					t.Fatalf("object %d: Raw differs from the compacted input", i)
				}
				if o.Version() == "" || o.IsSCO() {
					t.Fatalf("object %d (%s): Version %q, IsSCO %v", i, o.ID, o.Version(), o.IsSCO())
				}
			}
			t.Logf("%d objects accepted (%d of custom x-mitre types); by type: %s", len(objs), custom, formatCounts(counts))
		})
	}
}

func formatCounts(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(counts[k])
	}
	return strings.Join(parts, ", ")
}
