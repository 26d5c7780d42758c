package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// bundleSource streams a STIX bundle's objects array with a token
// decoder: only one object is in memory at a time.
type bundleSource struct {
	cr      *countingReader
	closer  io.Closer
	dec     *json.Decoder
	state   int // 0 before objects, 1 inside the array, 2 after it
	index   int
	version string // the bundle's spec_version, when seen before objects
}

func newBundleSource(cr *countingReader, c io.Closer) *bundleSource {
	dec := json.NewDecoder(bufio.NewReaderSize(bomSkipper(cr), 1<<16))
	dec.UseNumber()
	return &bundleSource{cr: cr, closer: c, dec: dec}
}

func (b *bundleSource) Progress() (int64, int64) { return b.cr.n, b.cr.total }
func (b *bundleSource) Close() error             { return b.closer.Close() }

// Next implements Source.
func (b *bundleSource) Next() (Item, error) {
	if b.state == 0 {
		if err := b.findObjects(); err != nil {
			return Item{}, err
		}
	}
	if b.state == 2 || !b.dec.More() {
		if b.state == 1 {
			b.state = 2
		}
		return Item{}, io.EOF
	}
	var raw json.RawMessage
	if err := b.dec.Decode(&raw); err != nil {
		return Item{}, errs.Errorf(errs.Invalid, "bundle objects[%d]: malformed JSON: %v", b.index, err)
	}
	where := fmt.Sprintf("objects[%d]", b.index)
	b.index++
	o, err := parseObject(raw, b.version == "2.0")
	if err != nil {
		return Item{Reject: err.Error(), Where: where}, nil
	}
	return Item{Object: o, Where: where}, nil
}

