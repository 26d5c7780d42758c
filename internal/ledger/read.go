package ledger

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// State is a summary of the committed ledger state.
type State struct {
	ChainID string
	Height  int64
	AppHash []byte
	Records uint64 // size of the record log
	Root    []byte // RFC 6962 root of the record log
}

// State returns the committed state summary. Safe for concurrent use.
func (a *App) State() State {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return State{ChainID: a.chainID, Height: a.height, AppHash: a.appHash, Records: a.tree.End(), Root: rootOf(a.tree)}
}

// Members returns the member directory sorted by id. Safe for concurrent use.
func (a *App) Members() []Member {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Member, 0, len(a.members))
	for _, m := range a.members {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Height is the last committed height: State's Height without computing
// the log's root (proofs ask it per bundle).
func (a *App) Height() int64 { return a.committedHeight() }

func (a *App) committedHeight() int64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.height
}

// committedMember returns a committed member (nil if none).
func (a *App) committedMember(id string) *Member {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.members[id]
}

// committedMembers returns a copy of the committed member map.
func (a *App) committedMembers() map[string]*Member {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make(map[string]*Member, len(a.members))
	for id, m := range a.members {
		out[id] = m
	}
	return out
}

func (a *App) committedProposal(id uint64) (Proposal, bool, error) {
	v, err := a.kv.Get(propKey(id))
	if err != nil || v == nil {
		return Proposal{}, false, err
	}
	var p Proposal
	if err := cborDec.Unmarshal(v, &p); err != nil {
		return Proposal{}, false, fmt.Errorf("decode proposal %d: %w", id, err)
	}
	return p, true, nil
}

// Proposal returns a committed proposal.
func (a *App) Proposal(id uint64) (Proposal, bool, error) { return a.committedProposal(id) }

// Proposals returns every committed proposal, newest first.
func (a *App) Proposals() ([]Proposal, error) {
	var out []Proposal
	err := a.kv.Iterate(prefixProp, prefixEnd(prefixProp), func(_, v []byte) error {
		var p Proposal
		if err := cborDec.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("decode proposal: %w", err)
		}
		out = append(out, p)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, err
}

// Votes returns the current votes on a proposal by member id.
func (a *App) Votes(id uint64) (map[string]string, error) {
	out := map[string]string{}
	start := voteKey(id, "")
	err := a.kv.Iterate(start, prefixEnd(start), func(k, v []byte) error {
		out[string(k[len(start):])] = string(v)
		return nil
	})
	return out, err
}

// Nonce returns the last committed nonce of a member (0 if none).
func (a *App) Nonce(member string) uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.nonces[member]
}

// PendingNonce returns the last nonce of a member the mempool has admitted
// (committed or waiting in the mempool).
func (a *App) PendingNonce(member string) uint64 {
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	return a.checkNonces[member]
}

// NextFreeNonce returns the lowest nonce after a member's committed one
// that no transaction in the mempool holds: the nonce that fills a gap
// left by a transaction a block rejected.
func (a *App) NextFreeNonce(member string) uint64 {
	n := a.Nonce(member) + 1
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	for a.checkPending[member][n] {
		n++
	}
	return n
}

// Params returns the committed community parameters.
func (a *App) Params() Params {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.params
}

// Records returns the committed records with index in [from, to), at most
// max of them (max ≤ 0: no limit).
func (a *App) Records(from, to uint64, max int) ([]record.Record, error) {
	var out []record.Record
	err := a.kv.Iterate(recordKey(from), recordKey(to), func(k, v []byte) error {
		var s storedRecord
		if err := cborDec.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("decode record %x: %w", k, err)
		}
		idx := binary.BigEndian.Uint64(k[len(prefixRecord):])
		out = append(out, toRecord(idx, s))
		if max > 0 && len(out) >= max {
			return errStop
		}
		return nil
	})
	if err == errStop {
		err = nil
	}
	return out, err
}

type stopErr struct{}

func (stopErr) Error() string { return "stop" }

var errStop error = stopErr{}
