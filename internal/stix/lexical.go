package stix

import (
	"strings"
	"time"
)

// This file holds the lexical rules of STIX 2.1: type names, identifiers,
// property names, timestamps and the binary/hex encodings.

// typeNameProblem explains why s is not a valid STIX type name, or returns ""
// when it is one. The specification (3–250 characters of a–z, 0–9 and '-',
// no "--") and the OASIS schema (leading letter, no leading hyphen) are both
// applied; a trailing hyphen, which the schema tolerates, is rejected too.
func typeNameProblem(s string) string {
	switch {
	case len(s) < 3 || len(s) > 250:
		return "must be 3 to 250 characters long"
	case strings.Contains(s, "--"):
		return `must not contain "--"`
	case s[0] < 'a' || s[0] > 'z':
		return "must start with a lowercase letter"
	case s[len(s)-1] == '-':
		return "must not end with a hyphen"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '-' {
			return "must contain only a-z, 0-9 and '-'"
		}
	}
	return ""
}

// identifierProblem checks an identifier "<type>--<UUID>" and returns the
// type part, or a description of what is wrong with it.
func identifierProblem(s string) (typ, problem string) {
	typ, uuid, ok := strings.Cut(s, "--")
	if !ok {
		return "", `must have the form "<type>--<UUID>"`
	}
	if p := typeNameProblem(typ); p != "" {
		return "", "type part " + p
	}
	if p := uuidProblem(uuid); p != "" {
		return "", p
	}
	return typ, ""
}

// uuidProblem checks an RFC 4122 UUID in its 8-4-4-4-12 hex form (either
// case, as RFC 4122 accepts on input and the OASIS schema allows), with a
// version of 1–5 and the RFC 4122 variant, as the OASIS schema requires.
func uuidProblem(u string) string {
	if len(u) != 36 {
		return "UUID must be 36 characters (8-4-4-4-12 hex digits)"
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "UUID must be 8-4-4-4-12 hex digits"
			}
			continue
		}
		if !isHex(c) {
			return "UUID must contain only hex digits"
		}
	}
	if v := u[14]; v < '1' || v > '5' {
		return "UUID version must be 1 to 5 (RFC 4122)"
	}
	if !strings.ContainsRune("89abAB", rune(u[19])) {
		return "UUID variant must be RFC 4122 (8, 9, a or b)"
	}
	return ""
}

// propertyNameProblem checks a property name: 3–250 characters of a–z, 0–9
// and '_', starting with a letter (STIX 2.1 §3.1 and the OASIS schema's
// properties.json). "id" is the one shorter name the specification uses.
func propertyNameProblem(s string) string {
	if s == "id" {
		return ""
	}
	if len(s) < 3 || len(s) > 250 || !isLower(s[0]) {
		return "property names must be 3 to 250 characters long and start with a lowercase letter"
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '_' {
			return "property names must contain only a-z, 0-9 and '_'"
		}
	}
	return ""
}

// dictKeyProblem checks a dictionary key against the OASIS schema's rule.
func dictKeyProblem(s string) string {
	if len(s) > 250 {
		return "dictionary keys must be at most 250 characters long"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isUpper(c) && !isDigit(c) && c != '_' && c != '-' {
			return "dictionary keys must contain only a-z, A-Z, 0-9, '_' and '-'"
		}
	}
	return ""
}

// parseTimestamp parses a STIX timestamp, YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC.
// With millis set, at least millisecond precision is required (created and
// modified of SDOs and SROs). The returned time is in UTC.
func parseTimestamp(s string, millis bool) (time.Time, string) {
	const shape = "must be a STIX timestamp YYYY-MM-DDTHH:MM:SS[.fraction]Z in UTC"
	if len(s) < 20 || s[len(s)-1] != 'Z' {
		return time.Time{}, shape
	}
	const layout = "dddd-dd-ddTdd:dd:dd"
	for i := 0; i < len(layout); i++ {
		if c, want := s[i], layout[i]; (want == 'd' && !isDigit(c)) || (want != 'd' && c != want) {
			return time.Time{}, shape
		}
	}
	frac := s[19 : len(s)-1]
	if frac != "" && (frac[0] != '.' || len(frac) < 2 || strings.Trim(frac[1:], "0123456789") != "") {
		return time.Time{}, shape
	}
	if millis && len(frac) < 4 {
		return time.Time{}, "must be precise to at least the millisecond (e.g. 2016-05-12T08:17:27.000Z)"
	}
	year, month, day := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	hour, minute, sec := atoi(s[11:13]), atoi(s[14:16]), atoi(s[17:19])
	switch {
	case month < 1 || month > 12 || day < 1 || day > 31:
		return time.Time{}, "has an invalid date"
	case hour > 23 || minute > 59:
		return time.Time{}, "has an invalid time of day"
	case sec > 59:
		return time.Time{}, "has seconds out of range (leap seconds are not supported)"
	}
	nanos := 0
	if frac != "" {
		digits := (frac[1:] + "000000000")[:9]
		nanos = atoi(digits)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if t.Day() != day {
		return time.Time{}, "has an invalid date"
	}
	return t, ""
}

// normTime is the normalised text form of a parsed timestamp.
func normTime(t time.Time) string { return string(appendNormTime(nil, t)) }

// appendNormTime appends normTime(t) to b.
func appendNormTime(b []byte, t time.Time) []byte { return t.AppendFormat(b, time.RFC3339Nano) }

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// isBase64 reports whether s is padded standard base64 (RFC 4648 §4), the
// encoding of STIX binary properties (names ending in _bin).
func isBase64(s string) bool {
	if len(s) == 0 || len(s)%4 != 0 {
		return false
	}
	pad := len(s) - len(strings.TrimRight(s, "="))
	if pad > 2 {
		return false
	}
	for i := 0; i < len(s)-pad; i++ {
		c := s[i]
		if !isLower(c) && !isUpper(c) && !isDigit(c) && c != '+' && c != '/' {
			return false
		}
	}
	return true
}

// isHexString reports whether s is a non-empty, even-length hex string, the
// encoding of STIX hex properties (names ending in _hex).
func isHexString(s string) bool {
	return len(s) > 0 && len(s)%2 == 0 && allHex(s)
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }
