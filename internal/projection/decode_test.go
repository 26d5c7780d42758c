package projection

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// decodeStd is object.decode as it was with encoding/json: the reference
// the faster decoder must agree with, so that a projection built before
// the change and one built after hold the same rows.
func decodeStd(raw []byte) (object, bool) {
	var o object
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(raw, &o); err != nil && !errors.As(err, &typeErr) {
		return object{}, false
	}
	return o, true
}

// sameDecode fails unless object.decode and encoding/json agree on raw:
// both reject it, or both accept it with equal results.
func sameDecode(t *testing.T, raw []byte) {
	t.Helper()
	want, wantOK := decodeStd(raw)
	var got object
	clean, err := got.decode(raw)
	sameIndicator(t, raw, got.indicator(clean))
	sameLevel(t, raw)
	if wantOK && !bytesStartObject(raw) {
		wantOK = false // decode also rejects anything that is not an object
	}
	if gotOK := err == nil; gotOK != wantOK {
		t.Fatalf("decode(%q): error %v, encoding/json accepts: %v", raw, err, wantOK)
	}
	if wantOK && !reflect.DeepEqual(got, want) {
		t.Fatalf("decode(%q) =\n%+v\nencoding/json:\n%+v", raw, got, want)
	}
}

// sameIndicator fails unless ind, what the projection hands the matcher,
// is nil or exactly what the matcher's own decode of raw gives
// (detect.FromRecord's decoder, without error). ind is nil only for what
// is not an indicator or has a property of an unexpected shape.
func sameIndicator(t *testing.T, raw []byte, ind *Indicator) {
	t.Helper()
	var want detect.IndicatorFields
	err := jsonv1.Unmarshal(raw, &want)
	if ind == nil {
		if err == nil && want.Type == "indicator" && bytesStartObject(raw) && cleanStd(raw) {
			t.Fatalf("decode(%q): no indicator handed over, though the matcher decodes it", raw)
		}
		return
	}
	if err != nil {
		t.Fatalf("decode(%q): indicator %+v handed over, but the matcher's decode fails: %v", raw, *ind, err)
	}
	if got := detect.IndicatorFields(*ind); !reflect.DeepEqual(got, want) {
		t.Fatalf("decode(%q): indicator\n%+v\nthe matcher decodes\n%+v", raw, got, want)
	}
}

// sameLevel fails unless the TLP level Apply gives a record of raw without
// access data (one read back from the ledger's state) is tlp.Of's, GREEN
// when unmarked or when tlp.Of fails, whether or not extract could read it
// from its own decode.
func sameLevel(t *testing.T, raw []byte) {
	t.Helper()
	f, err := extract(raw)
	if err != nil {
		return // Apply fails on this record
	}
	want, err := tlp.Of(raw, tlp.Green)
	if err != nil {
		want = tlp.Green
	}
	if got := accessOf(&record.Record{Object: raw}, f.Level).Level; got != uint8(want) {
		t.Fatalf("level of %q: %d (decoded %d), tlp.Of gives %d", raw, got, f.Level, want)
	}
}

// cleanStd reports that encoding/json decodes raw into object without error.
func cleanStd(raw []byte) bool {
	var o object
	return json.Unmarshal(raw, &o) == nil
}

func bytesStartObject(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

var decodeCases = []string{
	`{"type":"indicator","name":"N","pattern":"[ipv4-addr:value = '10.0.0.1']","labels":["a",""],"revoked":true}`,
	`{"labels":5,"name":"x","NAME":"y","number":1e3,"hashes":{"MD5":1,"SHA-256":"AB"},"pattern":"p"}`,
	`{"name":"a\ud800b","Type":"T","type":"t2","revoked":"yes","description":"d"}`,
	`{"name":"a","name":"b","number":123456789012345678901234567890}`,
	"{\"name\":\"\xff\xfe\",\"value\":\"\xc3\"}",
	`{"type":"observed-data","objects":{"0":{"type":"file","name":"f"},"1":5,"2":[1]},"value":null}`,
	`{"type":"file","hashes":null,"labels":[null,"x"],"number":-0.5e-3}`,
	`{"created":"2026-01-01T00:00:00Z","x_custom":{"deep":[{"a":[1,2,{"b":null}]}]}}`,
	`{"name":"\u00e9\u0301 \t\n"}`,
	` {"type":"url"} `,
	`{"type":"url"}x`,
	`{"type":`,
	`[1,2]`,
	`"str"`,
	`{}`,
	``,
	`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z","confidence":80,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"revoked":false}`,
	`{"type":"indicator","Confidence":7,"VALID_FROM":"x","Object_Marking_Refs":["a"],"pattern":"a","pattern":"b"}`,
	`{"type":"indicator","confidence":1.5,"pattern":"p"}`,
	`{"type":"indicator","confidence":null,"object_marking_refs":null}`,
	`{"type":"indicator","number":{},"pattern":"p"}`,
	`{"type":"indicator","hashes":{"MD5":1},"confidence":3}`,
	`{"type":"Indicator","pattern":"p"}`,
	`{"object_marking_refs":["` + tlp.GreenID + `"],"granular_markings":[{"marking_ref":"` + tlp.RedID + `","selectors":["name"]}]}`,
	`{"granular_markings":[{"lang":"en","selectors":["name"]},{"marking_ref":"` + tlp.AmberID + `"}],"object_marking_refs":["` + tlp.ClearID + `"]}`,
	`{"object_marking_refs":["` + tlp.WhiteV1ID + `"]}`,
	`{"granular_markings":[{"marking_ref":5}],"object_marking_refs":["` + tlp.RedID + `"]}`,
	`{"granular_markings":"x","object_marking_refs":["` + tlp.AmberStrictID + `"]}`,
	`{"object_marking_refs":"` + tlp.RedID + `"}`,
	`{"Granular_Markings":[{"MARKING_REF":"` + tlp.AmberID + `"}],"granular_markings":null}`,
	`{"numBer":1E700}`, // beyond float64: a type error to encoding/json, the largest float64 to jsonv1's interface decode
	`{"type":"autonomous-system","number":1E700}`,
	`{"type":"autonomous-system","number":"15169"}`,
	`{"type":"autonomous-system","number":-0}`,
}

// TestDecodeMatchesEncodingJSON checks the decoder against encoding/json on
// odd inputs and on every OASIS example object.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, c := range decodeCases {
		sameDecode(t, []byte(c))
	}
	n := 0
	for _, f := range exampleFiles(t) {
		for _, o := range exampleObjects(t, f) {
			raw, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			sameDecode(t, raw)
			n++
		}
	}
	if n < 200 {
		t.Fatalf("only %d example objects checked", n)
	}
}

// FuzzDecode checks that the decoder agrees with encoding/json on any
// input.
func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { sameDecode(t, raw) })
}
