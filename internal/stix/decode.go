package stix

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// interned maps recurring strings to a shared copy, boxed in an interface
// (see internTable). It is written once during package initialisation and
// only read afterwards.
var interned map[string]any

// internShapes filters strings before the interned lookup: for each length
// up to the longest interned string, the sets of first and last bytes
// interned strings of that length have. Most strings that are not interned
// (ids, names, descriptions, patterns) fail it without being hashed.
// Written with interned, read-only afterwards.
var internShapes [][2][4]uint64

// setInternShapes fills internShapes from the keys of table.
func setInternShapes(table map[string]any) {
	longest := 0
	for w := range table {
		longest = max(longest, len(w))
	}
	internShapes = make([][2][4]uint64, longest+1)
	for w := range table {
		if w == "" {
			continue
		}
		sh := &internShapes[len(w)]
		first, last := w[0], w[len(w)-1]
		sh[0][first>>6] |= 1 << (first & 63)
		sh[1][last>>6] |= 1 << (last & 63)
	}
}

// mayBeInterned reports whether raw passes internShapes (an empty string
// always does): a string that does not is certainly not interned.
func mayBeInterned(raw []byte) bool {
	n := len(raw)
	if n == 0 {
		return true
	}
	if n >= len(internShapes) {
		return false
	}
	sh := &internShapes[n]
	first, last := raw[0], raw[n-1]
	return sh[0][first>>6]&(1<<(first&63)) != 0 && sh[1][last>>6]&(1<<(last&63)) != 0
}

// maxDepth bounds the nesting of JSON arrays and objects. STIX content is
// shallow; the bound keeps hostile input from exhausting the stack.
const maxDepth = 100

// decoder is a strict, allocation-light JSON decoder. It produces the same
// shapes as encoding/json with UseNumber (map[string]any, []any, string,
// json.Number, bool, nil) but, unlike encoding/json, it rejects what would
// make two consumers disagree about a stored object: duplicate object keys,
// invalid UTF-8 and unpaired UTF-16 surrogate escapes.
//
// When spanKey is set, the element spans of the array held by that key of
// the top-level object are recorded in spans, so a bundle's objects can be
// sliced out of the (compacted) input without re-encoding them.
type decoder struct {
	data    []byte
	pos     int
	depth   int
	spanKey string
	spans   [][2]int
	// inSpans is set while decoding the elements whose spans are recorded,
	// so an error can be attributed to element len(spans).
	inSpans bool
	// spaced is set once whitespace outside strings has been skipped: an
	// input without any is already in compact form.
	spaced bool
}

// syntaxError describes malformed JSON at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

func (d *decoder) fail(format string, args ...any) error {
	return &syntaxError{off: d.pos, msg: fmt.Sprintf(format, args...)}
}

// topObject decodes data, which must hold exactly one JSON object.
func (d *decoder) topObject() (map[string]any, error) {
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, d.fail("expected a JSON object")
	}
	m, err := d.object()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.fail("unexpected data after the top-level object")
	}
	return m, nil
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
			d.spaced = true
		default:
			return
		}
	}
}

func (d *decoder) value() (any, error) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return nil, d.fail("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array(false)
	case c == '"':
		return d.strValue()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return d.literal()
	}
}

func (d *decoder) literal() (any, error) {
	for _, lit := range [...]struct {
		text string
		val  any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(d.data)-d.pos >= len(lit.text) && string(d.data[d.pos:d.pos+len(lit.text)]) == lit.text {
			d.pos += len(lit.text)
			return lit.val, nil
		}
	}
	return nil, d.fail("invalid character %q", d.data[d.pos])
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.fail("nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (d *decoder) object() (map[string]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '{'
	var m map[string]any
	if d.depth == 1 || (d.depth == 2 && d.inSpans) {
		m = make(map[string]any, 16) // a STIX object: sized to avoid regrowth
	} else {
		m = make(map[string]any)
	}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return m, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail("expected a string object key")
		}
		keyPos := d.pos
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, &syntaxError{off: keyPos, msg: fmt.Sprintf("duplicate object key %q", k)}
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail("expected ':' after object key")
		}
		d.pos++
		var v any
		if d.depth == 1 && d.spanKey != "" && k == d.spanKey && d.peek() == '[' {
			d.inSpans = true
			v, err = d.array(true)
			d.inSpans = err != nil
		} else {
			v, err = d.value()
		}
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("unterminated object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return m, nil
		default:
			return nil, d.fail("expected ',' or '}' in object")
		}
	}
}

