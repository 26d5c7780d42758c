package proof

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// StreamSummary counts what VerifyStream saw.
type StreamSummary struct {
	Bundles int `json:"bundles"` // bundles read
	Failed  int `json:"failed"`  // bundles that did not parse or did not verify
}

// StreamFailure is one bundle of a stream that did not parse or verify.
type StreamFailure struct {
	Line     int    `json:"line"`                // 1-based line of the stream
	ObjectID string `json:"object_id,omitempty"` // the record's object, when the bundle parsed
	Index    uint64 `json:"index"`               // the record's position in the log, when it parsed
	Error    string `json:"error,omitempty"`     // why the line is not a bundle
	Report   Report `json:"report"`              // the checks, when it parsed
}

// streamChunk is how many lines are verified together before failures are
// reported, in line order.
const streamChunk = 512

// VerifyStream verifies proof bundles read from r, one JSON document per
// line (blank lines skipped), against the member set ms with one caching
// Verifier on workers goroutines: the bundles of one export share their
// checkpoints and transactions, so each of those is checked once. It calls
// fail for every bundle that does not parse or verify, in line order. A
// line over MaxBundleBytes, a read error or ctx ending stops the stream
// with an error.
func VerifyStream(ctx context.Context, r io.Reader, ms []Member, workers int, fail func(StreamFailure) error) (StreamSummary, error) {
	var sum StreamSummary
	v := NewVerifier(ms)
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 0; ; {
		start := line
		lines, err := readLines(br, start, streamChunk)
		line += len(lines)
		failures := verifyChunk(ctx, v, lines, start, max(workers, 1))
		sum.Bundles += countBundles(lines)
		sum.Failed += len(failures)
		for _, f := range failures {
			if ferr := fail(f); ferr != nil {
				return sum, ferr
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return sum, nil
		case err != nil:
			return sum, err
		case ctx.Err() != nil:
			return sum, ctx.Err()
		}
	}
}

// readLines reads up to n lines after line number after (for error
// messages); blank lines come back empty.
func readLines(br *bufio.Reader, after, n int) ([][]byte, error) {
	var lines [][]byte
	for len(lines) < n {
		b, err := readLine(br)
		if err != nil && (len(b) == 0 || !errors.Is(err, io.EOF)) {
			if errors.Is(err, errLineTooLong) {
				err = fmt.Errorf("line %d: %w", after+len(lines)+1, err)
			}
			return lines, err
		}
		lines = append(lines, bytes.TrimSpace(b))
		if err != nil {
			return lines, err
		}
	}
	return lines, nil
}

var errLineTooLong = fmt.Errorf("over %d bytes: not a proof bundle", MaxBundleBytes)

// readLine reads one line of at most MaxBundleBytes, without its newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(out)+len(part) > MaxBundleBytes+1 {
			return nil, errLineTooLong
		}
		out = append(out, part...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return bytes.TrimSuffix(out, []byte("\n")), err
		}
	}
}

func countBundles(lines [][]byte) int {
	n := 0
	for _, l := range lines {
		if len(l) > 0 {
			n++
		}
	}
	return n
}

// verifyChunk parses and verifies lines on workers goroutines and returns
// the failures in line order.
func verifyChunk(ctx context.Context, v *Verifier, lines [][]byte, first, workers int) []StreamFailure {
	results := make([]*StreamFailure, len(lines))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				results[i] = verifyLine(v, lines[i], first+i+1)
			}
		})
	}
	for i := range lines {
		if len(lines[i]) > 0 && ctx.Err() == nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	var out []StreamFailure
	for _, f := range results {
		if f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// verifyLine returns the failure of one line, or nil when its bundle holds.
func verifyLine(v *Verifier, line []byte, n int) *StreamFailure {
	bu, err := ParseBundle(line)
	if err != nil {
		return &StreamFailure{Line: n, Error: err.Error()}
	}
	r := v.Verify(bu)
	if r.OK() {
		return nil
	}
	return &StreamFailure{Line: n, ObjectID: bu.Record.ObjectID, Index: bu.Record.Index, Report: r}
}
