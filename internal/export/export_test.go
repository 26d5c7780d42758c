package export

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

var (
	t0    = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	now   = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	amber = tlp.AmberV1ID
	clear = tlp.ClearID
)

// fixture is one object of the test ledger.
type fixture struct {
	id, typ string
	json    string
}

func ind(n int, pattern, extra string) fixture {
	id := fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", n)
	p, _ := json.Marshal(pattern)
	return fixture{id, "indicator", fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"ind %d","pattern":%s,"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`, id, n, p, extra)}
}

func sco(typ string, n int, props string) fixture {
	id := fmt.Sprintf("%s--%08d-0000-4000-8000-000000000000", typ, n)
	return fixture{id, typ, fmt.Sprintf(`{"type":"%s","spec_version":"2.1","id":"%s",%s}`, typ, id, props)}
}

// fixtures cover every observable kind, markings, revocation, expiry and
// patterns that must not export.
func fixtures() []fixture {
	return []fixture{
		ind(1, "[ipv4-addr:value = '198.51.100.7']", ""),
		ind(2, "[ipv6-addr:value = '2001:db8::1']", ""),
		ind(3, "[ipv4-addr:value = '10.1.0.0/16'] OR [ipv6-addr:value = '2001:db8:ab00::/40']", ""),
		ind(4, "[domain-name:value = 'evil.example'] AND [url:value = 'https://evil.example/a?b=\\'c\\'']", `,"labels":["phishing","=cmd"]`),
		ind(5, "[email-addr:value = 'bad@evil.example']", `,"object_marking_refs":["`+amber+`"]`),
		ind(6, "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e'] OR [file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']", `,"object_marking_refs":["`+clear+`"]`),
		ind(7, "[file:hashes.'SHA-256' = '"+strings.Repeat("ab", 32)+"'] OR [file:hashes.'SHA-512' = '"+strings.Repeat("cd", 64)+"']", ""),
		ind(8, "[domain-name:value = 'revoked.example']", `,"revoked":true`),
		ind(9, "[domain-name:value = 'expired.example']", `,"valid_until":"2026-02-01T00:00:00Z"`),
		ind(10, "[domain-name:value != 'not.example'] OR [url:value LIKE 'http://like.example/%']", ""),
		ind(11, "[url:value = 'http://plain.example/x']", ""),
		sco("ipv4-addr", 1, `"value":"203.0.113.5"`),
		sco("domain-name", 1, `"value":"sco.example"`),
		sco("file", 1, `"hashes":{"SHA-256":"`+strings.Repeat("ef", 32)+`"}`),
		{"malware--00000001-0000-4000-8000-000000000000", "malware", `{"type":"malware","spec_version":"2.1","id":"malware--00000001-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Evil","is_family":true}`},
	}
}

// store builds a real projection holding the fixtures, one a block, a
// minute apart.
func store(t *testing.T) *projection.Store {
	t.Helper()
	s, err := projection.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var recs []record.Record
	for i, f := range fixtures() {
		o, err := stix.Parse([]byte(f.json))
		if err != nil {
			t.Fatalf("fixture %s: %v", f.id, err)
		}
		recs = append(recs, record.Record{Index: uint64(i), Height: int64(i + 1), Time: t0.Add(time.Duration(i) * time.Minute),
			TxHash: bytes.Repeat([]byte{byte(i)}, 32), Author: "cert-a", ObjectID: o.ID, Type: o.Type, Modified: o.Version(), Object: o.Raw})
	}
	if err := s.Apply(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	return s
}

func export(t *testing.T, s *projection.Store, format string, o Options) string {
	t.Helper()
	o.Reader, o.Now = s, now
	if o.Scope.Viewer.Clearance == 0 {
		o.Scope.Viewer = access.Full(true) // the zero scope reads nothing
	}
	var b bytes.Buffer
	if err := Write(context.Background(), &b, format, o); err != nil {
		t.Fatalf("export %s: %v", format, err)
	}
	return b.String()
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func TestSTIXBundle(t *testing.T) {
	s := store(t)
	out := export(t, s, "stix", Options{})
	objs, err := stix.ParseInput([]byte(out))
	if err != nil {
		t.Fatalf("bundle does not parse as STIX 2.1: %v", err)
	}
	if len(objs) != len(fixtures()) {
		t.Errorf("%d objects, want %d", len(objs), len(fixtures()))
	}
	out = export(t, s, "stix", Options{Since: t0.Add(12*time.Minute + time.Second)})
	objs, _ = stix.ParseInput([]byte(out))
	if len(objs) != 2 || objs[0].Type != "file" || objs[1].Type != "malware" {
		t.Errorf("--since: %d objects", len(objs))
	}
}

func TestBlocklists(t *testing.T) {
	s := store(t)
	for format, want := range map[string][]string{
		"blocklist-ipv4":   {"198.51.100.7", "10.1.0.0/16", "203.0.113.5"},
		"blocklist-ipv6":   {"2001:db8::1", "2001:db8:ab00::/40"},
		"blocklist-domain": {"evil.example", "sco.example"},
		"blocklist-url":    {"https://evil.example/a?b='c'", "http://plain.example/x"},
		"blocklist-hash": {"d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
			strings.Repeat("ab", 32), strings.Repeat("cd", 64), strings.Repeat("ef", 32)},
	} {
		got := lines(export(t, s, format, Options{}))
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", format, got, want)
		}
	}
}

func TestScopeAndSince(t *testing.T) {
	s := store(t)
	got := lines(export(t, s, "blocklist-hash", Options{Scope: access.Scope{Viewer: access.Viewer{Clearance: tlp.Clear}}}))
	if !slices.Equal(got, []string{"d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709"}) {
		t.Errorf("TLP:CLEAR scope: %q", got)
	}
	if out := export(t, s, "blocklist-domain", Options{Scope: access.Scope{Viewer: access.Viewer{Clearance: tlp.Clear}}}); out != "" {
		t.Errorf("TLP:CLEAR scope leaked unmarked domains: %q", out)
	}
	// Unmarked objects are at the publisher's default, GREEN; the AMBER
	// e-mail indicator stays out of a GREEN-cleared export.
	got = lines(export(t, s, "blocklist-domain", Options{Scope: access.Scope{Viewer: access.Viewer{Clearance: tlp.Green}}}))
	if !slices.Equal(got, []string{"evil.example", "sco.example"}) {
		t.Errorf("GREEN clearance: %q", got)
	}
	if out := export(t, s, "csv", Options{Scope: access.Scope{Viewer: access.Viewer{Clearance: tlp.Green}}}); strings.Contains(out, "bad@evil.example") {
		t.Errorf("GREEN clearance exported the AMBER indicator: %q", out)
	}
	if out := export(t, s, "csv", Options{}); !strings.Contains(out, "bad@evil.example") {
		t.Errorf("full clearance lacks the AMBER indicator: %q", out)
	}
	if out := export(t, s, "blocklist-ipv4", Options{Since: t0.Add(10*time.Minute + 30*time.Second)}); out != "203.0.113.5\n" {
		t.Errorf("since: %q", out)
	}
}

func TestZeekIntel(t *testing.T) {
	out := export(t, store(t), "zeek", Options{})
	ls := lines(out)
	if ls[0] != "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url" {
		t.Fatalf("header %q", ls[0])
	}
	types := map[string]string{}
	for _, l := range ls[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 5 || f[2] != "phalanx" || f[4] != "-" || f[3] == "" {
			t.Errorf("line %q: want 5 tab-separated fields", l)
			continue
		}
		types[f[0]] = f[1]
	}
	for v, typ := range map[string]string{
		"198.51.100.7": "Intel::ADDR", "2001:db8::1": "Intel::ADDR", "10.1.0.0/16": "Intel::SUBNET",
		"evil.example": "Intel::DOMAIN", "evil.example/a?b='c'": "Intel::URL", "plain.example/x": "Intel::URL",
		"bad@evil.example": "Intel::EMAIL", "d41d8cd98f00b204e9800998ecf8427e": "Intel::FILE_HASH",
	} {
		if types[v] != typ {
			t.Errorf("%s: type %q, want %s", v, types[v], typ)
		}
	}
	if len(types) != 15 {
		t.Errorf("%d indicators, want 15", len(types))
	}
}

func TestSuricataDatasets(t *testing.T) {
	s := store(t)
	dom := lines(export(t, s, "suricata-domain", Options{}))
	var decoded []string
	for _, l := range dom {
		b, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatalf("string dataset line %q is not base64: %v", l, err)
		}
		decoded = append(decoded, string(b))
	}
	if !slices.Equal(decoded, []string{"evil.example", "sco.example"}) {
		t.Errorf("suricata-domain decodes to %q", decoded)
	}
	url := lines(export(t, s, "suricata-url", Options{}))
	if b, _ := base64.StdEncoding.DecodeString(url[0]); string(b) != "https://evil.example/a?b='c'" {
		t.Errorf("suricata-url %q", url)
	}
	for format, n := range map[string]int{"suricata-md5": 16, "suricata-sha256": 32} {
		for _, l := range lines(export(t, s, format, Options{})) {
			if b, err := hex.DecodeString(l); err != nil || len(b) != n || strings.ToLower(l) != l {
				t.Errorf("%s line %q: want %d bytes of lower-case hex", format, l, n)
			}
		}
	}
	for _, l := range lines(export(t, s, "suricata-ip", Options{})) {
		if _, err := netip.ParseAddr(l); err != nil {
			t.Errorf("suricata-ip line %q: %v", l, err)
		}
	}
}

func TestCSV(t *testing.T) {
	out := export(t, store(t), "csv", Options{})
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], []string{"type", "value", "stix_id", "name", "labels", "tlp", "date_added", "valid_until"}) {
		t.Fatalf("header %q", rows[0])
	}
	byValue := map[string][]string{}
	for _, r := range rows[1:] {
		if len(r) != 8 {
			t.Fatalf("row %q", r)
		}
		byValue[r[1]] = r
	}
	if r := byValue["evil.example"]; r[0] != "domain" || r[2] != "indicator--00000004-0000-4000-8000-000000000000" || r[4] != "phishing;=cmd" {
		t.Errorf("domain row %q", r)
	}
	if r := byValue["bad@evil.example"]; r[5] != "amber" {
		t.Errorf("email row %q: want tlp amber", r)
	}
	if r := byValue["198.51.100.7"]; r[6] != "2026-05-01T12:00:00.000Z" {
		t.Errorf("date_added %q", r[6])
	}
	if _, ok := byValue["expired.example"]; ok {
		t.Error("expired indicator exported")
	}
	if _, ok := byValue["revoked.example"]; ok {
		t.Error("revoked indicator exported")
	}
	if _, ok := byValue["not.example"]; ok {
		t.Error("a != comparison exported")
	}
}

