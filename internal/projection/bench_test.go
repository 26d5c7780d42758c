package projection

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// The benchmarks apply batches of 1,000 records, as the node's follower
// does, to a projection that grows as they run. Ids are random-looking
// UUIDs, so the id and value indexes take random inserts as in real use.
const benchBatch = 1000

// BenchmarkApply reports the records per second Apply sustains for two
// mixes of objects:
//
//   - mixed: what a community ledger carries. Of every 20 records, 8 feed
//     indicators (one comparison, a label, no description), 6
//     relationships, 2 observables (IP, domain, URL, file hashes), 2
//     malware or attack patterns with a description, and 2 new versions
//     of earlier indicators (one revoked).
//   - indicators: the heaviest common case. Analyst-written indicators,
//     each with a description, three labels and a two-comparison pattern
//     (IP and SHA-256), a tenth of them new versions.
func BenchmarkApply(b *testing.B) {
	for _, mix := range []struct {
		name   string
		object func(n int) obj
	}{
		{"mixed", mixedObject},
		{"indicators", heavyObject},
	} {
		b.Run(mix.name, func(b *testing.B) {
			s, _ := openTest(b)
			ctx := b.Context() // cancellable, as a node's is
			var elapsed, cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				recs := benchRecords(i, mix.object)
				b.StartTimer()
				start, cpuStart := time.Now(), processCPU(b)
				if err := s.Apply(ctx, recs); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				cpu += processCPU(b) - cpuStart
			}
			b.ReportMetric(float64(b.N*benchBatch)/elapsed.Seconds(), "records/s")
			// CPU time (every thread: SQL, the decoder goroutine, GC) says
			// more than wall time on a shared machine.
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchBatch), "cpu-µs/record")
		})
	}
}

// processCPU returns the user and system CPU time the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRecords returns batch number i of benchBatch records.
func benchRecords(i int, object func(n int) obj) []record.Record {
	var l ledger
	recs := make([]record.Record, benchBatch)
	for j := range recs {
		n := i*benchBatch + j
		r := l.add(fmt.Sprintf("member-%d", n%7), object(n))
		// 100 records a block; every record of a block has its block's time
		r.Index, r.Height = uint64(n), int64(n/100+1)
		r.Time = t0.Add(time.Duration(r.Height) * time.Second)
		recs[j] = r
		l.recs = l.recs[:0]
	}
	return recs
}

// common adds the properties most objects carry but the projection does
// not index, so that objects have their real size.
func common(o obj, n int) obj {
	o["spec_version"] = "2.1"
	o["created_by_ref"] = stixID("identity", n%7)
	o["object_marking_refs"] = []string{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}
	if _, ok := o["created"]; !ok && o["type"] != "ipv4-addr" && o["type"] != "domain-name" && o["type"] != "url" && o["type"] != "file" {
		o["created"], o["modified"] = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"
	}
	return o
}

func mixedObject(n int) obj {
	switch n % 20 {
	case 0, 1, 2, 3, 4, 5, 6, 7:
		return feedIndicator(n, "2026-01-01T00:00:00.000Z")
	case 8, 9, 10, 11, 12, 13:
		return common(obj{
			"type": "relationship", "id": stixID("relationship", n), "relationship_type": "indicates",
			"source_ref": stixID("indicator", n-8), "target_ref": stixID("malware", n%50),
		}, n)
	case 14:
		return common(sco("ipv4-addr", n, benchIP(n)), n)
	case 15:
		return common(obj{"type": "file", "id": stixID("file", n), "name": fmt.Sprintf("invoice_%d.exe", n),
			"hashes": map[string]string{"SHA-256": fmt.Sprintf("%064X", n), "MD5": fmt.Sprintf("%032x", n)}}, n)
	case 16:
		return common(obj{"type": "malware", "id": stixID("malware", n), "name": fmt.Sprintf("Family %d", n),
			"is_family": true, "malware_types": []string{"trojan"}, "labels": []string{"trojan", "loader"},
			"description": "A loader distributed by malspam campaigns since 2024. It drops banking trojans and ransomware, and reaches its command and control servers over HTTPS."}, n)
	case 17:
		return common(obj{"type": "attack-pattern", "id": stixID("attack-pattern", n), "name": fmt.Sprintf("Phishing variant %d", n),
			"description":         "Adversaries send spearphishing emails with a malicious attachment to gain access to victim systems.",
			"external_references": []obj{{"source_name": "mitre-attack", "external_id": "T1566.001"}}}, n)
	case 18:
		return feedIndicator(n-18, "2026-02-01T00:00:00.000Z") // a new version
	default:
		o := feedIndicator(n-19, "2026-03-01T00:00:00.000Z")
		o["revoked"] = true
		return o
	}
}

