// Package node embeds CometBFT in-process: it creates a node's consensus
// home (keys, genesis, config), starts the consensus engine around the
// ledger application and offers the few calls the rest of Phalanx needs.
package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// Config is how to run one consensus node.
type Config struct {
	Home          string        // CometBFT home: config/ and data/
	P2PListen     string        // e.g. "tcp://127.0.0.1:26656"
	RPCListen     string        // "" disables CometBFT's own HTTP RPC
	Peers         string        // persistent peers "id@host:port,…"
	TimeoutCommit time.Duration // pause after each commit
	EmptyBlocks   time.Duration // make an empty block at least this often (0: never)
	MaxTxBytes    int           // largest transaction the mempool takes
	LogLevel      string        // CometBFT log filter, default "*:error"
	Log           io.Writer     // default os.Stderr
	Keys          KeySchedule   // when a prepared validator key takes over (nil: never)
	P2PRate       int64         // bytes/s sent to and received from each peer (0: DefaultP2PRate)
}

// DefaultP2PRate is what a node sends to and receives from each peer at
// most, in bytes per second, unless configured otherwise. CometBFT's
// default, 5 MB/s, capped a four-member network at about 2,500 objects/s
// of 540 bytes: every transaction crosses each connection once by mempool
// gossip and once more in the block's parts (docs/benchmarks.md,
// "Session 5"). MinP2PRate is the least a configuration may set.
const (
	DefaultP2PRate = 32 << 20
	MinP2PRate     = 1 << 20
)

// Node is a running CometBFT node.
type Node struct {
	cmt    *nm.Node
	rpc    *local.Local
	closer *dbCloser
}

// Start starts CometBFT around app. The home must have been made by Init.
func Start(ctx context.Context, c Config, app abci.Application) (*Node, error) {
	conf, err := c.cometConfig()
	if err != nil {
		return nil, err
	}
	pv, err := loadPrivValidator(conf, c.Keys)
	if err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("load node key: %w", err)
	}
	logger, err := c.logger()
	if err != nil {
		return nil, err
	}
	closer := &dbCloser{}
	n, err := nm.NewNode(ctx, conf, pv, nodeKey, proxy.NewConnSyncLocalClientCreator(app), /* mempool and consensus run in parallel; the ledger guards its own state */
		nm.DefaultGenesisDocProviderFunc(conf), closer.provider, nm.DefaultMetricsProvider(conf.Instrumentation), logger,
		withGossipReactor(conf.Mempool))
	if err != nil {
		closer.closeAll()
		return nil, fmt.Errorf("create consensus node: %w", err)
	}
	if err := n.Start(); err != nil {
		closer.closeAll()
		return nil, fmt.Errorf("start consensus node: %w", err)
	}
	return &Node{cmt: n, rpc: local.New(n), closer: closer}, nil
}

func (c Config) cometConfig() (*cfg.Config, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(c.Home)
	conf.Moniker = filepath.Base(filepath.Dir(c.Home))
	conf.P2P.ListenAddress = c.P2PListen
	conf.P2P.PersistentPeers = c.Peers
	conf.P2P.AddrBookStrict = false
	conf.P2P.AllowDuplicateIP = true
	conf.RPC.ListenAddress = c.RPCListen
	conf.Consensus.TimeoutCommit = c.TimeoutCommit
	conf.Consensus.CreateEmptyBlocks = c.EmptyBlocks > 0
	conf.Consensus.CreateEmptyBlocksInterval = c.EmptyBlocks
	if c.MaxTxBytes > 0 {
		conf.Mempool.MaxTxBytes = c.MaxTxBytes
	}
	conf.Mempool.Size = 10000
	rate := c.P2PRate
	if rate == 0 {
		rate = DefaultP2PRate
	}
	conf.P2P.SendRate, conf.P2P.RecvRate = rate, rate
	conf.Instrumentation.Prometheus = false
	// Nothing reads CometBFT's tx index or its past ABCI responses: the
	// ledger records each transaction's height, position and result itself
	// (ledger.App.TxOutcome), and the tx bytes are in the block store. The
	// kv indexer wrote every transaction (up to 1 MiB) once more with its
	// events, and pebble flushed and compacted it: 5-10% of a node's CPU
	// under ingest (docs/benchmarks.md, session 5).
	conf.TxIndex.Indexer = "null"
	conf.Storage.DiscardABCIResponses = true
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("consensus config: %w", err)
	}
	return conf, nil
}

func (c Config) logger() (cmtlog.Logger, error) {
	w, level := c.Log, c.LogLevel
	if w == nil {
		w = os.Stderr
	}
	if level == "" {
		level = "*:error"
	}
	l, err := cmtflags.ParseLogLevel(level, cmtlog.NewTMLogger(cmtlog.NewSyncWriter(shutdownQuiet{w})), "error")
	if err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	return l, nil
}

// Broadcast hands a transaction to the mempool and returns its CheckTx
// result. "mempool is full" comes back as an error.
func (n *Node) Broadcast(ctx context.Context, tx []byte) (*coretypes.ResultBroadcastTx, error) {
	return n.rpc.BroadcastTxSync(ctx, tx)
}