func TestCSVFormulaInjection(t *testing.T) {
	if csvSafe("=HYPERLINK(1)") != "'=HYPERLINK(1)" || csvSafe("+1") != "'+1" || csvSafe("evil.example") != "evil.example" {
		t.Error("csvSafe")
	}
}

// TestMISPEvent validates the export against MISP's own format schema
// (format 2.4) and checks the mapping field by field.
func TestMISPEvent(t *testing.T) {
	out := export(t, store(t), "misp", Options{})
	sch := mispSchema(t)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("MISP schema: %v", err)
	}
	var ev struct {
		Event struct {
			UUID, Info, Date, Timestamp string
			Attribute                   []mispAttr
		}
	}
	json.Unmarshal([]byte(out), &ev)
	if ev.Event.Date != "2026-06-01" || ev.Event.Timestamp != fmt.Sprint(now.Unix()) || len(ev.Event.Attribute) != 15 {
		t.Errorf("event %+v", ev.Event)
	}
	byValue := map[string]mispAttr{}
	for _, a := range ev.Event.Attribute {
		byValue[a.Value] = a
		if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(a.UUID) || !a.ToIDs || a.Distribution != "5" {
			t.Errorf("attribute %+v", a)
		}
	}
	for v, want := range map[string][2]string{
		"198.51.100.7": {"ip-dst", "Network activity"}, "evil.example": {"domain", "Network activity"},
		"bad@evil.example": {"email-src", "Payload delivery"}, "d41d8cd98f00b204e9800998ecf8427e": {"md5", "Payload delivery"},
		strings.Repeat("cd", 64): {"sha512", "Payload delivery"},
	} {
		if a := byValue[v]; a.Type != want[0] || a.Category != want[1] {
			t.Errorf("%s: %s/%s, want %v", v, a.Type, a.Category, want)
		}
	}
	if tags := byValue["bad@evil.example"].Tag; len(tags) != 1 || tags[0].Name != "tlp:amber" {
		t.Errorf("tags %v", tags)
	}
}

