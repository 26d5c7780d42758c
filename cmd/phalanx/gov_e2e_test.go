package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// TestAdmitAndRemoveByVote: an organisation prepares to join with
// `init --join`, its node syncs the chain from the four members, the members
// admit it by vote and it starts validating — shown by stopping one of the
// original four: 4 of 5 validators still commit, which 3 of 5 could not.
// Then a member removed by vote has its transactions rejected.
func TestAdmitAndRemoveByVote(t *testing.T) {
	root := t.TempDir()
	p := ledger.DefaultParams()
	p.VotingPeriod = 8 // blocks: enough for the votes, cast in parallel
	dirs, err := daemon.InitTestnet(root, 4, daemon.TestnetOptions{Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	ms := make([]*testnetMember, 4)
	for i, dir := range dirs {
		ms[i] = &testnetMember{id: "member" + strconv.Itoa(i+1), dir: dir}
		ms[i].start(t)
	}
	waitCaughtUp(t, ms...)

	// The newcomer: keys and application, then genesis and peers.
	newDir := filepath.Join(root, "newcomer")
	var app daemon.Application
	out := mustRunCLI(t, "", "init", "--join", "--dir", newDir, "--member", "member5", "--name", "Member 5",
		"--sector", "energy", "--listen", "127.0.0.1:0", "--contact", "soc@member5.example")
	if err := json.Unmarshal([]byte(out), &app); err != nil || app.ID != "member5" {
		t.Fatalf("init --join printed %q: %v", out, err)
	}
	mustRunCLI(t, "", "join", "--dir", newDir, "--genesis", filepath.Join(dirs[0], "cometbft", "config", "genesis.json"),
		"--peers", peersOf(t, ms...))
	m5 := &testnetMember{id: "member5", dir: newDir}
	m5.start(t)
	_, h := publish(t, ms[0], 5_000_000, 5)
	waitCaughtUp(t, m5)
	waitAgree(t, h, 30*time.Second, append(ms, m5)...)
	if st := ms[0].status(t); st.Validators != 4 {
		t.Fatalf("validators before admission: %d", st.Validators)
	}

	// Admission by vote: 3 of 4 yes is more than two thirds.
	mustRunCLI(t, "", "gov", "propose", "admit", "--application", filepath.Join(newDir, daemon.ApplicationFile), "--dir", dirs[0])
	voteAll(t, 1, ms[:3]...)
	poll(t, 60*time.Second, "member5 to become a validator", func() bool { return ms[0].status(t).Validators == 5 })
	requireProposal(t, ms[1], 1, ledger.ProposalPassed, 3)
	requireMember(t, m5, "member5", ledger.StatusActive, 10)

	// member5 takes part in consensus: without member4, 4 of 5 commit.
	ms[3].up.interrupt(t)
	_, h = publish(t, ms[0], 5_100_000, 5)
	waitAgree(t, h, 30*time.Second, ms[0], ms[1], ms[2], m5)

	// Removal by vote: member4 is out; its transactions are rejected.
	mustRunCLI(t, "", "gov", "propose", "remove", "member4", "--dir", dirs[1])
	voteAll(t, 2, ms[0], ms[1], ms[2], m5)
	poll(t, 60*time.Second, "member4 to be removed", func() bool { return ms[0].status(t).Validators == 4 })
	requireProposal(t, m5, 2, ledger.ProposalPassed, 4)
	ms[3].start(t)
	waitCaughtUp(t, ms[3])
	for _, m := range []*testnetMember{ms[0], ms[3], m5} {
		requireMember(t, m, "member4", ledger.StatusRemoved, 0)
	}
	_, errOut, code := runCLI(t, indicatorBundle(5_200_000, 1), "publish", "-", "--dir", ms[3].dir)
	if code == 0 || !strings.Contains(errOut, "removed") {
		t.Fatalf("publish by the removed member: exit %d, %q", code, errOut)
	}
}

// voteAll has every member vote yes at once, so that the votes land in the
// first blocks of the voting period.
func voteAll(t *testing.T, id int, ms ...*testnetMember) {
	t.Helper()
	// A member can vote once its own node has committed the proposal.
	for _, m := range ms {
		poll(t, 30*time.Second, m.id+" to see proposal "+strconv.Itoa(id), func() bool {
			_, _, code := runCLI(t, "", "gov", "show", strconv.Itoa(id), "--dir", m.dir)
			return code == 0
		})
	}
	errc := make(chan string, len(ms))
	for _, m := range ms {
		go func() {
			_, errOut, code := runCLIQuiet(strconv.Itoa(id), m.dir)
			if code != 0 {
				errOut = m.id + ": " + errOut
			} else {
				errOut = ""
			}
			errc <- errOut
		}()
	}
	for range ms {
		if e := <-errc; e != "" {
			t.Fatalf("vote on %d: %s", id, e)
		}
	}
}

// runCLIQuiet runs `phalanx gov vote ID yes --dir DIR` without a *testing.T
// (it runs on other goroutines).
func runCLIQuiet(id, dir string) (string, string, int) {
	cmd := exec.Command(binary, "gov", "vote", id, "yes", "--dir", dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		return out.String(), err.Error(), -1
	}
	return out.String(), errb.String(), 0
}

// peersOf lists the members' nodes as NODE_ID@HOST:PORT.
func peersOf(t *testing.T, ms ...*testnetMember) string {
	t.Helper()
	var peers []string
	for _, m := range ms {
		c, err := daemon.LoadConfig(m.dir)
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, m.status(t).NodeID+"@"+strings.TrimPrefix(c.P2PListen, "tcp://"))
	}
	return strings.Join(peers, ",")
}

func requireProposal(t *testing.T, m *testnetMember, id int, status string, yes int64) {
	t.Helper()
	var p api.ProposalView
	if err := json.Unmarshal([]byte(mustRunCLI(t, "", "gov", "show", strconv.Itoa(id), "--json", "--dir", m.dir)), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != status || p.Yes != yes {
		t.Fatalf("proposal %d on %s: %+v", id, m.id, p)
	}
}

func requireMember(t *testing.T, on *testnetMember, id, status string, power int64) {
	t.Helper()
	var members []api.Member
	if err := json.Unmarshal([]byte(mustRunCLI(t, "", "members", "--json", "--dir", on.dir)), &members); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.ID == id {
			if m.Status != status || m.Power != power {
				t.Fatalf("%s on %s: %+v", id, on.id, m)
			}
			return
		}
	}
	t.Fatalf("%s not in the directory of %s", id, on.id)
}
