package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// FuzzIndicatorValue: every value the publish form accepts becomes a
// pattern that the ledger's STIX validator accepts, and nothing else gets
// through checkValue unnoticed (no quote or backslash breaks out of the
// pattern's string literal).
func FuzzIndicatorValue(f *testing.F) {
	for _, k := range valueKinds {
		f.Add(k.Key, k.Placeholder)
	}
	f.Add("url", `https://x.example/a'b\c`)
	f.Add("email", `"a b"@example.com`)
	f.Add("domain", "xn--bcher-kva.example")
	f.Fuzz(func(t *testing.T, kind, value string) {
		v, err := checkValue(kind, value)
		if err != nil {
			return
		}
		p := pattern(kind, v)
		if p == "" {
			t.Fatalf("kind %q accepted but has no pattern", kind)
		}
		obj, _ := json.Marshal(map[string]any{"type": "indicator", "spec_version": "2.1",
			"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2026-01-01T00:00:00.000Z",
			"modified": "2026-01-01T00:00:00.000Z", "pattern": p, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
		if _, err := stix.Parse(obj); err != nil {
			t.Fatalf("value %q (%s) accepted by the form, but its pattern %s is refused: %v", value, kind, p, err)
		}
		inner := strings.TrimSuffix(p[strings.Index(p, "'")+1:], "']")
		if strings.ReplaceAll(strings.ReplaceAll(inner, `\\`, ""), `\'`, "") != strings.ReplaceAll(strings.ReplaceAll(v, `\`, ""), `'`, "") {
			t.Fatalf("pattern %s does not hold the value %q as one literal", p, v)
		}
	})
}