// TestRPZ loads the zone with BIND's named-checkzone and checks its
// triggers.
func TestRPZ(t *testing.T) {
	out := export(t, store(t), "rpz", Options{})
	for _, want := range []string{
		"$ORIGIN rpz.phalanx.", "evil.example CNAME .", "*.evil.example CNAME .",
		"32.7.100.51.198.rpz-ip CNAME .", "16.0.0.1.10.rpz-ip CNAME .",
		"128.1.zz.db8.2001.rpz-ip CNAME .", "40.zz.ab00.db8.2001.rpz-ip CNAME .",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("zone lacks %q:\n%s", want, out)
		}
	}
	checkZone(t, "rpz.phalanx", out)
}

// checkZone runs named-checkzone. Under CI=true a missing tool fails the
// test; elsewhere it is skipped with the reason (scripts/test.sh installs
// it).
func checkZone(t *testing.T, zone, content string) {
	t.Helper()
	bin, err := exec.LookPath("named-checkzone")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("named-checkzone not installed (Debian package bind9-utils; scripts/test.sh installs it)")
		}
		t.Skip("named-checkzone not installed; run scripts/test.sh, which installs bind9-utils")
	}
	path := filepath.Join(t.TempDir(), "zone")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, zone, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("named-checkzone: %v\n%s\nzone:\n%s", err, out, content)
	}
}

