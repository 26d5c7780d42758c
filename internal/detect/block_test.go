package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// longLineLog is text of several blocks whose second line is longer than
// three blocks, with values at its start, across each block-size multiple
// of the input and at its end, and values on the lines around it; it
// returns the text and the hits expected, as "line:offset:value".
func longLineLog(final bool) ([]byte, []string) {
	var b bytes.Buffer
	var want []string
	put := func(line int, v string) {
		start := bytes.LastIndexByte(b.Bytes(), '\n') + 1
		want = append(want, fmt.Sprintf("%d:%d:%s", line, b.Len()-start, v))
		b.WriteString(v)
	}
	put(1, "198.51.100.7")
	b.WriteString(" first line\n")
	put(2, "evil.example")
	b.WriteByte(' ')
	for k := 1; k <= 3; k++ {
		// A value that straddles the k-th block-size multiple of the input.
		for b.Len() < k*blockSize-6 {
			b.WriteString("padding ")
		}
		b.Truncate(k*blockSize - 6)
		b.WriteByte(' ')
		put(2, "198.51.100.7")
		b.WriteByte(' ')
	}
	put(2, "http://evil.example/x")
	// The URL's host is a domain value too.
	want = append(want, fmt.Sprintf("2:%d:evil.example", b.Len()-len("evil.example/x")-(bytes.IndexByte(b.Bytes(), '\n')+1)))
	b.WriteByte('\n')
	for line := 3; line < 3+2*blockSize/64; line++ {
		if line%97 == 0 {
			b.WriteString("dns query ")
			put(line, "a.evil.example")
			b.WriteString(" from 10.0.0.1\n")
			continue
		}
		b.WriteString("Nov 27 03:00:00 host sshd[1]: nothing to see here at all\n")
	}
	put(bytes.Count(b.Bytes(), []byte{'\n'})+1, "198.51.100.7")
	if final {
		b.WriteByte('\n')
	}
	return b.Bytes(), want
}

// TestLinesAcrossBlocks checks exact positions where a line is longer than
// a block and values straddle block-size multiples of the input, with one
// and three workers, with and without a final newline, on both paths.
func TestLinesAcrossBlocks(t *testing.T) {
	x := indexOf(t, "[ipv4-addr:value = '198.51.100.7']", "[domain-name:value = 'evil.example']",
		"[url:value = 'http://evil.example/x']")
	for _, final := range []bool{true, false} {
		text, want := longLineLog(final)
		wantSub := slices.Clone(want)
		for _, exact := range []bool{true, false} {
			if exact {
				// a.evil.example is a subdomain: exact mode reports nothing there.
				want = slices.DeleteFunc(slices.Clone(wantSub), func(s string) bool { return strings.HasSuffix(s, ":a.evil.example") })
			} else {
				want = wantSub
			}
			for _, workers := range []int{1, 3} {
				for _, perLine := range []bool{false, true} {
					var got []string
					st, err := x.Scan(context.Background(), bytes.NewReader(text),
						Config{Options: Options{Now: t0, Exact: exact}, Format: "text", Workers: workers, perLine: perLine},
						func(h Hit) error {
							got = append(got, fmt.Sprintf("%d:%d:%s", h.Line, h.Offset, h.Observed))
							return nil
						})
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want) {
						t.Errorf("final=%v exact=%v workers=%d perLine=%v: hits\n got  %q\n want %q", final, exact, workers, perLine, got, want)
					}
					lines := int64(bytes.Count(text, []byte{'\n'}))
					if !final {
						lines++
					}
					if st.Bytes != int64(len(text)) || st.Lines != lines {
						t.Errorf("final=%v: stats %+v, want %d bytes, %d lines", final, st, len(text), lines)
					}
				}
			}
		}
	}
}

// TestLineTooLong checks that a line well over Config.MaxLine is an error
// naming ErrLineTooLong, and one just within it is matched. (The reader
// notices a long line when its buffer, grown as it reads, passes MaxLine
// before the newline: a line up to about 1.25 times MaxLine may pass.)
func TestLineTooLong(t *testing.T) {
	x := indexOf(t, "[ipv4-addr:value = '198.51.100.7']")
	const max = 3 * blockSize
	for _, tc := range []struct {
		n    int // bytes of padding before the value
		fail bool
	}{{max - 100, false}, {2 * max, true}} {
		text := "ok 198.51.100.7\n" + strings.Repeat("x", tc.n) + " 198.51.100.7 and more\nlast 198.51.100.7\n"
		var hits int
		_, err := x.Scan(context.Background(), strings.NewReader(text),
			Config{Options: Options{Now: t0, Exact: true}, Format: "text", Workers: 2, MaxLine: max},
			func(Hit) error { hits++; return nil })
		if tc.fail {
			if !errors.Is(err, ErrLineTooLong) {
				t.Errorf("padding %d: error %v, want ErrLineTooLong", tc.n, err)
			}
			continue
		}
		if err != nil || hits != 3 {
			t.Errorf("padding %d: %d hits, error %v; want 3, nil", tc.n, hits, err)
		}
	}
}

// TestBatchesMatchPerLine checks the block path's batches (hashed and
// prefetched one batch ahead, values it does not hash taking the per-kind
// code) against the per-line path over many batches: listed and unlisted
// addresses, addresses inside a CIDR block, domains and their parents in
// mixed case, URLs with a bare host, with a host of only dots, with a
// trailing dot, a port or user info, e-mail addresses and hashes.
func TestBatchesMatchPerLine(t *testing.T) {
	x := indexOf(t, "[ipv4-addr:value = '198.51.100.7']", "[ipv4-addr:value = '203.0.113.0/24']",
		"[domain-name:value = 'evil.example']", "[url:value = 'http://evil.example/x']",
		"[url:value = 'http://user@bad.example:8080/p']", "[email-addr:value = 'a@evil.example']",
		"[file:hashes.MD5 = '0123456789abcdef0123456789abcdef']")
	var b strings.Builder
	for i := range 3 * batchSize {
		fmt.Fprintf(&b, "%d 198.51.100.%d 203.0.113.%d Sub%d.EVIL.example notevil.example http://evil.example/x http://.../x "+
			"http://evil.example./x http://user@bad.example:8080/p a@evil.example 0123456789ABCDEF0123456789ABCDEF\n",
			i, i%9, i%256, i%5)
	}
	text := []byte(b.String())
	samePaths(t, x, text, Options{Now: t0})
	// Every line has a listed address (one in nine), a listed domain, URLs
	// and an e-mail address: the comparison is not of two empty lists.
	if n := len(allHits(t, x, text, Config{Options: Options{Now: t0, Exact: true}, Format: "text"})); n < 3*batchSize {
		t.Errorf("%d hits over %d lines", n, 3*batchSize)
	}
}
