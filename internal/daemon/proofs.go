package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/prover"
	"github.com/phalanx-ledger/phalanx/internal/web"
)

// newProver serves proofs and checkpoints from the ledger and the block
// store; checkpoint notes are signed with the member's current key.
func (d *Daemon) newProver() *prover.Prover {
	return prover.New(d.app, proofChain{d.cmt, d.app}, func() *proof.Signer {
		id := d.intake.Identity()
		return proof.NewSigner(id.Member, id.Sign)
	})
}

// proofChain is the prover's view of the chain: headers and commits from
// the block store, and a committed transaction's bytes found through the
// ledger's record of where it was committed.
type proofChain struct {
	*node.Node
	app *ledger.App
}

// RawTx implements prover.Chain.
func (c proofChain) RawTx(_ context.Context, hash []byte) ([]byte, error) {
	out, ok, err := c.app.TxOutcome(hash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("transaction %X is not committed", hash)
	}
	return c.TxAt(out.Height, out.Index, hash)
}

// The web UI's proof pages and checkpoints use the same prover as the API.
var _ web.Proofs = (*prover.Prover)(nil)

// background is a task the daemon runs beside its services (the integrity
// guard, the proof cache warm-up) and stops, and waits for, before it
// closes the stores the task reads. It also ends with the context it was
// started with.
type background struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func runBackground(ctx context.Context, fn func(context.Context)) *background {
	ctx, cancel := context.WithCancel(ctx)
	b := &background{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		fn(ctx)
	}()
	return b
}

func (b *background) stop() {
	if b != nil {
		b.cancel()
		<-b.done
	}
}

// warmProofs loads the record tree's nodes into the ledger's proof cache
// (within its bounds), so proofs served after start-up read no tree node
// from the store instead of a dozen.
func (d *Daemon) warmProofs(ctx context.Context) {
	start := time.Now()
	n, err := d.app.WarmProofCache(ctx)
	if err != nil && ctx.Err() == nil {
		d.log.Warn("proof cache not warmed", "err", err)
		return
	}
	d.log.Debug("proof cache warmed", "nodes", n, "took", time.Since(start).Round(time.Millisecond))
}
