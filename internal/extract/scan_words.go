//go:build !(goexperiment.simd && amd64)

package extract

// Scan reports every value in b to fn, in order of position; offsets are
// base plus the position in b. This build reads the input eight bytes at a
// time (scanWords); built with GOEXPERIMENT=simd on amd64, Scan uses
// AVX-512 where the processor has it (scan_vector.go).
func Scan(b []byte, base int, fn func(Candidate)) { scanWords(b, 0, base, fn) }

// Vector reports whether Scan uses vector instructions (never in this
// build).
func Vector() bool { return false }

// urlEnd is the first byte at or after from that ends a URL (a control
// byte, a space, one of "'<>`\^{}| or DEL), or len(b).
func urlEnd(b []byte, from int) int { return urlEndBytes(b, from) }
