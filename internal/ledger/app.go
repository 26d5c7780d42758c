// Package ledger is Phalanx's deterministic ABCI 2.0 state machine: members
// and their nonces, the records of accepted STIX object versions, and the
// RFC 6962 Merkle log over them whose root the app hash commits to.
//
// It does no I/O of its own (state lives behind the KV interface), reads no
// clock (block time only), iterates no map in an order that matters and
// uses no floats. TestLedgerImports enforces the import rules.
package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/merkle/compact"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// Committed is what the ledger reports after each durable commit: the
// projection and the publishers' waiters follow the ledger with it.
type Committed struct {
	Height  int64
	Time    time.Time
	AppHash []byte
	Records []record.Record
	Txs     []TxResult
	// Withdrawn are the sealed records withdrawn in this block: recipient
	// nodes delete their opened copies.
	Withdrawn []Withdrawal
}

// TxResult is the outcome of one transaction in a committed block.
type TxResult struct {
	Hash []byte
	Code uint32
	Log  string
	Data []byte // JSON list of {id, version, index} of the records added
}

// App is the ABCI application. Create it with New.
type App struct {
	abci.BaseApplication

	kv       KV
	onCommit func(Committed)

	mu        sync.RWMutex // guards the committed fields below for readers
	chainID   string
	params    Params
	height    int64
	appHash   []byte
	stateHash []byte
	tree      *compact.Range
	members   map[string]*Member
	nonces    map[string]uint64

	checkMu      sync.Mutex                 // guards checkNonces and checkPending
	checkNonces  map[string]uint64          // highest nonce admitted to the mempool per member
	checkPending map[string]map[uint64]bool // nonces admitted to the mempool since the last commit
	pending      *block                     // staged by FinalizeBlock, written by Commit
	parsed       *parseCache                // payload validation results by transaction hash
	primed       *primeCache                // this node's intake's parses of its own transactions (Prime)
	envelopes    *envelopeCache             // decoded, signature-checked transactions by hash
	ids          *idFilter                  // every stored object id (Bloom filter)
	nodes        *nodeCache                 // tree node hashes read by proofs
	txItems      *txItemsCache              // signed headers of v2 transactions read by proofs
}

var _ abci.Application = (*App)(nil)

// New opens the ledger state stored in kv. onCommit, if not nil, is called
// after every durable commit (inside Commit: it must not block for long).
func New(kv KV, onCommit func(Committed)) (*App, error) {
	a := &App{kv: kv, onCommit: onCommit, members: map[string]*Member{}, nonces: map[string]uint64{},
		params: DefaultParams(), tree: rangeFn.NewEmptyRange(0), parsed: newParseCache(50000),
		primed:    newPrimeCache(20000),
		envelopes: newEnvelopeCache(32 << 20), nodes: newNodeCache(),
		txItems: newTxItemsCache()}
	if err := a.load(); err != nil {
		return nil, fmt.Errorf("load ledger state: %w", err)
	}
	a.resetCheckNonces()
	return a, nil
}

func (a *App) load() error {
	if err := a.loadMeta(); err != nil {
		return err
	}
	if err := a.loadIDFilter(); err != nil {
		return fmt.Errorf("load object ids: %w", err)
	}
	err := a.kv.Iterate(prefixMember, prefixEnd(prefixMember), func(k, v []byte) error {
		var m Member
		if err := cborDec.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("decode member %s: %w", k, err)
		}
		a.members[m.ID] = &m
		return nil
	})
	if err != nil {
		return err
	}
	return a.kv.Iterate(prefixNonce, prefixEnd(prefixNonce), func(k, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("nonce %s: %d bytes", k, len(v))
		}
		a.nonces[string(k[len(prefixNonce):])] = binary.BigEndian.Uint64(v)
		return nil
	})
}

