package detect

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// AppendJSON appends h as one line of JSON, exactly as encoding/json's
// Encoder with SetEscapeHTML(false) writes it (the tests compare), without
// reflection: a scan with CIDR and subdomain semantics writes hundreds of
// thousands of hits a gigabyte, and encoding them one by one through
// reflection cost a tenth of the scan.
func (h *Hit) AppendJSON(b []byte) []byte {
	b = append(b, `{"indicator_id":`...)
	b = appendJSONString(b, h.IndicatorID)
	b = append(b, `,"value":`...)
	b = appendJSONString(b, h.Value)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, h.Type)
	b = append(b, `,"observed":`...)
	b = appendJSONString(b, h.Observed)
	if h.Source != "" {
		b = append(b, `,"source":`...)
		b = appendJSONString(b, h.Source)
	}
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, h.Line, 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, int64(h.Offset), 10)
	if h.Field != "" {
		b = append(b, `,"field":`...)
		b = appendJSONString(b, h.Field)
	}
	if h.Marking != "" {
		b = append(b, `,"marking":`...)
		b = appendJSONString(b, h.Marking)
	}
	if h.Confidence != nil {
		b = append(b, `,"confidence":`...)
		b = strconv.AppendInt(b, int64(*h.Confidence), 10)
	}
	b = append(b, `,"author":`...)
	b = appendJSONString(b, h.Author)
	if h.Benign {
		b = append(b, `,"benign":true`...)
	}
	if h.Warninglist != "" {
		b = append(b, `,"warninglist":`...)
		b = appendJSONString(b, h.Warninglist)
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s quoted as encoding/json quotes it without HTML
// escaping: '"', '\\' and control bytes escaped, invalid UTF-8 as U+FFFD,
// U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plainWord(s[i:]) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainWord reports whether the first eight bytes of s (it has them) are
// all printable ASCII
// other than '"' and '\\' (copied as they are): no byte below 0x20, none
// with the high bit, none equal to either. Each test is exact ("some byte
// is zero" has no false positive when asked of the whole word).
func plainWord(s string) bool {
	w := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8))
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, b := w^'"'*lo, w^'\\'*lo
	return ((w-0x20*lo)&^w|w|(q-lo)&^q|(b-lo)&^b)&hi == 0
}
