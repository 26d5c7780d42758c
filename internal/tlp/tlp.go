// Package tlp is the Traffic Light Protocol 2.0 as Phalanx applies it to
// STIX 2.1 objects: the marking levels in order of restriction, the OASIS
// marking-definition ids of TLP 2.0 (extension
// extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d) and TLP 1.0
// (STIX 2.1 §7.2.1.4, WHITE read as CLEAR), and the level of an object.
//
// The rule is the simplest safe one: an object's level is the most
// restrictive TLP marking anywhere on it, object-level
// (object_marking_refs) or granular (granular_markings). A granular marking
// that raises one property raises the whole record, because the record is
// sealed or not as a unit. An object without any TLP marking takes the
// publisher's default.
//
// The package imports only the standard library and is deterministic: the
// ledger uses it to refuse plaintext records marked above GREEN.
package tlp

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Level is a TLP level. Greater is more restricted.
type Level uint8

// Levels in order of restriction. The zero value is not a level, so a
// forgotten field never means CLEAR.
const (
	Clear       Level = 1
	Green       Level = 2
	Amber       Level = 3
	AmberStrict Level = 4
	Red         Level = 5
)

// Marking-definition ids of TLP 2.0 (OASIS cti-stix-common-objects).
const (
	ClearID       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	GreenID       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	AmberID       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	AmberStrictID = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	RedID         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// Marking-definition ids of TLP 1.0 as STIX 2.1 defines them.
const (
	WhiteV1ID = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	GreenV1ID = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	AmberV1ID = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	RedV1ID   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

var byID = map[string]Level{
	ClearID: Clear, GreenID: Green, AmberID: Amber, AmberStrictID: AmberStrict, RedID: Red,
	WhiteV1ID: Clear, GreenV1ID: Green, AmberV1ID: Amber, RedV1ID: Red,
}

var names = [...]string{Clear: "CLEAR", Green: "GREEN", Amber: "AMBER", AmberStrict: "AMBER+STRICT", Red: "RED"}

// String returns the TLP 2.0 name ("AMBER+STRICT").
func (l Level) String() string {
	if l.Valid() {
		return names[l]
	}
	return fmt.Sprintf("tlp(%d)", uint8(l))
}

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= Clear && l <= Red }

// Sealed reports whether content at this level must be sealed for its
// recipients (AMBER and above).
func (l Level) Sealed() bool { return l >= Amber }

// MarkingID returns the TLP 2.0 marking-definition id of the level.
func (l Level) MarkingID() string {
	return [...]string{Clear: ClearID, Green: GreenID, Amber: AmberID, AmberStrict: AmberStrictID, Red: RedID}[l]
}

// Parse reads a level name, case-insensitively: CLEAR, WHITE, GREEN, AMBER,
// AMBER+STRICT (or AMBER_STRICT, AMBER-STRICT), RED, with an optional
// "TLP:" prefix.
func Parse(s string) (Level, error) {
	n := strings.ToUpper(strings.TrimSpace(s))
	n = strings.TrimPrefix(n, "TLP:")
	switch n {
	case "CLEAR", "WHITE":
		return Clear, nil
	case "GREEN":
		return Green, nil
	case "AMBER":
		return Amber, nil
	case "AMBER+STRICT", "AMBER_STRICT", "AMBER-STRICT", "AMBERSTRICT":
		return AmberStrict, nil
	case "RED":
		return Red, nil
	}
	return 0, fmt.Errorf("unknown TLP level %q (want CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", s)
}

// OfMarking returns the level a marking-definition id stands for, and
// whether it is a TLP marking at all.
func OfMarking(id string) (Level, bool) {
	l, ok := byID[id]
	return l, ok
}

// markings is the part of a STIX object this package reads.
type markings struct {
	ObjectMarkingRefs []string `json:"object_marking_refs"`
	GranularMarkings  []struct {
		MarkingRef string `json:"marking_ref"`
	} `json:"granular_markings"`
}

// Of returns the level of a STIX object (JSON): the most restrictive TLP
// marking among its object_marking_refs and granular_markings, or def when
// it carries none. Markings that are not TLP (statements, other
// extensions) do not count.
func Of(object []byte, def Level) (Level, error) {
	var m markings
	if err := json.Unmarshal(object, &m); err != nil {
		return 0, fmt.Errorf("read markings: %w", err)
	}
	refs := m.ObjectMarkingRefs
	for _, g := range m.GranularMarkings {
		refs = append(refs, g.MarkingRef)
	}
	return OfRefs(refs, def), nil
}

// OfRefs returns the most restrictive TLP level among marking-definition
// ids (an object's object_marking_refs and granular marking_refs, as
// internal/stix collects them in Object.Markings), or def when none is a
// TLP marking. It is Of without decoding the object again.
func OfRefs(refs []string, def Level) Level {
	var top Level
	for _, ref := range refs {
		if l, ok := byID[ref]; ok {
			top = max(top, l)
		}
	}
	if top == 0 {
		return def
	}
	return top
}

// Marked reports whether the object carries any TLP marking.
func Marked(object []byte) bool {
	l, err := Of(object, 0)
	return err == nil && l != 0
}
