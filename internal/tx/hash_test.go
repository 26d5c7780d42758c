package tx

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
)

// TestHashChildrenMatchesRFC6962: the same node hashes as the library's
// hasher, for 32-byte children and for any other lengths.
func TestHashChildrenMatchesRFC6962(t *testing.T) {
	for i := range 200 {
		l := sha256.Sum256([]byte{byte(i), 'l'})
		r := sha256.Sum256([]byte{byte(i), 'r'})
		for _, c := range [][2][]byte{{l[:], r[:]}, {l[:i%33], r[:]}, {l[:], r[:i%7]}, {nil, nil}} {
			if got, want := HashChildren(c[0], c[1]), rfc6962.DefaultHasher.HashChildren(c[0], c[1]); !bytes.Equal(got, want) {
				t.Fatalf("HashChildren(%x, %x) = %x, want %x", c[0], c[1], got, want)
			}
		}
	}
}

// FuzzHashChildren compares HashChildren with the library on any input.
func FuzzHashChildren(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 32))
	f.Fuzz(func(t *testing.T, l, r []byte) {
		if got, want := HashChildren(l, r), rfc6962.DefaultHasher.HashChildren(l, r); !bytes.Equal(got, want) {
			t.Fatalf("HashChildren(%x, %x) = %x, want %x", l, r, got, want)
		}
	})
}