func feedIndicator(n int, modified string) obj {
	var name, pattern string
	switch n % 4 {
	case 0:
		name, pattern = benchIP(n), "[ipv4-addr:value = '"+benchIP(n)+"']"
	case 1:
		d := fmt.Sprintf("login-%x.example-%d.test", n, n%97)
		name, pattern = d, "[domain-name:value = '"+d+"']"
	case 2:
		u := fmt.Sprintf("http://cdn-%x.example.test/dl/%d.php", n, n)
		name, pattern = u, "[url:value = '"+u+"']"
	default:
		h := fmt.Sprintf("%064x", n)
		name, pattern = "SHA-256 "+h[:12], "[file:hashes.'SHA-256' = '"+h+"']"
	}
	o := indicator(n, modified, name, pattern, "malicious-activity")
	o["created"] = "2026-01-01T00:00:00.000Z"
	o["indicator_types"] = []string{"malicious-activity"}
	return common(o, n)
}

// heavyObject is an analyst-written indicator; every tenth record is a new
// version of the one nine records earlier.
func heavyObject(n int) obj {
	modified := "2026-01-01T00:00:00Z"
	if n%10 == 9 {
		n, modified = n-9, "2026-02-01T00:00:00.123Z"
	}
	o := indicator(n, modified, fmt.Sprintf("C2 server %d", n),
		fmt.Sprintf("[ipv4-addr:value = '%s'] OR [file:hashes.'SHA-256' = '%064X']", benchIP(n), n),
		"malicious-activity", "c2", fmt.Sprintf("campaign-%d", n%50))
	o["description"] = "Command and control server observed in a phishing wave against the energy sector."
	return common(o, n)
}

func benchIP(n int) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255) }

// BenchmarkSearch measures searches on 20,000 records.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	for i := range 20 {
		if err := s.Apply(ctx, benchRecords(i, mixedObject)); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		q    Query
	}{
		{"latest", Query{}},
		{"type+label", Query{Types: []string{"indicator"}, Labels: []string{"malicious-activity"}}},
		{"text", Query{Text: "loader ransomware"}},
		{"exact value", Query{Text: benchIP(14000)}},
		{"author+since", Query{Authors: []string{"member-3"}, Since: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), AllVersions: true}},
		{"page 5", Query{Limit: 100, Cursor: encodeCursor(15000)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Search(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIndexCost reports what each secondary index of versions costs
// Apply: projections with and without it take the same batches in turn
// (the order rotating), and the CPU each used during its own Apply calls
// is reported per record. Taking turns within one process lets a shared
// machine whose speed drifts by ±30% between runs resolve differences of
// a few per cent (docs/benchmarks.md, "Session 6"). Checkpoints run
// inside each Apply here, so that none is counted against another
// projection.
func BenchmarkIndexCost(b *testing.B) {
	variants := []struct{ name, ddl string }{
		{"as-is", ""},
		{"without-versions_vkey", "DROP INDEX versions_vkey"},
		{"without-versions_type", "DROP INDEX versions_type"},
		{"without-versions_author", "DROP INDEX versions_author"},
		{"with-versions_added", "CREATE INDEX versions_added ON versions (added)"},
	}
	ctx := b.Context()
	stores := make([]*Store, len(variants))
	for k, v := range variants {
		s, _ := openTest(b)
		if v.ddl != "" {
			if _, err := s.write.ExecContext(ctx, v.ddl); err != nil {
				b.Fatal(err)
			}
		}
		stores[k] = s
	}
	cpu := make([]time.Duration, len(variants))
	for i := 0; b.Loop(); i++ {
		recs := benchRecords(i, mixedObject)
		for j := range stores {
			k := (i + j) % len(stores)
			start := processCPU(b)
			if err := stores[k].Apply(ctx, recs); err != nil {
				b.Fatal(err)
			}
			if err := stores[k].ckpt.truncate(ctx); err != nil {
				b.Fatal(err)
			}
			cpu[k] += processCPU(b) - start
		}
	}
	for k, v := range variants {
		b.ReportMetric(float64(cpu[k].Microseconds())/float64(b.N*benchBatch), "cpu-µs/record-"+v.name)
	}
}