func (a *App) loadMeta() error {
	keys := [][]byte{keyHeight, keyAppHash, keyStateHash, keyChainID, keyParams, keyTree}
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := a.kv.Get(k)
		if err != nil {
			return fmt.Errorf("read %s: %w", k, err)
		}
		vals[i] = v
	}
	if len(vals[0]) == 8 {
		a.height = int64(binary.BigEndian.Uint64(vals[0]))
	}
	a.appHash, a.stateHash, a.chainID = vals[1], vals[2], string(vals[3])
	if vals[4] != nil {
		if err := cborDec.Unmarshal(vals[4], &a.params); err != nil {
			return fmt.Errorf("decode params: %w", err)
		}
	}
	if vals[5] == nil {
		return nil
	}
	var t tree
	if err := cborDec.Unmarshal(vals[5], &t); err != nil {
		return fmt.Errorf("decode tree: %w", err)
	}
	r, err := rangeFn.NewRange(0, t.Size, t.Hashes)
	if err != nil {
		return fmt.Errorf("restore tree of size %d: %w", t.Size, err)
	}
	a.tree = r
	return nil
}

// Info reports the last committed height and app hash; CometBFT replays any
// blocks after it.
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return &abci.InfoResponse{Data: "phalanx", Version: "1", AppVersion: 1,
		LastBlockHeight: a.height, LastBlockAppHash: a.appHash}, nil
}

// InitChain stores the genesis members and parameters.
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	g, err := ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	writes := map[string][]byte{}
	for i := range g.Members {
		m := g.Members[i]
		m.Status, m.JoinHeight = StatusActive, 0
		writes[string(memberKey(m.ID))] = mustEncode(m)
	}
	writes[string(keyParams)] = mustEncode(*g.Params)
	pairs := sortedPairs(writes)
	state := nextStateHash(nil, 0, pairs)
	app := computeAppHash(0, rootOf(rangeFn.NewEmptyRange(0)), state)
	pairs = append(pairs, Pair{keyChainID, []byte(req.ChainId)},
		Pair{keyStateHash, state}, Pair{keyAppHash, app}, Pair{keyHeight, u64(0)},
		Pair{checkpointKey(0), mustEncode(storedCheckpoint{StateHash: state})})
	if err := a.kv.Write(pairs); err != nil {
		return nil, fmt.Errorf("write genesis state: %w", err)
	}
	a.mu.Lock()
	a.members, a.nonces = map[string]*Member{}, map[string]uint64{}
	for i := range g.Members {
		m := g.Members[i]
		m.Status = StatusActive
		a.members[m.ID] = &m
	}
	a.chainID, a.params, a.stateHash, a.appHash = req.ChainId, *g.Params, state, app
	a.mu.Unlock()
	a.resetCheckNonces()
	return &abci.InitChainResponse{AppHash: app}, nil
}

// CheckTx validates a transaction against the committed state plus the
// transactions already admitted to the mempool.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	v := &checkView{a: a, recheck: req.Type == abci.CHECK_TX_TYPE_RECHECK}
	if rej := tooLargeExpanded(req.Tx, v.params()); rej != nil {
		return &abci.CheckTxResponse{Code: rej.code, Log: rej.log, Codespace: "phalanx"}, nil
	}
	var t *tx.Tx
	var rej *rejection
	if req.Type == abci.CHECK_TX_TYPE_RECHECK {
		// After a commit only the nonce order and the author can have
		// changed for a transaction already admitted; FinalizeBlock
		// re-validates everything anyway.
		t, rej = a.validateEnvelope(a.decodeTx(req.Tx, sha256.Sum256(req.Tx)), v)
	} else {
		var d delivery
		d, rej = a.validate(a.decodeTx(req.Tx, sha256.Sum256(req.Tx)), v, a.committedHeight()+1)
		t = d.t
	}
	if rej != nil {
		return &abci.CheckTxResponse{Code: rej.code, Log: rej.log, Codespace: "phalanx"}, nil
	}
	a.admitNonce(t.Body.Author, t.Body.Nonce)
	return &abci.CheckTxResponse{Code: CodeOK}, nil
}

// tooLargeExpanded refuses, before anything is expanded, a transaction
// whose compressed items claim to expand beyond max_tx_bytes: a few KB
// from any peer must not make the node allocate and decompress up to
// tx.MaxExpandedBytes. Only CheckTx (mempool admission, outside the
// state) uses it; FinalizeBlock refuses the same transaction after
// expanding it (validateEnvelope), with the same code and message, so a
// block's outcome never depends on which path ran.
func tooLargeExpanded(raw []byte, p Params) *rejection {
	if n, ok := tx.ClaimedExpandedSize(raw); ok && int64(n) > p.MaxTxBytes {
		return expandedTooLarge(n, p)
	}
	return nil
}