// Status returns CometBFT's view of the node.
func (n *Node) Status(ctx context.Context) (*coretypes.ResultStatus, error) {
	return n.rpc.Status(ctx)
}

// Validators returns the validator set at the latest height: the genesis
// set while a node syncing its first blocks has none stored yet.
func (n *Node) Validators(ctx context.Context) ([]*types.Validator, error) {
	if n.cmt.BlockStore().Height() == 0 {
		gen := n.cmt.GenesisDoc().Validators
		vals := make([]*types.Validator, len(gen))
		for i, v := range gen {
			vals[i] = types.NewValidator(v.PubKey, v.Power)
		}
		return vals, nil
	}
	per := 100
	res, err := n.rpc.Validators(ctx, nil, nil, &per)
	if err != nil {
		return nil, err
	}
	return res.Validators, nil
}

// NodeID is the node's p2p id.
func (n *Node) NodeID() string { return string(n.cmt.NodeInfo().ID()) }

// Stop stops consensus and closes every database it opened.
func (n *Node) Stop() error {
	err := n.cmt.Stop()
	n.cmt.Wait()
	n.closer.closeAfterStop()
	return err
}

// dbCloser remembers the databases CometBFT opens. v1.0.1's Node.Stop does
// not close the tx index, so a second node on the same home in one process
// would find it locked; we close that one ourselves.
type dbCloser struct {
	mu  sync.Mutex
	dbs map[string]dbm.DB
}

func (d *dbCloser) provider(ctx *cfg.DBContext) (dbm.DB, error) {
	var db dbm.DB
	var err error
	if dbm.BackendType(ctx.Config.DBBackend) == dbm.PebbleDBBackend {
		db, err = openPebble(ctx.ID, ctx.Config.DBDir(), 4<<20, 8<<20)
	} else {
		db, err = cfg.DefaultDBProvider(ctx)
	}
	if err != nil {
		return nil, err
	}
	db = &stoppableDB{DB: db}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dbs == nil {
		d.dbs = map[string]dbm.DB{}
	}
	d.dbs[ctx.ID] = db
	return db, nil
}

func (d *dbCloser) closeAfterStop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if db, ok := d.dbs["tx_index"]; ok {
		_ = db.Close()
	}
}

func (d *dbCloser) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, db := range d.dbs {
		_ = db.Close()
	}
}

// GenesisValidator is one validator of a new network.
type GenesisValidator struct {
	Name   string
	PubKey []byte // Ed25519
	Power  int64
}

// InitHome creates the consensus home: config dirs, the validator key and
// the node key (kept if present). It returns the validator public key.
func InitHome(home string) (pubKey []byte, nodeID string, err error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	cfg.EnsureRoot(home)
	pv, err := privval.LoadOrGenFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("validator key: %w", err)
	}
	pk, err := pv.GetPubKey()
	if err != nil {
		return nil, "", fmt.Errorf("validator key: %w", err)
	}
	nk, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, "", fmt.Errorf("node key: %w", err)
	}
	return pk.Bytes(), string(nk.ID()), nil
}

// WriteGenesis writes the genesis file of a new network into home.
func WriteGenesis(home, chainID string, genesisTime time.Time, vals []GenesisValidator, appState json.RawMessage) error {
	doc := &types.GenesisDoc{ChainID: chainID, GenesisTime: genesisTime, InitialHeight: 1,
		ConsensusParams: types.DefaultConsensusParams(), AppState: appState}
	doc.ConsensusParams.Block.MaxBytes = 8 << 20
	for _, v := range vals {
		pk := ed25519PubKey(v.PubKey)
		doc.Validators = append(doc.Validators, types.GenesisValidator{Address: pk.Address(), PubKey: pk, Power: v.Power, Name: v.Name})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	return doc.SaveAs(conf.GenesisFile())
}

// BlockMetas returns the headers of the stored blocks min..max (CometBFT
// returns at most 20, newest first) and the latest height.
func (n *Node) BlockMetas(ctx context.Context, min, max int64) ([]*types.BlockMeta, int64, error) {
	res, err := n.rpc.BlockchainInfo(ctx, min, max)
	if err != nil {
		return nil, 0, err
	}
	return res.BlockMetas, res.LastHeight, nil
}

// Block returns the stored block at height.
func (n *Node) Block(ctx context.Context, height int64) (*types.Block, error) {
	res, err := n.rpc.Block(ctx, &height)
	if err != nil {
		return nil, err
	}
	if res.Block == nil {
		return nil, fmt.Errorf("no block at height %d", height)
	}
	return res.Block, nil
}

// shutdownQuiet drops the one error line CometBFT v1.0.1 logs on every
// clean stop ("Stopped accept routine, as transport is closed"): the p2p
// listener reports its own closing as an error. The logger writes each
// line with one Write call.
type shutdownQuiet struct{ w io.Writer }

func (q shutdownQuiet) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("Stopped accept routine, as transport is closed")) {
		return len(p), nil
	}
	return q.w.Write(p)
}
