package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// startGovNode is startNode that also returns the fake ledger, so a test
// can set up proposals.
func startGovNode(t *testing.T) (*globals, *apitest.Backend) {
	t.Helper()
	backend := apitest.NewBackend()
	s, err := api.New(api.Config{
		Backend:   backend,
		Tokens:    apitest.NewTokens(map[string]auth.Role{cliAdmin: auth.RoleAdmin, cliReader: auth.RoleReader}),
		Authorize: auth.Authorize,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.url"), srv.URL+"\n")
	writeFile(t, filepath.Join(dir, "admin.token"), cliAdmin+"\n")
	return &globals{Dir: dir}, backend
}

// application writes a membership application as "phalanx init --join"
// does and returns its path.
func application(t *testing.T, id string, keyByte byte) string {
	t.Helper()
	app := daemon.Application{
		Member: ledger.Member{ID: id, Name: "New CERT", SignKey: bytes.Repeat([]byte{keyByte}, 32),
			SealKey: bytes.Repeat([]byte{keyByte + 1}, 32), ValidatorKey: bytes.Repeat([]byte{keyByte + 2}, 32),
			Sectors: []string{"energy"}, Regions: []string{"eu"}},
		Contact: "soc@new.example", NodeID: "abcdef", P2PAddress: "127.0.0.1:26656",
	}
	b, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "application.json")
	writeFile(t, path, string(b))
	return path
}

var (
	govTxLine   = regexp.MustCompile(`^tx [0-9A-F]{64} height [1-9][0-9]* ok$`)
	govTxNoWait = regexp.MustCompile(`^tx [0-9A-F]{64} height - ok\n$`)
)

// lines splits output into its lines.
func lines(out string) []string { return strings.Split(strings.TrimSuffix(out, "\n"), "\n") }

func TestGovProposeAdmit(t *testing.T) {
	g, backend := startGovNode(t)
	out := mustRun(t, g, "", "gov", "propose", "admit", "--application", application(t, "newco", 1), "--title", "admit NewCo")
	l := lines(out)
	if len(l) != 2 || !govTxLine.MatchString(l[0]) || l[1] != "proposal 1 open: admit_member newco; voting ends at height 21" {
		t.Fatalf("output:\n%s", out)
	}
	ps, _ := backend.Proposals(t.Context())
	c := ps[0].Content
	want := ledger.Member{ID: "newco", Name: "New CERT", SignKey: bytes.Repeat([]byte{1}, 32),
		SealKey: bytes.Repeat([]byte{2}, 32), ValidatorKey: bytes.Repeat([]byte{3}, 32),
		Sectors: []string{"energy"}, Regions: []string{"eu"}}
	if c.Kind != ledger.KindAdmit || c.Title != "admit NewCo" || c.Member == nil || !sameJSON(t, *c.Member, want) {
		t.Errorf("proposal content %+v", c)
	}

	// From stdin, without waiting.
	app := readFileString(t, application(t, "otherco", 10))
	if out := mustRun(t, g, app, "gov", "propose", "admit", "--application", "-", "--no-wait"); !govTxNoWait.MatchString(out) {
		t.Errorf("--no-wait output %q", out)
	}

	g.JSON = true
	out = mustRun(t, g, "", "gov", "propose", "admit", "--application", application(t, "thirdco", 20))
	var res api.GovResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Proposal == nil || res.Proposal.ID != 3 {
		t.Errorf("--json: %s (%v)", out, err)
	}
}

func TestGovProposeRejected(t *testing.T) {
	g, _ := startGovNode(t)
	out, _, err := run(t, g, "", "gov", "propose", "admit", "--application", application(t, apitest.Author, 1))
	want := `gov propose: proposal rejected: bad_proposal: admit_member proposal: member id "member-test" is taken`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant  %s", err, want)
	}
	if !regexp.MustCompile(`^tx [0-9A-F]{64} height - bad_proposal\n$`).MatchString(out) {
		t.Errorf("output %q", out)
	}
	_, _, err = run(t, g, "", "gov", "propose", "remove", "nobody")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `"nobody" is not an active member`) {
		t.Errorf("remove nobody: %v", err)
	}
}

func TestGovApplicationErrors(t *testing.T) {
	g, backend := startGovNode(t)
	for _, c := range []struct{ stdin, args, want string }{
		{`{"id":"x","sign-key":"AA=="}`, "gov propose admit --application -", `unknown field "sign-key"`},
		{`{"name":"x"}`, "gov propose rotate --application -", "no member id"},
		{`not json`, "gov propose admit --application -", "application -"},
		{``, "gov propose admit --application -", "empty input"},
		{``, "gov propose admit --application /nonexistent.json", "no such file"},
		{``, "gov propose admit", `required flag(s) "application" not set`},
		{``, "gov propose remove", "accepts 1 arg"},
	} {
		_, _, err := run(t, g, c.stdin, strings.Fields(c.args)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.args, err, c.want)
		}
	}
	if ps, _ := backend.Proposals(t.Context()); len(ps) != 0 {
		t.Errorf("bad input was proposed: %+v", ps)
	}
}

func TestGovProposeRemoveAndRotate(t *testing.T) {
	g, backend := startGovNode(t)
	out := mustRun(t, g, "", "gov", "propose", "remove", apitest.Author)
	if l := lines(out); len(l) != 2 || l[1] != "proposal 1 open: remove_member member-test; voting ends at height 21" {
		t.Errorf("remove output:\n%s", out)
	}
	out = mustRun(t, g, "", "gov", "propose", "rotate", "--application", application(t, apitest.Author, 7))
	if l := lines(out); len(l) != 2 || l[1] != "proposal 2 open: rotate_keys member-test; voting ends at height 22" {
		t.Errorf("rotate output:\n%s", out)
	}
	p, _ := backend.Proposal(t.Context(), 2)
	want := ledger.Rotation{Member: apitest.Author, SignKey: bytes.Repeat([]byte{7}, 32),
		SealKey: bytes.Repeat([]byte{8}, 32), ValidatorKey: bytes.Repeat([]byte{9}, 32)}
	if r := p.Content.Rotation; r == nil || !sameJSON(t, *r, want) || p.Content.Member != nil {
		t.Errorf("rotation %+v", p.Content)
	}
}

