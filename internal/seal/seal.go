package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
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

// Seal encrypts plaintext for the recipients' keys. Recipients are sorted
// by member id; a member named twice is an error.
func Seal(m Meta, plaintext []byte, to []Key) (*Envelope, error) {
	keys := append([]Key(nil), to...)
	sort.Slice(keys, func(i, j int) bool { return keys[i].Member < keys[j].Member })
	h := Header{Version: FormatVersion, ID: m.ID, Modified: m.Modified, Author: m.Author,
		Level: m.Level, Size: uint64(len(plaintext)), Group: m.Group}
	pubs := make([]*ecdh.PublicKey, len(keys))
	for i, k := range keys {
		if i > 0 && keys[i-1].Member == k.Member {
			return nil, fmt.Errorf("seal record %s: recipient %s named twice", m.ID, k.Member)
		}
		pub, err := ecdh.X25519().NewPublicKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("seal record %s: key of %s: %w", m.ID, k.Member, err)
		}
		pubs[i] = pub
		h.Recipients = append(h.Recipients, Recipient{Member: k.Member, Fingerprint: Fingerprint(k.Public)})
	}
	h.RecipientCommit = RecipientCommitment(h.Recipients)
	salted := make([]byte, SaltSize, SaltSize+len(plaintext))
	dataKey := make([]byte, dataKeySize)
	rand.Read(salted)  // crypto/rand.Read never fails (Go ≥ 1.24)
	rand.Read(dataKey) //
	h.ContentCommit = ContentCommitment(salted, plaintext)
	salted = append(salted, plaintext...)
	e := &Envelope{Header: h, Stanzas: make([][]byte, len(pubs))}
	hh := h.Hash()
	for i, pub := range pubs {
		st, err := wrap(pub, hh[:], dataKey)
		if err != nil {
			return nil, fmt.Errorf("seal record %s for %s: %w", m.ID, keys[i].Member, err)
		}
		e.Stanzas[i] = st
	}
	aead, err := contentAEAD(dataKey)
	if err != nil {
		return nil, fmt.Errorf("seal record %s: %w", m.ID, err)
	}
	e.Ciphertext = aead.Seal(nil, zeroNonce[:], salted, h.HeaderBytes())
	if err := e.Check(); err != nil {
		return nil, fmt.Errorf("seal record %s: %w", m.ID, err)
	}
	return e, nil
}

var zeroNonce [12]byte // each data key seals exactly one message

// contentAEAD is AES-256-GCM under a record's data key.
func contentAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.ChaCha20Poly1305() }

// keyInfo binds a wrapped data key to one header.
func keyInfo(headerHash []byte) []byte {
	return append([]byte("phalanx/seal/key/v1\x00"), headerHash...)
}

func wrap(pub *ecdh.PublicKey, headerHash, dataKey []byte) ([]byte, error) {
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, err
	}
	kdf, aead := suite()
	return hpke.Seal(pk, kdf, aead, keyInfo(headerHash), dataKey)
}

// Open decrypts the record for member, trying each of its private keys
// (current and retired) whose fingerprint the header names. It checks the
// plaintext against the header's size and content commitment.
func Open(e *Envelope, member string, privs []*ecdh.PrivateKey) ([]byte, error) {
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
	hh := h.Hash()
	dataKey, err := unwrap(key, hh[:], e.Stanzas[i])
	if err != nil {
		return nil, fmt.Errorf("open record %s: %w", h.ID, ErrTampered)
	}
	aead, err := contentAEAD(dataKey)
	if err != nil {
		return nil, fmt.Errorf("open record %s: %w", h.ID, ErrTampered)
	}
	salted, err := aead.Open(nil, zeroNonce[:], e.Ciphertext, h.HeaderBytes())
	if err != nil || len(salted) < SaltSize {
		return nil, fmt.Errorf("open record %s: %w", h.ID, ErrTampered)
	}
	clear(dataKey)
	pt := salted[SaltSize:]
	if uint64(len(pt)) != h.Size || !bytes.Equal(ContentCommitment(salted[:SaltSize], pt), h.ContentCommit) {
		return nil, fmt.Errorf("open record %s: plaintext does not match its commitment: %w", h.ID, ErrTampered)
	}
	return pt, nil
}

func unwrap(priv *ecdh.PrivateKey, headerHash, stanza []byte) ([]byte, error) {
	k, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	kdf, aead := suite()
	dk, err := hpke.Open(k, kdf, aead, keyInfo(headerHash), stanza)
	if err != nil {
		return nil, err
	}
	if len(dk) != dataKeySize {
		return nil, errors.New("data key has the wrong size")
	}
	return dk, nil
}
