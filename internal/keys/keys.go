// Package keys holds a member's own secret keys: the Ed25519 key that signs
// its transactions and the X25519 key that opens content sealed for it.
// They are created once by `phalanx init`, stored in one file readable only
// by the node's user (0600), and never leave the node.
package keys

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Identity is a member's key pair set.
type Identity struct {
	Member string
	Sign   ed25519.PrivateKey
	Seal   *ecdh.PrivateKey
}

// file is the on-disk form.
type file struct {
	Member   string `json:"member"`
	SignSeed []byte `json:"sign_seed"`
	SealKey  []byte `json:"seal_key"`
}

// Generate makes fresh keys for a member.
func Generate(member string) (*Identity, error) {
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	seal, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate sealing key: %w", err)
	}
	return &Identity{Member: member, Sign: sign, Seal: seal}, nil
}

// SignPublic is the public signing key.
func (id *Identity) SignPublic() ed25519.PublicKey { return id.Sign.Public().(ed25519.PublicKey) }

// SealPublic is the public sealing key.
func (id *Identity) SealPublic() []byte { return id.Seal.PublicKey().Bytes() }

// Save writes the identity to path with mode 0600 (its folder 0700). It
// refuses to overwrite an existing file.
func (id *Identity) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create key folder: %w", err)
	}
	b, err := json.MarshalIndent(file{Member: id.Member, SignSeed: id.Sign.Seed(), SealKey: id.Seal.Bytes()}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode keys: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync key file: %w", err)
	}
	return f.Close()
}

// ErrPermissions means the key file can be read by others than its owner.
var ErrPermissions = errors.New("key file is readable by group or others; chmod 600 it")

// Load reads an identity saved by Save. A file readable by group or others
// is refused.
func Load(path string) (*Identity, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load keys: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("load keys %s (mode %v): %w", path, st.Mode().Perm(), ErrPermissions)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load keys: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decode keys %s: %w", path, err)
	}
	if len(f.SignSeed) != ed25519.SeedSize {
		return nil, fmt.Errorf("keys %s: signing seed is %d bytes, want %d", path, len(f.SignSeed), ed25519.SeedSize)
	}
	seal, err := ecdh.X25519().NewPrivateKey(f.SealKey)
	if err != nil {
		return nil, fmt.Errorf("keys %s: sealing key: %w", path, err)
	}
	return &Identity{Member: f.Member, Sign: ed25519.NewKeyFromSeed(f.SignSeed), Seal: seal}, nil
}

// Exists reports whether a key file is at path.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
