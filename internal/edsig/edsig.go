// Package edsig verifies Ed25519 signatures under exactly the rules of Go's
// crypto/ed25519 (RFC 8032 cofactorless verification, S below the group
// order, small-order and non-canonical public keys accepted), with
// curve25519-voi's faster arithmetic.
//
// Every signature Phalanx checks (transactions in CheckTx and
// FinalizeBlock, signed headers, commit signatures in offline proof
// verification) goes through Verify, so the ledger, the offline verifier
// and the in-browser verifier (WebCrypto, also cofactorless) agree on every
// input; edsig_test.go holds the differential tests against crypto/ed25519.
package edsig

import (
	"crypto/ed25519"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// stdlib selects voi's verification preset that matches crypto/ed25519.
var stdlib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// Verify reports whether sig is a valid signature of msg by pub, with the
// result crypto/ed25519.Verify would give (it panics on a key of the wrong
// length; Verify reports false).
func Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, stdlib)
}