func TestGovProposeParams(t *testing.T) {
	g, backend := startGovNode(t)
	_, errOut, err := run(t, g, "", "gov", "propose", "params", "--voting-period", "40", "--approval", "3/4")
	if err != nil || !strings.Contains(errOut, "parameters in force") {
		t.Fatalf("params: %v, stderr %q", err, errOut)
	}
	p, _ := backend.Proposal(t.Context(), 1)
	want := ledger.DefaultParams()
	want.VotingPeriod, want.ApprovalNum, want.ApprovalDen = 40, 3, 4
	if p.Content.Kind != ledger.KindParams || p.Content.Params == nil || *p.Content.Params != want {
		t.Fatalf("proposed %+v", p.Content.Params)
	}

	// A passed update_params proposal is the starting point; the last to
	// pass wins over a newer one that passed earlier, or did not pass.

	for args, msg := range map[string]string{
		"":                              "no parameter to change",
		"--approval 3":                  `invalid --approval "3"`,
		"--quorum 1/0":                  `invalid --quorum "1/0"`,
		"--quorum x/2":                  `invalid --quorum "x/2"`,
		"--approval 1/3":                "below 1/2",
		"--voting-period 0":             "voting_period 0 out of range",
		"--max-tx-bytes many":           "invalid argument",
		"--max-object-bytes 1 --foo 2":  "unknown flag",
		"--approval 2/3 extra-argument": "unknown command",
	} {
		_, _, err := run(t, g, "", append([]string{"gov", "propose", "params"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("params %s: error %v, want %q", args, err, msg)
		}
	}
}

func TestGovVote(t *testing.T) {
	g, backend := startGovNode(t)
	mustRun(t, g, "", "gov", "propose", "remove", apitest.Author)
	out := mustRun(t, g, "", "gov", "vote", "1", "YES")
	if l := lines(out); len(l) != 2 || !govTxLine.MatchString(l[0]) || l[1] != "voted yes on proposal 1 (open; voting ends at height 21)" {
		t.Errorf("vote output:\n%s", out)
	}
	if out := mustRun(t, g, "", "gov", "vote", "1", "abstain", "--no-wait"); !govTxNoWait.MatchString(out) {
		t.Errorf("vote --no-wait output %q", out)
	}
	if p, _ := backend.Proposal(t.Context(), 1); p.Votes[apitest.Author] != ledger.VoteAbstain {
		t.Errorf("votes %v", p.Votes)
	}
	closed := backend.PutProposal(api.ProposalView{Proposal: ledger.Proposal{End: 5, Status: ledger.ProposalRejected}})
	for args, msg := range map[string]string{
		"gov vote 1 maybe": `invalid vote "maybe"`,
		"gov vote one yes": `invalid proposal id "one"`,
		"gov vote 0 yes":   `invalid proposal id "0"`,
		"gov vote 1":       "accepts 2 arg",
		"gov vote 99 no":   "gov vote: vote on proposal 99 rejected: unknown_proposal: no proposal 99",
		"gov vote " + strconv.FormatUint(closed, 10) + " no": "voting_closed",
	} {
		_, _, err := run(t, g, "", strings.Fields(args)...)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", args, err, msg)
		}
	}
	g.JSON = true
	out, _, err := run(t, g, "", "gov", "vote", strconv.FormatUint(closed, 10), "no")
	var res api.GovResult
	if jerr := json.Unmarshal([]byte(out), &res); jerr != nil || res.Transaction.Codename != "voting_closed" || err == nil {
		t.Errorf("vote --json on a closed proposal: %s, %v (%v)", out, err, jerr)
	}
	url := strings.TrimSpace(readFileString(t, filepath.Join(g.Dir, "api.url")))
	reader := &globals{Dir: t.TempDir(), API: url, Token: cliReader}
	if _, _, err := run(t, reader, "", "gov", "vote", "1", "yes"); err == nil || !strings.Contains(err.Error(), "may not admin") {
		t.Errorf("reader voting: %v", err)
	}
}

func TestGovListAndShow(t *testing.T) {
	g, backend := startGovNode(t)
	if out := mustRun(t, g, "", "gov", "list"); strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "ID") {
		t.Errorf("empty list:\n%s", out)
	}
	backend.MembersValue = append(backend.MembersValue,
		api.Member{ID: "member-b", Status: ledger.StatusActive}, api.Member{ID: "member-gone", Status: ledger.StatusRemoved})
	mustRun(t, g, "", "gov", "propose", "admit", "--application", application(t, "newco", 1), "--title", "admit NewCo")
	mustRun(t, g, "", "gov", "vote", "1", "no")
	params := ledger.DefaultParams()
	backend.PutProposal(api.ProposalView{
		Proposal: ledger.Proposal{Proposer: "member-b", Content: ledger.Propose{Kind: ledger.KindParams, Params: &params},
			Height: 3, End: 23, Status: ledger.ProposalPassed, Yes: 2, Abstain: 1, Electors: 3, Result: "executed"},
		Votes: map[string]string{"member-b": "yes", apitest.Author: "yes", "member-c": "abstain"},
	})
	p, _ := backend.Proposal(t.Context(), 1)
	p.Votes["member-gone"] = "yes" // no longer counts
	backend.PutProposal(p)

	out := mustRun(t, g, "", "gov", "list")
	l := lines(out)
	if len(l) != 3 || !regexp.MustCompile(`^ID\s+KIND\s+SUBJECT\s+PROPOSER\s+STATUS\s+VOTES \(Y/N/A OF\)\s+END$`).MatchString(l[0]) ||
		!regexp.MustCompile(`^2\s+update_params\s+params\s+member-b\s+passed\s+2/0/1 of 3\s+23$`).MatchString(l[1]) ||
		!regexp.MustCompile(`^1\s+admit_member\s+newco\s+member-test\s+open\s+0/1/0 of 2\s+21$`).MatchString(l[2]) {
		t.Errorf("list:\n%s", out)
	}

	out = mustRun(t, g, "", "gov", "show", "1")
	for _, re := range []string{
		`(?m)^proposal:\s+1$`, `(?m)^kind:\s+admit_member$`, `(?m)^title:\s+admit NewCo$`, `(?m)^status:\s+open$`,
		`(?m)^ends:\s+height 21$`, `(?m)^votes \(y/n/a of\):\s+0/1/0 of 2$`, `(?m)^member:\s+newco$`,
		`(?m)^sign key:\s+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=$`,
		`(?m)^ballots:\s+member-gone yes, member-test no$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("show 1 lacks %s:\n%s", re, out)
		}
	}
	out = mustRun(t, g, "", "gov", "show", "2")
	for _, re := range []string{`(?m)^status:\s+passed \(executed\)$`, `(?m)^approval:\s+2/3$`, `(?m)^voting period:\s+20 blocks$`, `(?m)^title:\s+-$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("show 2 lacks %s:\n%s", re, out)
		}
	}
	for args, msg := range map[string]string{
		"gov show 9":   "show proposal 9: no proposal 9",
		"gov show x":   `invalid proposal id "x"`,
		"gov show":     "accepts 1 arg",
		"gov list all": "unknown command",
	} {
		if _, _, err := run(t, g, "", strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", args, err, msg)
		}
	}

	g.JSON = true
	var list api.ProposalsResponse
	if err := json.Unmarshal([]byte(mustRun(t, g, "", "gov", "list")), &list); err != nil || len(list.Proposals) != 2 || list.Proposals[0].ID != 2 {
		t.Errorf("list --json: %+v %v", list, err)
	}
	var pv api.ProposalView
	if err := json.Unmarshal([]byte(mustRun(t, g, "", "gov", "show", "1")), &pv); err != nil || pv.Content.Member.ID != "newco" || pv.Votes[apitest.Author] != "no" {
		t.Errorf("show --json: %+v %v", pv, err)
	}
}

