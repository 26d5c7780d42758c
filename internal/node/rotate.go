package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
)

// KeySchedule tells a node when a prepared validator key takes over. The
// ledger decides it (a rotate_keys proposal passes at height E; CometBFT
// applies the validator update from E+2), the node only follows.
type KeySchedule interface {
	// KeyActiveFrom is the first height at which pubKey is this node's
	// validator key, or 0 while no passed rotation names it.
	KeyActiveFrom(pubKey []byte) int64
	// CommittedHeight is the last height the application committed.
	CommittedHeight() int64
}

// nextSuffix marks the prepared key and its sign state beside the
// current ones: config/priv_validator_key.next.json, data/priv_validator_state.next.json.
const nextSuffix = ".next.json"

func nextPath(p string) string { return strings.TrimSuffix(p, ".json") + nextSuffix }

// PrepareValidatorKey generates the validator key a key rotation will
// switch to and keeps it beside the current one in home. It returns the
// new public key; an existing prepared key is an error.
func PrepareValidatorKey(home string) ([]byte, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	keyFile, stateFile := nextPath(conf.PrivValidatorKeyFile()), nextPath(conf.PrivValidatorStateFile())
	if _, err := os.Stat(keyFile); err == nil {
		return nil, fmt.Errorf("a validator key is already prepared (%s)", keyFile)
	}
	pv, err := privval.GenFilePV(keyFile, stateFile, nil)
	if err != nil {
		return nil, fmt.Errorf("prepare validator key: %w", err)
	}
	pv.Save()
	pk, err := pv.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("prepare validator key: %w", err)
	}
	return pk.Bytes(), nil
}

// PreparedValidatorPubKey returns the public key of the validator key a
// rotation prepared in home, nil if there is none.
func PreparedValidatorPubKey(home string) ([]byte, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	pv, err := loadPreparedKey(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	if err != nil || pv == nil {
		return nil, err
	}
	return pv.Key.PubKey.Bytes(), nil
}

// loadPrivValidator loads the node's validator key. A prepared key whose
// rotation has taken effect replaces the current files first, so a
// restarted node signs with the key the validator set holds; otherwise
// the node watches for a rotation (rotatingPV).
func loadPrivValidator(conf *cfg.Config, sched KeySchedule) (types.PrivValidator, error) {
	keyFile, stateFile := conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile()
	if sched == nil {
		return privval.LoadFilePV(keyFile, stateFile), nil
	}
	next, err := loadPreparedKey(keyFile, stateFile)
	if err != nil {
		return nil, err
	}
	if next != nil {
		from := sched.KeyActiveFrom(next.Key.PubKey.Bytes())
		if from > 0 && sched.CommittedHeight()+1 >= from {
			if err := promote(keyFile, stateFile); err != nil {
				return nil, err
			}
		}
	}
	return &rotatingPV{cur: privval.LoadFilePV(keyFile, stateFile), keyFile: keyFile, stateFile: stateFile, sched: sched, checked: -1}, nil
}

// loadPreparedKey loads the prepared validator key beside keyFile, nil if
// there is none. Unlike privval.LoadFilePV it returns errors instead of
// exiting the process. A prepared key has never signed, so its sign state
// starts empty (and is saved to the .next state file when it signs).
func loadPreparedKey(keyFile, stateFile string) (*privval.FilePV, error) {
	b, err := os.ReadFile(nextPath(keyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read prepared validator key: %w", err)
	}
	var k privval.FilePVKey
	if err := cmtjson.Unmarshal(b, &k); err != nil || k.PrivKey == nil {
		return nil, fmt.Errorf("prepared validator key %s: not a validator key file (%v)", nextPath(keyFile), err)
	}
	return privval.NewFilePV(k.PrivKey, nextPath(keyFile), nextPath(stateFile)), nil
}

// promote replaces the current validator key and sign state with the
// prepared ones, keeping the old key as priv_validator_key.retired.json.
func promote(keyFile, stateFile string) error {
	retired := strings.TrimSuffix(keyFile, ".json") + ".retired.json"
	for _, mv := range [][2]string{{keyFile, retired}, {nextPath(keyFile), keyFile}, {nextPath(stateFile), stateFile}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			return fmt.Errorf("install rotated validator key: %w", err)
		}
	}
	return syncDir(filepath.Dir(keyFile))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// rotatingPV signs with the current validator key until the height from
// which the ledger's validator set holds a prepared one, and with the
// prepared key from then on. It looks for a prepared key and its passed
// rotation once per committed height; CometBFT asks for the public key
// again after every commit, so the switch needs no restart.
type rotatingPV struct {
	keyFile, stateFile string
	sched              KeySchedule

	mu      sync.Mutex
	cur     *privval.FilePV
	next    *privval.FilePV // nil while no key is prepared
	from    int64           // first height of next, 0 while its rotation has not passed
	checked int64           // committed height of the last look
}

var _ types.PrivValidator = (*rotatingPV)(nil)

// signer returns the key that signs at height h.
func (p *rotatingPV) signer(h int64) *privval.FilePV {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.sched.CommittedHeight(); c != p.checked {
		p.checked = c
		p.look()
	}
	if p.next != nil && p.from > 0 && h >= p.from {
		return p.next
	}
	return p.cur
}

// look loads a newly prepared key and asks when it takes over.
func (p *rotatingPV) look() {
	if p.next == nil {
		next, err := loadPreparedKey(p.keyFile, p.stateFile)
		if err != nil || next == nil {
			return // an unreadable prepared key never signs; the current one goes on
		}
		p.next = next
	}
	if p.from == 0 {
		p.from = p.sched.KeyActiveFrom(p.next.Key.PubKey.Bytes())
	}
}

// GetPubKey is the key that signs at the height after the last commit.
func (p *rotatingPV) GetPubKey() (crypto.PubKey, error) {
	return p.signer(p.sched.CommittedHeight() + 1).GetPubKey()
}

// SignVote signs with the key of the vote's height.
func (p *rotatingPV) SignVote(chainID string, vote *cmtproto.Vote, signExtension bool) error {
	return p.signer(vote.Height).SignVote(chainID, vote, signExtension)
}

// SignProposal signs with the key of the proposal's height.
func (p *rotatingPV) SignProposal(chainID string, proposal *cmtproto.Proposal) error {
	return p.signer(proposal.Height).SignProposal(chainID, proposal)
}

// SignBytes signs with the key of the next height.
func (p *rotatingPV) SignBytes(b []byte) ([]byte, error) {
	return p.signer(p.sched.CommittedHeight() + 1).SignBytes(b)
}
