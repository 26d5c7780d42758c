package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCLISharing runs the sharing commands of the real binary against a
// real node: groups, addressed and refused publishes, users with a
// clearance, grants and withdrawal.
func TestCLISharing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	up := startUp(t, dir)
	defer up.interrupt(t)
	api, err := os.ReadFile(filepath.Join(dir, "api.url"))
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(string(api))
	const id = "indicator--5ea1ed00-3333-4333-8333-333333333333"
	amber := `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],"name":"cli canary","pattern":"[domain-name:value = 'cli.canary.example']","pattern_type":"stix","valid_from":"2026-05-01T00:00:00Z"}`
	file := filepath.Join(t.TempDir(), "amber.json")
	os.WriteFile(file, []byte(amber), 0o644)

	mustRunCLI(t, "", "group", "create", "cert-circle", "member1", "--dir", dir)
	if out := mustRunCLI(t, "", "group", "list", "--dir", dir); !strings.Contains(out, "cert-circle") || !strings.Contains(out, "member1") {
		t.Fatalf("group list:\n%s", out)
	}
	_, stderr, code := runCLI(t, "", "publish", file, "--dir", dir)
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "say whom it is for") {
		t.Fatalf("unaddressed AMBER publish: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runCLI(t, "", "publish", file, "--group", "nosuch", "--dir", dir)
	if code != 1 || !strings.Contains(stderr, `"nosuch" does not exist`) {
		t.Fatalf("publish to an unknown group: exit %d, stderr %q", code, stderr)
	}
	if out := mustRunCLI(t, "", "publish", file, "--group", "cert-circle", "--tlp", "amber", "--dir", dir); !strings.Contains(out, " ok 1 object") {
		t.Fatalf("publish --group: %q", out)
	}
	token := regexp.MustCompile(`token (phx_\S+)`)
	amberTok := token.FindStringSubmatch(mustRunCLI(t, "", "user", "add", "ana", "--role", "analyst", "--clearance", "AMBER", "--dir", dir))
	greenTok := token.FindStringSubmatch(mustRunCLI(t, "", "user", "add", "gus", "--clearance", "GREEN", "--dir", dir))
	if amberTok == nil || greenTok == nil {
		t.Fatal("user add printed no token")
	}
	if out := mustRunCLI(t, "", "get", id, "--api", url, "--token", amberTok[1]); !strings.Contains(out, "cli.canary.example") {
		t.Fatalf("AMBER user get: %s", out)
	}
	if _, stderr, code := runCLI(t, "", "get", id, "--api", url, "--token", greenTok[1]); code != 1 || !strings.Contains(stderr, "no object") {
		t.Fatalf("GREEN user get: exit %d, %q", code, stderr)
	}
	mustRunCLI(t, "", "user", "grant", "ana", id, "--dir", dir)
	if out := mustRunCLI(t, "", "user", "list", "--dir", dir); !strings.Contains(out, "ana") || !strings.Contains(out, id) || !strings.Contains(out, "GREEN") {
		t.Fatalf("user list:\n%s", out)
	}
	mustRunCLI(t, "", "withdraw", id, "--version", "2026-05-01T00:00:00Z", "--dir", dir)
	if _, stderr, code := runCLI(t, "", "get", id, "--dir", dir); code != 1 || !strings.Contains(stderr, "no object") {
		t.Fatalf("get after withdrawal: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, "", "withdraw", id, "--version", "2026-05-01T00:00:00Z", "--dir", dir); code != 1 || !strings.Contains(stderr, "already withdrawn") {
		t.Fatalf("second withdrawal: exit %d, %q", code, stderr)
	}
}
