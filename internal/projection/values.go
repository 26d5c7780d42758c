package projection

// This file reads what the projection indexes of a STIX object from its
// JSON: for records read back from the ledger state, and for the objects
// fromobject.go does not build from the ledger's parse. The two must give
// the same fields (FuzzFieldsOf).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// fields is what the projection indexes of one STIX object.
type fields struct {
	Name, Description, Pattern, Created string
	Revoked                             bool
	Labels                              []string
	Values                              []string   // observable values, deduplicated
	Indicator                           *Indicator // for the matcher: see Indicator
	// Level is the object's TLP level as tlp.Of gives it with GREEN as
	// the default, read from this decode; 0 when the decode met a type
	// error, so that the caller asks tlp.Of itself.
	Level tlp.Level
}

// object is the subset of STIX properties the projection reads.
type object struct {
	Type        string                     `json:"type"`
	Created     string                     `json:"created"`
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	Pattern     string                     `json:"pattern"`
	PatternType string                     `json:"pattern_type"`
	Labels      []string                   `json:"labels"`
	Revoked     bool                       `json:"revoked"`
	Value       string                     `json:"value"`
	Path        string                     `json:"path"`
	Number      json.RawMessage            `json:"number"` // as written: see number
	Hashes      map[string]string          `json:"hashes"`
	Objects     map[string]json.RawMessage `json:"objects"` // observed-data (deprecated form)

	// Read for the detection matcher only (see Indicator).
	ID         string   `json:"id"`
	ValidFrom  string   `json:"valid_from"`
	ValidUntil string   `json:"valid_until"`
	Confidence *int     `json:"confidence"`
	Markings   []string `json:"object_marking_refs"`

	// Read for the TLP level of a record without access data (see
	// fields.Level).
	GranularMarkings []struct {
		MarkingRef string `json:"marking_ref"`
	} `json:"granular_markings"`
}

// Indicator is what the detection matcher reads of an indicator, decoded by
// the projection with encoding/json's semantics: the same fields, of the
// same types and in the same order, as detect.IndicatorFields, so the
// daemon converts one into the other and the matcher need not decode the
// object a second time (its decode was 2.5% of a replica's CPU,
// docs/benchmarks.md "Session 5, continued"). The projection hands one
// over only when decoding the whole object met no type error, so that
// every field holds exactly what decoding into the matcher's own struct
// gives.
type Indicator struct {
	Type        string
	ID          string
	Pattern     string
	PatternType string
	Revoked     bool
	ValidFrom   string
	ValidUntil  string
	Confidence  *int
	Markings    []string
}

// decode reads raw into o. A property of an unexpected shape is left zero
// (the decoder skips it and goes on) rather than failing: a custom or odd
// property must never stop the projection.
//
// The decoder is go-json-experiment's v1 package: encoding/json's
// semantics (case-insensitive names, the last of duplicate names, invalid
// UTF-8 replaced, type errors skipped) on the faster v2 engine. It decodes
// an object in about half the CPU of encoding/json, which scans every
// input twice; this decode ran once per record on every node
// (docs/benchmarks.md, "Session 4").
//
// clean reports that no property had an unexpected shape.
func (o *object) decode(raw []byte) (clean bool, err error) {
	if !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
		return false, errors.New("object is not a JSON object")
	}
	var typeErr *jsonv1.UnmarshalTypeError
	if err := jsonv1.Unmarshal(raw, o); err != nil {
		if !errors.As(err, &typeErr) {
			return false, fmt.Errorf("object is not a JSON object: %w", err)
		}
		return false, nil
	}
	return true, nil
}

// indicator returns the matcher's fields of o, an indicator decoded
// cleanly; nil for anything else.
func (o *object) indicator(clean bool) *Indicator {
	if !clean || o.Type != "indicator" {
		return nil
	}
	return &Indicator{Type: o.Type, ID: o.ID, Pattern: o.Pattern, PatternType: o.PatternType, Revoked: o.Revoked,
		ValidFrom: o.ValidFrom, ValidUntil: o.ValidUntil, Confidence: o.Confidence, Markings: o.Markings}
}

