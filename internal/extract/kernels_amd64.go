package extract

// The vector extractor's AVX-512 kernels (kernels_amd64.s). Each reads
// whole 64-byte windows and writes masks, one bit per byte (bit k for
// w[k]); what the masks mean, and the logic that uses them, is in
// scan_vector.go. They run only where useVector (and, for classifyTable
// and octetRuns, useVBMI) is set; kernels_amd64_test.go checks them against
// pure-Go definitions of the same masks.

// classifyWindow is classifyTable where the processor has VBMI
// (useVBMI), else classifyRanges: one call a window, which jumps to the
// one it needs.
//
//go:noescape
func classifyWindow(w *[64]byte, m *masks)

// classifyTable sets m's class masks (tok, digit, hex, alpha, dot, colon,
// at, other, stop, slash) for w's bytes: one look-up of each byte's class
// code in codeTable (AVX-512 VBMI VPERMT2B, the bytes above 127 at entry
// 0), then one comparison per class; tok is the codes 1 to 7, stop adds
// the NUL bytes. It leaves m's other fields alone.
//
//go:noescape
func classifyTable(w *[64]byte, m *masks)

// classifyRanges is classifyTable without VBMI: each class from
// comparisons with its range or bytes (vconst), tok their OR, the URL
// stops with a nibble look-up in stopNibbles.
//
//go:noescape
func classifyRanges(w *[64]byte, m *masks)

// stopIndex is the position of the first byte of b[:len(b)&^63] that
// ends a URL (a control byte, a space, one of "'<>`\^{}| or DEL), or
// len(b)&^63 when there is none: 64 bytes a step.
//
//go:noescape
func stopIndex(b []byte) int

// octetRuns computes, for the window w whose digits are the bits of
// digit, each digit's value as the last of up to three digits of its run
// (100*hi + 10*mid + lo, mod 256; see octetValues), and stores the values
// of the runs' last digits, in order, at the start of runVal (the rest
// zero; AVX-512 VBMI2 VPCOMPRESSB). It returns the digits whose value is
// over 255 (over: its hundreds digit is above 2, or 2 with the rest above
// 55) and the '0' bytes (zeros).
//
//go:noescape
func octetRuns(w *[64]byte, digit uint64, runVal *[64]byte) (over, zeros uint64)
