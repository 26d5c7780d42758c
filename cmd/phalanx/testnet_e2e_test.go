package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// The testnet tests run four members on loopback, each a separate
// `phalanx up` process (`testnet up` in TestTestnetCLI), so that one can be
// killed without the others noticing anything but a lost peer.

// testnetMember is one member of a testnet and its running node.
type testnetMember struct {
	id  string
	dir string
	up  *upProcess
	cli *client.Client
}

// startTestnet creates an n-member testnet and runs every member with
// `phalanx up`; it returns once all have joined consensus.
func startTestnet(t *testing.T, n int) []*testnetMember {
	t.Helper()
	dirs, err := daemon.InitTestnet(t.TempDir(), n, daemon.TestnetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ms := make([]*testnetMember, n)
	for i, dir := range dirs {
		ms[i] = &testnetMember{id: "member" + strconv.Itoa(i+1), dir: dir}
		ms[i].start(t)
	}
	waitCaughtUp(t, ms...)
	return ms
}

// start runs the member's node; the test's cleanup kills it if it still
// runs then.
func (m *testnetMember) start(t *testing.T) {
	t.Helper()
	m.up = startUp(t, m.dir, "--no-sample")
	m.cli = localClient(t, m.dir)
}

func (m *testnetMember) status(t *testing.T) api.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := m.cli.Status(ctx)
	if err != nil {
		t.Fatalf("%s: status: %v", m.id, err)
	}
	return st
}

// poll calls cond every 50 ms until it returns true; it fails the test
// after timeout, saying what it waited for.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !within(timeout, cond) {
		t.Fatalf("after %v: still waiting for %s", timeout, what)
	}
}

// within calls cond every 50 ms until it returns true (within reports
// true) or timeout passes (false).
func within(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// waitCaughtUp waits until every member has left block sync and joined
// consensus: before that, its mempool takes no transactions.
func waitCaughtUp(t *testing.T, ms ...*testnetMember) {
	t.Helper()
	for _, m := range ms {
		poll(t, 30*time.Second, m.id+" to catch up", func() bool { return !m.status(t).CatchingUp })
	}
}

// waitAgree waits until every member reports the same height, at least
// minHeight, with all its records projected, and fails unless they agree
// on the app hash there.
func waitAgree(t *testing.T, minHeight int64, timeout time.Duration, ms ...*testnetMember) api.Status {
	t.Helper()
	var last []api.Status
	agreed := within(timeout, func() bool {
		last = last[:0]
		for _, m := range ms {
			last = append(last, m.status(t))
		}
		for _, st := range last {
			// Projected: the follower applies a block's records to SQLite
			// after the commit, so on a loaded machine a member's queries
			// can lag its ledger; checkReplicas reads the projection.
			if st.Height < minHeight || st.Height != last[0].Height || st.Projected < st.Records {
				return false
			}
		}
		return true
	})
	if !agreed {
		t.Fatalf("after %v: members not at one height ≥ %d: %s", timeout, minHeight, heights(last))
	}
	for _, st := range last[1:] {
		if st.AppHash != last[0].AppHash || st.Records != last[0].Records {
			t.Fatalf("members diverge at height %d: %s", last[0].Height, heights(last))
		}
	}
	return last[0]
}

func heights(sts []api.Status) string {
	parts := make([]string, len(sts))
	for i, st := range sts {
		parts[i] = fmt.Sprintf("%s@%d:%.8s", st.Member, st.Height, st.AppHash)
	}
	return strings.Join(parts, " ")
}

// versions returns how often each object version (id@version) is stored
// on the member.
func versions(t *testing.T, m *testnetMember) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen := map[string]int{}
	for v, err := range m.cli.SearchAll(ctx, projection.Query{AllVersions: true, Limit: 1000}) {
		if err != nil {
			t.Fatalf("%s: search: %v", m.id, err)
		}
		seen[v.ID+"@"+v.Version]++
	}
	return seen
}

