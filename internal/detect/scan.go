package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/extract"
)

// Hit is one indicator found in the input.
type Hit struct {
	IndicatorID string `json:"indicator_id"`
	// Value is the indicator's value that matched (e.g. "evil.example" or
	// "10.0.0.0/8"); for LIKE/MATCHES terms the pattern's text.
	Value string `json:"value"`
	Type  string `json:"type"` // ipv4-addr, ipv6-addr, domain-name, url, email-addr, md5, sha1, sha256, sha512
	// Observed is the value as written in the input.
	Observed string `json:"observed"`
	Source   string `json:"source,omitempty"` // file name; "-" for standard input
	Line     int64  `json:"line"`             // 1-based
	Offset   int    `json:"offset"`           // byte offset of Observed in the line
	Field    string `json:"field,omitempty"`  // field name in structured formats
	Marking  string `json:"marking,omitempty"`
	// Confidence is the indicator's confidence (0-100), absent when unset.
	Confidence *int   `json:"confidence,omitempty"`
	Author     string `json:"author"`
	// Benign marks a hit whose observed value is on a warninglist, named in
	// Warninglist.
	Benign      bool   `json:"benign,omitempty"`
	Warninglist string `json:"warninglist,omitempty"`
}

// Benign says whether a value of a STIX type (ipv4-addr, domain-name, ...)
// is known to be benign, and which list says so.
type Benign interface {
	Benign(typ, value string) (list string, ok bool)
}

// Options change how values match.
type Options struct {
	// Exact turns off CIDR and subdomain matching: addresses match only
	// single-address indicators, domains only the same domain.
	Exact bool
	// Now is the time expiry (valid_until) is judged against; zero means
	// the wall clock at the start of the scan.
	Now time.Time
	// Warninglists marks hits on known-benign values; nil marks none.
	Warninglists Benign
}

// Config describes one input stream.
type Config struct {
	Options
	Source  string         // name reported in hits
	Format  extract.Format // "" detects from the first line
	Fields  []string       // structured formats: only these fields
	Workers int            // 0 means GOMAXPROCS
	// MaxLine bounds the memory one line may take (default 4 MiB): when
	// more than MaxLine bytes have been read since the last newline, the
	// scan stops with ErrLineTooLong. It is a guard, checked as the reader
	// fills a block (128 KiB at a time), not a per-line limit: a line
	// that ends inside the block being read is never refused, and a
	// read may take the buffer past MaxLine by as much as append grows it
	// (about a quarter) before the check sees it.
	MaxLine int
	// AfterBlock, when set, is called after the hits of each block of
	// input were emitted (on emit's goroutine), e.g. to flush a stream.
	AfterBlock func() error
	// perLine makes plain text take the per-line path (the reference the
	// block path is tested against).
	perLine bool
}

// Stats summarises a scan.
type Stats struct {
	Format    extract.Format `json:"format"`
	Bytes     int64          `json:"bytes"`
	Lines     int64          `json:"lines"`
	Hits      int64          `json:"hits"`
	Benign    int64          `json:"benign"`
	Malformed int64          `json:"malformed"`             // lines the format could not parse (skipped)
	FirstBad  string         `json:"first_error,omitempty"` // the first such problem, with its line
}

// ErrLineTooLong is returned when more than Config.MaxLine bytes arrive
// without a newline.
var ErrLineTooLong = errors.New("line too long")

// blockSize is the size of the blocks of whole lines the input is read
// and matched in. 128 KiB rather than 1 MiB: the few blocks in flight
// then stay in the core's L2 cache (2 MiB here) beside the index's 1 MiB
// Bloom filter, which every value tests at random; with 1 MiB blocks the
// input streaming through evicted the filter, and the filter's misses were
// the matcher's largest cost. Measured in docs/benchmarks.md ("Session 6:
// the matcher"): 6-14% more MB per CPU-second, one core or two.
const blockSize = 128 << 10

