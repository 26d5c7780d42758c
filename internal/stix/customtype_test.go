package stix

import (
	"strings"
	"testing"
)

func TestUnknownAndCustomTypes(t *testing.T) {
	const common = `"spec_version":"2.1","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z"`
	cases := []struct {
		name, obj string
		ok        bool
	}{
		{"unknown type", `{"type":"weapon","id":"weapon--00000000-0000-4000-8000-000000000001",` + common + `}`, false},
		{"x- custom type", `{"type":"x-weapon","id":"x-weapon--00000000-0000-4000-8000-000000000001",` + common + `}`, true},
		{"new-sdo by extension", `{"type":"weapon","id":"weapon--00000000-0000-4000-8000-000000000001",` + common +
			`,"extensions":{"extension-definition--00000000-0000-4000-8000-000000000002":{"extension_type":"new-sdo"}}}`, true},
		{"property extension only", `{"type":"weapon","id":"weapon--00000000-0000-4000-8000-000000000001",` + common +
			`,"extensions":{"extension-definition--00000000-0000-4000-8000-000000000002":{"extension_type":"property-extension"}}}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.obj))
			if c.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !c.ok && (err == nil || !strings.Contains(err.Error(), `unknown STIX 2.1 object type "weapon"`)) {
				t.Fatalf("err = %v, want unknown type", err)
			}
		})
	}
}
