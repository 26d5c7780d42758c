// Package intake turns what a member publishes into signed ledger
// transactions: validate STIX, split into batches, sign with the member's
// key and the next nonce, hand to the mempool, and let callers wait until
// the ledger has committed and the projection can answer for it.
package intake

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// Mempool takes signed transactions. ErrMempoolFull says to try again later.
type Mempool interface {
	Submit(ctx context.Context, tx []byte) (code uint32, log string, err error)
}

// ErrMempoolFull is returned by a Mempool that has no room right now.
var ErrMempoolFull = errors.New("mempool is full")

// Ledger is what intake reads of the committed ledger.
type Ledger interface {
	State() ledger.State
	Params() ledger.Params
	NextFreeNonce(member string) uint64
}

// Primer is an optional capability of a Ledger: it takes the objects of
// a publish transaction this node built, as parsed, by the transaction's
// hash, before the transaction reaches the mempool, so that CheckTx need
// not parse them again (ledger.App.Prime). objs[i] is what stix.Parse
// returns for the transaction's item i.
type Primer interface {
	Prime(txHash [32]byte, objs []*stix.Object)
}

// Lookup finds a committed transaction's outcome (errs.NotFound if none).
type Lookup func(ctx context.Context, txHash string) (Outcome, error)

// Config configures a Service.
type Config struct {
	Identity  *keys.Identity
	Ledger    Ledger
	Mempool   Mempool
	Lookup    Lookup
	BatchSize int // objects per transaction; default 1000
	// Directory resolves recipients for sealing; without it only
	// plaintext publishing works.
	Directory Directory
	// DefaultTLP is the level of objects without a TLP marking; GREEN
	// when zero.
	DefaultTLP tlp.Level
}