// Scan reads lines from r, matches them and calls emit for every hit in
// input order. Blocks of lines are matched in parallel by cfg.Workers
// goroutines (one for Zeek and CSV, whose headers carry state).
func (x *Index) Scan(ctx context.Context, r io.Reader, cfg Config, emit func(Hit) error) (Stats, error) {
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = 4 << 20
	}
	rd := &blockReader{r: r, max: cfg.MaxLine}
	first, err := rd.next()
	if err != nil && err != io.EOF {
		return Stats{}, err
	}
	if cfg.Format == "" {
		line := first
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		cfg.Format = extract.Detect(line, cfg.Source)
	}
	if _, serr := extract.NewSplitter(cfg.Format, cfg.Fields); serr != nil {
		return Stats{}, serr
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Format == extract.FormatZeek || cfg.Format == extract.FormatCSV {
		workers = 1
	}
	p := &pipeline{x: x, cfg: cfg, emit: emit, stats: Stats{Format: cfg.Format}}
	return p.run(ctx, rd, first, err, workers)
}

// job is one block of whole lines.
type job struct {
	data  []byte
	lines int64
	hits  []Hit
	bad   int64
	first string
	err   error
	done  chan struct{}
}

type pipeline struct {
	x     *Index
	cfg   Config
	emit  func(Hit) error
	stats Stats
	// hits holds the hit slices of emitted blocks for the next blocks:
	// with CIDR and subdomain semantics a gigabyte gives hundreds of
	// thousands of hits, and a new slice per block made that much garbage
	// (fresh pages to fault in and zero, and tens of MiB of peak RSS).
	hits sync.Pool
}

// takeHits returns an empty hit slice for a block, reused when there is one.
func (p *pipeline) takeHits() []Hit {
	if h, ok := p.hits.Get().(*[]Hit); ok {
		return *h
	}
	return nil
}

// putHits hands an emitted block's hit slice back, emptied (its strings
// no longer held).
func (p *pipeline) putHits(h []Hit) {
	if cap(h) == 0 {
		return
	}
	clear(h)
	h = h[:0]
	p.hits.Put(&h)
}

func (p *pipeline) run(ctx context.Context, rd *blockReader, first []byte, rerr error, workers int) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *job, workers)
	order := make(chan *job, 2*workers)
	var wg sync.WaitGroup
	splitter, _ := extract.NewSplitter(p.cfg.Format, p.cfg.Fields) // shared only when workers == 1
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := &lineScanner{x: p.x, opts: p.cfg.Options, now: p.cfg.Now.UnixNano(), split: splitter,
				isText: p.cfg.Format == extract.FormatText, reference: p.cfg.perLine}
			sc.onHead = sc.head
			if workers > 1 {
				sc.split, _ = extract.NewSplitter(p.cfg.Format, p.cfg.Fields)
			}
			for j := range jobs {
				sc.scanBlock(j)
				close(j.done)
			}
		}()
	}
	var readErr error
	go func() {
		defer close(order)
		defer close(jobs)
		data, err := first, rerr
		for {
			if len(data) > 0 {
				j := &job{data: data, done: make(chan struct{}), hits: p.takeHits()}
				select {
				case order <- j:
				case <-ctx.Done():
					return
				}
				jobs <- j
			}
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				return
			}
			data, err = rd.next()
		}
	}()
	var emitErr error
	for j := range order {
		<-j.done
		if emitErr == nil {
			emitErr = p.collect(j)
			if emitErr != nil {
				cancel()
			}
		}
		rd.release(j.data)
		p.putHits(j.hits)
	}
	wg.Wait()
	if emitErr != nil {
		return p.stats, emitErr
	}
	if readErr == nil {
		readErr = ctx.Err()
	}
	return p.stats, readErr
}

// collect renumbers a finished block's hits and emits them.
func (p *pipeline) collect(j *job) error {
	base := p.stats.Lines
	for i := range j.hits {
		h := &j.hits[i]
		h.Line += base
		h.Source = p.cfg.Source
		p.stats.Hits++
		if h.Benign {
			p.stats.Benign++
		}
		if err := p.emit(*h); err != nil {
			return err
		}
	}
	if j.bad > 0 {
		if p.stats.Malformed == 0 {
			p.stats.FirstBad = j.first
			if n, rest, ok := strings.Cut(j.first, ":"); ok {
				var ln int64
				if _, err := fmt.Sscanf(n, "line %d", &ln); err == nil {
					p.stats.FirstBad = fmt.Sprintf("line %d:%s", ln+base, rest)
				}
			}
		}
		p.stats.Malformed += j.bad
	}
	p.stats.Lines += j.lines
	p.stats.Bytes += int64(len(j.data))
	if p.cfg.AfterBlock != nil {
		return p.cfg.AfterBlock()
	}
	return nil
}