// readFileString returns the contents of the file at path.
func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// TestGovWalkthrough runs governance on a real single-member node: propose
// shorter voting, vote, drive blocks until the tally, and propose again
// from the parameters that passed.
func TestGovWalkthrough(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	startUp(t, dir, "--no-sample")

	out, errOut, code := runCLI(t, "", "gov", "propose", "params", "--voting-period", "3", "--title", "faster", "--dir", dir)
	l := lines(out)
	m := regexp.MustCompile(`^proposal 1 open: update_params params; voting ends at height (\d+)$`).FindStringSubmatch(l[len(l)-1])
	if code != 0 || len(l) != 2 || !govTxLine.MatchString(l[0]) || m == nil || !strings.Contains(errOut, "parameters in force") {
		t.Fatalf("propose params: exit %d\n%s%s", code, out, errOut)
	}
	if out := mustRunCLI(t, "", "gov", "vote", "1", "yes", "--dir", dir); !strings.Contains(out, "voted yes on proposal 1 (open;") {
		t.Fatalf("vote output:\n%s", out)
	}
	c, err := (&globals{Dir: dir}).client()
	if err != nil {
		t.Fatal(err)
	}
	// Each vote makes a block; keep voting until the tally closes it.
	for i := 0; ; i++ {
		p, err := c.Proposal(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != ledger.ProposalOpen {
			break
		}
		if i == 40 {
			t.Fatalf("proposal still open after %d blocks: %+v", i, p)
		}
		if _, err := c.Vote(t.Context(), 1, ledger.VoteYes, true); err != nil && !strings.Contains(err.Error(), "voting_closed") {
			t.Fatal(err)
		}
	}
	list := mustRunCLI(t, "", "gov", "list", "--dir", dir)
	if !regexp.MustCompile(`(?m)^1\s+update_params\s+params\s+member1\s+passed\s+1/0/0 of 1\s+` + m[1] + `$`).MatchString(list) {
		t.Errorf("list:\n%s", list)
	}
	show := mustRunCLI(t, "", "gov", "show", "1", "--dir", dir)
	if !regexp.MustCompile(`(?m)^status:\s+passed \(executed\)$`).MatchString(show) ||
		!regexp.MustCompile(`(?m)^ballots:\s+member1 yes$`).MatchString(show) {
		t.Errorf("show:\n%s", show)
	}

	var inForce ledger.Params
	if err := json.Unmarshal([]byte(mustRunCLI(t, "", "gov", "params", "--dir", dir)), &inForce); err != nil || inForce.VotingPeriod != 3 {
		t.Fatalf("gov params after the tally: %+v %v", inForce, err)
	}
	mustRunCLIStderr(t, "gov", "propose", "params", "--max-objects-per-tx", "500", "--dir", dir)
	p, err := c.Proposal(t.Context(), 2)
	if err != nil || p.Content.Params == nil || p.Content.Params.VotingPeriod != 3 || p.Content.Params.MaxObjectsPerTx != 500 || p.End != p.Height+3 {
		t.Errorf("proposal 2: %+v %+v, %v", p, p.Content.Params, err)
	}

	_, errOut, code = runCLI(t, "", "gov", "propose", "remove", "member1", "--dir", dir)
	if code == 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "bad_proposal") || !strings.Contains(errOut, "last active member") {
		t.Errorf("removing the last member: exit %d, stderr %q", code, errOut)
	}
}

// mustRunCLIStderr runs the binary and returns stdout and stderr, failing
// on a non-zero exit.
func mustRunCLIStderr(t *testing.T, args ...string) (string, string) {
	t.Helper()
	out, errOut, code := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("phalanx %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out, errOut
}
