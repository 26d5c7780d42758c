package detect

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"strings"

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
		if err := x.AddValue(valueID(v), v, "local"); err != nil {
			return n, fmt.Errorf("indicator line %d: %w", line, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("read indicators: %w", err)
	}
	return n, nil
}

// valueID derives a stable indicator UUID from a bare value (name-based:
// FNV-1a 128 of the value in the version 5 layout).
func valueID(v string) [16]byte {
	f := fnv.New128a()
	_, _ = f.Write([]byte(v))
	var id [16]byte
	f.Sum(id[:0])
	id[6] = id[6]&0x0f | 0x50
	id[8] = id[8]&0x3f | 0x80
	return id
}
