// Package prover builds what package proof verifies, from a running node:
// signed checkpoints (from the ledger's per-height bookkeeping, the block
// store's headers and commits, and the node's note signature), proof
// bundles for records and consistency proofs between checkpoints.
package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cometbft/cometbft/types"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

// Chain is what the prover needs from the consensus node.
type Chain interface {
	// BlockHeight is the newest block in the block store.
	BlockHeight() int64
	// SignedHeader returns a stored header and the commit that signs it.
	SignedHeader(ctx context.Context, height int64) (*types.Header, *types.Commit, error)
	// RawTx returns a committed transaction's bytes.
	RawTx(ctx context.Context, hash []byte) ([]byte, error)
}

// Ledger is what the prover needs from the state machine.
type Ledger interface {
	Height() int64 // the last committed height
	Checkpoint(height int64) (ledger.Checkpoint, error)
	InclusionProof(index, size uint64) ([][]byte, error)
	ConsistencyProof(size1, size2 uint64) ([][]byte, error)
	RecordByVersion(id, version string) (record.Record, bool, error)
	TxPosition(r record.Record) (int, bool, error)
	TxItems(txHash []byte) (ledger.TxItems, bool, error)
}

// Prover builds checkpoints and proofs. Safe for concurrent use.
type Prover struct {
	ledger Ledger
	chain  Chain
	signer func() *proof.Signer

	mu   sync.Mutex
	last *cachedCheckpoint // the checkpoint most bundles are built against
	txs  *txCache          // raw transactions of recently served records
}

// cachedCheckpoint is a signed checkpoint kept for reuse: its parts never
// change once committed; the note is re-signed when the member's key does.
type cachedCheckpoint struct {
	height int64
	key    uint32 // note key hash it was signed with
	sc     proof.SignedCheckpoint
	c      proof.Checkpoint
}

// New returns a prover that signs checkpoint notes with the signer
// signer returns (asked each time: member keys rotate).
func New(l Ledger, c Chain, signer func() *proof.Signer) *Prover {
	return &Prover{ledger: l, chain: c, signer: signer, txs: newTxCache(txCacheBytes)}
}

// MaxCheckpoints bounds one page of the checkpoint stream.
const MaxCheckpoints = 1000

// Latest is the newest height with a signed checkpoint: the header of the
// next block and a commit for it must be stored.
func (p *Prover) Latest() int64 {
	return min(p.chain.BlockHeight()-1, p.ledger.Height())
}

// Checkpoint returns the signed checkpoint at height.
func (p *Prover) Checkpoint(ctx context.Context, height int64) (proof.SignedCheckpoint, proof.Checkpoint, error) {
	signer := p.signer()
	p.mu.Lock()
	last := p.last
	p.mu.Unlock()
	if last != nil && last.height == height && last.key == signer.KeyHash() {
		return last.sc, last.c, nil
	}
	sc, c, err := p.makeCheckpoint(ctx, height, signer)
	if err == nil {
		p.mu.Lock()
		p.last = &cachedCheckpoint{height: height, key: signer.KeyHash(), sc: sc, c: c}
		p.mu.Unlock()
	}
	return sc, c, err
}

func (p *Prover) makeCheckpoint(ctx context.Context, height int64, signer *proof.Signer) (proof.SignedCheckpoint, proof.Checkpoint, error) {
	latest := p.Latest()
	if height < 0 || height > latest {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, errs.Errorf(errs.NotFound,
			"no signed checkpoint at height %d yet; the newest is at height %d", height, latest)
	}
	lc, err := p.ledger.Checkpoint(height)
	if errors.Is(err, ledger.ErrNoCheckpoint) {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, errs.Errorf(errs.NotFound,
			"no checkpoint recorded at height %d (committed by an older version; `phalanx reindex` does not add them)", height)
	}
	if err != nil {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, fmt.Errorf("checkpoint %d: %w", height, err)
	}
	c := proof.Checkpoint{Origin: lc.ChainID, Size: lc.Size, Root: lc.Root, Height: height, StateHash: lc.StateHash}
	h, commit, err := p.chain.SignedHeader(ctx, height+1)
	if err != nil {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, fmt.Errorf("checkpoint %d: %w", height, err)
	}
	if !bytes.Equal(h.AppHash, lc.AppHash) {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, errs.Errorf(errs.Internal,
			"ledger state at height %d (app hash %X) differs from the chain's header %d (%X): run `phalanx audit`", height, lc.AppHash, h.Height, []byte(h.AppHash))
	}
	note, err := proof.SignCheckpoint(c, signer)
	if err != nil {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, err
	}
	hb, cb, err := proof.EncodeSigned(h, commit)
	if err != nil {
		return proof.SignedCheckpoint{}, proof.Checkpoint{}, err
	}
	return proof.SignedCheckpoint{Format: proof.CheckpointFormat, Note: note, Header: hb, Commit: cb}, c, nil
}

// maxScan bounds how many heights one Checkpoints call looks at.
const maxScan = 100000

