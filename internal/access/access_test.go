package access

import (
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

func TestMayRead(t *testing.T) {
	const id = "indicator--1"
	own := func(c tlp.Level) Viewer { return Viewer{Clearance: c} }
	cases := []struct {
		name  string
		v     Viewer
		level tlp.Level
		want  bool
	}{
		{"GREEN user reads GREEN", own(tlp.Green), tlp.Green, true},
		{"GREEN user, AMBER record", own(tlp.Green), tlp.Amber, false},
		{"AMBER user reads AMBER", own(tlp.Amber), tlp.Amber, true},
		{"AMBER user, AMBER+STRICT record", own(tlp.Amber), tlp.AmberStrict, false},
		{"own AMBER+STRICT user", own(tlp.AmberStrict), tlp.AmberStrict, true},
		{"client reads AMBER", Viewer{Clearance: tlp.Red, Client: true}, tlp.Amber, true},
		{"client never reads AMBER+STRICT", Viewer{Clearance: tlp.Red, Client: true}, tlp.AmberStrict, false},
		{"client never reads RED, granted or not", Viewer{Clearance: tlp.Red, Client: true, Grants: []string{id}}, tlp.Red, false},
		{"RED clearance without a grant", own(tlp.Red), tlp.Red, false},
		{"RED clearance with a grant", Viewer{Clearance: tlp.Red, Grants: []string{"a", id}}, tlp.Red, true},
		{"a grant without RED clearance", Viewer{Clearance: tlp.AmberStrict, Grants: []string{id}}, tlp.Red, false},
		{"admin reads RED", Full(true), tlp.Red, true},
		{"legacy non-admin token: everything but RED", Full(false), tlp.AmberStrict, true},
		{"legacy non-admin token, RED", Full(false), tlp.Red, false},
		{"unknown level", Full(true), 0, false},
		{"unknown level above RED", Full(true), 9, false},
	}
	for _, c := range cases {
		if got := MayRead(c.v, Label{ID: id, Level: c.level}); got != c.want {
			t.Errorf("%s: MayRead = %v, want %v", c.name, got, c.want)
		}
	}
}
