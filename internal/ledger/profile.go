package ledger

import (
	"fmt"
	"regexp"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// CodeBadProfile: a profile update with a malformed list.
const CodeBadProfile uint32 = 24

// Limits of a member's profile lists (sectors, regions, technologies).
const (
	MaxProfileEntries = 50
	maxProfileEntry   = 64
)

// ProfileUpdate is the payload of a TypeProfile transaction: a member
// replaces its own profile (every list as given; an empty list clears it).
// Profiles drive relevance (what each user's feed shows first); they grant
// nothing.
type ProfileUpdate struct {
	Sectors      []string `cbor:"1,keyasint,omitempty" json:"sectors,omitempty"`
	Regions      []string `cbor:"2,keyasint,omitempty" json:"regions,omitempty"`
	Technologies []string `cbor:"3,keyasint,omitempty" json:"technologies,omitempty"`
}

var profileEntry = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._+&/-]*$`)

// ValidateProfileList checks one profile list: at most MaxProfileEntries
// distinct entries of 1 to 64 bytes, each a letter or digit followed by
// letters, digits, spaces and . _ + & / -.
func ValidateProfileList(what string, list []string) error {
	if len(list) > MaxProfileEntries {
		return fmt.Errorf("%s: %d entries, at most %d", what, len(list), MaxProfileEntries)
	}
	for i, e := range list {
		if len(e) > maxProfileEntry || !profileEntry.MatchString(e) {
			return fmt.Errorf("%s: entry %q: want 1-%d of letters, digits, space . _ + & / - starting with a letter or digit", what, e, maxProfileEntry)
		}
		for _, f := range list[:i] {
			if f == e {
				return fmt.Errorf("%s: %q appears twice", what, e)
			}
		}
	}
	return nil
}

// Validate checks every list (see ValidateProfileList).
func (p ProfileUpdate) Validate() error {
	for _, l := range []struct {
		what string
		list []string
	}{{"sectors", p.Sectors}, {"regions", p.Regions}, {"technologies", p.Technologies}} {
		if err := ValidateProfileList(l.what, l.list); err != nil {
			return err
		}
	}
	return nil
}

// checkProfile validates a profile update; the envelope checks already
// made the author an active member.
func (a *App) checkProfile(t *tx.Tx) (*ProfileUpdate, *rejection) {
	var p ProfileUpdate
	if err := tx.DecodePayload(t.Body.Payload, &p); err != nil {
		return nil, reject(CodeMalformed, "%v", err)
	}
	if err := p.Validate(); err != nil {
		return nil, reject(CodeBadProfile, "profile of %s: %v", t.Body.Author, err)
	}
	return &p, nil
}

func (b *block) deliverProfile(author string, p *ProfileUpdate) {
	cur := b.member(author)
	if cur == nil {
		panic(fmt.Sprintf("ledger: member %s vanished between check and delivery", author))
	}
	m := *cur
	m.Sectors, m.Regions, m.Technologies = nonNil(p.Sectors), nonNil(p.Regions), p.Technologies
	if len(m.Technologies) == 0 {
		m.Technologies = nil
	}
	b.putMember(m)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}
