package relevance

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// Subscription is one user's standing interest: a named filter, and
// whether a new matching record raises a notification (and where to push
// it).
type Subscription struct {
	ID      string    `json:"id"`    // "sub_" + 16 hex digits
	Owner   string    `json:"owner"` // the user's name, or "token:" + token id for a credential without a user
	Name    string    `json:"name"`
	Filter  Filter    `json:"filter"`
	Notify  bool      `json:"notify"`
	Webhook string    `json:"webhook,omitempty"` // http(s) URL a notification is POSTed to
	Created time.Time `json:"created"`
}

// Tiers of the feed, highest first.
const (
	TierSubscribed = 2 // matches one of the user's subscriptions
	TierProfile    = 1 // overlaps the member's profile
	TierRecent     = 0 // everything else the user may read, newest first
)

// Reason says why a record is in a feed where it is.
type Reason struct {
	Kind         string `json:"kind"` // "subscription", "profile" or "recent"
	Subscription string `json:"subscription,omitempty"`
	Detail       string `json:"detail"`
}

// Ranked is one feed entry: the item, its tier and the reasons for it.
type Ranked struct {
	Item    Item     `json:"item"`
	Tier    int      `json:"tier"`
	Reasons []Reason `json:"reasons"`
}

// Ranker ranks a user's feed: records matching one of the user's
// subscriptions first, then those overlapping the member's own profile,
// then the rest; within a tier, newest (highest ledger index) first. The
// result depends only on its inputs.
type Ranker struct {
	Subscriptions []Subscription     // the user's, normalised filters
	Me            Profile            // the profile of the member running the node
	Authors       map[string]Profile // profiles by member id
}

// Rank scores items and returns them in feed order.
func (r Ranker) Rank(items []Item) []Ranked {
	out := make([]Ranked, 0, len(items))
	for _, it := range items {
		out = append(out, r.score(it))
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		if a.Tier != b.Tier {
			return b.Tier - a.Tier
		}
		switch {
		case a.Item.Index > b.Item.Index:
			return -1
		case a.Item.Index < b.Item.Index:
			return 1
		}
		return 0
	})
	return out
}

func (r Ranker) score(it Item) Ranked {
	author := r.Authors[it.Author]
	var rs []Reason
	for _, s := range r.Subscriptions {
		if ok, why := s.Filter.Match(it, author); ok {
			d := strings.Join(why, " ")
			if d == "" {
				d = "matches every record"
			}
			rs = append(rs, Reason{Kind: "subscription", Subscription: s.ID, Detail: s.Name + ": " + d})
		}
	}
	if len(rs) > 0 {
		return Ranked{Item: it, Tier: TierSubscribed, Reasons: rs}
	}
	if rs = r.profileReasons(it, author); len(rs) > 0 {
		return Ranked{Item: it, Tier: TierProfile, Reasons: rs}
	}
	return Ranked{Item: it, Tier: TierRecent, Reasons: []Reason{{Kind: "recent", Detail: "newest readable records"}}}
}

// profileReasons lists the overlaps of the member's profile with the item:
// sectors and regions with the author's profile (another member's) or the
// ones the object names; technologies with the object's technologies or
// labels.
func (r Ranker) profileReasons(it Item, author Profile) []Reason {
	var fromAuthor Profile
	if it.Author != r.Me.Member {
		fromAuthor = author
	}
	var rs []Reason
	add := func(what string, mine, theirs []string) {
		for _, m := range mine {
			if containsFold(theirs, m) {
				rs = append(rs, Reason{Kind: "profile", Detail: what + " " + strings.ToLower(m)})
			}
		}
	}
	add("sector", r.Me.Sectors, append(slices.Clone(fromAuthor.Sectors), it.Sectors...))
	add("region", r.Me.Regions, append(slices.Clone(fromAuthor.Regions), it.Regions...))
	add("technology", r.Me.Technologies, append(slices.Clone(it.Technologies), it.Labels...))
	return rs
}

// Page returns the entries of a ranked feed after cursor (from a previous
// page; "" for the first) and the cursor of the next page ("" when none).
// Pages follow (tier, index) so a cursor stays valid as records arrive.
func Page(feed []Ranked, cursor string, limit int) ([]Ranked, string, error) {
	start := 0
	if cursor != "" {
		tier, idx, err := decodeFeedCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		start = len(feed)
		for i, e := range feed {
			if e.Tier < tier || (e.Tier == tier && e.Item.Index < idx) {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(feed))
	page := feed[start:end]
	next := ""
	if end < len(feed) && len(page) > 0 {
		last := page[len(page)-1]
		next = encodeFeedCursor(last.Tier, last.Item.Index)
	}
	return page, next, nil
}

const feedCursorTag = 'f'

func encodeFeedCursor(tier int, idx uint64) string {
	b := binary.BigEndian.AppendUint64([]byte{feedCursorTag, byte(tier)}, idx)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeFeedCursor(c string) (int, uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 10 || b[0] != feedCursorTag || b[1] > TierSubscribed {
		return 0, 0, errs.Errorf(errs.Invalid, "invalid cursor %s: not a value this server issued", clip(c))
	}
	return int(b[1]), binary.BigEndian.Uint64(b[2:]), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…", s[:40])
	}
	return fmt.Sprintf("%q", s)
}

// Notifying returns the subscriptions among subs that ask for
// notifications and match it (whose author has profile author), in the
// order given. The caller has checked that each owner may read the record.
func Notifying(subs []Subscription, it Item, author Profile) []Subscription {
	var out []Subscription
	for _, s := range subs {
		if ok, _ := s.Filter.Match(it, author); ok && s.Notify {
			out = append(out, s)
		}
	}
	return out
}
