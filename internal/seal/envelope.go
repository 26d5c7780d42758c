// Package seal encrypts a STIX object for a set of recipient members so
// that the ledger can replicate it to every member while only the
// recipients can read it.
//
// A sealed record (an Envelope) is:
//
//	Header     public, checked by the ledger without the plaintext: format
//	           version, object id and version, author, TLP level,
//	           plaintext size, sharing group (if any), the recipients
//	           (member id and key fingerprint, sorted by member), the
//	           recipient commitment over them and a salted commitment to
//	           the plaintext
//	Stanzas    one per recipient, in header order: a random 256-bit set
//	           key sealed with HPKE (RFC 9180, DHKEM(X25519, HKDF-SHA256),
//	           HKDF-SHA256, ChaCha20-Poly1305) for the recipient's X25519
//	           key, with info bound to the recipient commitment
//	Ciphertext AES-256-GCM of salt ‖ plaintext under the record's content
//	           key HKDF-SHA256(set key, header hash), with the header bytes
//	           as associated data
//
// A set key may serve many records with the same recipients (a Sealer):
// sealing a record then costs no public-key operation. Every record has
// its own content key, used for one message only (so a fixed nonce is
// safe). Changing any header byte, stanza or ciphertext byte makes Open
// fail with ErrTampered; a recipient also checks the plaintext against the
// salted commitment and the size.
//
// The wire form is canonical CBOR (RFC 8949 §4.2); Decode refuses anything
// else, so a sealed record has exactly one encoding.
package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/fxamacker/cbor/v2"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// FormatVersion is the envelope format this package writes and reads.
const FormatVersion = 1

// Sizes of the fixed-length fields.
const (
	FingerprintSize = 16 // bytes of SHA-256 of a recipient's X25519 key
	CommitmentSize  = 32
	SaltSize        = 32
	dataKeySize     = 32
	// StanzaSize is an HPKE encapsulated key (32) plus the sealed set key
	// and its tag (32 + 16).
	StanzaSize = 32 + dataKeySize + 16
	// MaxRecipients bounds the recipient list of one record.
	MaxRecipients = 1000
)

// Errors. Callers test them with errors.Is.
var (
	// ErrMalformed: the bytes are not a well-formed sealed record.
	ErrMalformed = errors.New("malformed sealed record")
	// ErrTampered: the header, a stanza or the ciphertext was altered, or
	// the plaintext does not match its commitment.
	ErrTampered = errors.New("sealed record was altered: header, key or ciphertext does not authenticate")
	// ErrNotRecipient: none of the given keys is a recipient of the record.
	ErrNotRecipient = errors.New("not a recipient of this sealed record")
)

// Recipient names one member a record is sealed for, by id and the
// fingerprint of the X25519 key it was sealed to.
type Recipient struct {
	Member      string `cbor:"1,keyasint" json:"member"`
	Fingerprint []byte `cbor:"2,keyasint" json:"fingerprint"`
}

// Header is the public part of a sealed record.
type Header struct {
	Version    uint64      `cbor:"1,keyasint" json:"format"`
	ID         string      `cbor:"2,keyasint" json:"id"`
	Modified   string      `cbor:"3,keyasint" json:"version"` // the STIX version, as the ledger normalises it
	Author     string      `cbor:"4,keyasint" json:"author"`
	Level      uint8       `cbor:"5,keyasint" json:"tlp"` // a tlp.Level, AMBER or above unless addressed
	Size       uint64      `cbor:"6,keyasint" json:"size"`
	Group      string      `cbor:"7,keyasint,omitempty" json:"group,omitempty"`
	Recipients []Recipient `cbor:"8,keyasint" json:"recipients"`
	// RecipientCommit is RecipientCommitment(Recipients).
	RecipientCommit []byte `cbor:"9,keyasint" json:"recipient_commitment"`
	// ContentCommit is ContentCommitment(salt, plaintext); the salt is
	// inside the ciphertext.
	ContentCommit []byte `cbor:"10,keyasint" json:"content_commitment"`
}

// Envelope is a sealed record: header, one key stanza per recipient and
// the ciphertext.
type Envelope struct {
	Header     Header   `cbor:"1,keyasint"`
	Stanzas    [][]byte `cbor:"2,keyasint"`
	Ciphertext []byte   `cbor:"3,keyasint"`
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	if decMode, err = tx.StrictDecOptions(MaxRecipients+1, 16, 6).DecMode(); err != nil {
		panic(err)
	}
}

// Encode returns the canonical encoding of the envelope.
func (e *Envelope) Encode() ([]byte, error) {
	b, err := encMode.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode sealed record %s: %w", e.Header.ID, err)
	}
	return b, nil
}

// HeaderBytes returns the canonical encoding of the header: the associated
// data of the ciphertext.
func (h *Header) HeaderBytes() []byte {
	b, err := encMode.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("seal: encode header: %v", err)) // plain struct: cannot fail
	}
	return b
}

// Hash is SHA-256 of the header bytes.
func (h *Header) Hash() [32]byte { return sha256.Sum256(h.HeaderBytes()) }