// blockReader returns blocks of about blockSize bytes ending at a newline.
// Blocks come from pool and go back to it once their hits are out, so a
// long scan reuses a few buffers instead of making garbage.
type blockReader struct {
	r     io.Reader
	max   int
	carry []byte
	eof   bool
	pool  sync.Pool
}

// release hands a block back for reuse.
func (b *blockReader) release(buf []byte) {
	if cap(buf) == blockSize {
		b.pool.Put(&buf)
	}
}

func (b *blockReader) buffer() []byte {
	if len(b.carry) < blockSize/2 {
		if p, ok := b.pool.Get().(*[]byte); ok {
			return (*p)[:0]
		}
		return make([]byte, 0, blockSize)
	}
	return make([]byte, 0, 2*len(b.carry))
}

func (b *blockReader) next() ([]byte, error) {
	if b.eof {
		return nil, io.EOF
	}
	buf := append(b.buffer(), b.carry...)
	b.carry = nil
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := b.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			b.eof = true
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return buf, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		// Whole lines go out as soon as a read delivers them, so a slow
		// stream (a live log over HTTP) is matched as it arrives; a file
		// fills the block in one read.
		if n > 0 {
			if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
				b.carry = append([]byte(nil), buf[i+1:]...)
				return buf[:i+1], nil
			}
		}
		if len(buf) > b.max {
			return nil, fmt.Errorf("%w: no newline in the first %d bytes", ErrLineTooLong, len(buf))
		}
	}
}

// lineScanner matches lines; one per goroutine.
type lineScanner struct {
	x       *Index
	opts    Options
	now     int64
	split   extract.Splitter
	st      lookupState
	j       *job
	line    int64
	field   string
	pending []pending
	text    []byte
	onField extract.FieldFunc // s.field0, bound once (a method value passed per line would allocate)

	// The block path (fast.go).
	isText      bool // plain text input
	reference   bool // per-line path only
	data        []byte
	lineNo      int64 // the current line in the block, 1-based
	lineStart   int   // its offset in the block
	lineEnd     int   // the offset of its newline, or the block's length
	pendingLine int64 // the line of s.pending's hits
	batch       []probe
	keys        []byte
	kbuf        []byte   // the key of a probe that passed the filter
	starts      []int    // a domain's label starts, last first (addParents)
	hashes      []uint64 // the hashes of its suffixes from those starts
	walks       []netip.Addr
	cur         *probe
	vals        []extract.Value // the extractor's batch
	next        []extract.Value // the batch after it (fast.go: software pipelining)
	vhash       []uint64        // hashBatch's hashes of vals
	vword       []uint32        // and their filter words
	vcover      []uint32        // the words of x.v4Cover hashBatch prefetched
	touched     uint64          // the sum of the table slots flush reads ahead (kept so the reads stay)
	onHead      func(int)       // s.head, bound once
	strs        *hitStrings     // the block path's hits' repeated strings, made with its first hit
}

// pending is a term hit of a pattern that needs the whole line (AND) or
// was matched by LIKE/MATCHES.
type pending struct {
	ind  uint32
	term uint8
	hit  Hit
}

func (s *lineScanner) scanBlock(j *job) {
	s.j = j
	s.x.mu.RLock()
	defer s.x.mu.RUnlock()
	if s.useBlockPath() {
		s.scanText(j)
		return
	}
	data := j.data
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		s.line++
		j.lines++
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if s.onField == nil {
			s.onField = s.field0
		}
		if err := s.split.Line(line, s.onField); err != nil {
			if j.bad == 0 {
				j.first = fmt.Sprintf("line %d: %v", j.lines, err)
			}
			j.bad++
		}
		if len(s.pending) > 0 {
			s.resolve()
		}
	}
	s.line = 0
}

func (s *lineScanner) field0(name string, off int, v []byte) {
	s.field = name
	extract.Scan(v, off, s.candidate)
}

func (s *lineScanner) candidate(c extract.Candidate) {
	x := s.x
	x.lookup(&c, s.opts.Exact, &s.st, func(head int) {
		for e := head; e >= 0; {
			en := &x.entries[e]
			if x.alive(en.ind, s.now) {
				s.found(en.ind, en.term, x.keyOf(en).String(), en.kind, c.Value, c.Off)
			}
			e = int(en.next) - 1
		}
	})
	if len(x.scans) > 0 {
		s.scanRefs(&c)
	}
}

