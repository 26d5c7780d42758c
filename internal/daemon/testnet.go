package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// MaxTestnetMembers is the largest network InitTestnet creates.
const MaxTestnetMembers = 64

// DefaultTestnetTimeoutCommit is the pause after each commit in a
// testnet: short, but long enough for the votes of several validators on
// one machine to arrive before the next height starts.
const DefaultTestnetTimeoutCommit = 100 * time.Millisecond

// TestnetOptions describe a network of several members on one machine.
type TestnetOptions struct {
	ChainID       string         // default "phalanx-" + random hex
	Sectors       []string       // sectors of every member
	Regions       []string       // regions of every member
	TimeoutCommit time.Duration  // default DefaultTestnetTimeoutCommit
	Params        *ledger.Params // community parameters in genesis; nil: ledger.DefaultParams
}

// TestnetMemberDir is the data directory of the k-th member (from 1) of
// the testnet in dir.
func TestnetMemberDir(dir string, k int) string {
	return filepath.Join(dir, "member"+strconv.Itoa(k))
}

// InitTestnet creates an n-member network on this machine under dir and
// returns the members' data directories, dir/member1 … dir/memberN. Each
// is a normal data directory (usable with any command's --dir): member
// keys, a CometBFT home, phalanx.json with its own free 127.0.0.1 ports
// for p2p and the API, and the others as persistent peers. All share one
// genesis naming every member as a validator of power 10, byte for byte
// the same file in every home. Member k has id "memberK" and name
// "Member K". Nothing is left behind if it fails.
func InitTestnet(dir string, n int, o TestnetOptions) (dirs []string, err error) {
	if n < 1 || n > MaxTestnetMembers {
		return nil, fmt.Errorf("testnet of %d members: want 1 to %d", n, MaxTestnetMembers)
	}
	o = o.withDefaults()
	dirs = make([]string, n)
	for i := range dirs {
		dirs[i] = TestnetMemberDir(dir, i+1)
		if _, err := os.Lstat(dirs[i]); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s already exists: choose another directory for the testnet", dirs[i])
		}
	}
	defer func() {
		if err != nil {
			for _, d := range dirs {
				os.RemoveAll(d)
			}
		}
	}()
	members, nodeIDs, err := newTestnetMembers(dirs, o)
	if err != nil {
		return nil, err
	}
	if err := shareGenesis(dirs, o.ChainID, members, o.Params); err != nil {
		return nil, err
	}
	if err := saveTestnetConfigs(dirs, o, nodeIDs); err != nil {
		return nil, err
	}
	return dirs, nil
}

func (o TestnetOptions) withDefaults() TestnetOptions {
	o.ChainID = InitOptions{ChainID: o.ChainID}.withDefaults().ChainID
	if o.TimeoutCommit <= 0 {
		o.TimeoutCommit = DefaultTestnetTimeoutCommit
	}
	return o
}

// newTestnetMembers creates keys and CometBFT homes in dirs and returns
// the members and their p2p node ids.
func newTestnetMembers(dirs []string, o TestnetOptions) ([]ledger.Member, []string, error) {
	members := make([]ledger.Member, len(dirs))
	nodeIDs := make([]string, len(dirs))
	for i, dir := range dirs {
		mo := InitOptions{Member: "member" + strconv.Itoa(i+1), Name: "Member " + strconv.Itoa(i+1),
			Sectors: o.Sectors, Regions: o.Regions, ChainID: o.ChainID}.withDefaults()
		m, id, err := newMember(dir, mo)
		if err != nil {
			return nil, nil, fmt.Errorf("testnet member %d: %w", i+1, err)
		}
		members[i], nodeIDs[i] = m, id
	}
	return members, nodeIDs, nil
}

// shareGenesis writes the genesis file once, into the first home, and
// copies its bytes into every other home: CometBFT wants the very same
// file on every node.
func shareGenesis(dirs []string, chainID string, members []ledger.Member, params *ledger.Params) error {
	if err := writeGenesis(dirs[0], chainID, members, params); err != nil {
		return err
	}
	b, err := os.ReadFile(genesisPath(dirs[0]))
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	for _, dir := range dirs[1:] {
		if err := os.WriteFile(genesisPath(dir), b, 0o644); err != nil {
			return fmt.Errorf("copy genesis: %w", err)
		}
	}
	return nil
}

// genesisPath is where the CometBFT home of data directory dir keeps the
// genesis file (CometBFT's default place, as node.WriteGenesis uses).
func genesisPath(dir string) string {
	return filepath.Join(dir, cometDir, "config", "genesis.json")
}

// saveTestnetConfigs picks distinct free loopback ports for every
// member's p2p and API listeners and writes each phalanx.json, naming
// every other member's node as a persistent peer.
func saveTestnetConfigs(dirs []string, o TestnetOptions, nodeIDs []string) error {
	ports, err := freeLoopbackPorts(2 * len(dirs))
	if err != nil {
		return err
	}
	p2p, api := ports[:len(dirs)], ports[len(dirs):]
	for i, dir := range dirs {
		peers := make([]string, 0, len(dirs)-1)
		for j := range dirs {
			if j != i {
				peers = append(peers, nodeIDs[j]+"@"+p2p[j])
			}
		}
		c := Config{Member: "member" + strconv.Itoa(i+1), ChainID: o.ChainID, APIListen: api[i],
			P2PListen: "tcp://" + p2p[i], Peers: strings.Join(peers, ","),
			TimeoutCommit: o.TimeoutCommit.String(), EmptyBlocks: DefaultEmptyBlocks}
		if err := c.validate(); err != nil {
			return err
		}
		if err := c.save(dir); err != nil {
			return fmt.Errorf("save %s: %w", filepath.Join(dir, ConfigFile), err)
		}
	}
	return nil
}

// freeLoopbackPorts returns n distinct free 127.0.0.1 addresses: it holds
// every listener open until all are chosen, so none is picked twice.
func freeLoopbackPorts(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// TestnetMembers returns the initialised member data directories of the
// testnet in dir (dir/member1, dir/member2, …), in member order.
func TestnetMembers(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read testnet directory: %w", err)
	}
	var nums []int
	for _, e := range entries {
		k, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "member"))
		if err == nil && k > 0 && e.IsDir() && e.Name() == "member"+strconv.Itoa(k) && Initialized(filepath.Join(dir, e.Name())) {
			nums = append(nums, k)
		}
	}
	if len(nums) == 0 {
		return nil, fmt.Errorf("%s holds no testnet (no initialised member1, member2, …); create one with \"phalanx testnet N\"", dir)
	}
	slices.Sort(nums)
	dirs := make([]string, len(nums))
	for i, k := range nums {
		dirs[i] = TestnetMemberDir(dir, k)
	}
	return dirs, nil
}
