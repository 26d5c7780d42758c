package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
)

// Key is a recipient's public sealing key.
type Key struct {
	Member string
	Public []byte // X25519
}

// Meta is what the author states about a record in its header.
type Meta struct {
	ID, Modified, Author string
	Level                uint8
	Group                string
}

// Sealer seals records for one set of recipients. It draws a random
// 256-bit set key and wraps it once per recipient with HPKE, bound to the
// recipient commitment; each record's content key is
// HKDF-SHA256(set key, info = "phalanx/seal/content-key/v1" 0x00 ‖ header
// hash), unique per record because the header holds a salted commitment.
// Records sealed by one Sealer share their stanzas (every recipient of one
// is a recipient of all) but never a content key, and sealing a record
// costs no public-key operation. A Sealer is safe for concurrent use.
type Sealer struct {
	recipients []Recipient
	commit     []byte
	stanzas    [][]byte
	setKey     []byte
}

// NewSealer prepares sealing for the recipients' keys. Recipients are
// sorted by member id; a member named twice is an error.
func NewSealer(to []Key) (*Sealer, error) {
	keys := append([]Key(nil), to...)
	sort.Slice(keys, func(i, j int) bool { return keys[i].Member < keys[j].Member })
	s := &Sealer{setKey: make([]byte, dataKeySize)}
	pubs := make([]*ecdh.PublicKey, len(keys))
	for i, k := range keys {
		if i > 0 && keys[i-1].Member == k.Member {
			return nil, fmt.Errorf("seal: recipient %s named twice", k.Member)
		}
		pub, err := ecdh.X25519().NewPublicKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("seal: key of %s: %w", k.Member, err)
		}
		pubs[i] = pub
		s.recipients = append(s.recipients, Recipient{Member: k.Member, Fingerprint: Fingerprint(k.Public)})
	}
	s.commit = RecipientCommitment(s.recipients)
	rand.Read(s.setKey) // crypto/rand.Read never fails (Go ≥ 1.24)
	s.stanzas = make([][]byte, len(pubs))
	for i, pub := range pubs {
		st, err := wrap(pub, s.commit, s.setKey)
		if err != nil {
			return nil, fmt.Errorf("seal for %s: %w", keys[i].Member, err)
		}
		s.stanzas[i] = st
	}
	return s, nil
}

// Seal encrypts plaintext for the recipients' keys: NewSealer(to) and one
// record.
func Seal(m Meta, plaintext []byte, to []Key) (*Envelope, error) {
	s, err := NewSealer(to)
	if err != nil {
		return nil, fmt.Errorf("seal record %s: %w", m.ID, err)
	}
	return s.Seal(m, plaintext)
}

// Seal encrypts one record.
func (s *Sealer) Seal(m Meta, plaintext []byte) (*Envelope, error) {
	h := Header{Version: FormatVersion, ID: m.ID, Modified: m.Modified, Author: m.Author,
		Level: m.Level, Size: uint64(len(plaintext)), Group: m.Group,
		Recipients: s.recipients, RecipientCommit: s.commit}
	salted := make([]byte, SaltSize, SaltSize+len(plaintext))
	rand.Read(salted)
	h.ContentCommit = ContentCommitment(salted, plaintext)
	salted = append(salted, plaintext...)
	aead, err := contentAEAD(s.setKey, &h)
	if err != nil {
		return nil, fmt.Errorf("seal record %s: %w", m.ID, err)
	}
	e := &Envelope{Header: h, Stanzas: s.stanzas}
	e.Ciphertext = aead.Seal(nil, zeroNonce[:], salted, h.HeaderBytes())
	if err := e.Check(); err != nil {
		return nil, fmt.Errorf("seal record %s: %w", m.ID, err)
	}
	return e, nil
}

var zeroNonce [12]byte // each content key seals exactly one message

// contentAEAD is AES-256-GCM under the record's content key, derived from
// the set key and the header.
func contentAEAD(setKey []byte, h *Header) (cipher.AEAD, error) {
	hh := h.Hash()
	key, err := hkdf.Key(sha256.New, setKey, nil, "phalanx/seal/content-key/v1\x00"+string(hh[:]), 32)
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.ChaCha20Poly1305() }

// keyInfo binds a wrapped set key to one recipient set.
func keyInfo(recipientCommit []byte) []byte {
	return append([]byte("phalanx/seal/key/v1\x00"), recipientCommit...)
}

func wrap(pub *ecdh.PublicKey, recipientCommit, setKey []byte) ([]byte, error) {
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, err
	}
	kdf, aead := suite()
	return hpke.Seal(pk, kdf, aead, keyInfo(recipientCommit), setKey)
}

// Open decrypts the record for member, trying each of its private keys
// (current and retired) whose fingerprint the header names. It checks the
// plaintext against the header's size and content commitment.
func Open(e *Envelope, member string, privs []*ecdh.PrivateKey) ([]byte, error) {
	setKey, err := Unwrap(e, member, privs)
	if err != nil {
		return nil, err
	}
	defer clear(setKey)
	return OpenWith(e, setKey)
}

// Unwrap returns the set key of e for member: the HPKE step of Open, the
// only one that costs a public-key operation. Records of one set share
// it, so a caller opening a batch may unwrap once per set (and must
// forget the key afterwards).
func Unwrap(e *Envelope, member string, privs []*ecdh.PrivateKey) ([]byte, error) {
	h := &e.Header
	i, ok := h.index(member)
	if !ok {
		return nil, fmt.Errorf("open record %s as %s: %w", h.ID, member, ErrNotRecipient)
	}
	var key *ecdh.PrivateKey
	for _, p := range privs {
		if bytes.Equal(Fingerprint(p.PublicKey().Bytes()), h.Recipients[i].Fingerprint) {
			key = p
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("open record %s as %s: sealed to key %x, which this node does not hold: %w",
			h.ID, member, h.Recipients[i].Fingerprint, ErrNotRecipient)
	}
	setKey, err := unwrap(key, h.RecipientCommit, e.Stanzas[i])
	if err != nil {
		return nil, fmt.Errorf("open record %s: %w", h.ID, ErrTampered)
	}
	return setKey, nil
}

// OpenWith decrypts e with its set key and checks the plaintext against
// the header's size and content commitment.
func OpenWith(e *Envelope, setKey []byte) ([]byte, error) {
	h := &e.Header
	aead, err := contentAEAD(setKey, h)
	if err != nil {
		return nil, fmt.Errorf("open record %s: %w", h.ID, ErrTampered)
	}
	salted, err := aead.Open(nil, zeroNonce[:], e.Ciphertext, h.HeaderBytes())
	if err != nil || len(salted) < SaltSize {
		return nil, fmt.Errorf("open record %s: %w", h.ID, ErrTampered)
	}
	pt := salted[SaltSize:]
	if uint64(len(pt)) != h.Size || !bytes.Equal(ContentCommitment(salted[:SaltSize], pt), h.ContentCommit) {
		return nil, fmt.Errorf("open record %s: plaintext does not match its commitment: %w", h.ID, ErrTampered)
	}
	return pt, nil
}

func unwrap(priv *ecdh.PrivateKey, recipientCommit, stanza []byte) ([]byte, error) {
	k, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	kdf, aead := suite()
	dk, err := hpke.Open(k, kdf, aead, keyInfo(recipientCommit), stanza)
	if err != nil {
		return nil, err
	}
	if len(dk) != dataKeySize {
		return nil, errors.New("set key has the wrong size")
	}
	return dk, nil
}
