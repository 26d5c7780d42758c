package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// allLevels is the Markings capability of a node that seals.
type allLevels struct{}

func (allLevels) PublishableLevels() []string { return tlpLevels }

// newSharingUI serves the UI over a fake ledger with sharing groups and a
// second member, member2.
func newSharingUI(t *testing.T) (*testUI, *apitest.SharingBackend) {
	t.Helper()
	sb := apitest.NewSharingBackend()
	sb.MembersValue = append(sb.MembersValue, api.Member{ID: "member2", Name: "Second CERT", Status: "active", Power: 10})
	u := newTestUI(t, func(c *Config) { c.Backend, c.Markings = sb, allLevels{} })
	u.backend = sb.Backend
	return u, sb
}

func TestPublishFormsAddressRecipientsAndGroups(t *testing.T) {
	u, sb := newSharingUI(t)
	b := u.browser()
	b.login(adminSecret)
	_, page := b.get("/publish")
	for _, want := range []string{`value="red"`, `value="amber&#43;strict"`, `name="to" value="member2"`, `id="ind-group"`, `id="rep-group"`, `id="up-group"`, `id="imp-group"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("publish page lacks %s: %s", want, page)
		}
	}
	if strings.Contains(page, `name="to" value="`+apitest.Author+`"`) {
		t.Fatal("the publish form offers this member as a recipient")
	}
	ind := func(marking string, extra url.Values) url.Values {
		f := url.Values{"csrf": {b.csrf("/publish")}, "kind": {"ipv4"}, "value": {"203.0.113.9"}, "marking": {marking}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	// Above GREEN with nobody named: the node's reason on the form, the input kept.
	res := b.post("/publish/indicator", ind("amber", nil))
	body := readBody(t, res)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "say whom it is for") || !strings.Contains(body, `value="203.0.113.9"`) {
		t.Fatalf("AMBER without recipients: %d %s", res.StatusCode, body)
	}
	res = b.post("/publish/indicator", ind("amber", url.Values{"group": {"nobody"}}))
	if body = readBody(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `sharing group &#34;nobody&#34; does not exist`) {
		t.Fatalf("unknown group: %d %s", res.StatusCode, body)
	}
	res = b.post("/publish/indicator", ind("amber", url.Values{"to": {"member9"}}))
	if body = readBody(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not an active member") ||
		!strings.Contains(body, `value="member2"`) {
		t.Fatalf("unknown recipient: %d %s", res.StatusCode, body)
	}
	if len(u.published()) != 0 {
		t.Fatal("a refused publish reached the ledger")
	}
	// AMBER for member2: published through PublishTo with that address.
	res = b.post("/publish/indicator", ind("amber", url.Values{"to": {"member2"}}))
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/intel/indicator--") {
		t.Fatalf("AMBER for member2: %d %s %s", res.StatusCode, loc, readBody(t, res))
	}
	if len(sb.Addresses) != 1 || !slices.Equal(sb.Addresses[0].To, []string{"member2"}) {
		t.Fatalf("addresses %+v", sb.Addresses)
	}
	if pub := u.published(); len(pub) != 1 || !strings.Contains(string(pub[0]), tlp2ID["amber"]) {
		t.Fatalf("published %s", pub)
	}
	// A report for a group.
	if res := b.post("/community/groups", url.Values{"csrf": {b.csrf("/community")}, "op": {"create"}, "name": {"finance"}, "members": {"member2"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create group: %d %s", res.StatusCode, readBody(t, res))
	}
	res = b.post("/publish/report", url.Values{"csrf": {b.csrf("/publish")}, "name": {"r"}, "object_refs": {"indicator--00000001-3333-4333-8333-333333333333"},
		"marking": {"red"}, "group": {"finance"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("RED report for a group: %d %s", res.StatusCode, readBody(t, res))
	}
	if a := sb.Addresses[len(sb.Addresses)-1]; a.Group != "finance" || len(a.To) != 0 {
		t.Fatalf("report address %+v", a)
	}
	// A bundle raised to AMBER+STRICT for member2.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf("/publish"))
	mw.WriteField("tlp", "amber+strict")
	mw.WriteField("to", "member2")
	fw, _ := mw.CreateFormFile("bundle", "b.json")
	fmt.Fprintf(fw, `{"type":"bundle","id":"bundle--6a9e2a4b-8f6b-4d1e-9b57-6f5a4e0c1d2f","objects":[%s]}`, indicatorJSON(7, `"x"`))
	mw.Close()
	res = b.postMultipart("/publish/bundle", mw.FormDataContentType(), &buf)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/publish/status?tx=") {
		t.Fatalf("bundle for member2: %d %s", res.StatusCode, readBody(t, res))
	}
	if a := sb.Addresses[len(sb.Addresses)-1]; a.TLP != tlp.AmberStrict || !slices.Equal(a.To, []string{"member2"}) {
		t.Fatalf("bundle address %+v", a)
	}
	// A bad least marking is refused with its reason.
	res = b.post("/publish/indicator", ind("green", url.Values{"tlp": {"purple"}}))
	if body = readBody(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "unknown TLP level") {
		t.Fatalf("bad tlp: %d %s", res.StatusCode, body)
	}
	// CSRF and role.
	f := ind("amber", url.Values{"to": {"member2"}})
	f.Set("csrf", "forged")
	if res := b.post("/publish/indicator", f); res.StatusCode != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", res.StatusCode)
	}
	r := u.browser()
	r.login(readerSecret)
	if res := r.post("/publish/indicator", url.Values{"csrf": {r.csrf("/")}, "kind": {"ipv4"}, "value": {"203.0.113.9"}, "marking": {"amber"}, "to": {"member2"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("reader publishes: %d", res.StatusCode)
	}
}

func TestPublishWithoutSealingOffersGreenAtMost(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	if _, page := b.get("/publish"); strings.Contains(page, `value="amber"`) || !strings.Contains(page, `value="green"`) {
		t.Fatal("a node that cannot seal offers AMBER")
	}
	res := b.post("/publish/indicator", url.Values{"csrf": {b.csrf("/publish")}, "kind": {"ipv4"}, "value": {"203.0.113.9"}, "marking": {"green"}, "to": {"member2"}})
	if body := readBody(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "does not seal") {
		t.Fatalf("addressed publish on a node without sealing: %d %s", res.StatusCode, body)
	}
}

func TestSharingGroupsOnCommunityPage(t *testing.T) {
	u, _ := newSharingUI(t)
	b := u.browser()
	b.login(adminSecret)
	_, page := b.get("/community")
	if !strings.Contains(page, "No sharing groups yet") || !strings.Contains(page, `id="group-create"`) {
		t.Fatalf("community page without groups: %s", page)
	}
	post := func(f url.Values) (*http.Response, string) {
		f.Set("csrf", b.csrf("/community"))
		res := b.post("/community/groups", f)
		return res, readBody(t, res)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"op": {"create"}, "members": {"member2"}}, "needs a name"},
		{url.Values{"op": {"create"}, "name": {"finance"}}, "choose at least one member"},
		{url.Values{"op": {"rename"}, "name": {"finance"}, "members": {"member2"}}, "want create, add or remove"},
		{url.Values{"op": {"add"}, "name": {"nope"}, "members": {"member2"}}, "no group &#34;nope&#34;"},
	} {
		if res, body := post(tc.form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="form-error"`) {
			t.Errorf("%v: %d, want 400 with %q", tc.form, res.StatusCode, tc.want)
		}
	}
	res, _ := post(url.Values{"op": {"create"}, "name": {"finance"}, "members": {apitest.Author, "member2"}, "extend": {"on"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	_, page = b.get(res.Header.Get("Location"))
	if !strings.Contains(page, "Sharing group finance created") || !strings.Contains(page, "<td>finance</td><td>"+apitest.Author+"</td><td>"+apitest.Author+", member2</td><td>yes</td>") {
		t.Fatalf("community page after create: %s", page)
	}
	if res, body := post(url.Values{"op": {"create"}, "name": {"finance"}, "members": {"member2"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "exists") {
		t.Fatalf("create twice: %d %s", res.StatusCode, body)
	}
	if res, _ := post(url.Values{"op": {"remove"}, "name": {"finance"}, "members": {"member2"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if _, page = b.get("/community"); !strings.Contains(page, "<td>finance</td><td>"+apitest.Author+"</td><td>"+apitest.Author+"</td>") {
		t.Fatalf("after remove: %s", page)
	}
	if res := b.post("/community/groups", url.Values{"op": {"add"}, "name": {"finance"}, "members": {"member2"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", res.StatusCode)
	}
	r := u.browser()
	r.login(readerSecret)
	if _, page = r.get("/community"); !strings.Contains(page, "<td>finance</td>") || strings.Contains(page, `id="group-create"`) {
		t.Fatal("a reader does not see the groups, or sees the forms")
	}
	if res := r.post("/community/groups", url.Values{"csrf": {r.csrf("/")}, "op": {"add"}, "name": {"finance"}, "members": {"member2"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("reader changes a group: %d", res.StatusCode)
	}
}

// newUsersUI serves the UI with the node's real token and user store; it
// returns the secrets of an admin and a reader token.
func newUsersUI(t *testing.T) (*testUI, string, string) {
	t.Helper()
	st, err := auth.Open(context.Background(), filepath.Join(t.TempDir(), "auth.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, _, err := st.CreateToken(context.Background(), "admin", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	reader, _, err := st.CreateToken(context.Background(), "reader", auth.RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	return newTestUI(t, func(c *Config) { c.Tokens = st }), admin, reader
}

func TestUsersInSettings(t *testing.T) {
	u, admin, reader := newUsersUI(t)
	b := u.browser()
	b.login(admin)
	if _, page := b.get("/settings"); !strings.Contains(page, `id="user-form"`) || !strings.Contains(page, "No users yet") {
		t.Fatalf("settings page: %s", page)
	}
	add := func(f url.Values) (*http.Response, string) {
		f.Set("csrf", b.csrf("/settings"))
		res := b.post("/settings/users", f)
		return res, readBody(t, res)
	}
	res, page := add(url.Values{"name": {"ana"}, "role": {"analyst"}, "clearance": {"amber"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "User ana added") || !strings.Contains(page, "shown only once") ||
		!strings.Contains(page, `id="user-secret" readonly value="phx_`) {
		t.Fatalf("add user: %d %s", res.StatusCode, page)
	}
	secret := page[strings.Index(page, `id="user-secret" readonly value="`)+len(`id="user-secret" readonly value="`):]
	secret = secret[:strings.Index(secret, `"`)]
	if _, again := b.get("/settings"); strings.Contains(again, secret) || !strings.Contains(again, "<td>ana</td><td>analyst</td><td>TLP:AMBER</td><td>no</td>") {
		t.Fatalf("settings after adding: %s", again)
	}
	// The new user's token signs in with its clearance.
	nb := u.browser()
	nb.login(secret)
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"name": {""}, "role": {"reader"}, "clearance": {"green"}}, 400, "needs a name"},
		{url.Values{"name": {"Bad Name"}, "role": {"reader"}, "clearance": {"green"}}, 400, "want 1-64 of a-z"},
		{url.Values{"name": {"bob"}, "role": {"root"}, "clearance": {"green"}}, 400, "want reader, analyst"},
		{url.Values{"name": {"bob"}, "role": {"reader"}, "clearance": {"purple"}}, 400, "unknown TLP level"},
		{url.Values{"name": {"bob"}, "role": {"admin"}, "clearance": {"red"}, "client": {"on"}}, 400, "client cannot be an admin"},
		{url.Values{"name": {"ana"}, "role": {"reader"}, "clearance": {"green"}}, 409, "already exists"},
	} {
		if res, body := add(tc.form); res.StatusCode != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="form-error"`) {
			t.Errorf("%v: %d, want %d with %q", tc.form, res.StatusCode, tc.status, tc.want)
		}
	}
	// Grants.
	grant := func(user, id string) (*http.Response, string) {
		res := b.post("/settings/grants", url.Values{"csrf": {b.csrf("/settings")}, "user": {user}, "id": {id}})
		return res, readBody(t, res)
	}
	const red = "indicator--0a0b0c0d-0000-4000-8000-0000000000ed"
	if res, body := grant("nobody", red); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "nobody") {
		t.Errorf("grant to an unknown user: %d %s", res.StatusCode, body)
	}
	if res, body := grant("ana", "not-an-id"); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "STIX id") {
		t.Errorf("grant of a bad id: %d %s", res.StatusCode, body)
	}
	res, _ = grant("ana", red)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("grant: %d", res.StatusCode)
	}
	if _, page = b.get(res.Header.Get("Location")); !strings.Contains(page, "User ana may now read "+red) || !strings.Contains(page, `<a href="/intel/`+red+`">`) {
		t.Fatalf("settings after grant: %s", page)
	}
	// CSRF and role.
	if res := b.post("/settings/users", url.Values{"name": {"eve"}, "role": {"reader"}, "clearance": {"green"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", res.StatusCode)
	}
	r := u.browser()
	r.login(reader)
	if res := r.post("/settings/users", url.Values{"csrf": {r.csrf("/")}, "name": {"eve"}, "role": {"admin"}, "clearance": {"red"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("reader adds a user: %d", res.StatusCode)
	}
	if res := r.post("/settings/grants", url.Values{"csrf": {r.csrf("/")}, "user": {"ana"}, "id": {red}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("reader grants: %d", res.StatusCode)
	}
}

// upload posts a file to the import form.
func (b *browser) upload(name, content string, fields map[string]string) *http.Response {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf("/publish"))
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	return b.postMultipart("/publish/import", mw.FormDataContentType(), &buf)
}

func TestImportShowsProgressAndSummary(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	list := "# a list\n198.51.100.1\n198.51.100.2\nevil-domain.example\nnot a value at all!\n198.51.100.1\n"
	res := b.upload("iocs.txt", list, map[string]string{"format": "text"})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/publish/imports/") {
		t.Fatalf("import: %d %s", res.StatusCode, readBody(t, res))
	}
	var page string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var st int
		if st, page = b.get(loc); st != http.StatusOK {
			t.Fatalf("status page: %d %s", st, page)
		}
		if strings.Contains(page, `id="import-summary"`) {
			break
		}
		if !strings.Contains(page, `<meta http-equiv="refresh" content="1">`) || !strings.Contains(page, `<progress id="import-progress"`) {
			t.Fatalf("a running import's page neither refreshes nor shows progress: %s", page)
		}
		if time.Now().After(deadline) {
			t.Fatal("the import did not finish")
		}
	}
	if strings.Contains(page, "http-equiv") || !strings.Contains(page, `value="100"`) {
		t.Fatalf("finished import page: %s", page)
	}
	got := func(id string) string {
		i := strings.Index(page, `id="`+id+`">`)
		if i < 0 {
			t.Fatalf("no %s: %s", id, page)
		}
		s := page[i+len(`id="`+id+`">`):]
		return s[:strings.Index(s, "<")]
	}
	if got("sum-accepted") != "3" || got("sum-rejected") != "1" || got("sum-duplicate") != "1" {
		t.Fatalf("summary: accepted %s rejected %s duplicate %s: %s", got("sum-accepted"), got("sum-rejected"), got("sum-duplicate"), page)
	}
	if !strings.Contains(page, "not a value at all!") && !strings.Contains(page, "line 5") {
		t.Fatalf("the rejection lacks its reason: %s", page)
	}
	if n := len(u.published()); n != 3 {
		t.Fatalf("%d objects on the ledger, want 3", n)
	}
	// Another token does not see this import.
	otherSecret, _, err := u.tokens.CreateToken(t.Context(), "other", auth.RoleAnalyst)
	if err != nil {
		t.Fatal(err)
	}
	other := u.browser()
	other.login(otherSecret)
	if st, _ := other.get(loc); st != http.StatusNotFound {
		t.Fatalf("another session's view of the import: %d", st)
	}
	// Bad input.
	for _, tc := range []struct {
		name, content string
		fields        map[string]string
		status        int
		want          string
	}{
		{"x.txt", "", nil, 400, "the file is empty"},
		{"x.txt", "198.51.100.1\n", map[string]string{"format": "yaml"}, 400, "want one of stix, misp, csv, text"},
		{"x.txt", "198.51.100.1\n", map[string]string{"tlp": "purple"}, 400, "unknown TLP level"},
		{"x.json", "{\"Event\": 5}", map[string]string{"format": "misp"}, 400, "x.json"},
		{"big.txt", strings.Repeat("1", int(maxUploadBytes)+1), nil, 413, "larger than"},
	} {
		res := b.upload(tc.name, tc.content, tc.fields)
		if body := readBody(t, res); res.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s %v: %d, want %d with %q: %.300s", tc.name, tc.fields, res.StatusCode, tc.status, tc.want, body)
		}
	}
	// CSRF and role.
	if res := b.postMultipart("/publish/import", "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n")); res.StatusCode != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", res.StatusCode)
	}
	r := u.browser()
	r.login(readerSecret)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", r.csrf("/"))
	fw, _ := mw.CreateFormFile("file", "x.txt")
	fw.Write([]byte("198.51.100.9\n"))
	mw.Close()
	if res := r.postMultipart("/publish/import", mw.FormDataContentType(), &buf); res.StatusCode != http.StatusForbidden {
		t.Fatalf("reader imports: %d", res.StatusCode)
	}
}

// postMultipart sends a multipart form as a same-origin browser would.
func (b *browser) postMultipart(path, contentType string, body io.Reader) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.url+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", b.url)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestDashboardChartCountsSightings(t *testing.T) {
	u := newTestUI(t, func(c *Config) {
		c.Now = func() time.Time { return time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC) } // the fake ledger's block times are 2025-01-01
	})
	sighting := `{"type":"sighting","spec_version":"2.1","id":"sighting--0a0b0c0d-0000-4000-8000-000000000051","created":"2026-01-01T00:00:00.000Z",` +
		`"modified":"2026-01-01T00:00:00.000Z","sighting_of_ref":"indicator--00000001-3333-4333-8333-333333333333","count":3}`
	for _, o := range []string{indicatorJSON(1, `"x"`), indicatorJSON(2, `"x"`), sighting} {
		if _, err := u.backend.Publish(t.Context(), []byte(o)); err != nil {
			t.Fatal(err)
		}
	}
	b := u.browser()
	b.login(readerSecret)
	_, page := b.get("/")
	if !strings.Contains(page, `<title id="chart-title">3 records and 1 sightings over the last 14 days</title>`) ||
		!strings.Contains(page, "<tr><td>01-01</td><td>3</td><td>1</td></tr>") {
		t.Fatalf("chart: %s", page[strings.Index(page, `id="chart-h"`):])
	}
}

// TestImportMISPEvent: a real MISP feed event, its format decided from
// the file, becomes indicators and a report on the ledger.
func TestImportMISPEvent(t *testing.T) {
	event, err := os.ReadFile(filepath.Join(testutil.SharedTestdata(t), "misp-feed", "dad88707-beb8-4a14-94e2-5ffecf5a5f85.json"))
	if err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	res := b.upload("event.json", string(event), nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d %s", res.StatusCode, readBody(t, res))
	}
	var page string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(page, `id="import-summary"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish: %s", page)
		}
		_, page = b.get(loc)
	}
	if !strings.Contains(page, "Format: decided from the file") || strings.Contains(page, `id="import-error"`) {
		t.Fatalf("import page: %s", page)
	}
	var types []string
	for _, o := range u.published() {
		var x struct{ Type string }
		if err := json.Unmarshal(o, &x); err != nil {
			t.Fatal(err)
		}
		types = append(types, x.Type)
	}
	if !slices.Contains(types, "report") || !slices.Contains(types, "indicator") {
		t.Fatalf("published types %v", types)
	}
	if !strings.Contains(page, fmt.Sprintf(`<td id="sum-accepted">%d</td>`, len(types))) {
		t.Fatalf("summary does not count the %d published objects: %s", len(types), page)
	}
}
