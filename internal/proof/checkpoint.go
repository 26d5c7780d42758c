// Package proof makes the ledger's answers checkable by anyone, offline:
// checkpoints of the record log in the C2SP tlog-checkpoint format (as
// C2SP signed notes), proof bundles that carry a record with its RFC 6962
// inclusion proof, the checkpoint and the validators' CometBFT commit over
// the block whose app hash binds it, and the verifier of both.
//
// Everything here is a pure function of its inputs: no network, no clock,
// no node. docs/verification.md describes every byte so that an auditor
// can re-implement the verifier without Phalanx.
package proof

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the state of the record log after one committed height.
// Its text form is a C2SP tlog-checkpoint:
//
//	<origin = chain id>
//	<tree size, decimal>
//	<base64 RFC 6962 root>
//	height <block height, decimal>
//	state <base64 state hash>
//
// The last two are extension lines: with size and root they give the app
// hash the block after Height carries in its header.
type Checkpoint struct {
	Origin    string
	Size      uint64
	Root      []byte
	Height    int64
	StateHash []byte
}

// MaxNoteBytes bounds a checkpoint note.
const MaxNoteBytes = 4096

// Text is the checkpoint's note text (ends with a newline).
func (c Checkpoint) Text() string {
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s\n%d\n%s\nheight %d\nstate %s\n", c.Origin, c.Size, enc(c.Root), c.Height, enc(c.StateHash))
}

// AppHash is the app hash this checkpoint stands for:
// SHA-256("phalanx/apphash/v1" 0x00 || u64be(size) || root || state hash).
func (c Checkpoint) AppHash() []byte {
	h := sha256.New()
	h.Write([]byte("phalanx/apphash/v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, c.Size))
	h.Write(c.Root)
	h.Write(c.StateHash)
	return h.Sum(nil)
}

// ParseCheckpointText parses a checkpoint note's text (without signatures).
func ParseCheckpointText(text string) (Checkpoint, error) {
	if len(text) > MaxNoteBytes {
		return Checkpoint{}, fmt.Errorf("checkpoint is %d bytes; the limit is %d", len(text), MaxNoteBytes)
	}
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, errors.New("checkpoint text must end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 5 {
		return Checkpoint{}, fmt.Errorf("checkpoint has %d lines; want 5 (origin, size, root, height, state)", len(lines))
	}
	var c Checkpoint
	var err error
	if c.Origin = lines[0]; c.Origin == "" || strings.ContainsAny(c.Origin, " \t") {
		return Checkpoint{}, fmt.Errorf("checkpoint origin %q: want a non-empty name without spaces", c.Origin)
	}
	if c.Size, err = parseDecimal(lines[1]); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint size: %w", err)
	}
	if c.Root, err = parseHash(lines[2]); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint root: %w", err)
	}
	h, ok := strings.CutPrefix(lines[3], "height ")
	n, err := parseDecimal(h)
	if !ok || err != nil || n > 1<<62 {
		return Checkpoint{}, fmt.Errorf("checkpoint line 4 %q: want \"height N\"", lines[3])
	}
	c.Height = int64(n)
	s, ok := strings.CutPrefix(lines[4], "state ")
	if c.StateHash, err = parseHash(s); !ok || err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint line 5 %q: want \"state BASE64\" of 32 bytes", lines[4])
	}
	if c.Text() != text {
		return Checkpoint{}, errors.New("checkpoint is not in canonical form")
	}
	return c, nil
}

func parseDecimal(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%q is not a canonical decimal number", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return n, nil
}

func parseHash(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("%q is not base64 of 32 bytes", s)
	}
	return b, nil
}

// Signer signs checkpoint notes with a member's Ed25519 transaction key:
// a C2SP signed-note signature of type 0x01 (Ed25519) named by member id.
type Signer struct {
	name string
	key  ed25519.PrivateKey
	hash uint32
}

var _ note.Signer = (*Signer)(nil)

// NewSigner returns a note signer for member name with its signing key.
func NewSigner(name string, key ed25519.PrivateKey) *Signer {
	return &Signer{name: name, key: key, hash: KeyHash(name, key.Public().(ed25519.PublicKey))}
}

// Name implements note.Signer.
func (s *Signer) Name() string { return s.name }

// KeyHash implements note.Signer.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign implements note.Signer.
func (s *Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// KeyHash is the C2SP signed-note key id of an Ed25519 key:
// the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
func KeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', 0x01})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// SignCheckpoint returns the checkpoint as a signed note.
func SignCheckpoint(c Checkpoint, s *Signer) (string, error) {
	b, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return "", fmt.Errorf("sign checkpoint at height %d: %w", c.Height, err)
	}
	return string(b), nil
}

// OpenCheckpoint parses a signed checkpoint note. It returns the
// checkpoint and the names of the members whose note signatures verify
// with the keys in members; a note no known key signed is still returned
// (the validators' commit, not the note signature, is what binds it). A
// signature by a known key that does not verify is an error, returned with
// the parsed checkpoint.
func OpenCheckpoint(signed string, members []Member) (Checkpoint, []string, error) {
	if len(signed) > MaxNoteBytes {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint note is %d bytes; the limit is %d", len(signed), MaxNoteBytes)
	}
	text, _, ok := strings.Cut(signed, "\n\n")
	if !ok {
		return Checkpoint{}, nil, errors.New("checkpoint note has no signature block (blank line)")
	}
	c, err := ParseCheckpointText(text + "\n")
	if err != nil {
		return Checkpoint{}, nil, err
	}
	var vs []note.Verifier
	for _, m := range members {
		if len(m.SignKey) != ed25519.PublicKeySize {
			continue
		}
		vkey, err := note.NewEd25519VerifierKey(m.ID, m.SignKey)
		if err != nil {
			continue // a member id that is not a valid note name cannot sign notes
		}
		if v, err := note.NewVerifier(vkey); err == nil {
			vs = append(vs, v)
		}
	}
	n, err := note.Open([]byte(signed), note.VerifierList(vs...))
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unverified):
		return c, nil, nil
	case err != nil:
		return c, nil, fmt.Errorf("checkpoint note: %w", err)
	}
	names := make([]string, len(n.Sigs))
	for i, s := range n.Sigs {
		names[i] = s.Name
	}
	return c, names, nil
}
