package detect

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// LoadIndicators adds the indicators of r to x and returns how many it
// added. r is a STIX bundle (or a single object) whose indicators are
// taken, or a list of bare values, one per line ('#' starts a comment),
// each an IP address or CIDR block, a hash, a URL, an e-mail address or a
// domain. A bare value's indicator id is derived from the value, its author
// is "local".
func LoadIndicators(r io.Reader, x *Index) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(64)
	if t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf"); len(t) > 0 && t[0] == '{' {
		data, err := io.ReadAll(br)
		if err != nil {
			return 0, fmt.Errorf("read indicators: %w", err)
		}
		return loadSTIX(data, x)
	}
	return loadValues(br, x)
}

func loadSTIX(data []byte, x *Index) (int, error) {
	objs, err := stix.ParseInput(data)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		rec := record.Record{Type: o.Type, ObjectID: o.ID, Modified: o.Version(), Object: o.Raw, Author: o.CreatedByRef}
		in, ok, err := FromRecord(rec)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		if err := x.Add(in); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func loadValues(br *bufio.Reader, x *Index) (int, error) {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n, line := 0, 0
	for sc.Scan() {
		line++
		v := strings.TrimSpace(sc.Text())
		if v == "" || v[0] == '#' {
			continue
		}
		c, err := CompileValue(v)
		if err != nil {
			return n, fmt.Errorf("indicator line %d: %w", line, err)
		}
		if err := x.Add(Indicator{ID: valueID(v), Author: "local", Confidence: -1, Pattern: c, Version: time.Unix(0, 0)}); err != nil {
			return n, err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("read indicators: %w", err)
	}
	return n, nil
}

// valueID derives a stable indicator id from a bare value (a name-based
// UUID: SHA-256 of the value, version 8 layout).
func valueID(v string) string {
	h := sha256.Sum256([]byte(v))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	s := hex.EncodeToString(h[:16])
	return "indicator--" + s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
