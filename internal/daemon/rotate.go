package daemon

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
)

// Key rotation files.
const (
	NextKeyFile  = "keys/member.next.json" // keys waiting for a rotate_keys proposal to pass
	RotationFile = "rotation.json"         // the application to file with `gov propose rotate`
	retiredDir   = "keys/retired"          // old keys, kept to open content sealed for them
)

// PrepareRotation makes new signing, sealing and validator keys for the
// member of an initialised directory, keeps them beside the current ones
// (DIR/keys/member.next.json and the CometBFT home's
// priv_validator_key.next.json, 0600) and writes DIR/rotation.json for
// `phalanx gov propose rotate`. The node keeps its current keys until the
// rotation passes; then it switches by itself: the member keys at the
// next commit (adoptRotatedKeys), the validator key at the height whose
// validator set holds it (keySchedule).
func PrepareRotation(dir string) (Application, error) {
	c, err := LoadConfig(dir)
	if err != nil {
		return Application{}, err
	}
	if keys.Exists(filepath.Join(dir, NextKeyFile)) {
		return Application{}, fmt.Errorf("a rotation is already prepared (%s); file it or delete it", NextKeyFile)
	}
	next, err := keys.Generate(c.Member)
	if err != nil {
		return Application{}, err
	}
	valKey, err := node.PrepareValidatorKey(filepath.Join(dir, cometDir))
	if err != nil {
		return Application{}, err
	}
	if err := next.Save(filepath.Join(dir, NextKeyFile)); err != nil {
		return Application{}, err
	}
	app := Application{Member: ledger.Member{ID: c.Member, SignKey: next.SignPublic(), SealKey: next.SealPublic(), ValidatorKey: valKey}}
	b, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		return Application{}, err
	}
	return app, os.WriteFile(filepath.Join(dir, RotationFile), append(b, '\n'), 0o644)
}

// adoptRotatedKeys switches the node to its prepared keys once the ledger
// records them for its member: the old key file moves to keys/retired/
// (its sealing key still opens older content), the prepared one becomes
// keys/member.json, and intake signs with it from the next transaction.
func (d *Daemon) adoptRotatedKeys() error {
	cur := d.intake.Identity()
	m := d.app.Members()
	var onLedger *ledger.Member
	for i := range m {
		if m[i].ID == cur.Member {
			onLedger = &m[i]
		}
	}
	if onLedger == nil || bytes.Equal(onLedger.SignKey, cur.SignPublic()) {
		return nil
	}
	nextPath := filepath.Join(d.dir, NextKeyFile)
	next, err := keys.Load(nextPath)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the ledger holds a new signing key for %s that this node does not have", cur.Member)
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(onLedger.SignKey, next.SignPublic()) {
		return fmt.Errorf("the ledger's signing key for %s matches neither the current nor the prepared key", cur.Member)
	}
	if err := retire(d.dir, cur); err != nil {
		return err
	}
	if err := os.Rename(nextPath, filepath.Join(d.dir, KeyFile)); err != nil {
		return fmt.Errorf("install rotated keys: %w", err)
	}
	d.id = next
	d.intake.SetIdentity(next)
	d.log.Info("adopted rotated keys", "member", cur.Member)
	return nil
}

// retire moves the current key file to keys/retired/<sign key prefix>.json.
func retire(dir string, id *keys.Identity) error {
	if err := os.MkdirAll(filepath.Join(dir, retiredDir), 0o700); err != nil {
		return err
	}
	name := hex.EncodeToString(id.SignPublic()[:8]) + ".json"
	if err := os.Rename(filepath.Join(dir, KeyFile), filepath.Join(dir, retiredDir, name)); err != nil {
		return fmt.Errorf("retire old keys: %w", err)
	}
	return nil
}

// keySchedule tells the consensus node when its prepared validator key
// takes over: two blocks after the one that passed the member's
// rotate_keys proposal naming it (CometBFT applies validator updates
// returned at height E from E+2).
type keySchedule struct{ d *Daemon }

// KeyActiveFrom implements node.KeySchedule.
func (k keySchedule) KeyActiveFrom(pubKey []byte) int64 {
	ps, err := k.d.app.Proposals()
	if err != nil {
		k.d.log.Error("key schedule: read proposals", "err", err)
		return 0
	}
	for _, p := range ps {
		r := p.Content.Rotation
		if p.Status == ledger.ProposalPassed && r != nil && r.Member == k.d.cfg.Member && bytes.Equal(r.ValidatorKey, pubKey) {
			return p.End + 2
		}
	}
	return 0
}

// CommittedHeight implements node.KeySchedule.
func (k keySchedule) CommittedHeight() int64 { return k.d.app.State().Height }