// Decode parses a sealed record and checks that it is canonical and
// well-formed (see Check). It does not decrypt anything.
func Decode(b []byte) (*Envelope, error) {
	var e Envelope
	if err := decMode.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	re, err := encMode.Marshal(&e)
	if err != nil || !bytes.Equal(re, b) {
		return nil, fmt.Errorf("%w: not canonical CBOR", ErrMalformed)
	}
	if err := e.Check(); err != nil {
		return nil, err
	}
	return &e, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Check verifies everything about an envelope that needs no key: format
// version, id form, level, recipients sorted and unique with one stanza
// each, fingerprint and commitment sizes, and that the recipient
// commitment matches the recipient list.
func (e *Envelope) Check() error {
	h := &e.Header
	switch {
	case h.Version != FormatVersion:
		return fmt.Errorf("%w: format version %d; this node reads %d", ErrMalformed, h.Version, FormatVersion)
	case !idPattern.MatchString(h.ID):
		return fmt.Errorf("%w: %q is not a STIX id", ErrMalformed, h.ID)
	case h.Author == "":
		return fmt.Errorf("%w: %s: no author", ErrMalformed, h.ID)
	case h.Level < 1 || h.Level > 5:
		return fmt.Errorf("%w: %s: TLP level %d is not a level", ErrMalformed, h.ID, h.Level)
	case len(h.Recipients) == 0:
		return fmt.Errorf("%w: %s: no recipients", ErrMalformed, h.ID)
	case len(h.Recipients) > MaxRecipients:
		return fmt.Errorf("%w: %s: %d recipients; the limit is %d", ErrMalformed, h.ID, len(h.Recipients), MaxRecipients)
	case len(e.Stanzas) != len(h.Recipients):
		return fmt.Errorf("%w: %s: %d key stanzas for %d recipients", ErrMalformed, h.ID, len(e.Stanzas), len(h.Recipients))
	case len(h.ContentCommit) != CommitmentSize:
		return fmt.Errorf("%w: %s: content commitment is %d bytes", ErrMalformed, h.ID, len(h.ContentCommit))
	case uint64(len(e.Ciphertext)) != h.Size+SaltSize+16:
		return fmt.Errorf("%w: %s: ciphertext is %d bytes for a %d-byte plaintext", ErrMalformed, h.ID, len(e.Ciphertext), h.Size)
	}
	for i, r := range h.Recipients {
		if r.Member == "" || len(r.Fingerprint) != FingerprintSize {
			return fmt.Errorf("%w: %s: recipient %d has no member id or a %d-byte fingerprint", ErrMalformed, h.ID, i, len(r.Fingerprint))
		}
		if i > 0 && h.Recipients[i-1].Member >= r.Member {
			return fmt.Errorf("%w: %s: recipients are not sorted and unique at %q", ErrMalformed, h.ID, r.Member)
		}
		if len(e.Stanzas[i]) != StanzaSize {
			return fmt.Errorf("%w: %s: key stanza %d is %d bytes, want %d", ErrMalformed, h.ID, i, len(e.Stanzas[i]), StanzaSize)
		}
	}
	if !bytes.Equal(h.RecipientCommit, RecipientCommitment(h.Recipients)) {
		return fmt.Errorf("%w: %s: recipient commitment does not match the recipient list", ErrMalformed, h.ID)
	}
	return nil
}

// Fingerprint names an X25519 public key: the first 16 bytes of its
// SHA-256.
func Fingerprint(pub []byte) []byte {
	h := sha256.Sum256(pub)
	return h[:FingerprintSize]
}

// RecipientCommitment is SHA-256 over the recipients sorted by member id:
//
//	"phalanx/seal/recipients/v1" 0x00 ( u32be(len id) id fingerprint )*
func RecipientCommitment(rs []Recipient) []byte {
	sorted := append([]Recipient(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Member < sorted[j].Member })
	h := sha256.New()
	h.Write([]byte("phalanx/seal/recipients/v1\x00"))
	for _, r := range sorted {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(r.Member))))
		h.Write([]byte(r.Member))
		h.Write(r.Fingerprint)
	}
	return h.Sum(nil)
}

// ContentCommitment is SHA-256("phalanx/seal/content/v1" 0x00 ‖ salt ‖
// plaintext): it binds the record to one plaintext without revealing
// anything about it (the salt is random and sealed with the content).
func ContentCommitment(salt, plaintext []byte) []byte {
	h := sha256.New()
	h.Write([]byte("phalanx/seal/content/v1\x00"))
	h.Write(salt)
	h.Write(plaintext)
	return h.Sum(nil)
}

// Has reports whether member is a recipient.
func (h *Header) Has(member string) bool {
	_, ok := h.index(member)
	return ok
}

func (h *Header) index(member string) (int, bool) {
	i := sort.Search(len(h.Recipients), func(i int) bool { return h.Recipients[i].Member >= member })
	return i, i < len(h.Recipients) && h.Recipients[i].Member == member
}

// Members returns the recipient member ids in order.
func (h *Header) Members() []string {
	out := make([]string, len(h.Recipients))
	for i, r := range h.Recipients {
		out[i] = r.Member
	}
	return out
}
