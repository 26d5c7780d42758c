package tx

import (
	"crypto/sha256"

	"github.com/transparency-dev/merkle/rfc6962"
)

// HashChildren is the RFC 6962 interior node hash, SHA-256(0x01 || l || r):
// the same bytes as rfc6962.DefaultHasher.HashChildren, which allocates a
// hasher per call. Trees here hash two 32-byte children, which fit in one
// buffer on the stack; other lengths go to rfc6962.
func HashChildren(l, r []byte) []byte {
	if len(l) != hashSize || len(r) != hashSize {
		return rfc6962.DefaultHasher.HashChildren(l, r)
	}
	var buf [1 + 2*hashSize]byte
	buf[0] = rfc6962.RFC6962NodeHashPrefix
	copy(buf[1:], l)
	copy(buf[1+hashSize:], r)
	h := sha256.Sum256(buf[:])
	return h[:]
}
