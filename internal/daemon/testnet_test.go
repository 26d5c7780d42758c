package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
)

func TestInitTestnet(t *testing.T) {
	root := t.TempDir()
	dirs, err := InitTestnet(root, 4, TestnetOptions{ChainID: "phalanx-testnet", Sectors: []string{"energy"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 4 {
		t.Fatalf("%d dirs", len(dirs))
	}
	genesis, err := os.ReadFile(genesisPath(dirs[0]))
	if err != nil {
		t.Fatal(err)
	}
	checkTestnetGenesis(t, genesis)
	ports := map[string]string{}
	for i, dir := range dirs {
		if want := filepath.Join(root, "member"+string(rune('1'+i))); dir != want {
			t.Fatalf("dir %d is %s, want %s", i, dir, want)
		}
		if b, err := os.ReadFile(genesisPath(dir)); err != nil || !bytes.Equal(b, genesis) {
			t.Fatalf("%s: genesis differs from member1's (%v)", dir, err)
		}
		c, err := LoadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.Member != "member"+string(rune('1'+i)) || c.ChainID != "phalanx-testnet" || c.TimeoutCommit != "100ms" {
			t.Fatalf("%s: config %+v", dir, c)
		}
		for _, addr := range []string{strings.TrimPrefix(c.P2PListen, "tcp://"), c.APIListen} {
			if !strings.HasPrefix(addr, "127.0.0.1:") || ports[addr] != "" {
				t.Fatalf("%s: address %s (already used by %q)", dir, addr, ports[addr])
			}
			ports[addr] = dir
		}
		checkPeers(t, c, dirs)
		for _, f := range []string{KeyFile, "cometbft/config/priv_validator_key.json", "cometbft/config/node_key.json"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("%s/%s: %v, mode %v", dir, f, err, st.Mode())
			}
		}
	}
	if got, err := TestnetMembers(root); err != nil || !equalStrings(got, dirs) {
		t.Fatalf("TestnetMembers = %v, %v", got, err)
	}
}

func checkTestnetGenesis(t *testing.T, b []byte) {
	t.Helper()
	var doc struct {
		ChainID    string `json:"chain_id"`
		Validators []struct {
			Power string `json:"power"`
			Name  string `json:"name"`
		} `json:"validators"`
		AppState json.RawMessage `json:"app_state"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	g, err := ledger.ParseGenesis(doc.AppState)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ChainID != "phalanx-testnet" || len(doc.Validators) != 4 || len(g.Members) != 4 {
		t.Fatalf("genesis: chain %q, %d validators, %d members", doc.ChainID, len(doc.Validators), len(g.Members))
	}
	for i, m := range g.Members {
		v := doc.Validators[i]
		if m.ID != v.Name || v.Power != "10" || m.Power != 10 || m.Name != "Member "+string(rune('1'+i)) ||
			len(m.ValidatorKey) != 32 || !equalStrings(m.Sectors, []string{"energy"}) {
			t.Fatalf("genesis member %d: %+v, validator %+v", i, m, v)
		}
	}
}

// checkPeers: a member's persistent peers are exactly the other members'
// nodes, by node id at their p2p addresses.
func checkPeers(t *testing.T, c Config, dirs []string) {
	t.Helper()
	var want []string
	for _, dir := range dirs {
		o, err := LoadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, id, err := node.InitHome(filepath.Join(dir, cometDir)) // keeps and reads the existing keys
		if err != nil {
			t.Fatal(err)
		}
		if o.Member != c.Member {
			want = append(want, id+"@"+strings.TrimPrefix(o.P2PListen, "tcp://"))
		}
	}
	if got := strings.Split(c.Peers, ","); len(got) != 3 || !equalStrings(got, want) {
		t.Fatalf("%s: peers %q, want %q", c.Member, got, want)
	}
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestInitTestnetRefuses(t *testing.T) {
	root := t.TempDir()
	for _, n := range []int{0, -1, MaxTestnetMembers + 1} {
		if _, err := InitTestnet(root, n, TestnetOptions{}); err == nil {
			t.Fatalf("InitTestnet(%d) succeeded", n)
		}
	}
	os.MkdirAll(filepath.Join(root, "member2"), 0o700)
	if _, err := InitTestnet(root, 3, TestnetOptions{}); err == nil || !strings.Contains(err.Error(), "member2") {
		t.Fatalf("InitTestnet over an existing member2: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "member1")); err == nil {
		t.Fatal("a refused InitTestnet left member1 behind")
	}
	if _, err := TestnetMembers(root); err == nil {
		t.Fatal("TestnetMembers found members in a directory without any")
	}
}

// TestTestnetInProcess runs a four-member testnet in this process: what
// one member publishes, the others serve, at the same app hash.
func TestTestnetInProcess(t *testing.T) {
	dirs, err := InitTestnet(t.TempDir(), 4, TestnetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*testNode, len(dirs))
	for i, dir := range dirs {
		nodes[i] = startNode(t, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitCaughtUp(ctx, t, nodes)
	res := nodes[0].publish(indicators(0, 5, "2026-01-01T00:00:00.000Z"))
	id := res.Transactions[0].Objects[0]
	for _, n := range nodes[1:] {
		for {
			v, err := n.cli.Get(ctx, id)
			if err == nil {
				if v.Author != "member1" {
					t.Fatalf("%s: %s by %q", n.d.Member(), id, v.Author)
				}
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s never served %s: %v", n.d.Member(), id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitSameHeight(ctx, t, nodes)
}

// waitCaughtUp waits until every node has left block sync and joined
// consensus (before that its mempool takes no transactions).
func waitCaughtUp(ctx context.Context, t *testing.T, nodes []*testNode) {
	t.Helper()
	for _, n := range nodes {
		for {
			st, err := n.cli.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !st.CatchingUp {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s still catching up", n.d.Member())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// waitSameHeight waits until every node reports the same height and
// fails unless they then agree on the app hash.
func waitSameHeight(ctx context.Context, t *testing.T, nodes []*testNode) {
	t.Helper()
	for {
		heights, hashes := map[int64]bool{}, map[string]bool{}
		for _, n := range nodes {
			st, err := n.cli.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			heights[st.Height], hashes[st.AppHash] = true, true
		}
		if len(heights) == 1 {
			if len(hashes) != 1 {
				t.Fatalf("nodes at one height disagree on the app hash: %v", hashes)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("nodes never reached one height: %v", heights)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