// Checkpoints returns up to limit signed checkpoints from height since on,
// skipping heights whose state did not change (they share the previous
// height's app hash), and the height to continue from.
func (p *Prover) Checkpoints(ctx context.Context, since int64, limit int) ([]proof.SignedCheckpoint, int64, error) {
	if limit <= 0 || limit > MaxCheckpoints {
		limit = MaxCheckpoints
	}
	var out []proof.SignedCheckpoint
	var prev []byte
	if since > 0 {
		if lc, err := p.ledger.Checkpoint(since - 1); err == nil {
			prev = lc.AppHash
		}
	}
	h, latest := max(since, 0), p.Latest()
	for ; h <= latest && len(out) < limit && h < since+maxScan; h++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		lc, err := p.ledger.Checkpoint(h)
		if errors.Is(err, ledger.ErrNoCheckpoint) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("checkpoint %d: %w", h, err)
		}
		if bytes.Equal(lc.AppHash, prev) {
			continue
		}
		sc, _, err := p.Checkpoint(ctx, h)
		if err != nil {
			return nil, 0, err
		}
		out, prev = append(out, sc), lc.AppHash
	}
	return out, h, nil
}

// Bundle returns the proof bundle of one object version against the
// newest signed checkpoint.
func (p *Prover) Bundle(ctx context.Context, id, version string) (*proof.Bundle, error) {
	rec, ok, err := p.ledger.RecordByVersion(id, version)
	if err != nil {
		return nil, fmt.Errorf("proof of %s %s: %w", id, version, err)
	}
	if !ok {
		return nil, errs.Errorf(errs.NotFound, "no version %q of %s on the ledger", version, id)
	}
	sc, c, err := p.Checkpoint(ctx, p.Latest())
	if err != nil {
		return nil, err
	}
	if rec.Index >= c.Size {
		return nil, errs.Errorf(errs.Unavailable, "%s %s was committed at height %d; its proof is ready once block %d is committed",
			id, version, rec.Height, rec.Height+1)
	}
	path, err := p.ledger.InclusionProof(rec.Index, c.Size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of leaf %d: %w", rec.Index, err)
	}
	b := &proof.Bundle{Record: proof.RecordOf(rec), Checkpoint: sc}
	if err := p.attachTx(ctx, b, rec); err != nil {
		return nil, fmt.Errorf("proof of %s %s: %w", id, version, err)
	}
	b.LeafHash = proof.LeafHash(b.Record)
	for _, h := range path {
		b.Inclusion = append(b.Inclusion, h)
	}
	return b, nil
}

// attachTx adds what proves the author signed the record: for a version 2
// transaction its signed header and the record's audit path among its
// items (from the ledger's meta/txitems, no transaction read); for a
// version 1 transaction the whole transaction.
func (p *Prover) attachTx(ctx context.Context, b *proof.Bundle, rec record.Record) error {
	items, v2, err := p.ledger.TxItems(rec.TxHash)
	if err != nil {
		return err
	}
	if !v2 {
		return p.attachRawTx(ctx, b, rec)
	}
	if rec.Index < items.First || rec.Index-items.First >= items.Count {
		return fmt.Errorf("record %d is not among the %d of its transaction from record %d", rec.Index, items.Count, items.First)
	}
	pos := rec.Index - items.First
	path, err := items.Path(pos)
	if err != nil {
		return err
	}
	b.Format, b.TxHeader, b.TxSignature, b.TxObject = proof.BundleFormatV2, items.Header, items.Signature, int(pos)
	b.ItemPath = make([]proof.HexBytes, len(path))
	for i, h := range path {
		b.ItemPath[i] = h
	}
	return nil
}

// attachRawTx adds the whole version 1 transaction and the record's
// position in it.
func (p *Prover) attachRawTx(ctx context.Context, b *proof.Bundle, rec record.Record) error {
	raw, err := p.rawTx(ctx, rec.TxHash)
	if err != nil {
		return err
	}
	pos, ok, err := p.ledger.TxPosition(rec)
	if err == nil && !ok {
		content := rec.Object
		if rec.Sealed != nil {
			content = rec.Sealed
		}
		pos, err = objectPosition(raw, content)
	}
	if err != nil {
		return err
	}
	b.Format, b.Tx, b.TxObject = proof.BundleFormat, raw, pos
	return nil
}

// rawTx returns a committed transaction from the cache or the block store.
// The bytes are shared by every bundle that carries them: read-only.
func (p *Prover) rawTx(ctx context.Context, hash []byte) ([]byte, error) {
	if raw, ok := p.txs.get(hash); ok {
		return raw, nil
	}
	raw, err := p.chain.RawTx(ctx, hash)
	if err != nil {
		return nil, err
	}
	p.txs.put(hash, raw)
	return raw, nil
}

func objectPosition(raw, object []byte) (int, error) {
	contents, err := proof.TxContents(raw)
	if err != nil {
		return 0, err
	}
	for i, o := range contents {
		if bytes.Equal(o, object) {
			return i, nil
		}
	}
	return 0, errors.New("the transaction does not carry the record's object")
}

// Consistency returns the consistency proof between the checkpoints at
// two heights (from ≤ to).
func (p *Prover) Consistency(ctx context.Context, from, to int64) (*proof.ConsistencyProof, error) {
	if from > to {
		return nil, errs.Errorf(errs.Invalid, "consistency from height %d to %d: from must not be after to", from, to)
	}
	a, ca, err := p.Checkpoint(ctx, from)
	if err != nil {
		return nil, err
	}
	b, cb, err := p.Checkpoint(ctx, to)
	if err != nil {
		return nil, err
	}
	path, err := p.ledger.ConsistencyProof(ca.Size, cb.Size)
	if err != nil {
		return nil, fmt.Errorf("consistency proof %d→%d: %w", ca.Size, cb.Size, err)
	}
	cp := &proof.ConsistencyProof{Format: proof.ConsistencyFormat, From: a, To: b}
	for _, h := range path {
		cp.Hashes = append(cp.Hashes, h)
	}
	return cp, nil
}
