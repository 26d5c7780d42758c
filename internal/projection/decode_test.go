package projection

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
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
	err := got.decode(raw)
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
