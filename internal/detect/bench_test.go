package detect

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/detect/loggen"
	"github.com/phalanx-ledger/phalanx/internal/extract"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// benchLog builds an index of the shared IOC lists and 8 MiB of log lines.
func benchLog(b *testing.B) (*Index, []byte) {
	values, err := loggen.SharedIOCs(testutil.SharedTestdata(b) + "/iocs")
	if err != nil {
		b.Fatal(err)
	}
	x := New(len(values))
	avoid := map[string]bool{}
	for i, v := range values {
		c, err := CompileValue(v)
		if err != nil {
			b.Fatal(err)
		}
		_ = x.Add(Indicator{ID: fmt.Sprintf("indicator--%d", i), Version: t0, Pattern: c})
		avoid[v] = true
	}
	g := &loggen.Generator{Rand: rand.New(rand.NewPCG(3, 4)), Indicators: values, Avoid: avoid, PlantEvery: 1000}
	var buf bytes.Buffer
	if _, err := g.Text(&buf, 8<<20); err != nil {
		b.Fatal(err)
	}
	return x, buf.Bytes()
}

func benchScan(b *testing.B, exact bool) {
	x, log := benchLog(b)
	b.SetBytes(int64(len(log)))
	b.ResetTimer()
	for range b.N {
		_, err := x.Scan(context.Background(), bytes.NewReader(log), Config{Options: Options{Exact: exact}, Workers: 1, Format: "text"},
			func(Hit) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanExact measures one core matching mixed log lines, exact
// values only.
func BenchmarkScanExact(b *testing.B) { benchScan(b, true) }

// BenchmarkScanSemantics is the same with CIDR and subdomain matching.
func BenchmarkScanSemantics(b *testing.B) { benchScan(b, false) }

// BenchmarkExtract measures the text extractor alone.
func BenchmarkExtract(b *testing.B) {
	_, log := benchLog(b)
	b.SetBytes(int64(len(log)))
	b.ResetTimer()
	n := 0
	for range b.N {
		extract.Scan(log, 0, func(extract.Candidate) { n++ })
	}
}

// BenchmarkBuild measures indexing 100,000 single-value indicators.
func BenchmarkBuild(b *testing.B) {
	const n = 100_000
	pats := make([]*Compiled, n)
	for i := range pats {
		pats[i], _ = CompileValue(fmt.Sprintf("%d.%d.%d.%d", 1+i>>16, (i>>8)&255, i&255, 7))
	}
	b.ResetTimer()
	for range b.N {
		x := New(n)
		for i, c := range pats {
			_ = x.Add(Indicator{ID: fmt.Sprintf("indicator--%d", i), Version: t0, Pattern: c})
		}
	}
}
