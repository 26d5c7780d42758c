package ledger

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

const sealedID = "indicator--5ea1ed00-0000-4000-8000-000000000001"

// sealKey is the public sealing key genesis gives a test member.
func sealKey(id string) []byte {
	k := sha256.Sum256([]byte("seal " + id))
	return k[:]
}

func sealFor(t *testing.T, author, id, version, group string, level uint8, to ...string) []byte {
	t.Helper()
	var keys []seal.Key
	for _, m := range to {
		keys = append(keys, seal.Key{Member: m, Public: sealKey(m)})
	}
	e, err := seal.Seal(seal.Meta{ID: id, Modified: version, Author: author, Level: level, Group: group},
		[]byte(`{"canary":"sealed-ledger-test"}`), keys)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sealedPayload(recs ...[]byte) tx.Sealed { return tx.Sealed{Records: recs} }

func TestSealedRecords(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob", "carol")
	env := sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "", 3, "alice", "bob")
	res := c.block(c.sign("alice", tx.TypeSealed, sealedPayload(env)))
	c.expect(res, 0, CodeOK, "")
	recs, err := c.apps[0].Records(0, 10, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %v %v", recs, err)
	}
	r := recs[0]
	if !bytes.Equal(r.Sealed, env) || len(r.Object) != 0 || r.ObjectID != sealedID || r.Type != "indicator" || r.Author != "alice" {
		t.Fatalf("sealed record %+v", r)
	}
	if !bytes.HasPrefix(r.LeafData(), []byte("phalanx/record/v2\x00")) {
		t.Fatal("sealed record does not use the v2 leaf")
	}
	// A new version by its author, sealed again, is accepted; by another
	// member it is refused.
	res = c.block(c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-02-01T00:00:00Z", "", 5, "alice"))))
	c.expect(res, 0, CodeOK, "")
	res = c.block(c.sign("bob", tx.TypeSealed, sealedPayload(sealFor(t, "bob", sealedID, "2026-03-01T00:00:00Z", "", 3, "bob"))))
	c.expect(res, 0, CodeNotOwner, "belongs to alice")
}

// TestSealedRejections: every bad sealed record is refused with its code
// and a clear message, and leaves the state unchanged.
func TestSealedRejections(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob", "carol")
	res := c.block(c.sign("alice", tx.TypeGroup, GroupOp{Op: GroupCreate, Name: "energy", Members: []string{"bob", "carol"}}))
	c.expect(res, 0, CodeOK, "")
	res = c.block(c.sign("alice", tx.TypeGroup, GroupOp{Op: GroupCreate, Name: "solo", Members: []string{"bob"}}))
	c.expect(res, 0, CodeOK, "")
	res = c.block(c.sign("alice", tx.TypeGroup, GroupOp{Op: GroupRemove, Name: "solo", Members: []string{"bob"}}))
	c.expect(res, 0, CodeOK, "")

	good := sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "", 3, "alice", "bob")
	tampered := bytes.Clone(good)
	tampered[len(tampered)-3] ^= 1 // a ciphertext byte: the signature no longer covers it
	stranger := seal.Key{Member: "bob", Public: bytes.Repeat([]byte{9}, 32)}
	e, _ := seal.Seal(seal.Meta{ID: sealedID, Modified: "2026-01-01T00:00:00Z", Author: "alice", Level: 3}, []byte("x"), []seal.Key{stranger})
	staleKey, _ := e.Encode()

	cases := []struct {
		name string
		tx   func() []byte
		code uint32
		msg  string
	}{
		{"tampered ciphertext", func() []byte {
			raw := c.sign("alice", tx.TypeSealed, sealedPayload(good))
			i := bytes.Index(raw, good[len(good)-20:])
			raw[i+17] ^= 1
			return raw
		}, CodeBadSignature, "signature does not verify"},
		{"malformed header", func() []byte { return c.sign("alice", tx.TypeSealed, sealedPayload([]byte{0xa0})) }, CodeMalformed, "malformed sealed record"},
		{"altered envelope", func() []byte { return c.sign("alice", tx.TypeSealed, sealedPayload(tampered[:len(tampered)-1])) }, CodeMalformed, "record 0"},
		{"author is not the signer", func() []byte {
			return c.sign("bob", tx.TypeSealed, sealedPayload(good))
		}, CodeMalformed, `names author "alice" but "bob" signed`},
		{"recipient not a member", func() []byte {
			return c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "", 3, "alice", "mallory")))
		}, CodeBadRecipient, `"mallory" is not a member`},
		{"sealed to a key that is not the member's", func() []byte { return c.sign("alice", tx.TypeSealed, sealedPayload(staleKey)) }, CodeBadRecipient, "current sealing key"},
		{"unknown group", func() []byte {
			return c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "nosuch", 3, "alice", "bob")))
		}, CodeUnknownGroup, `"nosuch" does not exist`},
		{"empty group", func() []byte {
			return c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "solo", 3, "alice")))
		}, CodeEmptyGroup, `"solo" has no active member`},
		{"group member left out", func() []byte {
			return c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "energy", 3, "alice", "bob")))
		}, CodeBadRecipient, `carol is in sharing group "energy" but not a recipient`},
		{"plaintext above GREEN", func() []byte {
			amber := strings.Replace(indicator(77, "2026-01-01T00:00:00.000Z"), `"name"`, `"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],"name"`, 1)
			return c.sign("alice", tx.TypePublish, mustPublish(t, amber))
		}, CodeMustSeal, "must be sealed"},
		{"plaintext with a granular RED marking", func() []byte {
			red := strings.Replace(indicator(78, "2026-01-01T00:00:00.000Z"), `"name"`, `"granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["name"]}],"name"`, 1)
			return c.sign("alice", tx.TypePublish, mustPublish(t, red))
		}, CodeMustSeal, "TLP:RED"},
		{"duplicate in one transaction", func() []byte { return c.sign("alice", tx.TypeSealed, sealedPayload(good, good)) }, CodeDuplicate, "twice"},
		{"empty", func() []byte { return c.sign("alice", tx.TypeSealed, sealedPayload()) }, CodeEmpty, "no records"},
	}
	for _, tc := range cases {
		before := c.apps[0].State()
		raw := tc.tx()
		res := c.block(raw)
		c.expect(res, 0, tc.code, tc.msg)
		after := c.apps[0].State()
		if after.Records != before.Records || !bytes.Equal(after.Root, before.Root) {
			t.Fatalf("%s: the record log changed", tc.name)
		}
		// the rejected nonce is free again
		if tx0, err := tx.Decode(raw); err == nil {
			c.nonces[tx0.Body.Author] = c.apps[0].Nonce(tx0.Body.Author)
		}
	}
	// The group addressed properly goes through.
	res = c.block(c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "energy", 3, "alice", "bob", "carol"))))
	c.expect(res, 0, CodeOK, "")
}