// found records that term of indicator slot ind matched the value
// observed at offset off of the current line.
func (s *lineScanner) found(ind uint32, term uint8, value string, k kind, observed []byte, off int) {
	x := s.x
	m := &x.metas[ind]
	line := s.j.lines
	if s.data != nil {
		line = s.lineNo
	}
	if len(s.pending) > 0 && line != s.pendingLine {
		s.resolve() // the block path learns that a line ended from its next hit
	}
	var id string
	if s.strs != nil {
		id = s.strs.id(x, ind)
	} else {
		id = x.idOf(m)
	}
	h := Hit{IndicatorID: id, Value: value, Type: k.String(), Observed: string(observed),
		Line: line, Offset: off, Field: s.field, Marking: x.strs[m.marking], Author: x.strs[m.author]}
	if m.confidence >= 0 {
		v := int(m.confidence)
		h.Confidence = &v
	}
	if m.expr != 0 {
		s.pending = append(s.pending, pending{ind: ind, term: term, hit: h})
		s.pendingLine = line
		return
	}
	s.mark(&h)
	s.j.hits = append(s.j.hits, h)
}

func (s *lineScanner) mark(h *Hit) {
	if s.opts.Warninglists != nil {
		if list, ok := s.opts.Warninglists.Benign(h.Type, h.Observed); ok {
			h.Benign, h.Warninglist = true, list
		}
	}
}

// candidateKinds maps extracted kinds to the term kinds they can satisfy.
var candidateKinds = map[extract.Kind][2]kind{
	extract.IPv4: {kIPv4, kIP}, extract.IPv6: {kIPv6, kIP}, extract.Domain: {kDomain}, extract.URL: {kURL},
	extract.Email: {kEmail}, extract.MD5: {kMD5}, extract.SHA1: {kSHA1}, extract.SHA256: {kSHA256}, extract.SHA512: {kSHA512},
}

// scanRefs tests the LIKE and MATCHES terms against c.
func (s *lineScanner) scanRefs(c *extract.Candidate) {
	ks := candidateKinds[c.Kind]
	var text []byte
	for _, r := range s.x.scans {
		if r.kind != ks[0] && (ks[1] == 0 || r.kind != ks[1]) || !s.x.alive(r.ind, s.now) {
			continue
		}
		if text == nil {
			text = s.normalText(c)
		}
		t := s.x.exprs[s.x.metas[r.ind].expr-1].terms[r.term]
		if t.match.Match(text) {
			s.found(r.ind, r.term, t.match.String(), ks[0], c.Value, c.Off)
		}
	}
}

// normalText is the candidate's value as LIKE and MATCHES see it.
func (s *lineScanner) normalText(c *extract.Candidate) []byte {
	switch c.Kind {
	case extract.IPv4, extract.IPv6:
		s.text = c.Addr.Unmap().AppendTo(s.text[:0])
	case extract.Domain:
		s.text = normDomain(c.Value, s.text[:0])
	case extract.URL:
		if u, ok := normURL(c.Value, s.text[:0]); ok {
			s.text = u
		} else {
			s.text = append(s.text[:0], c.Value...)
		}
	default:
		s.text = lower(c.Value, s.text[:0])
	}
	return s.text
}

// resolve evaluates the line's pending term hits: each indicator whose
// pattern holds reports one hit, at its first matching term.
func (s *lineScanner) resolve() {
	p := s.pending
	for i := range p {
		if p[i].term == 0xff {
			continue
		}
		var terms uint64
		for k := i; k < len(p); k++ {
			if p[k].ind == p[i].ind {
				terms |= 1 << p[k].term
				if k > i {
					p[k].term = 0xff
				}
			}
		}
		c := s.x.exprs[s.x.metas[p[i].ind].expr-1]
		if c.root.eval(terms) {
			h := p[i].hit
			s.mark(&h)
			s.j.hits = append(s.j.hits, h)
		}
	}
	s.pending = s.pending[:0]
}

func (n *node) eval(terms uint64) bool {
	if n.term >= 0 {
		return terms&(1<<n.term) != 0
	}
	for _, c := range n.children {
		if c.eval(terms) != n.and {
			return !n.and
		}
	}
	return n.and
}
