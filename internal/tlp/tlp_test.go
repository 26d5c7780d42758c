package tlp

import "testing"

func TestOf(t *testing.T) {
	cases := []struct {
		name string
		obj  string
		def  Level
		want Level
	}{
		{"unmarked takes the default", `{"type":"indicator"}`, Green, Green},
		{"unmarked with a CLEAR default", `{"type":"indicator"}`, Clear, Clear},
		{"TLP 2.0 amber", `{"object_marking_refs":["` + AmberID + `"]}`, Green, Amber},
		{"TLP 1.0 white is CLEAR", `{"object_marking_refs":["` + WhiteV1ID + `"]}`, Red, Clear},
		{"TLP 1.0 red", `{"object_marking_refs":["` + RedV1ID + `"]}`, Green, Red},
		{"most restrictive of several", `{"object_marking_refs":["` + GreenID + `","` + AmberStrictID + `","` + AmberV1ID + `"]}`, Green, AmberStrict},
		{"a granular marking raises the record", `{"object_marking_refs":["` + GreenID + `"],"granular_markings":[{"marking_ref":"` + RedID + `","selectors":["description"]}]}`, Green, Red},
		{"granular only", `{"granular_markings":[{"marking_ref":"` + AmberID + `","selectors":["name"]}]}`, Clear, Amber},
		{"language granular markings do not count", `{"granular_markings":[{"lang":"en","selectors":["name"]}]}`, Green, Green},
		{"non-TLP markings do not count", `{"object_marking_refs":["marking-definition--a4d70b75-6f4a-5d19-9137-da863edd33d7"]}`, Amber, Amber},
		{"a lower granular marking does not lower", `{"object_marking_refs":["` + RedID + `"],"granular_markings":[{"marking_ref":"` + ClearID + `","selectors":["name"]}]}`, Green, Red},
	}
	for _, c := range cases {
		got, err := Of([]byte(c.obj), c.def)
		if err != nil || got != c.want {
			t.Errorf("%s: Of = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := Of([]byte(`{"object_marking_refs":"x"}`), Green); err == nil {
		t.Error("a malformed object_marking_refs was accepted")
	}
}

func TestParseAndOrder(t *testing.T) {
	for in, want := range map[string]Level{"clear": Clear, "TLP:WHITE": Clear, "green": Green, "Amber": Amber,
		"amber+strict": AmberStrict, "AMBER_STRICT": AmberStrict, "tlp:red": Red} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := Parse("orange"); err == nil {
		t.Error("Parse(orange) succeeded")
	}
	if !(Clear < Green && Green < Amber && Amber < AmberStrict && AmberStrict < Red) {
		t.Error("levels out of order")
	}
	if Green.Sealed() || !Amber.Sealed() || !Red.Sealed() {
		t.Error("Sealed: only AMBER and above are sealed")
	}
	for _, l := range []Level{Clear, Green, Amber, AmberStrict, Red} {
		if got, ok := OfMarking(l.MarkingID()); !ok || got != l {
			t.Errorf("%v: marking id round trip gives %v", l, got)
		}
		if p, _ := Parse(l.String()); p != l {
			t.Errorf("%v: name round trip gives %v", l, p)
		}
	}
	if Level(0).Valid() || Level(6).Valid() {
		t.Error("0 and 6 are not levels")
	}
}

func FuzzOf(f *testing.F) {
	f.Add([]byte(`{"object_marking_refs":["` + AmberID + `"],"granular_markings":[{"marking_ref":"` + RedID + `"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Of(b, Green)
		if err == nil && !l.Valid() {
			t.Fatalf("Of returned %v without an error", l)
		}
	})
}