func TestGroups(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob", "carol", "dave")
	steps := []struct {
		by   string
		op   GroupOp
		code uint32
		msg  string
	}{
		{"alice", GroupOp{Op: GroupCreate, Name: "Bad Name", Members: []string{"bob"}}, CodeBadGroup, "group name"},
		{"alice", GroupOp{Op: GroupCreate, Name: "g", Members: []string{"mallory"}}, CodeBadGroup, `"mallory" is not an active member`},
		{"alice", GroupOp{Op: GroupCreate, Name: "g", Members: []string{"bob", "bob"}}, CodeBadGroup, "already a member"},
		{"alice", GroupOp{Op: GroupCreate, Name: "g", Members: []string{"alice", "bob"}}, CodeOK, ""},
		{"bob", GroupOp{Op: GroupCreate, Name: "g", Members: []string{"bob"}}, CodeBadGroup, "already exists"},
		{"bob", GroupOp{Op: GroupAdd, Name: "g", Members: []string{"carol"}}, CodeBadGroup, "only alice"},
		{"alice", GroupOp{Op: GroupAdd, Name: "g", Members: []string{"carol"}}, CodeOK, ""},
		{"bob", GroupOp{Op: GroupRemove, Name: "g", Members: []string{"carol"}}, CodeBadGroup, "only alice may remove carol"},
		{"bob", GroupOp{Op: GroupRemove, Name: "g", Members: []string{"bob"}}, CodeOK, ""},
		{"alice", GroupOp{Op: GroupAdd, Name: "nosuch", Members: []string{"carol"}}, CodeUnknownGroup, "does not exist"},
		{"alice", GroupOp{Op: GroupCreate, Name: "open", Members: []string{"bob"}, Extend: true}, CodeOK, ""},
		{"bob", GroupOp{Op: GroupAdd, Name: "open", Members: []string{"dave"}}, CodeOK, ""},
		{"carol", GroupOp{Op: GroupAdd, Name: "open", Members: []string{"carol"}}, CodeBadGroup, "only alice"},
		{"alice", GroupOp{Op: "rename", Name: "open", Members: []string{"carol"}}, CodeBadGroup, "unknown group operation"},
	}
	for _, s := range steps {
		res := c.block(c.sign(s.by, tx.TypeGroup, s.op))
		c.expect(res, 0, s.code, s.msg)
		if s.code != CodeOK {
			c.nonces[s.by]--
		}
	}
	g, ok, _ := c.apps[1].Group("g")
	if !ok || g.Creator != "alice" || strings.Join(g.Members, ",") != "alice,carol" {
		t.Fatalf("group g = %+v", g)
	}
	g, _, _ = c.apps[1].Group("open")
	if strings.Join(g.Members, ",") != "bob,dave" || !g.Extend {
		t.Fatalf("group open = %+v", g)
	}
}

