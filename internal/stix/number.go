package stix

import (
	"encoding/json"
	"strings"
)

// decimal is an exact view of a JSON number: (-1)^neg × digits × 10^exp,
// with digits free of leading and trailing zeros ("" means zero). Numbers
// are compared through it so that no decision depends on floating point.
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// maxExp clamps exponents; anything beyond it is far outside every range
// STIX constrains, and clamping keeps arithmetic on the exponent safe.
const maxExp = 1 << 20

// parseDecimal splits a syntactically valid JSON number.
func parseDecimal(n json.Number) decimal {
	s := string(n)
	var d decimal
	if strings.HasPrefix(s, "-") {
		d.neg = true
		s = s[1:]
	}
	mant, expPart, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	d.digits = intPart + frac
	d.exp = clampedAtoi(expPart) - len(frac)
	trimmed := strings.TrimRight(d.digits, "0")
	d.exp += len(d.digits) - len(trimmed)
	d.digits = strings.TrimLeft(trimmed, "0")
	if d.digits == "" {
		d.neg, d.exp = false, 0
	}
	return d
}

func clampedAtoi(s string) int {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
		if v > maxExp {
			v = maxExp
			break
		}
	}
	if neg {
		return -v
	}
	return v
}

// int64 returns the value when it is an integer representable in int64
// (a JSON number such as 7, 7.0 or 7e0); ok is false otherwise.
func (d decimal) int64() (v int64, ok bool) {
	if d.exp < 0 {
		return 0, false // trailing zeros were trimmed, so a fraction remains
	}
	if len(d.digits)+d.exp > 18 {
		return 0, false // may not fit; every STIX bound is far smaller
	}
	for i := 0; i < len(d.digits); i++ {
		v = v*10 + int64(d.digits[i]-'0')
	}
	for i := 0; i < d.exp; i++ {
		v *= 10
	}
	if d.neg {
		v = -v
	}
	return v, true
}

// cmpInt compares the number with the integer b exactly: -1, 0 or +1.
func (d decimal) cmpInt(b int64) int {
	if v, ok := d.int64(); ok {
		switch {
		case v < b:
			return -1
		case v > b:
			return 1
		}
		return 0
	}
	if len(d.digits)+d.exp > 18 { // |d| >= 10^18 > |b| for all our bounds
		if d.neg {
			return -1
		}
		return 1
	}
	// A non-integer of modest size: compare its integer part, then the
	// (non-zero) fraction breaks the tie away from zero.
	intLen := len(d.digits) + d.exp
	var ip int64
	for i := 0; i < intLen; i++ {
		ip = ip*10 + int64(d.digits[i]-'0')
	}
	if d.neg {
		ip = -ip
		if ip <= b {
			return -1
		}
		return 1
	}
	if ip >= b {
		return 1
	}
	return -1
}
