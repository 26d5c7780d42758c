package daemon

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/sighting"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Config is a node's settings, kept in DIR/phalanx.json and decoded
// strictly.
type Config struct {
	Member        string `json:"member"`
	ChainID       string `json:"chain_id"`
	APIListen     string `json:"api_listen"`     // host:port; 127.0.0.1 unless told otherwise
	TLSCert       string `json:"tls_cert"`       // PEM file; with tls_key the API serves HTTPS
	TLSKey        string `json:"tls_key"`        // PEM file
	P2PListen     string `json:"p2p_listen"`     // tcp://host:port
	RPCListen     string `json:"rpc_listen"`     // CometBFT RPC; "" disables it
	Peers         string `json:"peers"`          // persistent peers id@host:port,…
	TimeoutCommit string `json:"timeout_commit"` // Go duration
	EmptyBlocks   string `json:"empty_blocks"`   // Go duration; "0s" makes blocks only for transactions
	// IntegrityInterval is how often the node re-checks its projection and
	// key files against the ledger (Go duration, default 10m; "0s": only
	// at start-up).
	IntegrityInterval string `json:"integrity_interval,omitempty"`
	// TAXIIPublicClear offers an unauthenticated TAXII collection of
	// TLP:CLEAR objects; off unless set.
	TAXIIPublicClear bool `json:"taxii_public_clear,omitempty"`
	// DefaultTLP is the TLP level of published objects that carry no TLP
	// marking (CLEAR, GREEN, AMBER, AMBER+STRICT, RED); GREEN when empty.
	DefaultTLP string `json:"default_tlp,omitempty"`
	// Warninglists is a directory of MISP warninglist files (*.json): hits
	// on listed values are marked benign and publishing a listed value
	// draws a warning. "" uses none.
	Warninglists string `json:"warninglists,omitempty"`
	// Sightings opts in, per marking of the indicator (tlp:clear,
	// tlp:green, tlp:amber, tlp:red, a marking-definition id, or "none"),
	// to publishing STIX sightings of this member's hits: one per
	// indicator per SightingInterval (Go duration, default 5m).
	Sightings        map[string]bool `json:"sightings,omitempty"`
	SightingInterval string          `json:"sighting_interval,omitempty"`
	// P2PRate caps, in bytes per second, what the node sends to and
	// receives from each peer (CometBFT's p2p send_rate and recv_rate);
	// 0 means node.DefaultP2PRate (32 MiB/s).
	P2PRate int64 `json:"p2p_rate,omitempty"`
}

// integrityInterval is the configured interval (validated), or a very long
// one for "0s" (the start-up check still runs).
func (c Config) integrityInterval() time.Duration {
	v := c.IntegrityInterval
	if v == "" {
		v = DefaultIntegrityInterval
	}
	d, _ := time.ParseDuration(v)
	if d <= 0 {
		return 1<<63 - 1
	}
	return d
}

// defaultTLP is the validated DefaultTLP (GREEN when empty).
func (c Config) defaultTLP() tlp.Level {
	if c.DefaultTLP == "" {
		return tlp.Green
	}
	l, _ := tlp.Parse(c.DefaultTLP) // validated
	return l
}

// Files of a data directory.
const (
	ConfigFile     = "phalanx.json"
	KeyFile        = "keys/member.json"
	APIURLFile     = "api.url"
	AdminTokenFile = "admin.token"
	cometDir       = "cometbft"
	ledgerDir      = "ledger"
	projectionFile = "projection.db"
	authFile       = "node.db"
	webFile        = "web.db" // web UI sessions
	taxiiFile      = "taxii.db"
	alertsFile     = "alerts.db"
	lockFile       = "phalanx.lock"
)

// DefaultEmptyBlocks is how often a new node makes a block when no
// transaction arrives. Governance counts its voting period in blocks, so an
// idle network must keep making them; an empty block changes no state and
// costs a few hundred bytes of block store.
const DefaultEmptyBlocks = "2s"

// DefaultAPIListen is where the API listens unless configured otherwise.
const DefaultAPIListen = "127.0.0.1:8470"