// checkReplicas fails unless every member stores each committed object
// exactly once and all members store the same versions.
func checkReplicas(t *testing.T, committed map[string]bool, ms ...*testnetMember) {
	t.Helper()
	first := versions(t, ms[0])
	for _, m := range ms {
		got := first
		if m != ms[0] {
			got = versions(t, m)
		}
		for key, n := range got {
			if n != 1 {
				t.Fatalf("%s stores %s %d times", m.id, key, n)
			}
			if first[key] != 1 {
				t.Fatalf("%s stores %s, %s does not", m.id, key, ms[0].id)
			}
		}
		if len(got) != len(first) {
			t.Fatalf("%s stores %d versions, %s %d", m.id, len(got), ms[0].id, len(first))
		}
		for id := range committed {
			if got[id+"@2026-05-01T00:00:00Z"] != 1 {
				t.Fatalf("%s lacks %s, reported committed", m.id, id)
			}
		}
	}
}

// publish publishes n fresh indicators on m, waits for their commit and
// returns their ids and the highest commit height.
func publish(t *testing.T, m *testnetMember, from, n int) ([]string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := m.cli.Publish(ctx, []byte(indicatorBundle(from, n)), true)
	if err != nil {
		t.Fatalf("%s: publish: %v", m.id, err)
	}
	var ids []string
	var height int64
	for _, tr := range res.Transactions {
		if tr.Code != 0 || !tr.Committed() {
			t.Fatalf("%s: tx %s: %s %s (height %d)", m.id, tr.TxHash, tr.Codename, tr.Log, tr.Height)
		}
		ids, height = append(ids, tr.Objects...), max(height, tr.Height)
	}
	return ids, height
}

// TestTestnetReplicates: what one member publishes, every other member
// serves, and all four reach the same app hash.
func TestTestnetReplicates(t *testing.T) {
	ms := startTestnet(t, 4)
	ids, h := publish(t, ms[0], 1_000_000, 10)
	for _, m := range ms[1:] {
		for _, id := range ids {
			poll(t, 20*time.Second, m.id+" to serve "+id, func() bool {
				v, err := m.cli.Get(context.Background(), id)
				return err == nil && v.Author == "member1"
			})
		}
	}
	st := waitAgree(t, h, 20*time.Second, ms...)
	if st.Validators != 4 || st.Records != 10 {
		t.Fatalf("status %+v: want 4 validators, 10 records", st)
	}
	members, err := ms[3].cli.Members(context.Background())
	if err != nil || len(members) != 4 {
		t.Fatalf("members: %v %v", members, err)
	}
}

// publisher publishes bundles of 20 on one member, one after another
// with wait, and records what was reported committed.
type publisher struct {
	stopping  atomic.Bool
	done      chan struct{}
	mu        sync.Mutex
	committed map[string]bool
	err       error
}

func startPublisher(m *testnetMember, from int) *publisher {
	p := &publisher{committed: map[string]bool{}, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for i := 0; !p.stopping.Load(); i++ {
			if err := p.publishOne(m, from+20*i); err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
				return
			}
		}
	}()
	return p
}

func (p *publisher) publishOne(m *testnetMember, from int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := m.cli.Publish(ctx, []byte(indicatorBundle(from, 20)), true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tr := range res.Transactions {
		if tr.Committed() && tr.Code == 0 {
			for _, id := range tr.Objects {
				p.committed[id] = true
			}
		}
	}
	return err
}

// finish lets the publish in flight complete, stops, and returns what was
// committed; it fails the test if a publish failed.
func (p *publisher) finish(t *testing.T) map[string]bool {
	t.Helper()
	p.stopping.Store(true)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		t.Fatalf("publishing: %v", p.err)
	}
	return p.committed
}