// TestRPZIP checks rpz-ip owner names against the examples of the RPZ
// specification (draft-vixie-dnsop-dns-rpz §4.1).
func TestRPZIP(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":         "32.1.2.0.192.rpz-ip",
		"192.0.2.0/24":      "24.0.2.0.192.rpz-ip",
		"2001:db8::1":       "128.1.zz.db8.2001.rpz-ip",
		"2001:db8:0:1::/64": "64.zz.1.0.db8.2001.rpz-ip",
		"::1":               "128.1.zz.rpz-ip",
	} {
		if got, ok := rpzIP(in); !ok || got != want {
			t.Errorf("rpzIP(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(context.Background(), &bytes.Buffer{}, "pdf", Options{Reader: store(t)})
	if errs.CodeOf(err) != errs.Invalid {
		t.Errorf("unknown format: %v", err)
	}
}

// mispSchema compiles MISP's format 2.4 schema. The schema as published
// has one defect its draft-04 metaschema rejects: defs.sharing_group lists
// "required" inside "properties" (as if it were a property). That entry is
// removed; nothing else is changed.
func mispSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(testutil.SharedTestdata(t), "misp-events/misp/format-2.4-schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	sg := doc.(map[string]any)["defs"].(map[string]any)["sharing_group"].(map[string]any)["properties"].(map[string]any)
	if _, ok := sg["required"]; !ok {
		t.Fatal("the MISP schema no longer has the defect this test works around; drop the workaround")
	}
	delete(sg, "required")
	c := jsonschema.NewCompiler()
	if err := c.AddResource("misp-format-2.4.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("misp-format-2.4.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}