// InitOptions describe the member and network a new data directory is for.
type InitOptions struct {
	Member    string         // member id; default "member1"
	Name      string         // organisation name; default the id
	Sectors   []string       // e.g. energy, finance
	Regions   []string       // e.g. EU
	ChainID   string         // default "phalanx-" + random hex
	APIListen string         // default DefaultAPIListen
	Params    *ledger.Params // community parameters in genesis; nil: defaults

	// Technologies the member runs (e.g. exchange): its relevance profile.
	Technologies []string
}

// Initialized reports whether dir holds an initialised node.
func Initialized(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ConfigFile))
	return err == nil
}

// Init creates a data directory for a single-member network: member keys
// (0600), the CometBFT home with validator and node keys, the genesis file
// naming this member as the only validator, and phalanx.json.
func Init(dir string, o InitOptions) error {
	if Initialized(dir) {
		return fmt.Errorf("%s is already initialised", dir)
	}
	o = o.withDefaults()
	member, _, err := newMember(dir, o)
	if err != nil {
		return err
	}
	if err := writeGenesis(dir, o.ChainID, []ledger.Member{member}, o.Params); err != nil {
		return err
	}
	p2p, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	c := Config{Member: o.Member, ChainID: o.ChainID, APIListen: o.APIListen, P2PListen: "tcp://" + p2p,
		TimeoutCommit: "50ms", EmptyBlocks: DefaultEmptyBlocks}
	return c.save(dir)
}

// newMember creates what a data directory holds for one member before
// the network exists: the directory, the member keys (0600) and the
// CometBFT home with validator and node keys. It returns the member as
// genesis names it and the node's p2p id.
func newMember(dir string, o InitOptions) (ledger.Member, string, error) {
	if !ledger.ValidMemberID(o.Member) {
		return ledger.Member{}, "", fmt.Errorf("member id %q: want 1-63 of a-z, 0-9, '-'", o.Member)
	}
	if err := ledger.ValidateProfileList("technologies", o.Technologies); err != nil {
		return ledger.Member{}, "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ledger.Member{}, "", fmt.Errorf("create data directory: %w", err)
	}
	id, err := keys.Generate(o.Member)
	if err != nil {
		return ledger.Member{}, "", err
	}
	if err := id.Save(filepath.Join(dir, KeyFile)); err != nil {
		return ledger.Member{}, "", err
	}
	valKey, nodeID, err := node.InitHome(filepath.Join(dir, cometDir))
	if err != nil {
		return ledger.Member{}, "", err
	}
	return ledger.Member{ID: o.Member, Name: o.Name, SignKey: id.SignPublic(), SealKey: id.SealPublic(),
		ValidatorKey: valKey, Power: 10, Sectors: o.Sectors, Regions: o.Regions, Technologies: o.Technologies}, nodeID, nil
}

func (o InitOptions) withDefaults() InitOptions {
	if o.Member == "" {
		o.Member = "member1"
	}
	if o.Name == "" {
		o.Name = o.Member
	}
	if o.ChainID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.ChainID = "phalanx-" + hex.EncodeToString(b)
	}
	if o.APIListen == "" {
		o.APIListen = DefaultAPIListen
	}
	if o.Sectors == nil {
		o.Sectors = []string{}
	}
	if o.Regions == nil {
		o.Regions = []string{}
	}
	return o
}

// writeGenesis writes the genesis file of a new network naming members,
// every one a validator, into the CometBFT home of data directory dir.
func writeGenesis(dir, chainID string, members []ledger.Member, params *ledger.Params) error {
	if params != nil {
		if err := params.Validate(); err != nil {
			return fmt.Errorf("genesis params: %w", err)
		}
	}
	app, err := json.Marshal(ledger.Genesis{Members: members, Params: params})
	if err != nil {
		return fmt.Errorf("encode genesis app state: %w", err)
	}
	vals := make([]node.GenesisValidator, len(members))
	for i, m := range members {
		vals[i] = node.GenesisValidator{Name: m.ID, PubKey: m.ValidatorKey, Power: m.Power}
	}
	// Genesis time is the one wall-clock reading a network has: it is fixed
	// in the genesis file that every member shares.
	return node.WriteGenesis(filepath.Join(dir, cometDir), chainID, time.Now().UTC().Truncate(time.Second), vals, app)
}

func freeLoopbackPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// LoadConfig reads DIR/phalanx.json strictly and validates it.
func LoadConfig(dir string) (Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("%s is not a Phalanx data directory (no %s); run \"phalanx init\" or \"phalanx up\"", dir, ConfigFile)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("decode %s: %w", ConfigFile, err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if !ledger.ValidMemberID(c.Member) {
		return fmt.Errorf("config: member %q is not a valid member id", c.Member)
	}
	if c.ChainID == "" {
		return errors.New("config: chain_id is empty: a directory made by \"phalanx init --join\" needs \"phalanx join --genesis FILE --peers ID@HOST:PORT\" before it can run")
	}
	if _, _, err := net.SplitHostPort(c.APIListen); err != nil {
		return fmt.Errorf("config: api_listen %q: %w", c.APIListen, err)
	}
	if c.DefaultTLP != "" {
		if _, err := tlp.Parse(c.DefaultTLP); err != nil {
			return fmt.Errorf("config: default_tlp: %w", err)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("config: tls_cert and tls_key go together")
	}
	if c.IntegrityInterval != "" {
		if d, err := time.ParseDuration(c.IntegrityInterval); err != nil || d < 0 || (d > 0 && d < time.Second) {
			return fmt.Errorf("config: integrity_interval %q: want a Go duration of at least 1s, or 0s", c.IntegrityInterval)
		}
	}
	if err := sighting.OptIns(c.Sightings); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.SightingInterval != "" {
		if d, err := time.ParseDuration(c.SightingInterval); err != nil || d <= 0 {
			return fmt.Errorf("config: sighting_interval %q: want a positive Go duration such as 5m", c.SightingInterval)
		}
	}
	if c.P2PRate != 0 && c.P2PRate < node.MinP2PRate {
		return fmt.Errorf("config: p2p_rate %d: want bytes per second, at least %d (1 MiB/s), or 0 for the default", c.P2PRate, node.MinP2PRate)
	}
	for name, d := range map[string]string{"timeout_commit": c.TimeoutCommit, "empty_blocks": c.EmptyBlocks} {
		if _, err := time.ParseDuration(d); err != nil {
			return fmt.Errorf("config: %s %q: %w", name, d, err)
		}
	}
	return nil
}

func (c Config) save(dir string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ConfigFile), append(b, '\n'), 0o600)
}

func (c Config) nodeConfig(dir string) node.Config {
	tc, _ := time.ParseDuration(c.TimeoutCommit) // validated
	eb, _ := time.ParseDuration(c.EmptyBlocks)
	return node.Config{Home: filepath.Join(dir, cometDir), P2PListen: c.P2PListen, RPCListen: c.RPCListen,
		Peers: c.Peers, TimeoutCommit: tc, EmptyBlocks: eb, MaxTxBytes: 64 << 20, P2PRate: c.P2PRate}
}

// DefaultMemoryLimit is the Go runtime's soft memory limit for a node
// process unless GOMEMLIMIT says otherwise. Under ingest load the heap
// otherwise grows to twice its live size between collections (GOGC=100)
// and peak RSS passes 1 GiB; with the limit the collector works earlier
// at no measured cost in throughput (docs/benchmarks.md).
const DefaultMemoryLimit = 640 << 20

// DefaultGCPercent is the collector's GOGC for a node process unless GOGC
// says otherwise: the heap may grow to three times its live size between
// collections instead of two, so the collector runs half as often. Under
// ingest a node allocates tens of KiB per object, and at GOGC=100 the
// collector's mark phase took 6% of its CPU; at 200, under 3%
// (docs/benchmarks.md, "Session 4"). DefaultMemoryLimit still caps the
// heap: near the limit the collector runs as often as it must.
const DefaultGCPercent = 200

// LimitMemory applies DefaultMemoryLimit unless GOMEMLIMIT is set, and
// DefaultGCPercent unless GOGC is set. It changes the whole process, so
// only main functions call it.
func LimitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
}
