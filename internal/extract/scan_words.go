//go:build !amd64

package extract

// scan appends the values of b[from:] to out (see Values) and returns where
// it stopped. Off amd64 it reads the input eight bytes at a time
// (scanWords); on amd64 scan uses AVX-512 where the processor has it
// (scan_vector.go).
func scan(b []byte, from int, out *sink) int { return scanWords(b, from, out) }

// Vector reports whether Scan uses vector instructions (never off amd64).
func Vector() bool { return false }

// urlEnd is the first byte at or after from that ends a URL (a control
// byte, a space, one of "'<>`\^{}| or DEL), or len(b).
func urlEnd(b []byte, from int) int { return urlEndBytes(b, from) }
