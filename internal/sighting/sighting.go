// Package sighting turns a member's aggregated detection hits into STIX 2.1
// Sighting objects (§4.14): one per indicator per interval, with the hit
// count, first and last seen, this member's identity as the sighter, and
// the indicator's own marking. Only hits on indicators whose marking the
// member opted in for are reported, and never benign ones.
package sighting

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/alerts"
	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// Unmarked is the opt-in key for indicators without markings.
const Unmarked = "none"

// markingIDs are the STIX 2.1 TLP marking definitions by name.
var markingIDs = map[string]string{
	"tlp:clear": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
	"tlp:green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
	"tlp:amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
	"tlp:red":   "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

// maxCount is the largest count STIX allows.
const maxCount = 999_999_999

// Identity is the STIX identity id a member's sightings name as sighter:
// a name-based UUID (version 5 layout over SHA-256) of the chain and member
// ids.
func Identity(chainID, member string) string {
	h := sha256.Sum256([]byte("phalanx/identity\x00" + chainID + "\x00" + member))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	s := hex.EncodeToString(h[:16])
	return "identity--" + s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// OptIns checks a sightings configuration: keys are TLP names (tlp:clear,
// tlp:green, tlp:amber, tlp:red), marking-definition ids or "none".
func OptIns(cfg map[string]bool) error {
	for k := range cfg {
		if _, ok := markingIDs[k]; !ok && k != Unmarked && !strings.HasPrefix(k, "marking-definition--") {
			return fmt.Errorf("sightings: %q is not a marking (tlp:clear, tlp:green, tlp:amber, tlp:red, a marking-definition id, or %q)", k, Unmarked)
		}
	}
	return nil
}

// Build returns one sighting per indicator among as (the aggregates of one
// interval) whose marking is opted in, sorted by indicator id.
func Build(as []alerts.Alert, identity string, optIn map[string]bool, now time.Time) ([]*stix.Object, error) {
	type agg struct {
		count       int64
		first, last time.Time
		marking     string
	}
	byInd := map[string]*agg{}
	for _, a := range as {
		key := a.Marking
		if key == "" {
			key = Unmarked
		}
		if a.Benign || !allOptedIn(key, optIn) {
			continue
		}
		g := byInd[a.IndicatorID]
		if g == nil {
			g = &agg{first: a.FirstSeen, last: a.LastSeen, marking: a.Marking}
			byInd[a.IndicatorID] = g
		}
		g.count += a.Hits
		if a.FirstSeen.Before(g.first) {
			g.first = a.FirstSeen
		}
		if a.LastSeen.After(g.last) {
			g.last = a.LastSeen
		}
	}
	ids := make([]string, 0, len(byInd))
	for id := range byInd {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]*stix.Object, 0, len(ids))
	for _, id := range ids {
		g := byInd[id]
		o, err := object(id, identity, g.count, g.first, g.last, g.marking, now)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func allOptedIn(marking string, optIn map[string]bool) bool {
	for _, m := range strings.Split(marking, ",") {
		if !optIn[m] {
			return false
		}
	}
	return true
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func object(indicator, identity string, count int64, first, last time.Time, marking string, now time.Time) (*stix.Object, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return nil, err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u[:])
	m := map[string]any{
		"type": "sighting", "spec_version": "2.1",
		"id":      "sighting--" + s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:],
		"created": stamp(now), "modified": stamp(now), "created_by_ref": identity,
		"sighting_of_ref": indicator, "count": min(count, maxCount),
		"first_seen": stamp(first), "last_seen": stamp(last),
		"where_sighted_refs": []string{identity},
	}
	if !last.After(first) {
		m["last_seen"] = m["first_seen"]
	}
	if marking != "" {
		var refs []string
		for _, name := range strings.Split(marking, ",") {
			if id, ok := markingIDs[name]; ok {
				refs = append(refs, id)
			} else {
				refs = append(refs, name)
			}
		}
		m["object_marking_refs"] = refs
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	o, err := stix.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("build sighting of %s: %w", indicator, err)
	}
	return o, nil
}
