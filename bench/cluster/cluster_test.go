package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

func testObjects(t *testing.T, n int) []*stix.Object {
	t.Helper()
	var out []*stix.Object
	for i := range n {
		o, err := stix.Parse(fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-3333-4333-8333-333333333333",`+
			`"created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","name":"bench %d",`+
			`"pattern":"[domain-name:value = 'host%d.bench.example']","pattern_type":"stix","valid_from":"2026-05-01T00:00:00Z"}`, i, i, i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// A request body is what the node's intake parses: the object alone, or a
// bundle of all of them in order.
func TestRequestBodyParses(t *testing.T) {
	objs := testObjects(t, 3)
	for _, n := range []int{1, 3} {
		got, err := stix.ParseInput(requestBody(objs[:n]))
		if err != nil {
			t.Fatalf("%d objects: %v", n, err)
		}
		if len(got) != n {
			t.Fatalf("%d objects: parsed %d", n, len(got))
		}
		for i, o := range got {
			if o.ID != objs[i].ID || string(o.Raw) != string(objs[i].Raw) {
				t.Errorf("object %d: got %s, want %s", i, o.ID, objs[i].ID)
			}
		}
	}
}

func TestConc(t *testing.T) {
	c := config{inflight: 8000, minConc: 4, maxConc: 1024}
	for batch, want := range map[int]int{1: 1024, 100: 80, 1000: 8, 3000: 4} {
		if got := c.conc(batch); got != want {
			t.Errorf("conc(%d) = %d, want %d", batch, got, want)
		}
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := quantile(d, q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}

func TestReadUsageSelf(t *testing.T) {
	deadline := time.Now().Add(200 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	u := readUsage(os.Getpid())
	if u.CPU <= 0 || u.PeakRSS < 1<<20 {
		t.Fatalf("readUsage(self) = %+v; want some CPU time and a peak RSS of at least 1 MiB", u)
	}
}

func TestNextPoll(t *testing.T) {
	s := time.Second
	cases := []struct {
		done, want uint64
		elapsed    time.Duration
		poll       time.Duration
	}{
		{0, 1000, 2 * s, maxPoll},                                   // no progress yet
		{100, 1000, s, maxPoll},                                     // 9 s to go: at most maxPoll
		{900, 1000, 9 * s, maxPoll},                                 // 1 s to go: half would be 500 ms, the cap wins
		{990, 1000, 9900 * time.Millisecond, 50 * time.Millisecond}, // 100 ms to go: half
		{999, 1000, 9990 * time.Millisecond, minPoll},               // 10 ms to go: the floor
		{1000, 1000, 10 * s, minPoll},                               // done (not polled again)
	}
	for _, tc := range cases {
		if got := nextPoll(tc.done, tc.want, tc.elapsed); got != tc.poll {
			t.Errorf("nextPoll(%d, %d, %v) = %v, want %v", tc.done, tc.want, tc.elapsed, got, tc.poll)
		}
	}
}
