package importer

import (
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// TestMISPEventsWithObjects: the PyMISP and MISP test events (objects,
// galaxies, sightings) import; attributes inside MISP objects count too.
func TestMISPEventsWithObjects(t *testing.T) {
	td := testutil.SharedTestdata(t)
	for _, f := range []string{"pymisp/existing_event.json", "pymisp/mainly_objects_1.json", "pymisp/galaxy_1.json", "pymisp/sighting_1.json", "misp/event.json"} {
		src, err := Open(filepath.Join(td, "misp-events", f), Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		objs, rejects := drain(t, src)
		if len(objs) < 2 || objs[len(objs)-1].Type != "report" || len(rejects) == 0 && f != "pymisp/sighting_1.json" {
			t.Errorf("%s: %d objects, %d rejected %v", f, len(objs), len(rejects), firstReasons(rejects))
		}
		t.Logf("%s: %d objects, %d rejected (e.g. %v)", f, len(objs), len(rejects), firstReasons(rejects))
	}
}