// extract reads the indexed fields of a STIX object. It fails only when
// raw is not a JSON object.
func extract(raw []byte) (fields, error) {
	var o object
	clean, err := o.decode(raw)
	if err != nil {
		return fields{}, err
	}
	f := fields{
		Indicator:   o.indicator(clean),
		Name:        o.Name,
		Description: o.Description,
		Pattern:     o.Pattern,
		Created:     o.Created,
		Revoked:     o.Revoked,
		Labels:      slices.DeleteFunc(o.Labels, func(l string) bool { return l == "" }),
	}
	if clean {
		f.Level = o.level()
	}
	f.Values = o.values(nil)
	if f.Pattern != "" && (o.PatternType == "" || o.PatternType == "stix") {
		f.Values = append(f.Values, patternValues(f.Pattern)...)
	}
	for _, sub := range o.Objects {
		var so object
		if _, err := so.decode(sub); err == nil {
			f.Values = so.values(f.Values)
		}
	}
	slices.Sort(f.Values)
	f.Values = slices.Compact(f.Values)
	return f, nil
}

// level is tlp.Of(raw, tlp.Green) for the object o was cleanly decoded
// from: the same two properties, decoded with the same semantics.
func (o *object) level() tlp.Level {
	refs := o.Markings
	if len(o.GranularMarkings) > 0 {
		refs = slices.Clone(refs)
		for _, g := range o.GranularMarkings {
			refs = append(refs, g.MarkingRef)
		}
	}
	return tlp.OfRefs(refs, tlp.Green)
}

// values appends the observable values of o to dst if o is a STIX Cyber
// Observable: value, name, path, number and hash values (lower-cased).
func (o *object) values(dst []string) []string {
	if !scoTypes[o.Type] {
		return dst
	}
	for _, v := range []string{o.Value, o.Name, o.Path, number(o.Number)} {
		if v != "" {
			dst = append(dst, v)
		}
	}
	for _, h := range o.Hashes {
		if h != "" {
			dst = append(dst, strings.ToLower(h))
		}
	}
	return dst
}

// number formats a JSON number in decimal as encoding/json's float64
// would hold it; anything else, and a number beyond float64's range, gives
// "". It reads the number as written: decoded into an interface, a number
// beyond the range is a type error to encoding/json but the largest
// float64 to the faster decoder (FuzzDecode found 1E700), so the field
// holds the raw value, which both decoders copy alike.
func number(raw json.RawMessage) string {
	f, err := strconv.ParseFloat(string(raw), 64) // a JSON number's text is a Go float's
	if err != nil {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// scoTypes are the STIX 2.1 Cyber Observable types.
var scoTypes = map[string]bool{
	"artifact": true, "autonomous-system": true, "directory": true,
	"domain-name": true, "email-addr": true, "email-message": true,
	"file": true, "ipv4-addr": true, "ipv6-addr": true, "mac-addr": true,
	"mutex": true, "network-traffic": true, "process": true,
	"software": true, "url": true, "user-account": true,
	"windows-registry-key": true, "x509-certificate": true,
}

// patternValues returns the string literal on the right-hand side of every
// comparison of a STIX pattern, e.g. "abc" for
// [file:hashes.'SHA-256' = 'ABC'] (hash values are lower-cased). Quoted
// path components, and typed literals (t'...', h'...', b'...') are skipped.
func patternValues(p string) []string {
	var out []string
	pathStart := 0 // start of the object path of the current comparison
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\'':
			lit, end := stringLiteral(p, i)
			if isValueLiteral(p, i) {
				if strings.Contains(strings.ToLower(p[pathStart:i]), "hashes") {
					lit = strings.ToLower(lit)
				}
				out = append(out, lit)
			}
			i = end
		case isIdentByte(c) && (i == 0 || !isIdentByte(p[i-1])):
			j := i
			for j < len(p) && isIdentByte(p[j]) {
				j++
			}
			if j < len(p) && p[j] == ':' {
				pathStart = i
			}
			i = j - 1
		}
	}
	return out
}

// stringLiteral decodes the literal whose opening quote is at p[start] and
// returns it with the index of its closing quote (len(p) if unterminated).
func stringLiteral(p string, start int) (string, int) {
	var b strings.Builder
	for i := start + 1; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteByte(p[i])
			}
		case '\'':
			return b.String(), i
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String(), len(p)
}

// isValueLiteral reports whether the quote at p[i] opens a plain literal
// after an operator, rather than a path component (after '.', ':' or '[')
// or a typed literal (t'...', h'...', b'...').
func isValueLiteral(p string, i int) bool {
	if i > 0 && isIdentByte(p[i-1]) {
		return false
	}
	j := i - 1
	for j >= 0 && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' || p[j] == '\r') {
		j--
	}
	return j < 0 || !strings.ContainsRune(".:[", rune(p[j]))
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