// TestTestnetKill9: kill -9 one member while another publishes: the other
// three keep committing; restarted, it catches up to the same app hash and
// every member stores each committed object exactly once.
func TestTestnetKill9(t *testing.T) {
	ms := startTestnet(t, 4)
	pub := startPublisher(ms[0], 2_000_000)
	t.Cleanup(func() { pub.stopping.Store(true); <-pub.done })
	poll(t, 20*time.Second, "publishing to get going", func() bool { return ms[0].status(t).Records >= 40 })

	victim, alive := ms[2], []*testnetMember{ms[0], ms[1], ms[3]}
	victim.up.kill9(t)
	h := ms[0].status(t).Height
	for _, m := range alive {
		poll(t, 20*time.Second, m.id+" to commit past height "+strconv.FormatInt(h+2, 10)+" without "+victim.id,
			func() bool { return m.status(t).Height > h+2 })
	}
	restart := ms[0].status(t).Height
	victim.start(t)
	poll(t, 30*time.Second, fmt.Sprintf("%s to catch up and commit past height %d", victim.id, restart), func() bool {
		st := victim.status(t)
		return !st.CatchingUp && st.Height > restart
	})
	committed := pub.finish(t)
	t.Logf("%d objects committed; %s killed at height %d, restarted at %d", len(committed), victim.id, h, restart)
	st := waitAgree(t, 0, 30*time.Second, ms...)
	if int(st.Records) != len(committed) {
		t.Fatalf("ledger holds %d records, %d reported committed", st.Records, len(committed))
	}
	checkReplicas(t, committed, ms...)
}

// TestTestnetNoQuorum: with two of four validators stopped (half the
// power, short of two thirds) nothing commits and the two survivors stay
// equal; when one comes back, the pending publish commits and nothing
// committed before is lost.
func TestTestnetNoQuorum(t *testing.T) {
	ms := startTestnet(t, 4)
	before, h := publish(t, ms[0], 3_000_000, 20)
	waitAgree(t, h, 20*time.Second, ms...)
	ms[2].up.interrupt(t)
	ms[3].up.interrupt(t)
	survivors := ms[:2]
	// A block the four had already agreed on (e.g. an empty one) may still
	// commit on the survivors; from the moment both agree after the stop,
	// nothing may change.
	var st api.Status
	poll(t, 10*time.Second, "the survivors to agree after the stop", func() bool {
		a, b := ms[0].status(t), ms[1].status(t)
		st = a
		return a.Height == b.Height && a.AppHash == b.AppHash
	})

	// The node waits 90% of this (7.2 s) for the commit, then answers 503
	// with the pending transaction; the rest is slack for a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	res, err := ms[0].cli.Publish(ctx, []byte(indicatorBundle(3_100_000, 5)), true)
	cancel()
	if errs.CodeOf(err) != errs.Unavailable || len(res.Transactions) != 1 || res.Transactions[0].Committed() {
		t.Fatalf("publish without quorum: %+v, %v; want it pending (unavailable)", res, err)
	}
	for _, m := range survivors {
		if got := m.status(t); got.Height != st.Height || got.AppHash != st.AppHash {
			t.Fatalf("%s moved without quorum: %s, was %s", m.id, heights([]api.Status{got}), heights([]api.Status{st}))
		}
	}

	ms[2].start(t)
	pending := res.Transactions[0].TxHash
	poll(t, 45*time.Second, "the pending publish to commit", func() bool {
		out, err := ms[0].cli.Outcome(context.Background(), pending)
		if err == nil && out.Code != 0 {
			t.Fatalf("the pending publish was rejected: %+v", out)
		}
		return err == nil && out.Height > 0
	})
	after, h := publish(t, ms[1], 3_200_000, 5)
	live := ms[:3]
	waitAgree(t, h, 30*time.Second, live...)
	committed := map[string]bool{}
	for _, id := range slices.Concat(before, res.Transactions[0].Objects, after) {
		committed[id] = true
	}
	checkReplicas(t, committed, live...)
}

