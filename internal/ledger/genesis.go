package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"regexp"
)

// Member is one organisation of the community as the ledger knows it.
type Member struct {
	ID           string   `cbor:"1,keyasint" json:"id"`
	Name         string   `cbor:"2,keyasint" json:"name"`
	SignKey      []byte   `cbor:"3,keyasint" json:"sign_key"`      // Ed25519 public key: signs transactions
	SealKey      []byte   `cbor:"4,keyasint" json:"seal_key"`      // X25519 public key: receives sealed content
	ValidatorKey []byte   `cbor:"5,keyasint" json:"validator_key"` // Ed25519 CometBFT consensus key
	Power        int64    `cbor:"6,keyasint" json:"power"`
	Sectors      []string `cbor:"7,keyasint" json:"sectors"`
	Regions      []string `cbor:"8,keyasint" json:"regions"`
	Status       string   `cbor:"9,keyasint" json:"status"` // "active" or "removed"
	JoinHeight   int64    `cbor:"10,keyasint" json:"join_height"`
	// Technologies the member runs (e.g. "exchange", "citrix-adc"): part of
	// its profile for relevance. Omitted when empty, so records of members
	// without any keep their encoding (and state hashes).
	Technologies []string `cbor:"11,keyasint,omitempty" json:"technologies,omitempty"`
}

// Member statuses.
const (
	StatusActive  = "active"
	StatusRemoved = "removed"
)

// Params are the community parameters the ledger enforces.
type Params struct {
	MaxTxBytes      int64 `cbor:"1,keyasint" json:"max_tx_bytes"`
	MaxObjectBytes  int64 `cbor:"2,keyasint" json:"max_object_bytes"`
	MaxObjectsPerTx int64 `cbor:"3,keyasint" json:"max_objects_per_tx"`
	// VotingPeriod is how many blocks a proposal stays open.
	VotingPeriod int64 `cbor:"4,keyasint" json:"voting_period"`
	// A proposal passes when yes votes are MORE than
	// ApprovalNum/ApprovalDen of the active members (default 2/3) ...
	ApprovalNum int64 `cbor:"5,keyasint" json:"approval_num"`
	ApprovalDen int64 `cbor:"6,keyasint" json:"approval_den"`
	// ... and at least QuorumNum/QuorumDen of them voted (default 1/2).
	QuorumNum int64 `cbor:"7,keyasint" json:"quorum_num"`
	QuorumDen int64 `cbor:"8,keyasint" json:"quorum_den"`
}

// DefaultParams are used when genesis names none.
func DefaultParams() Params {
	return Params{MaxTxBytes: 4 << 20, MaxObjectBytes: 1 << 20, MaxObjectsPerTx: 10000,
		VotingPeriod: 20, ApprovalNum: 2, ApprovalDen: 3, QuorumNum: 1, QuorumDen: 2}
}

// Validate checks the parameters are usable.
func (p Params) Validate() error {
	switch {
	case p.MaxTxBytes < 1024 || p.MaxTxBytes > 64<<20:
		return fmt.Errorf("max_tx_bytes %d out of range [1024, 64 MiB]", p.MaxTxBytes)
	case p.MaxObjectBytes < 256 || p.MaxObjectBytes > p.MaxTxBytes:
		return fmt.Errorf("max_object_bytes %d out of range [256, max_tx_bytes]", p.MaxObjectBytes)
	case p.MaxObjectsPerTx < 1 || p.MaxObjectsPerTx > 100000:
		return fmt.Errorf("max_objects_per_tx %d out of range [1, 100000]", p.MaxObjectsPerTx)
	case p.VotingPeriod < 1 || p.VotingPeriod > 1_000_000:
		return fmt.Errorf("voting_period %d out of range [1, 1000000] blocks", p.VotingPeriod)
	case p.ApprovalDen < 1 || p.ApprovalDen > 1000 || p.ApprovalNum < 0 || p.ApprovalNum >= p.ApprovalDen:
		return fmt.Errorf("approval %d/%d: want a fraction in [1/2, 1) with a denominator up to 1000", p.ApprovalNum, p.ApprovalDen)
	case 2*p.ApprovalNum < p.ApprovalDen:
		// Below one half, a minority could decide (one member of four at 1/5).
		return fmt.Errorf("approval %d/%d is below 1/2: a minority could decide", p.ApprovalNum, p.ApprovalDen)
	case p.QuorumDen < 1 || p.QuorumDen > 1000 || p.QuorumNum < 1 || p.QuorumNum > p.QuorumDen:
		return fmt.Errorf("quorum %d/%d: want a fraction in (0, 1] with a denominator up to 1000", p.QuorumNum, p.QuorumDen)
	case 2*p.QuorumNum < p.QuorumDen:
		return fmt.Errorf("quorum %d/%d is below 1/2", p.QuorumNum, p.QuorumDen)
	}
	return nil
}

// Genesis is the ledger's part of the CometBFT genesis file (app_state).
type Genesis struct {
	Members []Member `json:"members"`
	Params  *Params  `json:"params,omitempty"`
}

var memberIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidMemberID reports whether id is a well-formed member id: lower-case
// letters, digits and hyphens, 1 to 63 characters, starting alphanumeric.
func ValidMemberID(id string) bool { return memberIDRe.MatchString(id) }

// ParseGenesis decodes app_state strictly and validates it.
func ParseGenesis(b []byte) (Genesis, error) {
	var g Genesis
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return Genesis{}, fmt.Errorf("decode genesis app_state: %w", err)
	}
	if g.Params == nil {
		p := DefaultParams()
		g.Params = &p
	}
	return g, g.Validate()
}

// Validate checks members and parameters.
func (g Genesis) Validate() error {
	if len(g.Members) == 0 {
		return fmt.Errorf("genesis has no members")
	}
	seen := map[string]bool{}
	for i, m := range g.Members {
		if err := m.validate(); err != nil {
			return fmt.Errorf("genesis member %d: %w", i, err)
		}
		if seen[m.ID] {
			return fmt.Errorf("genesis member %d: duplicate id %q", i, m.ID)
		}
		seen[m.ID] = true
	}
	if g.Params != nil {
		return g.Params.Validate()
	}
	return nil
}

func (m Member) validate() error {
	switch {
	case !ValidMemberID(m.ID):
		return fmt.Errorf("member id %q: want 1-63 of a-z, 0-9, '-'", m.ID)
	case m.Name == "":
		return fmt.Errorf("member %s: empty name", m.ID)
	case len(m.SignKey) != ed25519.PublicKeySize:
		return fmt.Errorf("member %s: sign_key is %d bytes, want 32", m.ID, len(m.SignKey))
	case len(m.SealKey) != 32:
		return fmt.Errorf("member %s: seal_key is %d bytes, want 32", m.ID, len(m.SealKey))
	case m.ValidatorKey != nil && len(m.ValidatorKey) != ed25519.PublicKeySize:
		return fmt.Errorf("member %s: validator_key is %d bytes, want 32", m.ID, len(m.ValidatorKey))
	case m.Power < 0:
		return fmt.Errorf("member %s: negative power", m.ID)
	}
	if err := ValidateProfileList("technologies", m.Technologies); err != nil {
		return fmt.Errorf("member %s: %w", m.ID, err)
	}
	return nil
}
