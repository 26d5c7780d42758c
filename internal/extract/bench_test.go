package extract

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
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
