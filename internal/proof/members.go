package proof

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// Member is one member as `phalanx members --json` prints it; the verifier
// uses the transaction key, the validator key and the voting power.
type Member struct {
	ID           string `json:"id"`
	SignKey      []byte `json:"sign_key"`      // Ed25519 public key (base64 in JSON)
	ValidatorKey []byte `json:"validator_key"` // Ed25519 CometBFT key (base64 in JSON)
	Power        int64  `json:"power"`
	Status       string `json:"status"`
}

// MaxMembersBytes bounds a members file.
const MaxMembersBytes = 4 << 20

// ParseMembers reads a members file: the JSON array `phalanx members
// --json` prints.
func ParseMembers(b []byte) ([]Member, error) {
	if len(b) > MaxMembersBytes {
		return nil, fmt.Errorf("members file is %d bytes; the limit is %d", len(b), MaxMembersBytes)
	}
	var ms []Member
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, fmt.Errorf("members file: want the JSON array of `phalanx members --json`: %w", err)
	}
	seen := map[string]bool{}
	for i, m := range ms {
		switch {
		case m.ID == "":
			return nil, fmt.Errorf("members file: entry %d has no id", i)
		case seen[m.ID]:
			return nil, fmt.Errorf("members file: member %q appears twice", m.ID)
		case len(m.SignKey) != ed25519.PublicKeySize:
			return nil, fmt.Errorf("members file: member %q: sign_key is %d bytes, want 32", m.ID, len(m.SignKey))
		case len(m.ValidatorKey) != 0 && len(m.ValidatorKey) != ed25519.PublicKeySize:
			return nil, fmt.Errorf("members file: member %q: validator_key is %d bytes, want 32", m.ID, len(m.ValidatorKey))
		case m.Power < 0:
			return nil, fmt.Errorf("members file: member %q: negative power", m.ID)
		}
		seen[m.ID] = true
	}
	return ms, nil
}

// validator is a member that votes in consensus.
type validator struct {
	member  string
	address [20]byte
	pub     ed25519.PublicKey
	power   int64
}

// validators returns the members with a validator key and positive power,
// keyed by CometBFT address (the first 20 bytes of SHA-256 of the key).
func validators(ms []Member) map[[20]byte]validator {
	out := map[[20]byte]validator{}
	for _, m := range ms {
		if len(m.ValidatorKey) != ed25519.PublicKeySize || m.Power <= 0 || (m.Status != "" && m.Status != "active") {
			continue
		}
		sum := sha256.Sum256(m.ValidatorKey)
		var addr [20]byte
		copy(addr[:], sum[:20])
		out[addr] = validator{member: m.ID, address: addr, pub: m.ValidatorKey, power: m.Power}
	}
	return out
}