// peek returns the next non-space byte without consuming it (0 at the end).
func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

func (d *decoder) array(record bool) ([]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '['
	a := []any{}
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return a, nil
	}
	for {
		start := d.pos
		if record {
			d.skipSpace()
			start = d.pos
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if record {
			d.spans = append(d.spans, [2]int{start, d.pos})
		}
		a = append(a, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("unterminated array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return a, nil
		default:
			return nil, d.fail("expected ',' or ']' in array")
		}
	}
}

// str decodes a JSON string starting at the opening quote.
func (d *decoder) str() (string, error) {
	s, _, err := d.scanStr()
	return s, err
}

// strValue is str for a value: an interned string comes already boxed in an
// interface, so storing it in a map[string]any or []any allocates nothing.
func (d *decoder) strValue() (any, error) {
	s, boxed, err := d.scanStr()
	if boxed != nil || err != nil {
		return boxed, err
	}
	return s, nil
}

// scanStr decodes the string at d.pos; boxed is the interned copy of an
// interned string (and nil for any other).
func (d *decoder) scanStr() (s string, boxed any, err error) {
	d.pos++ // opening quote
	start := d.pos
	i, high := plainRun(d.data, start)
	if i == len(d.data) {
		return "", nil, d.fail("unterminated string")
	}
	switch c := d.data[i]; {
	case c == '"':
		raw := d.data[start:i]
		if mayBeInterned(raw) {
			if v, ok := interned[string(raw)]; ok {
				d.pos = i + 1
				return v.(string), v, nil
			}
		}
		if high && !utf8.Valid(raw) { // ASCII is valid UTF-8
			return "", nil, d.fail("string is not valid UTF-8")
		}
		d.pos = i + 1
		return string(raw), nil, nil
	case c == '\\':
		s, err := d.strEscaped(start)
		return s, nil, err
	}
	d.pos = i // a control character
	return "", nil, d.fail("control character in string")
}

// strEscaped is the slow path of str for strings containing escapes.
func (d *decoder) strEscaped(start int) (string, error) {
	buf := make([]byte, 0, 64)
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", d.fail("string is not valid UTF-8")
			}
			d.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			d.pos = i
			return "", d.fail("control character in string")
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			break
		}
		i++
		switch e := d.data[i]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n, err := d.unicodeEscape(i - 1)
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
			i += n - 2
		default:
			d.pos = i
			return "", d.fail("invalid escape '\\%c'", e)
		}
		i++
	}
	d.pos = len(d.data)
	return "", d.fail("unterminated string")
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at data[i].
// It returns the rune and the number of bytes consumed.
func (d *decoder) unicodeEscape(i int) (rune, int, error) {
	hi, ok := hex4(d.data, i+2)
	if !ok {
		d.pos = i
		return 0, 0, d.fail("invalid \\u escape")
	}
	r := rune(hi)
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if i+7 < len(d.data) && d.data[i+6] == '\\' && d.data[i+7] == 'u' {
		if lo, ok := hex4(d.data, i+8); ok {
			if pair := utf16.DecodeRune(r, rune(lo)); pair != utf8.RuneError {
				return pair, 12, nil
			}
		}
	}
	d.pos = i
	return 0, 0, d.fail("unpaired UTF-16 surrogate in \\u escape")
}

func hex4(b []byte, i int) (uint16, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return uint16(v), err == nil
}

// number decodes a JSON number, keeping its text as a json.Number.
func (d *decoder) number() (json.Number, error) {
	start := d.pos
	b := d.data
	i := start
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return "", d.fail("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			d.pos = j
			return "", d.fail("invalid number: digits expected after '.'")
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			d.pos = j
			return "", d.fail("invalid number: digits expected in exponent")
		}
		i = j
	}
	d.pos = i
	return json.Number(b[start:i]), nil
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