// Service publishes for one member. Safe for concurrent use.
type Service struct {
	cfg Config

	submitMu sync.Mutex  // one transaction at a time gets its nonce and enters the mempool
	next     uint64      // next nonce to use; 0 = take it from the ledger's mempool view
	resync   atomic.Bool // set when a block rejected a transaction: reset next

	waitMu  sync.Mutex
	waiters map[string][]chan Outcome
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Identity == nil || cfg.Ledger == nil || cfg.Mempool == nil || cfg.Lookup == nil {
		return nil, errors.New("intake: identity, ledger, mempool and lookup are required")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.DefaultTLP == 0 {
		cfg.DefaultTLP = tlp.Green
	}
	return &Service{cfg: cfg, waiters: map[string][]chan Outcome{}}, nil
}

// SetIdentity replaces the member's keys (after a key rotation passed):
// transactions submitted from now on are signed with the new key.
func (s *Service) SetIdentity(id *keys.Identity) {
	s.submitMu.Lock()
	defer s.submitMu.Unlock()
	s.cfg.Identity = id
}

// Identity returns the keys transactions are signed with.
func (s *Service) Identity() *keys.Identity {
	s.submitMu.Lock()
	defer s.submitMu.Unlock()
	return s.cfg.Identity
}

// Publish validates a STIX bundle or single object and submits it as one or
// more transactions, by the objects' own markings (see PublishTo). Invalid
// input is refused before anything is signed.
func (s *Service) Publish(ctx context.Context, body []byte) ([]Submission, error) {
	return s.PublishTo(ctx, body, Address{})
}

// PublishObjects submits already validated objects in plaintext. An object
// at AMBER or above (by its markings or the default level) is refused:
// such content goes through PublishTo, which seals it.
func (s *Service) PublishObjects(ctx context.Context, objs []*stix.Object) ([]Submission, error) {
	for _, o := range objs {
		if l := s.levelOf(o, Address{}); l.Sealed() {
			return nil, errs.Errorf(errs.Invalid, "object %s is TLP:%v: say whom it is for (to or group); content above TLP:GREEN is sealed for its recipients only", o.ID, l)
		}
	}
	return s.publishPlain(ctx, objs)
}

// publishPlain submits objects checked to be CLEAR or GREEN.
func (s *Service) publishPlain(ctx context.Context, objs []*stix.Object) ([]Submission, error) {
	batches, err := s.batch(objs)
	if err != nil {
		return nil, err
	}
	subs := make([]Submission, 0, len(batches))
	for _, b := range batches {
		sub, err := s.submit(ctx, b)
		if err != nil {
			return subs, err
		}
		subs = append(subs, sub)
	}
	return subs, nil
}

// batch splits objects into transactions under the ledger's limits.
func (s *Service) batch(objs []*stix.Object) ([][]*stix.Object, error) {
	p := s.cfg.Ledger.Params()
	budget := p.MaxTxBytes - 4096 // envelope, signature and CBOR headers
	perTx := min(int64(s.cfg.BatchSize), p.MaxObjectsPerTx)
	var out [][]*stix.Object
	var cur []*stix.Object
	var size int64
	for i, o := range objs {
		n := int64(len(o.Raw)) + 8
		if int64(len(o.Raw)) > p.MaxObjectBytes {
			return nil, errs.Errorf(errs.TooLarge, "object %d (%s) is %d bytes; the limit is %d", i, o.ID, len(o.Raw), p.MaxObjectBytes)
		}
		if len(cur) > 0 && (int64(len(cur)) >= perTx || size+n > budget) {
			out, cur, size = append(out, cur), nil, 0
		}
		cur, size = append(cur, o), size+n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	if len(out) == 0 {
		return nil, errs.Errorf(errs.Invalid, "nothing to publish")
	}
	return out, nil
}

// submit signs one batch of objects into a publish transaction.
func (s *Service) submit(ctx context.Context, objs []*stix.Object) (Submission, error) {
	raws := make([][]byte, len(objs))
	ids := make([]string, len(objs))
	for i, o := range objs {
		raws[i], ids[i] = o.Raw, o.ID
	}
	return s.submitSigned(ctx, ids, objs, itemsSigner(tx.TypePublish, raws))
}

// Propose submits a governance proposal signed by this member.
func (s *Service) Propose(ctx context.Context, p ledger.Propose) (Submission, error) {
	payload, err := tx.EncodePayload(p)
	if err != nil {
		return Submission{}, err
	}
	return s.submitPayload(ctx, tx.TypePropose, payload, nil)
}

// Vote submits this member's vote on a proposal (yes, no or abstain).
func (s *Service) Vote(ctx context.Context, proposal uint64, choice string) (Submission, error) {
	payload, err := tx.EncodePayload(ledger.Vote{Proposal: proposal, Choice: choice})
	if err != nil {
		return Submission{}, err
	}
	return s.submitPayload(ctx, tx.TypeVote, payload, nil)
}

// submitPayload signs a version 1 transaction of a payload (governance,
// groups, withdrawals, profiles) with the next nonce and hands it to the
// mempool, retrying while the mempool is full.
func (s *Service) submitPayload(ctx context.Context, typ tx.Type, payload []byte, ids []string) (Submission, error) {
	return s.submitSigned(ctx, ids, nil, func(h tx.Header, key ed25519.PrivateKey) ([]byte, error) {
		return tx.Sign(tx.Body{ChainID: h.ChainID, Type: typ, Author: h.Author, Nonce: h.Nonce, Payload: payload}, key)
	})
}

// submitItems signs a version 2 transaction carrying items (the STIX
// objects of a publish, the envelopes of a sealed publish), whose header
// commits to them by a Merkle root, so each record's proof carries the
// header and its own item instead of the whole transaction.
func (s *Service) submitItems(ctx context.Context, typ tx.Type, items [][]byte, ids []string) (Submission, error) {
	return s.submitSigned(ctx, ids, nil, itemsSigner(typ, items))
}

// itemsSigner signs a version 2 transaction of type typ carrying items.
func itemsSigner(typ tx.Type, items [][]byte) signFunc {
	return func(h tx.Header, key ed25519.PrivateKey) ([]byte, error) {
		h.Type = typ
		return tx.SignItemsCompressed(h, items, key)
	}
}

// signFunc signs a transaction for the chain, author and nonce in h.
type signFunc func(h tx.Header, key ed25519.PrivateKey) ([]byte, error)

// submitSigned signs with the next nonce and hands the transaction to the
// mempool, retrying while the mempool is full. objs, when set, are the
// parsed items of a publish: a Ledger that is a Primer gets them first.
func (s *Service) submitSigned(ctx context.Context, ids []string, objs []*stix.Object, sign signFunc) (Submission, error) {
	s.submitMu.Lock()
	defer s.submitMu.Unlock()
	resynced := false
	for backoff := 5 * time.Millisecond; ; backoff = min(2*backoff, 500*time.Millisecond) {
		sub, err := s.sign(ctx, sign, ids, objs)
		if err == nil && sub.Code == ledger.CodeBadNonce && !resynced {
			s.next, resynced = 0, true // our count drifted (a transaction was dropped): ask the ledger
			continue
		}
		if !errors.Is(err, ErrMempoolFull) {
			return sub, err
		}
		select {
		case <-ctx.Done():
			return Submission{}, errs.Errorf(errs.Unavailable, "mempool full and %v", ctx.Err())
		case <-time.After(backoff):
		}
	}
}

func (s *Service) sign(ctx context.Context, signTx signFunc, ids []string, objs []*stix.Object) (Submission, error) {
	id := s.cfg.Identity
	// Only this node signs for its member, so its own count is right until
	// a block rejects one of its transactions; then the next transaction
	// takes the lowest free nonce, filling the gap that blocks the rest.
	if s.resync.Swap(false) {
		s.next = 0
	}
	nonce := s.next
	if nonce == 0 {
		nonce = s.cfg.Ledger.NextFreeNonce(id.Member)
	}
	raw, err := signTx(tx.Header{ChainID: s.cfg.Ledger.State().ChainID, Author: id.Member, Nonce: nonce}, id.Sign)
	if err != nil {
		return Submission{}, err
	}
	hash := sha256.Sum256(raw)
	if p, ok := s.cfg.Ledger.(Primer); ok && objs != nil {
		p.Prime(hash, objs)
	}
	code, log, err := s.cfg.Mempool.Submit(ctx, raw)
	if err != nil {
		return Submission{}, err
	}
	if code == ledger.CodeOK {
		s.next = nonce + 1
	}
	return Submission{TxHash: hashHex(hash), Objects: ids, Code: code, Codename: ledger.CodeName(code), Log: log}, nil
}

// TxHash is the CometBFT hash of a transaction, upper-case hex.
func TxHash(raw []byte) string { return hashHex(sha256.Sum256(raw)) }

// hashHex is a transaction hash as TxHash writes it.
func hashHex(h [32]byte) string { return strings.ToUpper(hex.EncodeToString(h[:])) }

// Wait blocks until the transaction is committed and projected, or ctx ends.
func (s *Service) Wait(ctx context.Context, txHash string) (Outcome, error) {
	txHash = strings.ToUpper(txHash)
	ch := make(chan Outcome, 1)
	s.waitMu.Lock()
	s.waiters[txHash] = append(s.waiters[txHash], ch)
	s.waitMu.Unlock()
	defer s.forget(txHash, ch)
	if out, err := s.cfg.Lookup(ctx, txHash); err == nil {
		return out, nil
	} else if errs.CodeOf(err) != errs.NotFound {
		return Outcome{}, err
	}
	select {
	case out := <-ch:
		return out, nil
	case <-ctx.Done():
		return Outcome{}, errs.Errorf(errs.Unavailable, "transaction %s not committed yet: %v", txHash, ctx.Err())
	}
}

func (s *Service) forget(txHash string, ch chan Outcome) {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	list := s.waiters[txHash]
	for i, c := range list {
		if c == ch {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.waiters, txHash)
	} else {
		s.waiters[txHash] = list
	}
}

// Committed wakes the waiters of a block's transactions. The caller calls it
// once the block's records are queryable.
func (s *Service) Committed(c ledger.Committed) {
	s.resyncAfterFailure(c)
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	if len(s.waiters) == 0 {
		return
	}
	for _, t := range c.Txs {
		h := strings.ToUpper(hex.EncodeToString(t.Hash))
		for _, ch := range s.waiters[h] {
			select {
			case ch <- OutcomeOf(h, c.Height, t.Code, t.Log, t.Data):
			default:
			}
		}
	}
}

// resyncAfterFailure forgets our nonce count when a block rejected a
// transaction: if it was ours, its nonce was not used and the transactions
// queued behind it are dropped, so the next one must ask the ledger.
func (s *Service) resyncAfterFailure(c ledger.Committed) {
	for _, t := range c.Txs {
		if t.Code != ledger.CodeOK {
			s.resync.Store(true) // not s.next: never wait for submitMu on the commit path
			return
		}
	}
}

// OutcomeOf builds an Outcome from a transaction result.
func OutcomeOf(hash string, height int64, code uint32, log string, data []byte) Outcome {
	out := Outcome{TxHash: hash, Height: height, Code: code, Codename: ledger.CodeName(code), Log: log}
	if code != ledger.CodeOK || len(data) == 0 {
		return out
	}
	var err error
	if data[0] == '[' { // a publish: the records it added
		err = json.Unmarshal(data, &out.Records)
	} else { // a proposal: its id
		out.Proposal, err = strconv.ParseUint(string(data), 10, 64)
	}
	if err != nil {
		out.Log = fmt.Sprintf("undecodable result data: %v", err)
	}
	return out
}
