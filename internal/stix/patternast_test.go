package stix

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// render writes a pattern tree back in a compact, unambiguous form.
func render(n *PatternNode) string {
	switch n.Kind {
	case NodeObservationOp, NodeComparisonOp:
		parts := make([]string, len(n.Children))
		for i, c := range n.Children {
			parts[i] = render(c)
		}
		return "(" + strings.Join(parts, " "+n.Op+" ") + ")"
	case NodeObservation:
		return "[" + render(n.Children[0]) + "]" + strings.Join(n.Qualifiers, ",")
	}
	if n.Exists {
		return "EXISTS " + n.ObjectType + ":" + strings.Join(n.Path, ".")
	}
	var vals []string
	for _, v := range n.Values {
		vals = append(vals, v.Kind+"("+v.Text+")")
	}
	not := ""
	if n.Negated {
		not = "NOT "
	}
	return fmt.Sprintf("%s:%s %s%s %s", n.ObjectType, strings.Join(n.Path, "."), not, n.Operator, strings.Join(vals, ","))
}

func TestParsePatternTree(t *testing.T) {
	cases := map[string]string{
		"[ipv4-addr:value = '1.2.3.4']": "[ipv4-addr:value = string(1.2.3.4)]",
		"[file:hashes.'SHA-256' = 'AB' OR file:name NOT LIKE 'a%' AND file:size > 5] WITHIN 10 SECONDS": "[(file:hashes.SHA-256 = string(AB) OR (file:name NOT LIKE string(a%) AND file:size > number(5)))]WITHIN",
		"([aaa:b IN ('x', 'y')] AND [ccc:d[*].e = t'2020-01-01T00:00:00Z']) FOLLOWEDBY [EXISTS fff:g]":  "([([aaa:b IN string(x),string(y)] AND [ccc:d.[*].e = timestamp(2020-01-01T00:00:00Z)])] FOLLOWEDBY [EXISTS fff:g])",
		"[aaa:b = 'it\\'s'] OR [aaa:b = 'c'] AND [aaa:b = h'ff'] OR [aaa:b = 'd']":                      "([aaa:b = string(it's)] OR ([aaa:b = string(c)] AND [aaa:b = hex(ff)]) OR [aaa:b = string(d)])",
		"[aaa:b = 'x' AND (aaa:c = 'y' OR aaa:d = 'z') AND aaa:e = 'w']":                                "[(aaa:b = string(x) AND (aaa:c = string(y) OR aaa:d = string(z)) AND aaa:e = string(w))]",
	}
	for p, want := range cases {
		n, err := ParsePattern(p)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", p, err)
			continue
		}
		if got := render(n); got != want {
			t.Errorf("ParsePattern(%q)\n got  %s\n want %s", p, got, want)
		}
	}
	if _, err := ParsePattern("[a:b = ]"); err == nil || !strings.Contains(err.Error(), "invalid STIX pattern") {
		t.Errorf("bad pattern: %v", err)
	}
}

// TestObjectPatternTree: an indicator Parse accepted keeps its pattern's
// tokens, and its PatternTree is the tree ParsePattern builds; objects
// without a STIX pattern have none.
func TestObjectPatternTree(t *testing.T) {
	t.Parallel()
	ind := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern_type":"%s",` +
		`"pattern":"%s","valid_from":"2016-01-01T00:00:00Z"}`
	o, err := Parse(fmt.Appendf(nil, ind, "stix", `[ipv4-addr:value = '198.51.100.3'] OR [file:hashes.'SHA-256' = 'ab' AND file:size > 5]`))
	if err != nil {
		t.Fatal(err)
	}
	checkPatternTree(t, o)
	sigma, err := Parse(fmt.Appendf(nil, ind, "sigma", `title: x`))
	if err != nil {
		t.Fatal(err)
	}
	checkPatternTree(t, sigma)
	// An Object built by hand (no tokens) parses its pattern.
	bare := &Object{ID: o.ID, Pattern: o.Pattern, PatternType: "stix"}
	got, err := bare.PatternTree()
	if want, _ := ParsePattern(o.Pattern); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("PatternTree without tokens = %v, %v", got, err)
	}
}
