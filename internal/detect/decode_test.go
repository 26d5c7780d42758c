package detect

import (
	"encoding/json"
	"reflect"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// sameIndicatorDecode fails unless FromRecord's decoder and encoding/json
// agree on raw: both fail, or both succeed with equal results.
func sameIndicatorDecode(t *testing.T, raw []byte) {
	t.Helper()
	var want, got IndicatorFields
	wantErr := json.Unmarshal(raw, &want)
	gotErr := jsonv1.Unmarshal(raw, &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("decode(%q): error %v, encoding/json: %v", raw, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decode(%q) =\n%+v\nencoding/json:\n%+v", raw, got, want)
	}
}

var indicatorCases = []string{
	`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`,
	`{"type":"indicator","confidence":1.5}`,
	`{"type":"indicator","confidence":null,"revoked":false,"REVOKED":true}`,
	`{"type":"indicator","object_marking_refs":"x"}`,
	`{"type":"indicator","pattern":"a","pattern":"b","valid_until":"\u0032"}`,
	"{\"type\":\"indicator\",\"pattern\":\"\xff\"}",
	`{"type":"indicator","confidence":99999999999999999999}`,
	`{"type":"indicator"} trailing`,
	`[]`,
}

func TestIndicatorDecodeMatchesEncodingJSON(t *testing.T) {
	for _, c := range indicatorCases {
		sameIndicatorDecode(t, []byte(c))
	}
}

// FuzzIndicatorDecode checks the decoder against encoding/json on any
// input.
func FuzzIndicatorDecode(f *testing.F) {
	for _, c := range indicatorCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { sameIndicatorDecode(t, raw) })
}