// TestRemovedMemberGetsNothingNew: after a member's removal by vote, a
// record sealed for it is refused, and its sharing groups resolve without
// it.
func TestRemovedMemberGetsNothingNew(t *testing.T) {
	c := newCommunity(t, 2, "alice", "bob", "carol", "dave")
	c.expect(c.block(c.sign("alice", tx.TypeGroup, GroupOp{Op: GroupCreate, Name: "g", Members: []string{"bob", "dave"}})), 0, CodeOK, "")
	c.expect(c.block(c.sign("alice", tx.TypePropose, Propose{Kind: KindRemove, Target: "dave"})), 0, CodeOK, "")
	var votes [][]byte
	for _, id := range []string{"alice", "bob", "carol"} {
		votes = append(votes, c.sign(id, tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes}))
	}
	c.block(votes...)
	c.block()
	if m := c.apps[0].committedMember("dave"); m.Status != StatusRemoved {
		t.Fatalf("dave is %s", m.Status)
	}
	res := c.block(c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "", 3, "alice", "dave"))))
	c.expect(res, 0, CodeBadRecipient, `"dave" was removed`)
	c.nonces["alice"]--
	g, _, _ := c.apps[0].Group("g")
	if got := c.apps[0].ActiveGroupMembers(g); strings.Join(got, ",") != "bob" {
		t.Fatalf("active members of g: %v", got)
	}
	res = c.block(c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "g", 3, "alice", "bob"))))
	c.expect(res, 0, CodeOK, "")
}

func TestWithdraw(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob")
	c.expect(c.block(c.sign("alice", tx.TypeSealed, sealedPayload(sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "", 4, "alice", "bob")))), 0, CodeOK, "")
	c.expect(c.block(c.sign("alice", tx.TypePublish, mustPublish(t, indicator(5, "2026-01-01T00:00:00.000Z")))), 0, CodeOK, "")
	steps := []struct {
		by   string
		w    Withdraw
		code uint32
		msg  string
	}{
		{"bob", Withdraw{ID: sealedID, Version: "2026-01-01T00:00:00Z"}, CodeNotWithdrawable, "only its author"},
		{"alice", Withdraw{ID: sealedID, Version: "2027-01-01T00:00:00Z"}, CodeNotWithdrawable, "no record"},
		{"alice", Withdraw{ID: "indicator--00000005-0000-4000-8000-000000000000", Version: "2026-01-01T00:00:00Z"}, CodeNotWithdrawable, "plaintext"},
		{"alice", Withdraw{ID: sealedID, Version: "2026-01-01T00:00:00Z"}, CodeOK, ""},
		{"alice", Withdraw{ID: sealedID, Version: "2026-01-01T00:00:00Z"}, CodeDuplicate, "already withdrawn"},
	}
	for _, s := range steps {
		before := c.apps[0].State().Records
		res := c.block(c.sign(s.by, tx.TypeWithdraw, s.w))
		c.expect(res, 0, s.code, s.msg)
		if s.code != CodeOK {
			c.nonces[s.by]--
		}
		if c.apps[0].State().Records != before {
			t.Fatal("a withdrawal added or removed records")
		}
	}
	ws, err := c.apps[1].Withdrawals()
	if err != nil || len(ws) != 1 || ws[0].Author != "alice" || ws[0].ID != sealedID {
		t.Fatalf("withdrawals %+v %v", ws, err)
	}
	recs, _ := c.apps[1].Records(0, 1, 0)
	if len(recs) != 1 || recs[0].Sealed == nil {
		t.Fatal("the withdrawn record's header left the ledger")
	}
}
