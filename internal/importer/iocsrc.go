package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/ioc"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// iocSource reads a CSV or plain-text IOC list, one indicator per value.
type iocSource struct {
	cr     *countingReader
	closer io.Closer
	o      Options
	csv    *csv.Reader    // CSV lists
	lines  *bufio.Scanner // plain-text lists
	line   int
	cols   columns
	header bool // whether the CSV header was looked at
}

// columns are the CSV columns a list uses; -1 when absent.
type columns struct {
	value, typ, label, desc int
}

func newIOCSource(cr *countingReader, c io.Closer, isCSV bool, o Options) *iocSource {
	s := &iocSource{cr: cr, closer: c, o: o, cols: columns{0, -1, -1, -1}}
	r := bomSkipper(cr)
	if isCSV {
		s.csv = csv.NewReader(r)
		s.csv.FieldsPerRecord = -1
		s.csv.ReuseRecord = true
		s.csv.Comment = '#'
	} else {
		s.lines = bufio.NewScanner(r)
		s.lines.Buffer(make([]byte, 64<<10), 1<<20)
	}
	return s
}

func (s *iocSource) Progress() (int64, int64) { return s.cr.n, s.cr.total }
func (s *iocSource) Close() error             { return s.closer.Close() }

// Next implements Source.
func (s *iocSource) Next() (Item, error) {
	for {
		fields, err := s.record()
		if err != nil {
			return Item{}, err
		}
		if fields == nil {
			continue // blank line or comment
		}
		return s.item(fields), nil
	}
}

// record returns the next record's fields: value, type hint, label,
// description; nil for lines to skip.
func (s *iocSource) record() ([]string, error) {
	if s.csv != nil {
		return s.csvRecord()
	}
	if !s.lines.Scan() {
		if err := s.lines.Err(); err != nil {
			return nil, fmt.Errorf("line %d: %w", s.line+1, err)
		}
		return nil, io.EOF
	}
	s.line++
	text := strings.TrimSpace(s.lines.Text())
	if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "//") {
		return nil, nil
	}
	// "value<TAB>count", "HASH;COMMENT", "value,comment": the first field
	// is the value, a ';' comment becomes the description.
	value, rest := text, ""
	if i := strings.IndexAny(text, "\t ;,"); i >= 0 {
		value, rest = text[:i], strings.TrimSpace(text[i+1:])
	}
	desc := ""
	if strings.Contains(text, ";") {
		desc = rest
	}
	return []string{value, "", "", desc}, nil
}

func (s *iocSource) csvRecord() ([]string, error) {
	rec, err := s.csv.Read()
	s.line++
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return []string{"", "", "", ""}, nil // a malformed row is rejected as an empty value
	}
	if err != nil {
		return nil, err
	}
	if !s.header {
		s.header = true
		if s.readHeader(rec) {
			return nil, nil
		}
	}
	get := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	return []string{get(s.cols.value), get(s.cols.typ), get(s.cols.label), get(s.cols.desc)}, nil
}

// readHeader recognises a header row by its column names.
func (s *iocSource) readHeader(rec []string) bool {
	found := false
	for i, name := range rec {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "indicator", "value", "ioc", "observable", "ip", "domain", "url", "hash":
			s.cols.value, found = i, true
		case "type", "ioc_type", "indicator_type":
			s.cols.typ, found = i, true
		case "classification", "tags", "labels", "label", "category":
			s.cols.label, found = i, true
		case "description", "comment", "comments":
			s.cols.desc, found = i, true
		}
	}
	return found
}

// typeHints maps the type names lists use to IOC types.
var typeHints = map[string]string{
	"ip": "", "ipv4": "ipv4", "ip-src": "", "ip-dst": "", "ipv6": "ipv6", "cidr": "cidr",
	"domain": "domain", "hostname": "domain", "fqdn": "domain", "url": "url", "uri": "url",
	"email": "email", "email-src": "email", "md5": "md5", "sha1": "sha1", "sha-1": "sha1",
	"sha256": "sha256", "sha-256": "sha256", "sha512": "sha512", "sha-512": "sha512",
}

func (s *iocSource) item(f []string) Item {
	where := fmt.Sprintf("line %d", s.line)
	forced := s.o.Type
	if forced == "" && f[1] != "" {
		t, ok := typeHints[strings.ToLower(f[1])]
		if !ok {
			return Item{Reject: fmt.Sprintf("unsupported IOC type %q", clip(f[1])), Where: where}
		}
		forced = t
	}
	v, err := ioc.Classify(f[0], forced)
	if err != nil {
		return Item{Reject: err.Error(), Where: where}
	}
	o, err := indicatorOf(v, labelsOf(f[2]), f[3], s.o.Now, nil)
	if err != nil {
		return Item{Reject: err.Error(), Where: where}
	}
	return Item{Object: o, Where: where, ByID: true}
}

func labelsOf(s string) []string {
	var out []string
	for _, l := range strings.Split(s, ",") {
		if l = strings.ToLower(strings.TrimSpace(l)); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// indicatorOf builds and validates the indicator of an IOC. extra holds
// further properties (markings, custom properties).
func indicatorOf(v ioc.IOC, labels []string, desc string, at time.Time, extra map[string]any) (*stix.Object, error) {
	ts := at.UTC().Format("2006-01-02T15:04:05.000Z")
	m := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": v.ID(),
		"created": ts, "modified": ts, "valid_from": ts,
		"name":            v.Type + " " + clip(v.Value),
		"indicator_types": []string{"malicious-activity"},
		"pattern":         v.Pattern(), "pattern_type": "stix",
	}
	if len(labels) > 0 {
		m["labels"] = labels
	}
	if desc != "" {
		m["description"] = desc
	}
	for k, x := range extra {
		m[k] = x
	}
	raw, err := marshal(m)
	if err != nil {
		return nil, err
	}
	return stix.Parse(raw)
}
