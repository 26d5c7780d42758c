package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/alerts"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/detect/loggen"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

func runMatchCmd(t *testing.T, g *globals, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := &cobra.Command{Use: "phalanx", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newMatchCmd(g))
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"match"}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func decodeHits(t *testing.T, out string) []detect.Hit {
	t.Helper()
	var hits []detect.Hit
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var h detect.Hit
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		hits = append(hits, h)
	}
	return hits
}

// TestMatchLocalIndex builds a local index from the shared IOC lists and
// scans a generated log file with them planted: every planted value is
// reported at its line and offset, nothing else.
func TestMatchLocalIndex(t *testing.T) {
	values, err := loggen.SharedIOCs(filepath.Join(testutil.SharedTestdata(t), "iocs"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	indFile := filepath.Join(dir, "iocs.txt")
	writeFile(t, indFile, "# shared IOCs\n"+strings.Join(values, "\n")+"\n")
	avoid := map[string]bool{}
	for _, v := range values {
		avoid[v] = true
	}
	var log bytes.Buffer
	g := &loggen.Generator{Rand: rand.New(rand.NewPCG(5, 6)), Indicators: values, Avoid: avoid, PlantEvery: 20, Variants: true}
	plants, err := g.Text(&log, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "mixed.log")
	writeFile(t, logFile, log.String())
	out, errOut, err := runMatchCmd(t, &globals{}, "", "--indicators", indFile, "--exact", "--stats", logFile)
	if err != nil {
		t.Fatal(err)
	}
	hits := decodeHits(t, out)
	if len(hits) != len(plants) {
		t.Fatalf("%d hits, %d planted", len(hits), len(plants))
	}
	for i, h := range hits {
		p := plants[i]
		if h.Line != p.Line || h.Offset != p.Offset || h.Observed != p.Observed || h.Source != logFile || h.Author != "local" {
			t.Fatalf("hit %d: %+v, planted %+v", i, h, p)
		}
	}
	if !strings.Contains(errOut, "index: ") || !strings.Contains(errOut, "hits, 0 benign") {
		t.Errorf("stats: %q", errOut)
	}
}

func TestMatchLocalWarninglistsAndFormats(t *testing.T) {
	dir := t.TempDir()
	indFile := filepath.Join(dir, "bundle.json")
	writeFile(t, indFile, `{"type":"bundle","id":"bundle--00000000-2222-4222-8222-222222222222","objects":[
		{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
		"pattern":"[ipv4-addr:value = '8.8.8.8'] OR [domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":60}]}`)
	zeek := "#separator \\x09\n#fields\tts\tid.orig_h\tquery\n1.0\t8.8.8.8\tx.evil.example\n"
	out, _, err := runMatchCmd(t, &globals{}, zeek, "--indicators", indFile, "--warninglists", filepath.Join(testutil.SharedTestdata(t), "warninglists"), "--field", "query", "-")
	if err != nil {
		t.Fatal(err)
	}
	hits := decodeHits(t, out)
	if len(hits) != 1 || hits[0].Field != "query" || hits[0].Line != 3 || hits[0].Offset != 12 || *hits[0].Confidence != 60 {
		t.Fatalf("zeek --field query: %s", out)
	}
	out, _, err = runMatchCmd(t, &globals{}, zeek, "--indicators", indFile, "--warninglists", filepath.Join(testutil.SharedTestdata(t), "warninglists"), "-")
	if err != nil {
		t.Fatal(err)
	}
	if hits := decodeHits(t, out); len(hits) != 2 || !hits[0].Benign || hits[0].Warninglist != "List of known IPv4 public DNS resolvers" || hits[1].Benign {
		t.Fatalf("warninglists: %s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--indicators", indFile, "--format", "xml"}, `--format "xml"`},
		{[]string{"--warninglists", dir}, "--warninglists goes with --indicators"},
		{[]string{"--indicators", filepath.Join(dir, "none")}, "open indicators"},
		{[]string{"--indicators", indFile, filepath.Join(dir, "none.log")}, "open telemetry"},
		{[]string{"--indicators", indFile, "--format", "text", "--field", "x"}, "--field needs a structured format"},
	} {
		if _, _, err := runMatchCmd(t, &globals{}, "", c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("match %v: %v, want %q", c.args, err, c.want)
		}
	}
	bad := filepath.Join(dir, "bad.txt")
	writeFile(t, bad, "1.2.3.4\nnot a value!\n")
	if _, _, err := runMatchCmd(t, &globals{}, "", "--indicators", bad); err == nil || !strings.Contains(err.Error(), "indicator line 2") {
		t.Errorf("bad values file: %v", err)
	}
}

// matchBackend adds a real index to the fake backend.
type matchBackend struct {
	*apitest.Backend
	idx *detect.Index
}

func (m matchBackend) Match(ctx context.Context, r io.Reader, cfg detect.Config, emit func(detect.Hit) error) (detect.Stats, error) {
	return m.idx.Scan(ctx, r, cfg, emit)
}

// TestMatchThroughNode streams a file through POST /v1/match.
func TestMatchThroughNode(t *testing.T) {
	idx := detect.New(4)
	c, _ := detect.CompilePattern("[domain-name:value = 'evil.example']")
	if err := idx.Add(detect.Indicator{ID: "indicator--00000000-1111-4111-8111-111111111111", Version: time.Now(), Author: "cert-b", Marking: "tlp:green", Pattern: c}); err != nil {
		t.Fatal(err)
	}
	s, err := api.New(api.Config{Backend: matchBackend{apitest.NewBackend(), idx},
		Tokens: apitest.NewTokens(map[string]auth.Role{cliReader: auth.RoleReader}), Authorize: auth.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	logFile := filepath.Join(t.TempDir(), "dns.log")
	if err := os.WriteFile(logFile, []byte("q a.evil.example\nq notevil.example\nq evil.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &globals{API: srv.URL, Token: cliReader}
	out, _, err := runMatchCmd(t, g, "", logFile)
	if err != nil {
		t.Fatal(err)
	}
	hits := decodeHits(t, out)
	if len(hits) != 2 || hits[0].Line != 1 || hits[1].Line != 3 || hits[0].Author != "cert-b" || hits[0].Source != logFile {
		t.Fatalf("hits %s", out)
	}
	out, _, err = runMatchCmd(t, g, "", "--exact", logFile)
	if err != nil || len(decodeHits(t, out)) != 1 {
		t.Fatalf("--exact: %v %s", err, out)
	}
	if _, _, err := runMatchCmd(t, &globals{API: srv.URL, Token: "wrong"}, "x\n"); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("bad token: %v", err)
	}
}

// alertBackend adds a fixed alert list to the fake backend.
type alertBackend struct {
	*apitest.Backend
	list []alerts.Alert
}

func (a alertBackend) Alerts(_ context.Context, since time.Time, limit int) ([]alerts.Alert, error) {
	var out []alerts.Alert
	for _, x := range a.list {
		if !x.LastSeen.Before(since) && len(out) < limit {
			out = append(out, x)
		}
	}
	return out, nil
}

func TestAlertsCmd(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	list := []alerts.Alert{
		{IndicatorID: "indicator--00000000-1111-4111-8111-111111111111", Value: "evil.example", Type: "domain-name", Marking: "tlp:green",
			Author: "cert-b", Hits: 42, FirstSeen: t0, LastSeen: t0.Add(time.Hour), LastWhere: "dns.log:7:3", LastObserved: "a.evil.example"},
		{IndicatorID: "indicator--00000000-2222-4111-8111-111111111111", Value: "10.0.0.0/8", Type: "ipv4-addr", Author: "cert-c",
			Hits: 1, FirstSeen: t0, LastSeen: t0, LastWhere: "fw.log:1:0", LastObserved: "10.1.2.3"},
	}
	// The API lists alerts on indicators the token may read: the fake
	// ledger holds both (GREEN).
	ledger := apitest.NewBackend()
	for _, a := range list {
		ind := `{"type":"indicator","spec_version":"2.1","id":"` + a.IndicatorID + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",` +
			`"pattern":"[domain-name:value = 'x.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`
		if _, err := ledger.Publish(context.Background(), []byte(ind)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := api.New(api.Config{Backend: alertBackend{ledger, list},
		Tokens: apitest.NewTokens(map[string]auth.Role{cliReader: auth.RoleReader}), Authorize: auth.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	g := &globals{API: srv.URL, Token: cliReader}
	root := func(args ...string) (string, error) {
		r := &cobra.Command{Use: "phalanx", SilenceUsage: true, SilenceErrors: true}
		r.AddCommand(newAlertsCmd(g))
		var out bytes.Buffer
		r.SetOut(&out)
		r.SetErr(&out)
		r.SetArgs(append([]string{"alerts"}, args...))
		err := r.ExecuteContext(context.Background())
		return out.String(), err
	}
	out, err := root()
	if err != nil || !strings.Contains(out, "42") || !strings.Contains(out, "evil.example") || !strings.Contains(out, "dns.log:7:3") || strings.Count(out, "\n") != 3 {
		t.Fatalf("table: %v\n%s", err, out)
	}
	out, err = root("--since", "2026-05-01T12:30:00Z")
	if err != nil || strings.Contains(out, "10.0.0.0/8") || !strings.Contains(out, "evil.example") {
		t.Errorf("--since: %v\n%s", err, out)
	}
	g.JSON = true
	out, err = root("--limit", "1")
	var got []alerts.Alert
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 || got[0].Hits != 42 {
		t.Errorf("--json --limit 1: %v\n%s", err, out)
	}
	if _, err := root("--limit", "0"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("--limit 0: %v", err)
	}
	if _, err := root("--since", "yesterday"); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("bad --since: %v", err)
	}
}
