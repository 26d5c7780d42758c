package taxii_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/taxii"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func (n *node) post(path, tok, body string) response {
	n.t.Helper()
	h := bearer(tok)
	h["Content-Type"] = taxii.MediaType
	return n.req(http.MethodPost, n.url(path), h, body)
}

// pollStatus polls a status resource until it is complete (bounded).
func pollStatus(t *testing.T, n *node, id string) taxii.Status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := n.get("status/" + id + "/")
		ok(t, r, http.StatusOK)
		var st taxii.Status
		r.decode(t, &st)
		if st.Status == "complete" {
			return st
		}
		if st.PendingCount != len(st.Pendings) || st.PendingCount == 0 {
			t.Fatalf("pending status with pending_count %d: %s", st.PendingCount, r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %s still pending: %s", id, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func testAddObjects(t *testing.T, n *node) {
	newID := "indicator--f0000000-0000-4000-8000-000000000001"
	body := `{"objects":[` +
		indicator(newID, "2026-04-01T00:00:00.000Z", "") + `,` +
		indicator(indID, "2026-03-01T00:00:00.000Z", "") + `,` + // already on the ledger
		`{"type":"indicator","spec_version":"2.1","id":"indicator--f0000000-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[not a pattern","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}` + `,` +
		indicator("indicator--f0000000-0000-4000-8000-0000000000a3", "2026-04-01T00:00:00.000Z", tlp.AmberID) + // needs recipients
		`]}`
	r := n.post("collections/all/objects/", n.admin, body)
	ok(t, r, http.StatusAccepted)
	var st taxii.Status
	r.decode(t, &st)
	if st.ID == "" || st.TotalCount != 4 || st.SuccessCount+st.FailureCount+st.PendingCount != 4 {
		t.Fatalf("status %s", r.body)
	}
	if _, err := time.Parse(time.RFC3339Nano, st.RequestTimestamp); err != nil {
		t.Errorf("request_timestamp %q", st.RequestTimestamp)
	}
	st = pollStatus(t, n, st.ID)
	if st.SuccessCount != 2 || st.FailureCount != 2 || st.PendingCount != 0 {
		t.Fatalf("final status %+v", st)
	}
	failed := map[string]string{}
	for _, f := range st.Failures {
		failed[f.ID] = f.Message
	}
	if !strings.Contains(failed["indicator--f0000000-0000-4000-8000-000000000002"], "pattern") {
		t.Errorf("failures %+v", st.Failures)
	}
	if !strings.Contains(failed["indicator--f0000000-0000-4000-8000-0000000000a3"], "TLP:AMBER content is sealed") {
		t.Errorf("the AMBER object did not fail alone with its reason: %+v", st.Failures)
	}
	succeeded := map[string]bool{}
	for _, s := range st.Successes {
		succeeded[s.ID] = true
	}
	if !succeeded[newID] || !succeeded[indID] {
		t.Errorf("successes %+v", st.Successes)
	}
	// The new object is readable once the status says complete.
	_, ids := objectsOf(t, n, "collections/all/objects/"+newID+"/")
	if len(ids) != 1 {
		t.Errorf("posted object not served: %v", ids)
	}
	// Status resources belong to the token that posted.
	isError(t, n.req(http.MethodGet, n.url("status/"+st.ID+"/"), bearer(n.reader), ""), http.StatusNotFound)
	isError(t, n.get("status/00000000-0000-4000-8000-000000000000/"), http.StatusNotFound)

	// Bad envelopes and collections that do not accept writes.
	isError(t, n.post("collections/all/objects/", n.admin, `{"objects":[]}`), http.StatusBadRequest)
	isError(t, n.post("collections/all/objects/", n.admin, `not json`), http.StatusBadRequest)
	isError(t, n.post("collections/all/objects/", n.admin, `{"objects":{}}`), http.StatusBadRequest)
	isError(t, n.post("collections/tlp-red/objects/", n.admin, body), http.StatusForbidden)
	huge := `{"objects":["` + strings.Repeat("x", int(taxii.DefaultMaxContentLength)) + `"]}`
	isError(t, n.post("collections/all/objects/", n.admin, huge), http.StatusRequestEntityTooLarge)
}

func testDeleteObject(t *testing.T, n *node) {
	isError(t, n.req(http.MethodDelete, n.url("collections/all/objects/"+scoID+"/"), bearer(n.admin), ""), http.StatusUnprocessableEntity)
	isError(t, n.req(http.MethodDelete, n.url("collections/all/objects/indicator--00000000-0000-4000-8000-0000000000ff/"), bearer(n.admin), ""), http.StatusNotFound)
	isError(t, n.req(http.MethodDelete, n.url("collections/all/objects/"+indID+"/?match[version]=2020-01-01T00:00:00Z"), bearer(n.admin), ""), http.StatusNotFound)
	r := n.req(http.MethodDelete, n.url("collections/all/objects/"+greenID+"/"), bearer(n.admin), "")
	if r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	env, _ := objectsOf(t, n, "collections/all/objects/"+greenID+"/")
	var o struct {
		Revoked  bool
		Modified string
	}
	jsonUnmarshal(env.Objects[0], &o)
	if !o.Revoked {
		t.Errorf("after DELETE the latest version is not revoked: %s", env.Objects[0])
	}
	r = n.get("collections/all/objects/" + greenID + "/versions/")
	var vs taxii.Versions
	r.decode(t, &vs)
	if len(vs.Versions) != 2 {
		t.Errorf("revocation is a new version: %v", vs.Versions)
	}
	// A second DELETE of a revoked object changes nothing.
	if r := n.req(http.MethodDelete, n.url("collections/all/objects/"+greenID+"/"), bearer(n.admin), ""); r.status != http.StatusOK {
		t.Fatalf("second delete: %d %s", r.status, r.body)
	}
	r = n.get("collections/all/objects/" + greenID + "/versions/")
	r.decode(t, &vs)
	if len(vs.Versions) != 2 {
		t.Errorf("second delete added a version: %v", vs.Versions)
	}
}
