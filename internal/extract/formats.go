package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Format names an input format.
type Format string

// Input formats.
const (
	FormatText  Format = "text"  // any lines; every value anywhere
	FormatJSONL Format = "jsonl" // one JSON object per line; every string field, or the chosen ones
	FormatEVE   Format = "eve"   // Suricata EVE JSON (JSON lines)
	FormatZeek  Format = "zeek"  // Zeek TSV logs with #separator / #fields headers
	FormatCSV   Format = "csv"   // comma-separated values, first line the header
)

// Formats lists the accepted format names.
var Formats = []Format{FormatText, FormatJSONL, FormatEVE, FormatZeek, FormatCSV}

// Detect guesses the format of a stream from its first line and file name:
// a line starting with "{" is JSON lines (EVE when it has "event_type"),
// "#separator" is Zeek, a name ending in .csv is CSV, anything else text.
func Detect(first []byte, name string) Format {
	t := bytes.TrimLeft(first, " \t\xef\xbb\xbf")
	switch {
	case bytes.HasPrefix(t, []byte("{")):
		if bytes.Contains(t, []byte(`"event_type"`)) {
			return FormatEVE
		}
		return FormatJSONL
	case bytes.HasPrefix(t, []byte("#separator")):
		return FormatZeek
	case strings.HasSuffix(strings.ToLower(name), ".csv"):
		return FormatCSV
	}
	return FormatText
}

// FieldFunc receives one field of a line: its name ("" for plain text), the
// byte offset of its value in the line, and the value (valid only during
// the call).
type FieldFunc func(name string, off int, value []byte)

// Splitter cuts lines of one format into fields. It keeps the state a
// format needs between lines (Zeek headers, the CSV header), so use one
// Splitter per input stream.
type Splitter interface {
	// Line reports the fields of one line (without its newline). Header
	// lines report nothing. Malformed lines yield an error naming the
	// problem.
	Line(line []byte, fn FieldFunc) error
}

// NewSplitter returns a splitter for format; fields, when not empty,
// restricts structured formats to those field names (JSON: dotted paths such
// as "dns.rrname").
func NewSplitter(format Format, fields []string) (Splitter, error) {
	switch format {
	case FormatText, "":
		if len(fields) > 0 {
			return nil, fmt.Errorf("--field needs a structured format (jsonl, eve, zeek, csv), not text")
		}
		return textSplitter{}, nil
	case FormatJSONL, FormatEVE:
		return &jsonSplitter{fields: fields}, nil
	case FormatZeek:
		return &zeekSplitter{fields: fields, sep: []byte{'\t'}}, nil
	case FormatCSV:
		return &csvSplitter{fields: fields}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %v)", format, Formats)
}

type textSplitter struct{}

func (textSplitter) Line(line []byte, fn FieldFunc) error {
	fn("", 0, line)
	return nil
}

// wanted reports whether a field passes the filter.
func wanted(fields []string, name string) bool {
	return len(fields) == 0 || slices.Contains(fields, name)
}

// zeekSplitter reads Zeek ASCII logs.
type zeekSplitter struct {
	fields []string
	sep    []byte
	names  []string
}

func (z *zeekSplitter) Line(line []byte, fn FieldFunc) error {
	if len(line) > 0 && line[0] == '#' {
		return z.header(line)
	}
	if z.names == nil {
		return fmt.Errorf("zeek data line before the #fields header")
	}
	off := 0
	for i := 0; ; i++ {
		end := bytes.Index(line[off:], z.sep)
		if end < 0 {
			end = len(line)
		} else {
			end += off
		}
		v := line[off:end]
		if i < len(z.names) && !isUnset(v) && wanted(z.fields, z.names[i]) {
			fn(z.names[i], off, v)
		}
		if end == len(line) {
			return nil
		}
		off = end + len(z.sep)
	}
}

func isUnset(v []byte) bool {
	return len(v) == 0 || (len(v) == 1 && v[0] == '-') || string(v) == "(empty)"
}

func (z *zeekSplitter) header(line []byte) error {
	if v, ok := bytes.CutPrefix(line, []byte("#separator ")); ok {
		sep, err := unescapeZeek(string(v))
		if err != nil || sep == "" {
			return fmt.Errorf("zeek #separator %q: want a separator such as \\x09", v)
		}
		z.sep = []byte(sep)
		return nil
	}
	parts := bytes.Split(line, z.sep)
	if string(parts[0]) == "#fields" {
		z.names = z.names[:0]
		for _, p := range parts[1:] {
			z.names = append(z.names, string(p))
		}
	}
	return nil
}

// unescapeZeek decodes \xHH escapes of a Zeek header value.
func unescapeZeek(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			var v byte
			if _, err := fmt.Sscanf(s[i+2:i+4], "%02x", &v); err != nil {
				return "", err
			}
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// csvSplitter reads CSV whose first line names the columns. Quoted fields
// are reported without their quotes; a doubled quote stays doubled (the
// extractor treats quotes as separators anyway).
type csvSplitter struct {
	fields []string
	names  []string
}

func (c *csvSplitter) Line(line []byte, fn FieldFunc) error {
	if c.names == nil {
		c.names = []string{}
		return splitCSV(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")), func(_, _ int, v []byte) {
			c.names = append(c.names, strings.TrimSpace(string(v)))
		})
	}
	return splitCSV(line, func(col, off int, v []byte) {
		if col < len(c.names) && len(v) > 0 && wanted(c.fields, c.names[col]) {
			fn(c.names[col], off, v)
		}
	})
}

