package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/taxii"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Targets.
const (
	targetServed = 50_000                // objects/s
	targetP99    = 50 * time.Millisecond // filtered query
)

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// types of the generated objects, by share: mostly indicators, a few
// rarer types, so that type filters are selective.
var kinds = []struct {
	typ   string
	share int // per 1000
}{{"indicator", 900}, {"ipv4-addr", 60}, {"malware", 30}, {"attack-pattern", 10}}

var tlps = []string{"", tlp.ClearID, tlp.GreenV1ID, tlp.AmberV1ID, tlp.RedV1ID}

// object returns generated object i (valid STIX 2.1).
func object(i int) (typ, id string, raw []byte) {
	k := i % 1000
	for _, c := range kinds {
		if k < c.share {
			typ = c.typ
			break
		}
		k -= c.share
	}
	id = fmt.Sprintf("%s--%08x-%04x-4000-8000-000000000000", typ, i, i%65536)
	marking := ""
	if m := tlps[i%len(tlps)]; m != "" {
		marking = `,"object_marking_refs":["` + m + `"]`
	}
	switch typ {
	case "indicator":
		raw = fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"bench %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`,
			id, i, i>>16&255, i>>8&255, i&255, marking)
	case "ipv4-addr":
		raw = fmt.Appendf(nil, `{"type":"ipv4-addr","spec_version":"2.1","id":"%s","value":"172.%d.%d.%d"}`, id, i>>16&15+16, i>>8&255, i&255)
	case "malware":
		raw = fmt.Appendf(nil, `{"type":"malware","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"family %d","is_family":true%s}`, id, i, marking)
	default:
		raw = fmt.Appendf(nil, `{"type":"attack-pattern","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"technique %d"%s}`, id, i, marking)
	}
	return typ, id, raw
}

// load applies n generated records to a fresh projection, 1,000 records
// a block, a second of block time apart.
func load(ctx context.Context, dir string, n int) (*projection.Store, time.Duration, error) {
	s, err := projection.Open(ctx, filepath.Join(dir, "projection.db"))
	if err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	const batch = 10_000
	recs := make([]record.Record, 0, batch)
	for i := 0; i < n; i++ {
		typ, id, raw := object(i)
		if i < 1000 { // the generator must make valid STIX
			if _, err := stix.Parse(raw); err != nil {
				return nil, 0, fmt.Errorf("generated object %d: %w", i, err)
			}
		}
		height := int64(i/1000 + 1)
		h := sha256.Sum256([]byte(fmt.Sprint(height)))
		version := "2026-01-01T00:00:00Z"
		if typ == "ipv4-addr" {
			version = ""
		}
		recs = append(recs, record.Record{Index: uint64(i), Height: height, Time: start.Add(time.Duration(height) * time.Second),
			TxHash: h[:], Author: "bench", ObjectID: id, Type: typ, Modified: version, Object: raw})
		if len(recs) == batch || i == n-1 {
			if err := s.Apply(ctx, recs); err != nil {
				return nil, 0, err
			}
			recs = recs[:0]
		}
	}
	return s, time.Since(t0), nil
}

type noPublisher struct{}

func (noPublisher) Level(o *stix.Object) (tlp.Level, error) { return tlp.Of(o.Raw, tlp.Green) }

func (noPublisher) PublishObjects(context.Context, []*stix.Object) ([]intake.Submission, error) {
	return nil, fmt.Errorf("read-only benchmark")
}
func (noPublisher) Wait(context.Context, string) (intake.Outcome, error) {
	return intake.Outcome{}, fmt.Errorf("read-only benchmark")
}
func (noPublisher) Outcome(context.Context, string) (intake.Outcome, error) {
	return intake.Outcome{}, fmt.Errorf("read-only benchmark")
}