// TestTestnetCLI: `testnet 4` makes four member directories; `testnet up`
// runs them as four processes, prints where each serves, and stops them
// all on Ctrl-C.
func TestTestnetCLI(t *testing.T) {
	root := filepath.Join(t.TempDir(), "net")
	out := mustRunCLI(t, "", "testnet", "4", "--dir", root)
	dirs := strings.Fields(out)
	for i, d := range dirs {
		if d != daemon.TestnetMemberDir(root, i+1) {
			t.Fatalf("testnet 4 printed %q", out)
		}
	}
	if len(dirs) != 4 {
		t.Fatalf("testnet 4 printed %q", out)
	}
	if _, errOut, code := runCLI(t, "", "testnet", "4", "--dir", root); code == 0 || !strings.Contains(errOut, "exists") {
		t.Fatalf("testnet 4 over an existing testnet: exit %d, %q", code, errOut)
	}

	up, nodes := startTestnetUp(t, root)
	for i, n := range nodes {
		c, err := daemon.LoadConfig(dirs[i])
		if err != nil {
			t.Fatal(err)
		}
		if n.member != c.Member || n.api != "http://"+c.APIListen || n.dir != dirs[i] || !strings.HasPrefix(n.token, "phx_") {
			t.Fatalf("testnet up printed %+v for %s (config %+v)", n, dirs[i], c)
		}
	}
	if !strings.Contains(up.output(), "member3: phalanx node \"member3\" up") {
		t.Fatalf("members' output is not prefixed:\n%s", up.output())
	}
	m1 := &testnetMember{id: "member1", cli: nodeClient(t, nodes[0])}
	m4 := &testnetMember{id: "member4", cli: nodeClient(t, nodes[3])}
	waitCaughtUp(t, m1, m4)
	ids, _ := publish(t, m1, 4_000_000, 3)
	poll(t, 20*time.Second, "member4 to serve what member1 published", func() bool {
		_, err := m4.cli.Get(context.Background(), ids[2])
		return err == nil
	})
	st := mustRunCLI(t, "", "status", "--dir", dirs[1])
	if !strings.Contains(st, "member2") {
		t.Fatalf("status --dir member2 printed %q", st)
	}

	up.interrupt(t) // fails unless it exits 0
	for _, n := range nodes {
		if err := syscall.Kill(n.pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Fatalf("%s (pid %d) still runs after testnet up stopped: %v", n.member, n.pid, err)
		}
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(n.api, "http://"), time.Second); err == nil {
			c.Close()
			t.Fatalf("%s API %s still answers", n.member, n.api)
		}
	}
}

// testnetNode is a line of `testnet up` output.
type testnetNode struct {
	member, api, token, dir string
	pid                     int
}

var testnetReady = regexp.MustCompile(`(?m)^` + readyLine + `$`)

var testnetLine = regexp.MustCompile(`(?m)^(member[0-9]+)  API (\S+)  token (\S+)  pid ([0-9]+)  dir (.+)$`)

// startTestnetUp runs `phalanx testnet up` and waits until it reports
// every member up. If the test ends with it still running, cleanup
// interrupts it, and kills it and the members it printed if they linger.
func startTestnetUp(t *testing.T, root string) (*upProcess, []testnetNode) {
	t.Helper()
	p := spawn(t, "testnet", "up", "--dir", root)
	var nodes []testnetNode
	t.Cleanup(func() { stopTestnetUp(p, nodes) })
	poll(t, 90*time.Second, "testnet up to report its members", func() bool {
		select {
		case err := <-p.done:
			t.Fatalf("testnet up exited: %v\n%s", err, p.output())
		default:
		}
		return testnetReady.MatchString(p.output())
	})
	for _, m := range testnetLine.FindAllStringSubmatch(p.output(), -1) {
		pid, _ := strconv.Atoi(m[4])
		nodes = append(nodes, testnetNode{member: m[1], api: m[2], token: m[3], pid: pid, dir: m[5]})
	}
	if len(nodes) != 4 {
		t.Fatalf("testnet up reported %d members:\n%s", len(nodes), p.output())
	}
	return p, nodes
}

// stopTestnetUp is startTestnetUp's cleanup: Ctrl-C, then kill -9 of the
// testnet process and of every member it reported, should it not stop.
func stopTestnetUp(p *upProcess, nodes []testnetNode) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		if err == nil {
			return
		}
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	for _, n := range nodes {
		syscall.Kill(n.pid, syscall.SIGKILL)
	}
}

func nodeClient(t *testing.T, n testnetNode) *client.Client {
	t.Helper()
	c, err := client.New(n.api, n.token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