// expandedTooLarge is the rejection of a transaction of n bytes with its
// items uncompressed.
func expandedTooLarge(n int, p Params) *rejection {
	return reject(CodeTooLarge, "transaction is %d bytes with its items uncompressed; the limit is %d", n, p.MaxTxBytes)
}

// FinalizeBlock executes a block's transactions deterministically and
// returns the app hash of the resulting state. Nothing is durable until
// Commit.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	b := a.newBlock(req.Height, req.Time, writesHint(req.Txs))
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		results[i] = b.deliver(raw)
	}
	events, err := b.tally()
	if err != nil {
		return nil, fmt.Errorf("finalize block %d: %w", req.Height, err)
	}
	b.finish()
	a.pending = b
	return &abci.FinalizeBlockResponse{TxResults: results, AppHash: b.appHash, Events: events,
		ValidatorUpdates: b.valUpdates}, nil
}

// Commit makes the staged block durable, then reports it.
func (a *App) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	b := a.pending
	if b == nil {
		return &abci.CommitResponse{}, nil
	}
	a.pending = nil
	a.ids.add(b.newIDs...) // before the writes: the filter may hold more ids than pebble, never fewer
	pairs, err := b.pairs()
	if err != nil {
		return nil, fmt.Errorf("commit height %d: %w", b.height, err)
	}
	if err := a.kv.Write(pairs); err != nil {
		return nil, fmt.Errorf("commit height %d: %w", b.height, err)
	}
	a.mu.Lock()
	a.height, a.appHash, a.stateHash, a.tree = b.height, b.appHash, b.stateHash, b.tree
	for id, n := range b.nonces {
		a.nonces[id] = n
	}
	for id, m := range b.members {
		a.members[id] = m
	}
	if b.newParams != nil {
		a.params = *b.newParams
	}
	a.mu.Unlock()
	a.prunePending(b.included)
	if a.onCommit != nil {
		a.onCommit(Committed{Height: b.height, Time: b.time, AppHash: b.appHash, Records: b.records, Txs: b.txs, Withdrawn: b.withdrawn})
	}
	return &abci.CommitResponse{}, nil
}

func (a *App) resetCheckNonces() {
	a.mu.RLock()
	defer a.mu.RUnlock()
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	a.checkPending = map[string]map[uint64]bool{}
	a.checkNonces = make(map[string]uint64, len(a.nonces))
	for id, n := range a.nonces {
		a.checkNonces[id] = n
	}
}

// prunePending forgets the mempool nonces a committed block settled: those
// of every transaction in it (accepted or not: CometBFT drops both from the
// mempool) and any at or below a member's committed nonce. Transactions
// still waiting keep their nonces, so there is no moment after a commit in
// which the mempool's view of nonces goes back.
func (a *App) prunePending(included []authorNonce) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	for _, in := range included {
		delete(a.checkPending[in.author], in.nonce)
	}
	for member, set := range a.checkPending {
		top := a.nonces[member]
		for n := range set {
			if n <= a.nonces[member] {
				delete(set, n)
			} else {
				top = max(top, n)
			}
		}
		a.checkNonces[member] = top
	}
	for member, n := range a.nonces {
		if len(a.checkPending[member]) == 0 {
			a.checkNonces[member] = n
		}
	}
}

// admitNonce records a nonce the mempool took. Called with checkMu held.
func (a *App) admitNonce(member string, n uint64) {
	if a.checkPending[member] == nil {
		a.checkPending[member] = map[uint64]bool{}
	}
	a.checkPending[member][n] = true
	a.checkNonces[member] = max(a.checkNonces[member], n)
}

// writesHint estimates the state writes of a block's transactions, to size
// the block's write set once: a published object writes ~5 keys (owner,
// version, record and about two tree nodes). A v2 transaction's header
// says how many objects it carries (its items may be compressed); for
// other transactions, an object takes 300-600 bytes. Only the write set's
// capacity depends on it.
func writesHint(txs [][]byte) int {
	n := 0
	for _, t := range txs {
		if items, ok := tx.PeekItemCount(t); ok {
			n += 5 * int(min(items, 1<<20))
		} else {
			n += len(t) / 96
		}
	}
	return min(n, 1<<20)
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func unixNano(n int64) time.Time { return time.Unix(0, n).UTC() }

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