// serve loads the projection, serves TAXII over loopback HTTP and
// measures paging and filtered queries.
func serve(ctx context.Context, dir string, n, queries int) ([]report.Row, error) {
	fmt.Printf("== loading %s objects into the projection directly\n", report.Thousands(n))
	s, took, err := load(ctx, dir, n)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	fmt.Printf("loaded in %v (%.0f records/s)\n", took.Round(time.Millisecond), float64(n)/took.Seconds())
	tokens, err := auth.Open(ctx, filepath.Join(dir, "node.db"), nil)
	if err != nil {
		return nil, err
	}
	defer tokens.Close()
	secret, _, err := tokens.CreateToken(ctx, "bench", auth.RoleReader)
	if err != nil {
		return nil, err
	}
	srv, err := taxii.New(ctx, taxii.Config{Reader: s, Publisher: noPublisher{}, Tokens: tokens, Policy: access.ByClearance{},
		Member: "bench", StatusDB: filepath.Join(dir, "taxii.db")})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Close()
	c := &taxiiClient{base: "http://" + ln.Addr().String() + "/taxii2/phalanx/collections/", secret: secret,
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}

	fmt.Println("== paging through every object with limit=1000")
	served, elapsed, err := c.pageAll(ctx, n)
	if err != nil {
		return nil, err
	}
	rate := float64(served) / elapsed.Seconds()
	fmt.Printf("served %s objects in %v\n", report.Thousands(served), elapsed.Round(time.Millisecond))
	rows := []report.Row{{fmt.Sprintf("TAXII objects served/s, paging %s objects, limit=1000", report.Thousands(n)),
		fmt.Sprintf("%s/s (%s in %v)", report.Thousands(int(rate)), report.Thousands(served), elapsed.Round(time.Millisecond)),
		fmt.Sprintf("≥ %s/s", report.Thousands(targetServed)), report.Yes(rate >= targetServed)}}

	rng := rand.New(rand.NewPCG(1, 2))
	for _, q := range []struct {
		name  string
		query func() string
	}{
		{"match[type]=indicator&limit=10", func() string { return "all/objects/?match[type]=indicator&limit=10" }},
		{"match[type]=attack-pattern&limit=100, random added_after", func() string {
			return "all/objects/?match[type]=attack-pattern&limit=100&added_after=" +
				url.QueryEscape(start.Add(time.Duration(rng.IntN(n/1000))*time.Second).Format(time.RFC3339))
		}},
		{"match[id]=one id (any version)", func() string {
			_, id, _ := object(rng.IntN(n))
			return "all/objects/?match[version]=all&match[id]=" + id
		}},
		{"TLP:AMBER collection, limit=100, random added_after", func() string {
			return "tlp-amber/objects/?limit=100&added_after=" + url.QueryEscape(start.Add(time.Duration(rng.IntN(n/1000))*time.Second).Format(time.RFC3339))
		}},
		{"manifest, match[type]=malware&limit=100", func() string { return "all/manifest/?match[type]=malware&limit=100" }},
	} {
		lat, err := c.latencies(ctx, queries, q.query)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.name, err)
		}
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		fmt.Printf("%s: p50 %v p99 %v\n", q.name, report.Ms(p50), report.Ms(p99))
		rows = append(rows, report.Row{"p99 (p50) " + q.name,
			fmt.Sprintf("%v (%v)", report.Ms(p99), report.Ms(p50)), "< " + targetP99.String(), report.Yes(p99 < targetP99)})
	}
	return rows, nil
}

type taxiiClient struct {
	base, secret string
	hc           *http.Client
}

func (c *taxiiClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", taxii.MediaType)
	req.Header.Set("Authorization", "Bearer "+c.secret)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b, nil
}

// pageAll follows next from the first page to the last, decoding every
// envelope, and checks that it saw n objects.
func (c *taxiiClient) pageAll(ctx context.Context, n int) (int, time.Duration, error) {
	t0 := time.Now()
	served, next := 0, ""
	for {
		path := "all/objects/?limit=1000"
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		b, err := c.get(ctx, path)
		if err != nil {
			return 0, 0, err
		}
		var env taxii.Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			return 0, 0, err
		}
		served += len(env.Objects)
		if !env.More {
			break
		}
		next = env.Next
	}
	elapsed := time.Since(t0)
	if served != n {
		return 0, 0, fmt.Errorf("paged %d objects, want %d", served, n)
	}
	return served, elapsed, nil
}

// latencies runs k requests one after another and returns their sorted
// durations.
func (c *taxiiClient) latencies(ctx context.Context, k int, query func() string) ([]time.Duration, error) {
	out := make([]time.Duration, 0, k)
	for i := 0; i < k; i++ {
		q := query()
		t0 := time.Now()
		if _, err := c.get(ctx, q); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
