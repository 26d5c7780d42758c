package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/audit"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/node"
	"github.com/phalanx-ledger/phalanx/internal/record"
)

// DefaultIntegrityInterval is how often a node re-checks its projection
// and key files against the ledger unless phalanx.json says otherwise.
const DefaultIntegrityInterval = "10m"

// guard remembers whether the node found its own files altered.
type guard struct {
	mu      sync.Mutex
	problem string // "" while everything matches
	checks  int    // completed checks
	run     *background
}

// health is the API's gate: data is not served once the node found its
// projection or keys altered.
func (d *Daemon) health(context.Context) error {
	if d.guard == nil {
		return nil
	}
	d.guard.mu.Lock()
	defer d.guard.mu.Unlock()
	if d.guard.problem == "" {
		return nil
	}
	return errs.Errorf(errs.Unavailable, "this node will not serve data: %s; stop it and rebuild with `phalanx reindex --dir %s` (keys: restore the key files from backup)",
		d.guard.problem, d.dir)
}

// IntegrityChecks reports how many integrity checks have completed and the
// problem found ("" if none).
func (d *Daemon) IntegrityChecks() (int, string) {
	d.guard.mu.Lock()
	defer d.guard.mu.Unlock()
	return d.guard.checks, d.guard.problem
}

// startGuard checks the node's files now and then every interval, in the
// background.
func (d *Daemon) startGuard(ctx context.Context, interval time.Duration) {
	d.guard = &guard{}
	d.guard.run = runBackground(ctx, func(ctx context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			d.runCheck(ctx)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	})
}

func (d *Daemon) stopGuard() {
	if d.guard != nil {
		d.guard.run.stop()
	}
}

func (d *Daemon) runCheck(ctx context.Context) {
	problem, err := d.checkIntegrity(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return // stopping
		}
		d.log.Error("integrity check failed to run", "err", err)
		return
	}
	d.guard.mu.Lock()
	defer d.guard.mu.Unlock()
	d.guard.checks++
	if problem != "" && d.guard.problem == "" {
		d.guard.problem = problem
		d.log.Error("integrity check: node files were altered; refusing to serve data",
			"problem", problem, "rebuild", "stop the node, run `phalanx reindex --dir "+d.dir+"`, start it again")
	}
}

// checkIntegrity compares the projection with the ledger record by record
// and the key files with the keys the ledger holds for this member.
func (d *Daemon) checkIntegrity(ctx context.Context) (string, error) {
	if p := d.checkKeys(); p != "" {
		return p, nil
	}
	diff, _, err := audit.Projection(ctx, d.proj, openedRecords(d.app.Records, d.opener), d.app.State().Records)
	if err != nil {
		return "", err
	}
	if diff != nil {
		return "projection altered at " + diff.String(), nil
	}
	return "", nil
}

func (d *Daemon) checkKeys() string {
	var onLedger []byte
	var validator []byte
	for _, m := range d.app.Members() {
		if m.ID == d.cfg.Member {
			onLedger, validator = m.SignKey, m.ValidatorKey
		}
	}
	id, err := keys.Load(filepath.Join(d.dir, KeyFile))
	if err != nil {
		return fmt.Sprintf("key file %s unreadable (%v)", KeyFile, err)
	}
	if onLedger != nil && !bytes.Equal(id.SignPublic(), onLedger) && !bytes.Equal(d.intake.Identity().SignPublic(), onLedger) && !d.preparedKeyIs(onLedger) {
		return fmt.Sprintf("key file %s holds a signing key the ledger does not know for %s", KeyFile, d.cfg.Member)
	}
	if !bytes.Equal(id.SignPublic(), d.intake.Identity().SignPublic()) && bytes.Equal(d.intake.Identity().SignPublic(), onLedger) {
		return fmt.Sprintf("key file %s changed on disk behind the node", KeyFile)
	}
	if len(validator) > 0 {
		// Logged, not refused: a validator key does not change what the node
		// serves. After a rotation passes, the ledger's key is the prepared
		// one until the next start installs it (docs/operations.md).
		home := filepath.Join(d.dir, cometDir)
		pub, err := node.ValidatorPubKey(home)
		next, nerr := node.PreparedValidatorPubKey(home)
		if err != nil || nerr != nil {
			d.log.Error("integrity check: validator key file unreadable", "err", errors.Join(err, nerr))
		} else if !bytes.Equal(pub, validator) && !bytes.Equal(next, validator) {
			d.log.Error("integrity check: the validator key file holds a key the ledger does not record for this member",
				"member", d.cfg.Member)
		}
	}
	return ""
}

// preparedKeyIs reports whether a prepared rotation's key file holds pub
// (the ledger adopted the rotation and the node is about to switch).
func (d *Daemon) preparedKeyIs(pub []byte) bool {
	next, err := keys.Load(filepath.Join(d.dir, NextKeyFile))
	return err == nil && bytes.Equal(next.SignPublic(), pub)
}

// openedRecords reads ledger records with the sealed ones this member can
// open opened, as the follower projects them (audit.Records).
func openedRecords(read audit.Records, op *opener) audit.Records {
	return func(from, to uint64, max int) ([]record.Record, error) {
		recs, err := read(from, to, max)
		if err != nil {
			return nil, err
		}
		out, _ := op.open(recs)
		return out, nil
	}
}
