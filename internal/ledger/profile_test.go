package ledger

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

func memberOf(t *testing.T, a *App, id string) Member {
	t.Helper()
	for _, m := range a.Members() {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no member %s", id)
	return Member{}
}

// TestProfileUpdate: a member replaces its own profile by transaction;
// malformed lists are refused and change nothing; replicas agree.
func TestProfileUpdate(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob")
	before := c.apps[0].State().AppHash
	res := c.block(c.sign("alice", tx.TypeProfile, ProfileUpdate{Sectors: []string{"finance"}, Regions: []string{"EU"},
		Technologies: []string{"exchange", "citrix adc"}}))
	c.expect(res, 0, CodeOK, "")
	m := memberOf(t, c.apps[0], "alice")
	if !slices.Equal(m.Sectors, []string{"finance"}) || !slices.Equal(m.Regions, []string{"EU"}) ||
		!slices.Equal(m.Technologies, []string{"exchange", "citrix adc"}) || m.Status != StatusActive || m.Power == 0 {
		t.Fatalf("alice after update: %+v", m)
	}
	if bytes.Equal(before, c.apps[0].State().AppHash) {
		t.Error("a profile change left the app hash unchanged")
	}
	if b := memberOf(t, c.apps[0], "bob"); len(b.Technologies) != 0 {
		t.Errorf("bob changed: %+v", b)
	}
	bad := []ProfileUpdate{
		{Technologies: []string{""}},
		{Technologies: []string{"-lead"}},
		{Sectors: []string{"a\nb"}},
		{Regions: []string{strings.Repeat("x", 65)}},
		{Technologies: []string{"x", "x"}},
		{Sectors: slices.Repeat([]string{"s"}, MaxProfileEntries+1)},
	}
	for _, p := range bad {
		hash := c.apps[0].State().AppHash
		res := c.block(c.sign("alice", tx.TypeProfile, p))
		c.expect(res, 0, CodeBadProfile, "profile of alice")
		if got := memberOf(t, c.apps[0], "alice"); !slices.Equal(got.Technologies, []string{"exchange", "citrix adc"}) {
			t.Fatalf("rejected update changed the profile: %+v", got)
		}
		if !bytes.Equal(hash, c.apps[0].State().AppHash) {
			t.Errorf("rejected update %+v changed the state", p)
		}
		c.nonces["alice"]-- // a rejected transaction does not use its nonce
	}
	// Clearing: an empty update empties every list.
	c.expect(c.block(c.sign("alice", tx.TypeProfile, ProfileUpdate{})), 0, CodeOK, "")
	if m := memberOf(t, c.apps[0], "alice"); len(m.Sectors)+len(m.Regions)+len(m.Technologies) != 0 {
		t.Errorf("cleared profile %+v", m)
	}
}

// TestProfileOmittedKeepsEncoding: a member without technologies encodes
// as before the field existed (state hashes of old chains stay valid).
func TestProfileOmittedKeepsEncoding(t *testing.T) {
	m := Member{ID: "a", Name: "A", SignKey: make([]byte, 32), SealKey: make([]byte, 32), Sectors: []string{}, Regions: []string{}}
	withTech := m
	withTech.Technologies = []string{"exchange"}
	plain, tech := mustEncode(m), mustEncode(withTech)
	if bytes.Contains(plain, []byte("exchange")) || len(tech) <= len(plain) || plain[0] != 0xaa { // map of 10 pairs
		t.Errorf("encoding without technologies: % x", plain[:1])
	}
}
