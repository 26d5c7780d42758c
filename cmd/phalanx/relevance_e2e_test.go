package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCLIRelevance runs the relevance commands of the real binary against
// a real node: a user subscribes, a matching publish raises a notification
// it lists and marks read, its feed puts the record first with the reason,
// bad filters are refused, and the member's profile changes by
// transaction.
func TestCLIRelevance(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	up := startUp(t, dir)
	defer up.interrupt(t)
	b, err := os.ReadFile(filepath.Join(dir, "api.url"))
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(string(b))
	tok := regexp.MustCompile(`token (phx_\S+)`).FindStringSubmatch(mustRunCLI(t, "", "user", "add", "gus", "--clearance", "GREEN", "--dir", dir))
	if tok == nil {
		t.Fatal("user add printed no token")
	}
	as := []string{"--api", url, "--token", tok[1]}
	out := mustRunCLI(t, "", append([]string{"subscribe", "add", "ransom", "type=indicator", "label=ransomware", "--notify"}, as...)...)
	sub := regexp.MustCompile(`subscription (sub_[0-9a-f]+)`).FindStringSubmatch(out)
	if sub == nil || !strings.Contains(out, "type=indicator label=ransomware notify=true") {
		t.Fatalf("subscribe add: %q", out)
	}
	if _, stderr, code := runCLI(t, "", append([]string{"subscribe", "add", "bad", "colour=red"}, as...)...); code != 1 ||
		strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "unknown dimension") {
		t.Fatalf("bad filter: exit %d, %q", code, stderr)
	}
	if out := mustRunCLI(t, "", append([]string{"subscribe", "list"}, as...)...); !strings.Contains(out, sub[1]) {
		t.Fatalf("subscribe list:\n%s", out)
	}

	const id = "indicator--7e1e0000-cccc-4ccc-8ccc-cccccccccccc"
	obj := `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","labels":["ransomware"],"name":"cli ransom","pattern":"[domain-name:value = 'ransom.example']","pattern_type":"stix","valid_from":"2026-05-01T00:00:00Z"}`
	file := filepath.Join(t.TempDir(), "ransom.json")
	os.WriteFile(file, []byte(obj), 0o644)
	mustRunCLI(t, "", "publish", file, "--dir", dir)

	var notes string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		notes = mustRunCLI(t, "", append([]string{"notifications", "--unread"}, as...)...)
		if strings.Contains(notes, id) || time.Now().After(deadline) {
			break
		}
	}
	m := regexp.MustCompile(`(?m)^(\d+)\s+\S+\s+` + regexp.QuoteMeta(id) + `\s+GREEN\s+ransom\s+false`).FindStringSubmatch(notes)
	if m == nil {
		t.Fatalf("notifications:\n%s", notes)
	}
	mustRunCLI(t, "", append([]string{"notifications", "read", m[1]}, as...)...)
	if out := mustRunCLI(t, "", append([]string{"notifications", "--unread"}, as...)...); strings.Contains(out, id) {
		t.Fatalf("still unread:\n%s", out)
	}
	feed := mustRunCLI(t, "", append([]string{"feed", "--limit", "3"}, as...)...)
	lines := strings.Split(strings.TrimSpace(feed), "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], id) || !strings.Contains(lines[1], "ransom: type=indicator label=ransomware") {
		t.Fatalf("feed:\n%s", feed)
	}
	mustRunCLI(t, "", append([]string{"subscribe", "remove", sub[1]}, as...)...)
	if _, stderr, code := runCLI(t, "", append([]string{"subscribe", "remove", sub[1]}, as...)...); code != 1 || !strings.Contains(stderr, "no subscription") {
		t.Fatalf("second remove: exit %d, %q", code, stderr)
	}

	if out := mustRunCLI(t, "", "profile", "--sector", "energy", "--technology", "exchange", "--dir", dir); !strings.Contains(out, "ok") {
		t.Fatalf("profile: %q", out)
	}
	if out := mustRunCLI(t, "", "members", "--json", "--dir", dir); !strings.Contains(out, `"exchange"`) {
		t.Fatalf("members after profile:\n%s", out)
	}
	if _, stderr, code := runCLI(t, "", "profile", "--technology", "-bad", "--dir", dir); code != 1 || !strings.Contains(stderr, "technologies") {
		t.Fatalf("bad profile: exit %d, %q", code, stderr)
	}
}
