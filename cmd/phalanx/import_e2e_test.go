package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// recordsOf returns the node's record count (phalanx status --json).
func recordsOf(t *testing.T, dir string) uint64 {
	t.Helper()
	var st struct{ Records uint64 }
	if err := json.Unmarshal([]byte(mustRunCLI(t, "", "status", "--dir", dir, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	return st.Records
}

// TestImportInterruptResumeExport: an import stopped by Ctrl-C resumes
// from its checkpoint without duplicating anything; a second import is all
// duplicates; exports of what was imported follow.
func TestImportInterruptResumeExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	up := startUp(t, dir)
	defer up.interrupt(t)
	const n = 6000
	list := filepath.Join(t.TempDir(), "iocs.txt")
	var b strings.Builder
	b.WriteString("# generated test list\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
	}
	b.WriteString("not-an-ioc\n")
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	before := recordsOf(t, dir)

	// Start an import in small batches and interrupt it after its first
	// progress line.
	cmd := exec.Command(binary, "import", "--dir", dir, "--batch", "100", list)
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "import progress: read=") {
		t.Fatalf("first stderr line %q: want a plain progress line (stderr is not a terminal)", sc.Text())
	}
	cmd.Process.Signal(os.Interrupt)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "\r") {
			t.Errorf("progress bar drawn on a pipe: %q", sc.Text())
		}
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("interrupted import: %v, stdout %s", err, out.String())
	}
	summary := regexp.MustCompile(`read (\d+), accepted (\d+), duplicate 0, rejected \d+`)
	if !summary.MatchString(out.String()) {
		t.Fatalf("interrupted summary: %s", out.String())
	}

	// Run again: it resumes and completes; nothing is published twice.
	res := mustRunCLI(t, "", "import", "--dir", dir, "--batch", "100", list)
	m := regexp.MustCompile(`read \d+, accepted (\d+), duplicate (\d+), rejected 1 in`).FindStringSubmatch(res)
	if m == nil || !strings.Contains(res, "resumed at entry") || !strings.Contains(res, "not-an-ioc") {
		t.Fatalf("resumed import output:\n%s", res)
	}
	if got := recordsOf(t, dir) - before; got != n {
		t.Fatalf("ledger gained %d records, want %d", got, n)
	}

	// Again from the start: every value is a duplicate.
	res = mustRunCLI(t, "", "import", "--dir", dir, list)
	if !strings.Contains(res, fmt.Sprintf("accepted 0, duplicate %d, rejected 1", n)) {
		t.Fatalf("re-import output:\n%s", res)
	}

	// Export: the IPv4 blocklist holds the imported addresses; incremental
	// exports after now are empty; unknown formats fail with one line.
	bl := mustRunCLI(t, "", "export", "--dir", dir, "--format", "blocklist-ipv4")
	if got := strings.Count(bl, "\n"); got < n || !strings.Contains(bl, "10.0.23.111\n") {
		t.Errorf("blocklist: %d lines", got)
	}
	if out := mustRunCLI(t, "", "export", "--dir", dir, "--format", "blocklist-ipv4", "--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); out != "" {
		t.Errorf("export since the future: %q", out)
	}
	zone := filepath.Join(t.TempDir(), "rpz.zone")
	mustRunCLI(t, "", "export", "--dir", dir, "--format", "rpz", "--output", zone)
	if b, err := os.ReadFile(zone); err != nil || !strings.Contains(string(b), "32.111.23.0.10.rpz-ip CNAME .") {
		t.Errorf("rpz export: %v", err)
	}
	_, errOut, code := runCLI(t, "", "export", "--dir", dir, "--format", "pdf")
	if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "unknown export format") {
		t.Errorf("unknown format: exit %d, stderr %q", code, errOut)
	}
}

// TestImportSealed: an import whose objects are above TLP:GREEN needs
// recipients (a clear error without them); with --to they are sealed and
// accepted, and a search on the node finds them.
func TestImportSealed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	up := startUp(t, dir)
	defer up.interrupt(t)
	list := filepath.Join(t.TempDir(), "amber.txt")
	if err := os.WriteFile(list, []byte("198.51.100.201\n198.51.100.202\nsealed-import.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI(t, "", "import", "--dir", dir, "--tlp", "AMBER", list)
	if code != 1 || !strings.Contains(errOut, "say whom it is for") {
		t.Fatalf("AMBER import without recipients: exit %d, %s", code, errOut)
	}
	out := mustRunCLI(t, "", "import", "--dir", dir, "--tlp", "AMBER", "--to", "member1", "--restart", list)
	if !regexp.MustCompile(`accepted 3, duplicate 0, rejected 0`).MatchString(out) {
		t.Fatalf("AMBER import with --to: %s", out)
	}
	if found := mustRunCLI(t, "", "search", "--dir", dir, "sealed-import.example"); !strings.Contains(found, "indicator--") {
		t.Fatalf("the sealed import is not searchable on its recipient: %s", found)
	}
}
