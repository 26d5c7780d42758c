package extract

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/detect/loggen"
	"github.com/phalanx-ledger/phalanx/internal/measure"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// ipv4Tokens are dotted tokens as the benchmark's logs hold them: addresses
// of one to three digits an octet, and squid's timestamps.
func ipv4Tokens() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 1<<16)
	var out [][]byte
	for range 1000 {
		var s string
		if r.IntN(5) == 0 {
			s = fmt.Sprintf("%d.%03d", 1764115200+r.IntN(86400), r.IntN(1000))
		} else {
			s = fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		}
		start := len(buf)
		buf = append(buf, s...)
		buf = append(buf, ' ')
		out = append(out, buf[start:start+len(s)])
	}
	return out
}

var (
	sinkAddr netip.Addr
	sinkV4   uint32
)

// BenchmarkParseIPv4 measures the address parser on such tokens (one
// token per op).
func BenchmarkParseIPv4(b *testing.B) {
	toks := ipv4Tokens()
	b.ResetTimer()
	for i := range b.N {
		v, _ := parseIPv4(toks[i%len(toks)])
		sinkV4 = v
	}
}

// BenchmarkRefParseIPv4 is the same with the reference parser.
func BenchmarkRefParseIPv4(b *testing.B) {
	toks := ipv4Tokens()
	b.ResetTimer()
	for i := range b.N {
		a, _ := refParseIPv4(toks[i%len(toks)])
		sinkAddr = a
	}
}

// benchLogCache holds benchLog's log (benchmarks run one at a time).
var benchLogCache []byte

// benchLog is 32 MiB of the benchmark's log lines (bench/match.sh's
// generator, the shared IOC lists as the planted values), made once per
// test binary.
func benchLog(b *testing.B) []byte {
	if benchLogCache != nil {
		return benchLogCache
	}
	values, err := loggen.SharedIOCs(filepath.Join(testutil.SharedTestdata(b), "iocs"))
	if err != nil {
		b.Fatal(err)
	}
	g := &loggen.Generator{Rand: rand.New(rand.NewPCG(7, 8)), Indicators: values, PlantEvery: 2000}
	var buf bytes.Buffer
	if _, err := g.Text(&buf, 32<<20); err != nil {
		b.Fatal(err)
	}
	benchLogCache = buf.Bytes()
	return benchLogCache
}

// BenchmarkValues is the extractor as the matcher runs it: Values in
// batches of 256 over the benchmark's log, in MB per CPU-second (the
// machine is shared; wall time mostly measures the other work).
func BenchmarkValues(b *testing.B) {
	log := benchLog(b)
	vals := make([]Value, 0, 512)
	b.SetBytes(int64(len(log)))
	b.ResetTimer()
	cpu0 := measure.ProcessCPU()
	n := 0
	for range b.N {
		for i := 0; i < len(log); {
			vals, i = Values(log, i, vals[:0], 256)
			n += len(vals)
		}
	}
	b.ReportMetric(float64(len(log))*float64(b.N)/1e6/(measure.ProcessCPU()-cpu0).Seconds(), "MB/CPU-s")
	b.ReportMetric(float64(n)/float64(b.N), "values/op")
}
