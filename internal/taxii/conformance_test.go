package taxii_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/taxii"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Fixture objects. The indicator "ind" has three versions, each committed
// in its own block; the others carry each TLP level once.
const (
	indID   = "indicator--a0000000-0000-4000-8000-000000000001"
	clearID = "indicator--c0000000-0000-4000-8000-000000000001"
	greenID = "indicator--c0000000-0000-4000-8000-000000000002"
	amberID = "indicator--c0000000-0000-4000-8000-000000000003"
	redID   = "indicator--c0000000-0000-4000-8000-000000000004"
	scoID   = "ipv4-addr--d0000000-0000-4000-8000-000000000001"
	apID    = "attack-pattern--e0000000-0000-4000-8000-000000000001"
)

var indVersions = []string{"2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}

func indicator(id, modified, marking string) string {
	refs := ""
	if marking != "" {
		refs = `,"object_marking_refs":["` + marking + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s","name":"ind %s","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`,
		id, modified, id[len(id)-4:], refs)
}

func loadFixtures(n *node) {
	n.publish(
		indicator(indID, "2026-01-01T00:00:00.000Z", ""),
		indicator(clearID, "2026-01-01T00:00:00.000Z", tlp.ClearID),
		indicator(greenID, "2026-01-01T00:00:00.000Z", tlp.GreenV1ID),
		`{"type":"ipv4-addr","spec_version":"2.1","id":"`+scoID+`","value":"198.51.100.7"}`,
	)
	// Above GREEN: sealed, here for the node's own member only.
	n.publishTo(intake.Address{To: []string{"cert-a"}},
		indicator(amberID, "2026-01-01T00:00:00.000Z", tlp.AmberID),
		indicator(redID, "2026-01-01T00:00:00.000Z", tlp.RedV1ID))
	n.publish(indicator(indID, "2026-02-01T00:00:00.000Z", ""))
	n.publish(indicator(indID, "2026-03-01T00:00:00.000Z", ""),
		`{"type":"attack-pattern","spec_version":"2.1","id":"`+apID+`","created":"2026-01-05T00:00:00.000Z","modified":"2026-01-05T00:00:00.000Z","name":"Phishing"}`)
}

// TestTAXII21 walks the MUSTs of TAXII 2.1 sections 3 to 5 against a real
// node. Subtests are named after the section: section 3's requirements
// (media types, authentication, filtering, pagination, error messages) by
// topic, sections 4 and 5 by number and endpoint. They run in order:
// reads first, then writes.
func TestTAXII21(t *testing.T) {
	n := startNode(t)
	loadFixtures(n)
	all := "collections/all/"
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, n *node)
	}{
		{"3_MediaTypes_Accept_ContentType", testMediaTypes},
		{"3_Authentication", testAuthentication},
		{"3_Filtering", func(t *testing.T, n *node) { testFiltering(t, n, all) }},
		{"3_Pagination", func(t *testing.T, n *node) { testPagination(t, n, all) }},
		{"3_ErrorMessage", testErrorMessage},
		{"4.1_Discovery", testDiscovery},
		{"4.2_APIRoot", testAPIRoot},
		{"5.1_GetCollections", testCollections},
		{"5.2_GetCollection", testCollection},
		{"5.3_GetManifest", testManifest},
		{"5.4_GetObjects", testGetObjects},
		{"5.6_GetObject", testGetObject},
		{"5.8_GetVersions", testVersions},
		{"TLPCollections", testTLPCollections},
		{"PublicClearCollection", testPublicClear},
		{"MalformedAndInjection", testInjection},
		{"5.5_AddObjects_4.3_Status", testAddObjects},
		{"5.7_DeleteObject", testDeleteObject},
	} {
		if !t.Run(tc.name, func(t *testing.T) { tc.fn(t, n) }) {
			return
		}
	}
}

func testMediaTypes(t *testing.T, n *node) {
	for _, accept := range []string{taxii.MediaType, "application/taxii+json", "application/json, application/taxii+json;version=2.1;q=0.9"} {
		h := bearer(n.admin)
		h["Accept"] = accept
		ok(t, n.req(http.MethodGet, n.url("collections/"), h, ""), http.StatusOK)
	}
	for _, accept := range []string{"", "application/json", "application/taxii+json;version=2.0", "text/html", "*/*"} {
		h := bearer(n.admin)
		h["Accept"] = accept
		isError(t, n.req(http.MethodGet, n.url("collections/"), h, ""), http.StatusNotAcceptable)
	}
	h := bearer(n.admin)
	for _, ct := range []string{"", "application/json", "application/stix+json;version=2.1", "application/taxii+json;version=2.0"} {
		h["Content-Type"] = ct
		isError(t, n.req(http.MethodPost, n.url("collections/all/objects/"), h, `{"objects":[]}`), http.StatusUnsupportedMediaType)
	}
}

func testAuthentication(t *testing.T, n *node) {
	r := n.req(http.MethodGet, n.url("collections/all/objects/"), map[string]string{"Accept": taxii.MediaType}, "")
	isError(t, r, http.StatusUnauthorized)
	if !strings.Contains(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("401 without a Basic challenge: %q", r.header.Get("WWW-Authenticate"))
	}
	isError(t, n.req(http.MethodGet, n.url("collections/"), bearer("wrong-token"), ""), http.StatusUnauthorized)
	isError(t, n.req(http.MethodGet, n.url("collections/"), basic("x", "wrong-token"), ""), http.StatusUnauthorized)
	h := bearer(n.admin)
	h["Authorization"] = "Basic not-base64!"
	isError(t, n.req(http.MethodGet, n.url("collections/"), h, ""), http.StatusUnauthorized)
	ok(t, n.req(http.MethodGet, n.url("collections/all/objects/"), basic("anyone", n.reader), ""), http.StatusOK)
	ok(t, n.req(http.MethodGet, n.url("collections/all/objects/"), basic("", n.admin), ""), http.StatusOK)
	testUserAccounts(t, n)
	h = bearer(n.reader)
	h["Content-Type"] = taxii.MediaType
	isError(t, n.req(http.MethodPost, n.url("collections/all/objects/"), h, `{"objects":[]}`), http.StatusForbidden)
	isError(t, n.req(http.MethodDelete, n.url("collections/all/objects/"+indID+"/"), bearer(n.reader), ""), http.StatusForbidden)
}

// objectsOf fetches an objects-like endpoint and returns the ids and
// versions (modified) of its objects.
func objectsOf(t *testing.T, n *node, path string) (taxii.Envelope, []string) {
	t.Helper()
	r := n.get(path)
	ok(t, r, http.StatusOK)
	var env taxii.Envelope
	r.decode(t, &env)
	var ids []string
	for _, o := range env.Objects {
		var obj struct{ ID, Modified string }
		if err := jsonUnmarshal(o, &obj); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, obj.ID+"@"+obj.Modified)
	}
	return env, ids
}

func testFiltering(t *testing.T, n *node, coll string) {
	latest := indID + "@2026-03-01T00:00:00.000Z"
	first := indID + "@2026-01-01T00:00:00.000Z"
	middle := indID + "@2026-02-01T00:00:00.000Z"
	_, ids := objectsOf(t, n, coll+"objects/?match[id]="+indID)
	if !slices.Equal(ids, []string{latest}) {
		t.Errorf("default match[version] is last: got %v", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[id]="+indID+"&match[version]=first")
	if !slices.Equal(ids, []string{first}) {
		t.Errorf("match[version]=first: %v", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[id]="+indID+"&match[version]=all")
	if !slices.Equal(ids, []string{first, middle, latest}) {
		t.Errorf("match[version]=all: %v", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[id]="+indID+"&match[version]=first,last")
	if !slices.Equal(ids, []string{first, latest}) {
		t.Errorf("match[version]=first,last: %v", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[id]="+indID+"&match[version]=2026-02-01T00:00:00.000Z")
	if !slices.Equal(ids, []string{middle}) {
		t.Errorf("match[version]=timestamp: %v", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[type]=attack-pattern,ipv4-addr")
	if len(ids) != 2 || !strings.HasPrefix(ids[0], scoID) || !strings.HasPrefix(ids[1], apID) {
		t.Errorf("match[type]: %v", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[id]="+clearID+","+redID)
	if len(ids) != 2 {
		t.Errorf("match[id] list: %v", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[spec_version]=2.0")
	if len(ids) != 0 {
		t.Errorf("match[spec_version]=2.0 matched %v; every object is 2.1", ids)
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[spec_version]=2.0,2.1")
	if len(ids) != 7 {
		t.Errorf("match[spec_version]=2.0,2.1: %d objects, want 7", len(ids))
	}
	// added_after: the date_added of the block of the sealed objects (the
	// second) excludes it and the first.
	m := manifestOf(t, n, coll+"manifest/?match[version]=all")
	var firstAdded string
	for _, o := range m.Objects {
		if o.ID == redID {
			firstAdded = o.DateAdded
		}
	}
	_, ids = objectsOf(t, n, coll+"objects/?match[version]=all&added_after="+url.QueryEscape(firstAdded))
	if len(ids) != 3 || !slices.Contains(ids, middle) || !slices.Contains(ids, latest) {
		t.Errorf("added_after %s: %v, want the two later versions and the attack pattern", firstAdded, ids)
	}
	for _, bad := range []string{"match[version]=newest", "match[version]=2026-13-01T00:00:00Z", "match[id]=indicator",
		"match[id]=indicator--zz", "match[type]=Indicator", "match[type]=a", "match[spec_version]=two",
		"added_after=yesterday", "added_after=2026-01-01", "match[type]=,", "match[id]="} {
		isError(t, n.get(coll+"objects/?"+bad), http.StatusBadRequest)
	}
}

func manifestOf(t *testing.T, n *node, path string) taxii.Manifest {
	t.Helper()
	r := n.get(path)
	ok(t, r, http.StatusOK)
	var m taxii.Manifest
	r.decode(t, &m)
	return m
}

func testPagination(t *testing.T, n *node, coll string) {
	var got []string
	path := coll + "objects/?match[version]=all&limit=2"
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		r := n.get(path)
		ok(t, r, http.StatusOK)
		var env taxii.Envelope
		r.decode(t, &env)
		if len(env.Objects) > 2 {
			t.Fatalf("limit=2 returned %d objects", len(env.Objects))
		}
		first, last := r.header.Get("X-TAXII-Date-Added-First"), r.header.Get("X-TAXII-Date-Added-Last")
		if _, err := time.Parse(time.RFC3339Nano, first); err != nil {
			t.Fatalf("X-TAXII-Date-Added-First %q: %v", first, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, last); err != nil || last < first {
			t.Fatalf("X-TAXII-Date-Added-Last %q (first %q): %v", last, first, err)
		}
		for _, o := range env.Objects {
			got = append(got, string(o))
		}
		if !env.More {
			if env.Next != "" {
				t.Errorf("more=false with next %q", env.Next)
			}
			break
		}
		if env.Next == "" {
			t.Fatal("more=true without next")
		}
		path = coll + "objects/?match[version]=all&limit=2&next=" + url.QueryEscape(env.Next)
	}
	if len(got) != 9 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 9 {
		t.Errorf("paging with limit=2 gave %d objects (want 9, each once)", len(got))
	}
	// Pages follow date_added ascending.
	m := manifestOf(t, n, coll+"manifest/?match[version]=all")
	for i := 1; i < len(m.Objects); i++ {
		if m.Objects[i].DateAdded < m.Objects[i-1].DateAdded {
			t.Errorf("manifest not sorted by date_added: %s after %s", m.Objects[i].DateAdded, m.Objects[i-1].DateAdded)
		}
	}
	// A huge limit is lowered to the server's page size, not an error.
	for _, huge := range []string{"1000000", "99999999999999999999999999"} {
		env, _ := objectsOf(t, n, coll+"objects/?match[version]=all&limit="+huge)
		if len(env.Objects) != 9 || env.More {
			t.Errorf("limit=%s: %d objects, more=%v", huge, len(env.Objects), env.More)
		}
	}
	for _, bad := range []string{"limit=0", "limit=-1", "limit=ten", "limit=1.5", "limit=1&limit=2",
		"next=abc", "next=" + url.QueryEscape("AgAAAAAAAAAB////"), "next=AQAAAAAAAAABAAAAAA"} {
		isError(t, n.get(coll+"objects/?"+bad), http.StatusBadRequest)
	}
}

func testErrorMessage(t *testing.T, n *node) {
	e := isError(t, n.get("collections/no-such-collection/objects/"), http.StatusNotFound)
	if e.Description == "" {
		t.Errorf("404 without a description: %+v", e)
	}
	isError(t, n.get("/taxii2/other-root/"), http.StatusNotFound)
	isError(t, n.get("collections/all/nothing-here/"), http.StatusNotFound)
	isError(t, n.req(http.MethodPut, n.url("collections/all/objects/"), bearer(n.admin), ""), http.StatusMethodNotAllowed)
}

func testDiscovery(t *testing.T, n *node) {
	r := n.get("/taxii2/")
	ok(t, r, http.StatusOK)
	var d taxii.Discovery
	r.decode(t, &d)
	if d.Title == "" || d.Default != n.root || !slices.Equal(d.APIRoots, []string{n.root}) {
		t.Errorf("discovery %+v", d)
	}
}

func testAPIRoot(t *testing.T, n *node) {
	r := n.get("")
	ok(t, r, http.StatusOK)
	var a taxii.APIRootInfo
	r.decode(t, &a)
	if a.Title == "" || !slices.Equal(a.Versions, []string{taxii.MediaType}) || a.MaxContentLength <= 0 {
		t.Errorf("api root %+v", a)
	}
}

func collectionsOf(t *testing.T, r response) []taxii.Collection {
	t.Helper()
	ok(t, r, http.StatusOK)
	var cs struct{ Collections []taxii.Collection }
	r.decode(t, &cs)
	return cs.Collections
}

func testCollections(t *testing.T, n *node) {
	cs := collectionsOf(t, n.get("collections/"))
	aliases := map[string]taxii.Collection{}
	for _, c := range cs {
		if c.ID == "" || c.Title == "" || !c.CanRead || !slices.Equal(c.MediaTypes, []string{taxii.STIXMediaType}) {
			t.Errorf("collection %+v lacks a required property", c)
		}
		aliases[c.Alias] = c
	}
	for _, want := range []string{"all", "tlp-clear", "tlp-green", "tlp-amber", "tlp-red", "own", "public-clear"} {
		if _, ok := aliases[want]; !ok {
			t.Errorf("no collection %q among %v", want, cs)
		}
	}
	if !aliases["all"].CanWrite || aliases["tlp-red"].CanWrite {
		t.Errorf("admin can_write: all=%v tlp-red=%v", aliases["all"].CanWrite, aliases["tlp-red"].CanWrite)
	}
	for _, c := range collectionsOf(t, n.req(http.MethodGet, n.url("collections/"), bearer(n.reader), "")) {
		if c.CanWrite {
			t.Errorf("reader may write to %s", c.Alias)
		}
	}
}

func testCollection(t *testing.T, n *node) {
	cs := collectionsOf(t, n.get("collections/"))
	for _, c := range cs {
		for _, key := range []string{c.ID, c.Alias} {
			r := n.get("collections/" + key + "/")
			ok(t, r, http.StatusOK)
			var got taxii.Collection
			r.decode(t, &got)
			if got.ID != c.ID || got.Title != c.Title {
				t.Errorf("collection %s: %+v, listed as %+v", key, got, c)
			}
		}
	}
	isError(t, n.get("collections/00000000-0000-4000-8000-000000000000/"), http.StatusNotFound)
}

func testManifest(t *testing.T, n *node) {
	m := manifestOf(t, n, "collections/all/manifest/?match[version]=all")
	env, _ := objectsOf(t, n, "collections/all/objects/?match[version]=all")
	if len(m.Objects) != len(env.Objects) || len(m.Objects) != 9 {
		t.Fatalf("manifest has %d records, objects %d, want 9", len(m.Objects), len(env.Objects))
	}
	for i, rec := range m.Objects {
		var o struct{ ID, Modified string }
		jsonUnmarshal(env.Objects[i], &o)
		if rec.ID != o.ID || rec.MediaType != taxii.STIXMediaType || rec.DateAdded == "" || rec.Version == "" {
			t.Errorf("manifest record %+v for object %s", rec, o.ID)
		}
		if o.Modified != "" && !sameTime(rec.Version, o.Modified) {
			t.Errorf("manifest version %s, object modified %s", rec.Version, o.Modified)
		}
	}
	m = manifestOf(t, n, "collections/all/manifest/?match[id]="+indID)
	if len(m.Objects) != 1 || !sameTime(m.Objects[0].Version, indVersions[2]) {
		t.Errorf("manifest of the latest version: %+v", m.Objects)
	}
}

func sameTime(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

func testGetObjects(t *testing.T, n *node) {
	env, ids := objectsOf(t, n, "collections/all/objects/")
	if len(ids) != 7 || env.More || env.Next != "" {
		t.Errorf("latest versions: %v (more %v)", ids, env.More)
	}
	// An empty result is an envelope too, with no headers of dates.
	r := n.get("collections/all/objects/?match[type]=malware")
	ok(t, r, http.StatusOK)
	if r.header.Get("X-TAXII-Date-Added-First") != "" {
		t.Error("date header on an empty page")
	}
	var e taxii.Envelope
	r.decode(t, &e)
	if e.More || len(e.Objects) != 0 {
		t.Errorf("empty envelope %s", r.body)
	}
}

func testGetObject(t *testing.T, n *node) {
	_, ids := objectsOf(t, n, "collections/all/objects/"+indID+"/")
	if !slices.Equal(ids, []string{indID + "@2026-03-01T00:00:00.000Z"}) {
		t.Errorf("object, default version: %v", ids)
	}
	_, ids = objectsOf(t, n, "collections/all/objects/"+indID+"/?match[version]=all")
	if len(ids) != 3 {
		t.Errorf("object, all versions: %v", ids)
	}
	env, ids := objectsOf(t, n, "collections/all/objects/"+indID+"/?match[version]=all&limit=1")
	if len(ids) != 1 || !env.More || env.Next == "" {
		t.Errorf("object paged: %v more=%v", ids, env.More)
	}
	isError(t, n.get("collections/all/objects/indicator--00000000-0000-4000-8000-0000000000ff/"), http.StatusNotFound)
	isError(t, n.get("collections/tlp-red/objects/"+indID+"/"), http.StatusNotFound) // not in that collection
}

func testVersions(t *testing.T, n *node) {
	r := n.get("collections/all/objects/" + indID + "/versions/")
	ok(t, r, http.StatusOK)
	var vs taxii.Versions
	r.decode(t, &vs)
	if len(vs.Versions) != 3 || vs.More {
		t.Fatalf("versions %+v", vs)
	}
	for i, v := range vs.Versions {
		if !sameTime(v, indVersions[i]) {
			t.Errorf("version %d = %s, want %s", i, v, indVersions[i])
		}
	}
	if r.header.Get("X-TAXII-Date-Added-Last") == "" {
		t.Error("versions without X-TAXII-Date-Added-Last")
	}
	r = n.get("collections/all/objects/" + indID + "/versions/?limit=2")
	r.decode(t, &vs)
	if len(vs.Versions) != 2 || !vs.More || vs.Next == "" {
		t.Fatalf("versions limit=2: %+v", vs)
	}
	r = n.get("collections/all/objects/" + indID + "/versions/?limit=2&next=" + url.QueryEscape(vs.Next))
	r.decode(t, &vs)
	if len(vs.Versions) != 1 || vs.More || !sameTime(vs.Versions[0], indVersions[2]) {
		t.Fatalf("versions second page: %+v", vs)
	}
	_ = n.get("collections/all/objects/" + scoID + "/versions/")
	isError(t, n.get("collections/all/objects/indicator--00000000-0000-4000-8000-0000000000ff/versions/"), http.StatusNotFound)
}

func testTLPCollections(t *testing.T, n *node) {
	// Unmarked objects are at the publisher's default level, GREEN.
	for alias, want := range map[string][]string{"tlp-clear": {clearID}, "tlp-green": {greenID, scoID, indID, apID},
		"tlp-amber": {amberID}, "tlp-amber-strict": nil, "tlp-red": {redID}} {
		_, ids := objectsOf(t, n, "collections/"+alias+"/objects/")
		var got []string
		for _, id := range ids {
			got = append(got, strings.Split(id, "@")[0])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s holds %v, want %v", alias, got, want)
		}
	}
	_, ids := objectsOf(t, n, "collections/own/objects/")
	if len(ids) != 7 {
		t.Errorf("own publications: %d objects, want 7", len(ids))
	}
}

func testPublicClear(t *testing.T, n *node) {
	anon := map[string]string{"Accept": taxii.MediaType}
	cs := collectionsOf(t, n.req(http.MethodGet, n.url("collections/"), anon, ""))
	if len(cs) != 1 || cs[0].Alias != "public-clear" || cs[0].CanWrite {
		t.Fatalf("anonymous collections: %+v", cs)
	}
	r := n.req(http.MethodGet, n.url("collections/public-clear/objects/?match[version]=all"), anon, "")
	ok(t, r, http.StatusOK)
	var env taxii.Envelope
	r.decode(t, &env)
	if len(env.Objects) != 1 || !strings.Contains(string(env.Objects[0]), clearID) {
		t.Errorf("public collection: %s", r.body)
	}
	isError(t, n.req(http.MethodGet, n.url("collections/all/objects/"), anon, ""), http.StatusUnauthorized)
	isError(t, n.req(http.MethodGet, n.url("collections/public-clear/objects/"+redID+"/"), anon, ""), http.StatusNotFound)
	h := map[string]string{"Accept": taxii.MediaType, "Content-Type": taxii.MediaType}
	isError(t, n.req(http.MethodPost, n.url("collections/public-clear/objects/"), h, `{"objects":[]}`), http.StatusUnauthorized)
	isError(t, n.req(http.MethodGet, n.url("status/00000000-0000-4000-8000-000000000000/"), anon, ""), http.StatusUnauthorized)
}

// testInjection sends SQL metacharacters, path traversal and header
// injection in every parameter; each is refused with a precise 4xx and the
// stored data stays as it was.
func testInjection(t *testing.T, n *node) {
	before := manifestOf(t, n, "collections/all/manifest/?match[version]=all")
	evil := []string{`' OR '1'='1`, `"; DROP TABLE versions; --`, `1; DELETE FROM versions`, `../../../etc/passwd`,
		"x\r\nX-Injected: 1", `%00`, `) OR 1=1 --`, `indicator--a0000000-0000-4000-8000-000000000001' OR 1=1 --`}
	for _, v := range evil {
		q := url.QueryEscape(v)
		for _, p := range []string{"match[id]", "match[type]", "match[version]", "match[spec_version]", "added_after", "limit", "next"} {
			r := n.get("collections/all/objects/?" + url.QueryEscape(p) + "=" + q)
			isError(t, r, http.StatusBadRequest)
			if r.header.Get("X-Injected") != "" {
				t.Fatalf("header injected through %s", p)
			}
		}
		seg := url.PathEscape(v)
		for _, path := range []string{"collections/" + seg + "/objects/", "collections/all/objects/" + seg + "/",
			"collections/all/objects/" + seg + "/versions/", "status/" + seg + "/", "/taxii2/" + seg + "/collections/"} {
			r := n.get(path)
			if r.status != http.StatusNotFound && r.status != http.StatusBadRequest {
				t.Errorf("%s: status %d: %s", path, r.status, r.body)
			}
			if r.header.Get("X-Injected") != "" {
				t.Fatalf("header injected through %s", path)
			}
		}
	}
	after := manifestOf(t, n, "collections/all/manifest/?match[version]=all")
	if len(after.Objects) != len(before.Objects) {
		t.Fatalf("data changed: %d records before, %d after", len(before.Objects), len(after.Objects))
	}
}

// testUserAccounts: HTTP Basic maps to the node's users (a user's token
// signs in only under its own name), and every collection is filtered by
// the user's clearance: a GREEN-cleared analyst never sees AMBER or RED.
func testUserAccounts(t *testing.T, n *node) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := n.cli.AddUser(ctx, api.AddUserRequest{Name: "analyst1", Role: auth.RoleAnalyst, Clearance: "GREEN"})
	if err != nil {
		t.Fatal(err)
	}
	isError(t, n.req(http.MethodGet, n.url("collections/"), basic("someone-else", u.Token), ""), http.StatusUnauthorized)
	h := basic("analyst1", u.Token)
	r := n.req(http.MethodGet, n.url("collections/all/objects/?match[version]=all"), h, "")
	ok(t, r, http.StatusOK)
	for _, id := range []string{amberID, redID} {
		if strings.Contains(string(r.body), id) {
			t.Errorf("a GREEN-cleared user reads %s through TAXII", id)
		}
	}
	if !strings.Contains(string(r.body), greenID) {
		t.Errorf("a GREEN-cleared user does not read the GREEN object")
	}
	for _, c := range []string{"tlp-amber", "tlp-red"} {
		r := n.req(http.MethodGet, n.url("collections/"+c+"/objects/"), h, "")
		ok(t, r, http.StatusOK)
		var env taxii.Envelope
		r.decode(t, &env)
		if len(env.Objects) != 0 {
			t.Errorf("%s shows a GREEN-cleared user %d objects", c, len(env.Objects))
		}
	}
	isError(t, n.req(http.MethodGet, n.url("collections/all/objects/"+amberID+"/"), h, ""), http.StatusNotFound)
}
