package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"net/http/httptest"

	"github.com/spf13/cobra"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

const (
	cliAdmin  = "cli-admin-secret"
	cliReader = "cli-reader-secret"
	cliBundle = `{"type":"bundle","id":"bundle--1","objects":[
	  {"type":"indicator","spec_version":"2.1","id":"indicator--1","created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"evil.example","labels":["phishing"],"pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix"},
	  {"type":"domain-name","spec_version":"2.1","id":"domain-name--1","value":"evil.example"}]}`
)

// node is a test API server over fakes and a data directory pointing at it,
// as "phalanx up" leaves one.
type node struct {
	dir string
	url string
}

func startNode(t *testing.T) node {
	t.Helper()
	return startNodeTLS(t, false)
}

// startNodeTLS starts the node serving HTTPS with a self-signed certificate
// when tls is set, recording the certificate in DIR/phalanx.json as
// "phalanx init" does.
func startNodeTLS(t *testing.T, tls bool) node {
	t.Helper()
	s, err := api.New(api.Config{
		Backend:   apitest.NewBackend(),
		Tokens:    apitest.NewTokens(map[string]auth.Role{cliAdmin: auth.RoleAdmin, cliReader: auth.RoleReader}),
		Authorize: auth.Authorize,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	dir := t.TempDir()
	if tls {
		srv.StartTLS()
		writeFile(t, filepath.Join(dir, "cert.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
		writeFile(t, filepath.Join(dir, "phalanx.json"), `{"member":"member1","chain_id":"phalanx-test","api_listen":"127.0.0.1:0",
			"tls_cert":"cert.pem","tls_key":"key.pem","timeout_commit":"1s","empty_blocks":"0s"}`)
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	writeFile(t, filepath.Join(dir, "api.url"), srv.URL+"\n")
	writeFile(t, filepath.Join(dir, "admin.token"), cliAdmin+"\n")
	return node{dir: dir, url: srv.URL}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs a client command as the root command would and returns its
// stdout and stderr.
func run(t *testing.T, g *globals, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := &cobra.Command{Use: "phalanx", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(clientCommands(g)...)
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func mustRun(t *testing.T, g *globals, stdin string, args ...string) string {
	t.Helper()
	out, _, err := run(t, g, stdin, args...)
	if err != nil {
		t.Fatalf("phalanx %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestClientFromDir(t *testing.T) {
	n := startNode(t)
	c, err := (&globals{Dir: n.dir}).client()
	if err != nil || c.BaseURL() != n.url {
		t.Fatalf("client from dir: %v, %v", c, err)
	}
	empty := t.TempDir()
	_, err = (&globals{Dir: empty}).client()
	want := `no running node found in ` + empty + ` (api.url missing); start one with "phalanx up" or pass --api and --token`
	if err == nil || err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
	if _, err = (&globals{Dir: empty, API: n.url}).client(); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Errorf("no token: %v", err)
	}
	if _, err = (&globals{Dir: empty, API: n.url, Token: cliReader}).client(); err != nil {
		t.Errorf("--api and --token: %v", err)
	}
	writeFile(t, filepath.Join(empty, "api.url"), "\n")
	if _, err = (&globals{Dir: empty}).client(); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty api.url: %v", err)
	}
}

func TestClientTrustsLocalCertificate(t *testing.T) {
	n := startNodeTLS(t, true)
	out := mustRun(t, &globals{Dir: n.dir}, "", "status")
	if !strings.Contains(out, "phalanx-test") {
		t.Errorf("status over HTTPS:\n%s", out)
	}
	// A remote node's certificate is checked against the system roots only.
	_, _, err := run(t, &globals{Dir: n.dir, API: n.url, Token: cliAdmin}, "", "status")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: %v", err)
	}
}

func TestPublish(t *testing.T) {
	n := startNode(t)
	g := &globals{Dir: n.dir}
	file := filepath.Join(t.TempDir(), "bundle.json")
	writeFile(t, file, cliBundle)

	out := mustRun(t, g, "", "publish", file)
	line := regexp.MustCompile(`^tx [0-9A-F]{64} height [1-9][0-9]* ok 1 object$`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !line.MatchString(lines[0]) || !line.MatchString(lines[1]) {
		t.Errorf("publish output:\n%s", out)
	}

	out = mustRun(t, g, `{"type":"malware","id":"malware--1","name":"Evil"}`, "publish", "-", "--no-wait")
	if !regexp.MustCompile(`^tx [0-9A-F]{64} height - ok 1 object\n$`).MatchString(out) {
		t.Errorf("publish --no-wait output %q", out)
	}

	g.JSON = true
	out = mustRun(t, g, `{"type":"malware","id":"malware--2"}`, "publish", "-")
	var res api.PublishResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Accepted != 1 || res.Transactions[0].Height == 0 {
		t.Errorf("publish --json: %s (%v)", out, err)
	}
}

func TestPublishRejected(t *testing.T) {
	n := startNode(t)
	g := &globals{Dir: n.dir}
	out, _, err := run(t, g, `{"type":"bundle","id":"bundle--2","objects":[{"type":"malware","id":"malware--1"},{"type":"malware","id":"malware--2","x_apitest":"reject"}]}`, "publish", "-")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "invalid_object") {
		t.Fatalf("error %v", err)
	}
	if !strings.Contains(out, " ok 1 object") || !strings.Contains(out, " invalid_object 1 object") {
		t.Errorf("output:\n%s", out)
	}
	for _, c := range []struct{ stdin, args, want string }{
		{"not json", "publish -", "invalid STIX JSON"},
		{"", "publish -", "empty input"},
		{"", "publish /nonexistent/file.json", "no such file"},
	} {
		_, _, err := run(t, g, c.stdin, strings.Fields(c.args)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestGet(t *testing.T) {
	n := startNode(t)
	g := &globals{Dir: n.dir}
	mustRun(t, g, cliBundle, "publish", "-")
	mustRun(t, g, strings.Replace(cliBundle, "2025-01-01T00:00:00Z\",\"name", "2025-03-01T00:00:00Z\",\"name", 1), "publish", "-")

	out := mustRun(t, g, "", "get", "indicator--1")
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); err != nil || obj["modified"] != "2025-03-01T00:00:00Z" || !strings.Contains(out, "\n  \"") {
		t.Errorf("get: %s (%v)", out, err)
	}
	out = mustRun(t, g, "", "get", "indicator--1", "--all-versions")
	var objs []map[string]any
	if err := json.Unmarshal([]byte(out), &objs); err != nil || len(objs) != 2 {
		t.Errorf("get --all-versions: %s (%v)", out, err)
	}
	g.JSON = true
	out = mustRun(t, g, "", "get", "indicator--1")
	var v projection.Version
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Height == 0 || v.TxHash == "" {
		t.Errorf("get --json: %s (%v)", out, err)
	}
	_, _, err := run(t, g, "", "get", "indicator--404")
	if err == nil || !strings.Contains(err.Error(), "no object indicator--404") {
		t.Errorf("missing object: %v", err)
	}
}

func TestSearch(t *testing.T) {
	n := startNode(t)
	g := &globals{Dir: n.dir}
	mustRun(t, g, cliBundle, "publish", "-")

	out := mustRun(t, g, "", "search", "--type", "indicator,domain-name", "evil")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") ||
		!regexp.MustCompile(`^domain-name--1\s+domain-name\s+-\s+member-test\s+evil\.example$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^indicator--1\s+indicator\s+2025-01-01T00:00:00Z\s+member-test\s+evil\.example$`).MatchString(lines[2]) {
		t.Errorf("search table:\n%s", out)
	}

	out, errOut, err := run(t, g, "", "search", "--limit", "1")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "--cursor 1") {
		t.Errorf("search --limit 1: %q %q %v", out, errOut, err)
	}
	out = mustRun(t, g, "", "search", "--limit", "1", "--all", "--since", "2024-01-01", "--label", "phishing")
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, "indicator--1") {
		t.Errorf("search --all:\n%s", out)
	}

	g.JSON = true
	out = mustRun(t, g, "", "search", "--all", "--limit", "1")
	var page projection.Page
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Items) != 2 || page.NextCursor != "" {
		t.Errorf("search --all --json: %s (%v)", out, err)
	}
	_, _, err = run(t, g, "", "search", "--until", "tomorrow")
	if err == nil || !strings.Contains(err.Error(), "--until") {
		t.Errorf("bad --until: %v", err)
	}
}

func TestStatusAndMembers(t *testing.T) {
	n := startNode(t)
	g := &globals{Dir: n.dir}
	out := mustRun(t, g, "", "status")
	if !regexp.MustCompile(`(?m)^chain id:\s+phalanx-test$`).MatchString(out) {
		t.Errorf("status:\n%s", out)
	}
	out = mustRun(t, g, "", "members")
	if !regexp.MustCompile(`(?m)^member-test\s+Test CERT\s+active\s+10\s+government\s+eu\s+1$`).MatchString(out) {
		t.Errorf("members:\n%s", out)
	}
	g.JSON = true
	var st map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, g, "", "status")), &st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"api", "member", "chain_id", "height", "app_hash"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status --json lacks %s", k)
		}
	}
	var ms []api.Member
	if err := json.Unmarshal([]byte(mustRun(t, g, "", "members")), &ms); err != nil || len(ms) != 1 {
		t.Errorf("members --json: %v %v", ms, err)
	}
}

func TestTokenCommands(t *testing.T) {
	n := startNode(t)
	g := &globals{Dir: n.dir}
	secret := strings.TrimSpace(mustRun(t, g, "", "token", "create", "--role", "reader", "--name", "siem"))
	if secret == "" || strings.ContainsAny(secret, " \n") {
		t.Fatalf("token create printed %q", secret)
	}
	reader := &globals{Dir: t.TempDir(), API: n.url, Token: secret}
	mustRun(t, reader, "", "status")
	if _, _, err := run(t, reader, "", "token", "list"); err == nil || !strings.Contains(err.Error(), "may not admin") {
		t.Errorf("reader listing tokens: %v", err)
	}

	out := mustRun(t, g, "", "token", "list")
	m := regexp.MustCompile(`(?m)^(tok-\d+)\s+siem\s+reader\s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("token list:\n%s", out)
	}
	if out := mustRun(t, g, "", "token", "revoke", m[1]); out != "revoked "+m[1]+"\n" {
		t.Errorf("revoke printed %q", out)
	}
	if _, _, err := run(t, reader, "", "status"); err == nil || !strings.Contains(err.Error(), "invalid or revoked token") {
		t.Errorf("revoked token: %v", err)
	}
	if _, _, err := run(t, g, "", "token", "create"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("create without --role: %v", err)
	}
	g.JSON = true
	var ct api.CreatedToken
	if err := json.Unmarshal([]byte(mustRun(t, g, "", "token", "create", "--role", "machine")), &ct); err != nil || ct.Token == "" || ct.Role != auth.RoleMachine {
		t.Errorf("token create --json: %+v %v", ct, err)
	}
}

func TestUnreachableNode(t *testing.T) {
	g := &globals{Dir: t.TempDir(), API: "http://127.0.0.1:1", Token: "x"}
	_, _, err := run(t, g, "", "status")
	if err == nil || !strings.Contains(err.Error(), "cannot reach the node") {
		t.Errorf("error %v", err)
	}
}
