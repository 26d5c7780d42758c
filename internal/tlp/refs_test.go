package tlp_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// TestOfRefsAgreesWithOf checks that the level read from the markings
// internal/stix collects (what the ledger and intake use) is the level Of
// reads from the JSON, for every object of the OASIS examples.
func TestOfRefsAgreesWithOf(t *testing.T) {
	var inputs [][]byte
	root := filepath.Join(testutil.SharedTestdata(t), "stix2.1-examples")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		b, err := os.ReadFile(path)
		inputs = append(inputs, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	synthetic := len(inputs)
	inputs = append(inputs, markedIndicators()...)
	var objects, marked int
	for i, b := range inputs {
		objs, err := stix.ParseInput(b)
		if err != nil && i >= synthetic {
			t.Fatalf("marked indicator %d: %v", i-synthetic, err)
		}
		if err != nil {
			continue // a few examples are not valid STIX 2.1 on purpose
		}
		for _, o := range objs {
			for _, def := range []tlp.Level{tlp.Clear, tlp.Green, tlp.Red} {
				want, err := tlp.Of(o.Raw, def)
				if err != nil {
					t.Fatalf("%s: %v", o.ID, err)
				}
				if got := tlp.OfRefs(o.Markings, def); got != want {
					t.Errorf("%s (default %v): OfRefs = %v, Of = %v", o.ID, def, got, want)
				}
			}
			objects++
			if l, _ := tlp.Of(o.Raw, 0); l != 0 {
				marked++
			}
		}
	}
	if objects < 100 || marked < 8 {
		t.Fatalf("only %d objects (%d TLP-marked) compared", objects, marked)
	}
}

// markedIndicators returns valid indicators carrying the marking
// combinations of TestOf: TLP 2.0 and 1.0, several, granular, language
// and non-TLP markings.
func markedIndicators() [][]byte {
	granular := func(ref string) string {
		return `[{"marking_ref":"` + ref + `","selectors":["name"]}]`
	}
	markings := []string{
		``,
		`,"object_marking_refs":["` + tlp.AmberID + `"]`,
		`,"object_marking_refs":["` + tlp.WhiteV1ID + `"]`,
		`,"object_marking_refs":["` + tlp.RedV1ID + `"]`,
		`,"object_marking_refs":["` + tlp.GreenID + `","` + tlp.AmberStrictID + `","` + tlp.AmberV1ID + `"]`,
		`,"object_marking_refs":["` + tlp.GreenID + `"],"granular_markings":` + granular(tlp.RedID),
		`,"granular_markings":` + granular(tlp.AmberID),
		`,"granular_markings":[{"lang":"en","selectors":["name"]}]`,
		`,"object_marking_refs":["marking-definition--a4d70b75-6f4a-5d19-9137-da863edd33d7"]`,
		`,"object_marking_refs":["` + tlp.RedID + `"],"granular_markings":` + granular(tlp.ClearID),
	}
	out := make([][]byte, len(markings))
	for i, m := range markings {
		out[i] = []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
			`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"n",` +
			`"pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"` + m + `}`)
	}
	return out
}
