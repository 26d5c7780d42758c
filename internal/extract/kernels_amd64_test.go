package extract

import (
	"math/rand/v2"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/measure"
)

// wantMasks is the pure-Go definition of the class masks of w: bit k is
// set when w[k]'s class (the class table) says so.
func wantMasks(w *[64]byte) masks {
	var m masks
	for k, c := range w {
		bit := uint64(1) << k
		cl := class[c]
		for _, f := range []struct {
			mask *uint64
			set  bool
		}{
			{&m.tok, cl&cTok != 0}, {&m.digit, cl&cDigit != 0}, {&m.hex, cl&cHex != 0},
			{&m.alpha, cl&cAlpha != 0}, {&m.dot, cl&cDot != 0}, {&m.colon, cl&cColon != 0},
			{&m.at, cl&cAt != 0}, {&m.other, cl&cOther != 0}, {&m.stop, cl&cURLStop != 0},
			{&m.slash, c == '/'},
		} {
			if f.set {
				*f.mask |= bit
			}
		}
	}
	return m
}

// randomWindow fills w with bytes drawn from alphabet, or from all 256
// values when alphabet is empty.
func randomWindow(r *rand.Rand, w *[64]byte, alphabet string) {
	for k := range w {
		if alphabet == "" {
			w[k] = byte(r.IntN(256))
		} else {
			w[k] = alphabet[r.IntN(len(alphabet))]
		}
	}
}

// alphabets are what the random windows are drawn from: every byte value,
// the bytes near the classes' bounds, and digits and dots (addresses).
var alphabets = []string{"", "", "/0189:@AFGZ[`afgz{ -_+.\x00\x1f !\"'<>`\\^{}|\x7f\x80\xff", "0123456789.", "0129. "}

// TestClassifyKernels compares classifyTable, classifyRanges and
// classifyWindow (with and without VBMI) with wantMasks on random windows.
func TestClassifyKernels(t *testing.T) {
	if !useVector {
		t.Skip("the processor has no AVX-512 BW: the kernels cannot run here (scanWords is used)")
	}
	kernels := map[string]func(*[64]byte, *masks){
		"classifyRanges": classifyRanges,
		"classifyWindow": classifyWindow,
	}
	if useVBMI {
		kernels["classifyTable"] = classifyTable
		kernels["classifyWindow without VBMI"] = func(w *[64]byte, m *masks) {
			useVBMI = false
			defer func() { useVBMI = true }()
			classifyWindow(w, m)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	var w [64]byte
	for i := range 50000 {
		randomWindow(r, &w, alphabets[i%len(alphabets)])
		want := wantMasks(&w)
		for name, kernel := range kernels {
			got := masks{octets: true, runEnd: 7}
			kernel(&w, &got)
			want.octets, want.runEnd = true, 7 // left alone
			if got != want {
				t.Fatalf("%s(%q)\n got  %+v\n want %+v", name, w, got, want)
			}
		}
	}
}

// TestStopIndex compares stopIndex with a loop over the class table on
// inputs of every length up to 300 bytes, with a stop byte at a random
// place or none.
func TestStopIndex(t *testing.T) {
	if !useVector {
		t.Skip("the processor has no AVX-512 BW: the kernels cannot run here (scanWords is used)")
	}
	r := rand.New(rand.NewPCG(7, 8))
	var stops, others []byte
	for c := range 256 {
		if class[c]&cURLStop != 0 {
			stops = append(stops, byte(c))
		} else {
			others = append(others, byte(c))
		}
	}
	for i := range 20000 {
		b := make([]byte, i%301)
		for k := range b {
			b[k] = others[r.IntN(len(others))]
		}
		if len(b) > 0 && i%4 != 0 {
			b[r.IntN(len(b))] = stops[r.IntN(len(stops))]
		}
		want := len(b) &^ 63
		for k := range want {
			if class[b[k]]&cURLStop != 0 {
				want = k
				break
			}
		}
		if got := stopIndex(b); got != want {
			t.Fatalf("stopIndex(%q) = %d, want %d", b, got, want)
		}
	}
}

// TestOctetRuns compares octetRuns with the per-byte definition of its
// outputs on random windows of digits, dots and spaces (and of every byte
// value).
func TestOctetRuns(t *testing.T) {
	if !useVBMI {
		t.Skip("the processor has no AVX-512 VBMI and VBMI2: octetRuns cannot run here (ipv4 is used)")
	}
	r := rand.New(rand.NewPCG(9, 10))
	var w [64]byte
	for i := range 50000 {
		randomWindow(r, &w, alphabets[i%len(alphabets)])
		var digit uint64
		for k, c := range w {
			if c >= '0' && c <= '9' {
				digit |= 1 << k
			}
		}
		// Each digit's value as the last of up to three digits of its run.
		var wantOver, wantZeros uint64
		var wantVal [64]byte
		n := 0
		for k, c := range w {
			if c == '0' {
				wantZeros |= 1 << k
			}
			if digit>>k&1 == 0 {
				continue
			}
			lo, hi := c-'0', byte(0)
			if k >= 1 && digit>>(k-1)&1 != 0 {
				lo += 10 * (w[k-1] - '0')
				if k >= 2 && digit>>(k-2)&1 != 0 {
					hi = w[k-2] - '0'
				}
			}
			if int(hi)*100+int(lo) > 255 {
				wantOver |= 1 << k
			}
			if k == 63 || digit>>(k+1)&1 == 0 {
				wantVal[n] = 100*hi + lo
				n++
			}
		}
		val := [64]byte{0: 0xaa, 63: 0xbb} // overwritten: the bytes after the runs' values are zero
		over, zeros := octetRuns(&w, digit, &val)
		if over != wantOver || zeros != wantZeros || val != wantVal {
			t.Fatalf("octetRuns(%q)\n got  over %064b zeros %064b values %v\n want over %064b zeros %064b values %v",
				w, over, zeros, val, wantOver, wantZeros, wantVal)
		}
	}
}

// BenchmarkClassifyWindow is the classification kernel alone, one call a
// 64-byte window over the benchmark's log: what a window costs before the
// Go code looks at its masks (compare BenchmarkValues).
func BenchmarkClassifyWindow(b *testing.B) {
	if !useVector {
		b.Skip("the processor has no AVX-512 BW")
	}
	log := benchLog(b)
	var m masks
	var sum uint64
	b.SetBytes(int64(len(log) &^ 63))
	b.ResetTimer()
	cpu0 := measure.ProcessCPU()
	for range b.N {
		for i := 0; i+64 <= len(log); i += 64 {
			m.classify((*[64]byte)(log[i : i+64]))
			sum += m.tok
		}
	}
	b.ReportMetric(float64(len(log)&^63)*float64(b.N)/1e6/(measure.ProcessCPU()-cpu0).Seconds(), "MB/CPU-s")
	sinkV4 = uint32(sum)
}