// splitCSV calls each(column, offset, value) for every field of a CSV line.
func splitCSV(line []byte, each func(col, off int, v []byte)) error {
	for col, off := 0, 0; off <= len(line); col++ {
		var v []byte
		start := off
		if off < len(line) && line[off] == '"' {
			end := off + 1
			for {
				q := bytes.IndexByte(line[end:], '"')
				if q < 0 {
					return fmt.Errorf("unterminated quoted CSV field at byte %d", off)
				}
				end += q + 1
				if end < len(line) && line[end] == '"' {
					end++
					continue
				}
				break
			}
			v, start = line[off+1:end-1], off+1
			off = end
			if off < len(line) && line[off] != ',' {
				return fmt.Errorf("unexpected %q after a quoted CSV field at byte %d", line[off], off)
			}
		} else {
			end := bytes.IndexByte(line[off:], ',')
			if end < 0 {
				end = len(line) - off
			}
			v = line[off : off+end]
			off += end
		}
		each(col, start, v)
		off++ // the comma
	}
	return nil
}

// jsonSplitter reads JSON lines: every string value (or those at the chosen
// dotted paths), at any depth.
type jsonSplitter struct {
	fields []string
	path   []byte
	buf    []byte
}

// maxJSONDepth bounds nesting in JSON lines.
const maxJSONDepth = 64

func (j *jsonSplitter) Line(line []byte, fn FieldFunc) error {
	i := skipWS(line, 0)
	if i == len(line) {
		return nil
	}
	if line[i] != '{' {
		return fmt.Errorf("JSON line does not start with an object")
	}
	j.path = j.path[:0]
	end, err := j.value(line, i, 0, fn)
	if err != nil {
		return err
	}
	if skipWS(line, end) != len(line) {
		return fmt.Errorf("unexpected data after the JSON object at byte %d", end)
	}
	return nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// value walks the JSON value at b[i] and returns the offset after it.
func (j *jsonSplitter) value(b []byte, i, depth int, fn FieldFunc) (int, error) {
	if depth > maxJSONDepth {
		return 0, fmt.Errorf("JSON nested deeper than %d", maxJSONDepth)
	}
	if i >= len(b) {
		return 0, fmt.Errorf("JSON line ends inside a value")
	}
	switch c := b[i]; {
	case c == '{':
		return j.object(b, i, depth, fn)
	case c == '[':
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for {
			end, err := j.value(b, skipWS(b, i), depth+1, fn)
			if err != nil {
				return 0, err
			}
			i = skipWS(b, end)
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == ']' {
				return i + 1, nil
			}
			return 0, fmt.Errorf("expected ',' or ']' at byte %d", i)
		}
	case c == '"':
		body, end, err := j.str(b, i)
		if err != nil {
			return 0, err
		}
		if name := string(j.path); wanted(j.fields, name) {
			fn(name, i+1, body)
		}
		return end, nil
	default:
		end := i
		for end < len(b) && bytes.IndexByte([]byte(",]} \t\r\n"), b[end]) < 0 {
			end++
		}
		if end == i || !json.Valid(b[i:end]) {
			return 0, fmt.Errorf("invalid JSON value at byte %d", i)
		}
		return end, nil
	}
}

func (j *jsonSplitter) object(b []byte, i, depth int, fn FieldFunc) (int, error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	outer := len(j.path)
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, fmt.Errorf("expected a JSON object key at byte %d", i)
		}
		key, end, err := j.str(b, i)
		if err != nil {
			return 0, err
		}
		j.path = j.path[:outer]
		if outer > 0 {
			j.path = append(j.path, '.')
		}
		j.path = append(j.path, key...)
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, fmt.Errorf("expected ':' after a JSON object key at byte %d", i)
		}
		if i, err = j.value(b, skipWS(b, i+1), depth+1, fn); err != nil {
			return 0, err
		}
		j.path = j.path[:outer]
		i = skipWS(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		return 0, fmt.Errorf("expected ',' or '}' at byte %d", i)
	}
}

// str reads the JSON string at b[i] (a quote) and returns its value and the
// offset after it. Strings without escapes alias b.
func (j *jsonSplitter) str(b []byte, i int) ([]byte, int, error) {
	escaped := false
	for k := i + 1; k < len(b); k++ {
		switch b[k] {
		case '\\':
			escaped = true
			k++
		case '"':
			if !escaped {
				return b[i+1 : k], k + 1, nil
			}
			var s string
			if err := json.Unmarshal(b[i:k+1], &s); err != nil {
				return nil, 0, fmt.Errorf("invalid JSON string at byte %d: %v", i, err)
			}
			j.buf = append(j.buf[:0], s...)
			return j.buf, k + 1, nil
		}
	}
	return nil, 0, fmt.Errorf("unterminated JSON string at byte %d", i)
}
