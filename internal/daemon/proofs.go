package daemon

import (
	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/prover"
	"github.com/phalanx-ledger/phalanx/internal/web"
)

// newProver serves proofs and checkpoints from the ledger and the block
// store; checkpoint notes are signed with the member's current key.
func (d *Daemon) newProver() *prover.Prover {
	return prover.New(d.app, d.cmt, func() *proof.Signer {
		id := d.intake.Identity()
		return proof.NewSigner(id.Member, id.Sign)
	})
}

// The web UI's proof pages and checkpoints use the same prover as the API.
var _ web.Proofs = (*prover.Prover)(nil)