// findObjects reads the bundle up to the first element of "objects".
func (b *bundleSource) findObjects() error {
	if err := expectDelim(b.dec, '{'); err != nil {
		return errs.Errorf(errs.Invalid, "not a STIX bundle: %v", err)
	}
	for b.dec.More() {
		tok, err := b.dec.Token()
		if err != nil {
			return errs.Errorf(errs.Invalid, "not a STIX bundle: %v", err)
		}
		key, _ := tok.(string)
		switch key {
		case "objects":
			if err := expectDelim(b.dec, '['); err != nil {
				return errs.Errorf(errs.Invalid, "bundle objects: %v", err)
			}
			b.state = 1
			return nil
		case "spec_version":
			var v string
			if err := b.dec.Decode(&v); err != nil {
				return errs.Errorf(errs.Invalid, "bundle spec_version: %v", err)
			}
			b.version = v
		case "type":
			var v string
			if err := b.dec.Decode(&v); err != nil || v != "bundle" {
				return errs.Errorf(errs.Invalid, "not a STIX bundle: type is %q", v)
			}
		default:
			var skip json.RawMessage
			if err := b.dec.Decode(&skip); err != nil {
				return errs.Errorf(errs.Invalid, "bundle %s: %v", key, err)
			}
		}
	}
	b.state = 2 // a bundle without objects
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// parseObject validates one object, upgrading it from STIX 2.0 first when
// it is one: a bundle that says spec_version 2.0, or an object with
// created but no spec_version (2.1 requires it on SDOs, SROs and marking
// definitions).
func parseObject(raw []byte, bundle20 bool) (*stix.Object, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	_, hasSpec := m["spec_version"]
	_, hasCreated := m["created"]
	if bundle20 || (!hasSpec && hasCreated) || m["spec_version"] == "2.0" {
		upgrade20(m)
		var err error
		if raw, err = marshal(m); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return stix.Parse(buf.Bytes())
}

// upgrade20 rewrites a STIX 2.0 object as STIX 2.1 (STIX 2.1 §1.6 lists
// the changes): spec_version is required on SDOs, SROs and marking
// definitions; created and modified need millisecond precision;
// indicators need pattern_type; malware needs is_family. 2.0 ids are
// UUIDv4 already, which 2.1 accepts.
func upgrade20(m map[string]any) {
	typ, _ := m["type"].(string)
	if _, ok := m["created"]; ok || typ == "marking-definition" {
		m["spec_version"] = "2.1"
	} else {
		delete(m, "spec_version") // an SCO: 2.1 defaults to 2.1
	}
	for _, k := range []string{"created", "modified"} {
		if s, ok := m[k].(string); ok {
			m[k] = withMillis(s)
		}
	}
	// 2.0 put the open vocabularies of these types in "labels"; 2.1 has
	// "<type>_types" for them (as the OASIS stix2-elevator moves them).
	if field, ok := typesField[typ]; ok {
		if _, has := m[field]; !has {
			if labels, ok := m["labels"].([]any); ok && len(labels) > 0 {
				m[field] = labels
				delete(m, "labels")
			}
		}
	}
	switch typ {
	case "indicator":
		if _, ok := m["pattern_type"]; !ok {
			m["pattern_type"] = "stix"
		}
	case "malware":
		if _, ok := m["is_family"]; !ok {
			m["is_family"] = true
		}
	case "observed-data":
		upgradeObservables(m)
	case "marking-definition":
		// 2.1 names the predefined TLP markings "TLP:WHITE" and so on.
		def, _ := m["definition"].(map[string]any)
		if level, ok := def["tlp"].(string); ok && m["definition_type"] == "tlp" && m["name"] == nil {
			m["name"] = "TLP:" + strings.ToUpper(level)
		}
	}
}

// typesField names, per 2.0 type whose labels were an open vocabulary,
// the 2.1 property that holds it.
var typesField = map[string]string{
	"indicator": "indicator_types", "malware": "malware_types", "report": "report_types",
	"threat-actor": "threat_actor_types", "tool": "tool_types",
}

// scoNS is the namespace STIX 2.1 (§2.9) gives UUIDv5 ids of SCOs.
var scoNS = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// upgradeObservables gives the cyber-observables embedded in a 2.0
// observed-data (its "objects" dictionary, keyed "0", "1", …) the ids 2.1
// requires: type--UUIDv5 of the object's JSON, a deterministic stand-in for
// the id-contributing properties. References between them (*_ref, *_refs
// naming dictionary keys) become those ids. The 2.1 form keeps "objects",
// which 2.1 deprecates but allows.
func upgradeObservables(m map[string]any) {
	objs, ok := m["objects"].(map[string]any)
	if !ok {
		return
	}
	ids := map[string]string{}
	for key, v := range objs {
		o, ok := v.(map[string]any)
		if !ok {
			continue
		}
		typ, _ := o["type"].(string)
		raw, err := marshal(o)
		if err != nil || typ == "" {
			continue
		}
		ids[key] = typ + "--" + uuid.NewSHA1(scoNS, raw).String()
	}
	for key, v := range objs {
		o, ok := v.(map[string]any)
		if !ok || ids[key] == "" {
			continue
		}
		for prop, val := range o {
			switch {
			case strings.HasSuffix(prop, "_ref"):
				if s, ok := val.(string); ok && ids[s] != "" {
					o[prop] = ids[s]
				}
			case strings.HasSuffix(prop, "_refs"):
				if list, ok := val.([]any); ok {
					for i, x := range list {
						if s, ok := x.(string); ok && ids[s] != "" {
							list[i] = ids[s]
						}
					}
				}
			}
		}
		o["id"] = ids[key]
		o["spec_version"] = "2.1"
	}
}

// withMillis gives an RFC 3339 timestamp without a fraction a ".000" one.
func withMillis(s string) string {
	if !strings.HasSuffix(s, "Z") || strings.Contains(s, ".") || len(s) != len("2006-01-02T15:04:05Z") {
		return s
	}
	return strings.TrimSuffix(s, "Z") + ".000Z"
}

// marshal writes v as compact JSON without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// bomSkipper drops a UTF-8 byte order mark at the start of r.
func bomSkipper(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	return br
}

var errStop = errors.New("stop")
