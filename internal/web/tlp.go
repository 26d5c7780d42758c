package web

import (
	"encoding/json"

	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// TLP levels, from least to most restricted.
var tlpLevels = []string{"clear", "green", "amber", "amber+strict", "red"}

// tlpByID maps the TLP 2.0 marking definitions (OASIS cti-stix-common-
// objects) and the STIX 2.1 TLP 1.0 ones (WHITE read as CLEAR) to levels.
var tlpByID = map[string]string{
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}

// tlp2ID is the TLP 2.0 marking definition of each level, for publishing.
var tlp2ID = map[string]string{
	"clear":        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"green":        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"amber":        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"red":          "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// TLP is a record's marking as the UI shows it.
type TLP struct {
	Level string // "clear" … "red", or "" when the object carries no TLP marking
}

// Label is the badge text, e.g. "TLP:AMBER+STRICT".
func (t TLP) Label() string {
	if t.Level == "" {
		return "no TLP"
	}
	b := []byte(t.Level)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return "TLP:" + string(b)
}

// Class is the badge's CSS class.
func (t TLP) Class() string {
	switch t.Level {
	case "":
		return "tlp tlp-none"
	case "amber+strict":
		return "tlp tlp-amber"
	}
	return "tlp tlp-" + t.Level
}

// markingOf returns the most restrictive TLP level among an object's
// object_marking_refs, or "" when it has none. (Granular markings are
// issue 4's concern: a level they raise is not shown yet.)
func markingOf(object json.RawMessage) string {
	var o struct {
		Refs []string `json:"object_marking_refs"`
	}
	if json.Unmarshal(object, &o) != nil {
		return ""
	}
	best := -1
	for _, ref := range o.Refs {
		if lvl, ok := tlpByID[ref]; ok {
			if r := tlpRank(lvl); r > best {
				best = r
			}
		}
	}
	if best < 0 {
		return ""
	}
	return tlpLevels[best]
}

func tlpRank(level string) int {
	for i, l := range tlpLevels {
		if l == level {
			return i
		}
	}
	return -1
}

// tlpOf is the template function: the badge of a version.
func tlpOf(v projection.Version) TLP { return TLP{Level: markingOf(v.Object)} }
