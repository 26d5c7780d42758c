package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/notify"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
	relsqlite "github.com/phalanx-ledger/phalanx/internal/relevance/sqlite"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// relevanceFile holds subscriptions and notifications (not rebuildable).
const relevanceFile = "relevance.db"

var (
	_ api.Relevance = backend{}
	_ api.Profiles  = backend{}
)

// relevanceParts are the daemon's relevance store and notifier.
type relevanceParts struct {
	store    *relsqlite.Store
	notifier atomic.Pointer[notify.Notifier] // set once started; the follower reads it
}

// startRelevance opens DIR/relevance.db and starts the notifier, which
// the follower wakes after each applied block.
func (d *Daemon) startRelevance(ctx context.Context) error {
	st, err := relsqlite.Open(ctx, filepath.Join(d.dir, relevanceFile), nil)
	if err != nil {
		return err
	}
	d.rel.store = st
	n, err := notify.New(notify.Config{Store: st, Records: d.proj, Viewer: ownerViewer(d.tokens),
		Profiles: func(context.Context) (map[string]relevance.Profile, error) { return d.profiles(), nil },
		Logger:   d.log})
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return fmt.Errorf("start notifier: %w", err)
	}
	d.rel.notifier.Store(n)
	return nil
}

func (d *Daemon) stopRelevance() error {
	if n := d.rel.notifier.Load(); n != nil {
		n.Stop()
	}
	if d.rel.store != nil {
		return d.rel.store.Close()
	}
	return nil
}

// wakeNotifier is called by the follower after each applied batch.
func (d *Daemon) wakeNotifier() {
	if n := d.rel.notifier.Load(); n != nil {
		n.Wake()
	}
}

// ownerViewer resolves a subscription owner (a user name, or "token:" and
// a token id) to what it may read now; ok is false when it is gone.
func ownerViewer(tokens *auth.Store) notify.ViewerFunc {
	return func(ctx context.Context, owner string) (access.Viewer, bool, error) {
		if id, isToken := strings.CutPrefix(owner, "token:"); isToken {
			toks, err := tokens.ListTokens(ctx) // active tokens only
			if err != nil {
				return access.Viewer{}, false, err
			}
			for _, t := range toks {
				if t.ID == id {
					v, err := tokens.Viewer(ctx, t)
					return v, err == nil, err
				}
			}
			return access.Viewer{}, false, nil
		}
		v, err := tokens.Viewer(ctx, auth.Token{User: owner})
		if errs.CodeOf(err) == errs.NotFound {
			return access.Viewer{}, false, nil
		}
		return v, err == nil, err
	}
}

// profiles are the members' profiles as the ledger records them.
func (d *Daemon) profiles() map[string]relevance.Profile {
	out := map[string]relevance.Profile{}
	for _, m := range d.app.Members() {
		out[m.ID] = relevance.Profile{Member: m.ID, Sectors: m.Sectors, Regions: m.Regions, Technologies: m.Technologies}
	}
	return out
}

// relevanceService serves api.Relevance from a projection and the
// relevance store.
type relevanceService struct {
	proj     *projection.Store
	store    *relsqlite.Store
	profiles func() map[string]relevance.Profile
	member   string // this node's member: its profile ranks the feed
}

var _ api.Relevance = relevanceService{}

func (b backend) rel() relevanceService {
	return relevanceService{proj: b.d.proj, store: b.d.rel.store, profiles: b.d.profiles, member: b.d.cfg.Member}
}

func (b backend) Subscriptions(ctx context.Context, owner string) ([]relevance.Subscription, error) {
	return b.rel().Subscriptions(ctx, owner)
}

func (b backend) Subscribe(ctx context.Context, owner string, s relevance.Subscription) (relevance.Subscription, error) {
	return b.rel().Subscribe(ctx, owner, s)
}

func (b backend) Unsubscribe(ctx context.Context, owner, id string) error {
	return b.rel().Unsubscribe(ctx, owner, id)
}

func (b backend) Feed(ctx context.Context, owner string, v access.Viewer, cursor string, limit int) (api.FeedPage, error) {
	return b.rel().Feed(ctx, owner, v, cursor, limit)
}

func (b backend) Notifications(ctx context.Context, owner string, unread bool, cursor string, limit int) (api.NotificationPage, error) {
	return b.rel().Notifications(ctx, owner, unread, cursor, limit)
}

func (b backend) MarkRead(ctx context.Context, owner string, id int64) (relevance.Notification, error) {
	return b.rel().MarkRead(ctx, owner, id)
}

func (r relevanceService) Subscriptions(ctx context.Context, owner string) ([]relevance.Subscription, error) {
	return r.store.Subscriptions(ctx, owner)
}

func (r relevanceService) Subscribe(ctx context.Context, owner string, s relevance.Subscription) (relevance.Subscription, error) {
	return r.store.AddSubscription(ctx, owner, s)
}

func (r relevanceService) Unsubscribe(ctx context.Context, owner, id string) error {
	return r.store.DeleteSubscription(ctx, owner, id)
}

// feedWindow is how many of the newest readable records a feed ranks.
const feedWindow = projection.MaxLimit

// Feed ranks the newest records v may read for owner: its subscriptions
// first, then this member's profile, then the rest.
func (r relevanceService) Feed(ctx context.Context, owner string, v access.Viewer, cursor string, limit int) (api.FeedPage, error) {
	subs, err := r.store.Subscriptions(ctx, owner)
	if err != nil {
		return api.FeedPage{}, err
	}
	recent, err := r.proj.Search(ctx, projection.Query{Viewer: &v, Limit: feedWindow})
	if err != nil {
		return api.FeedPage{}, err
	}
	byIndex := make(map[uint64]projection.Version, len(recent.Items))
	items := make([]relevance.Item, 0, len(recent.Items))
	for _, x := range recent.Items {
		if !access.MayRead(v, access.Label{ID: x.ID, Level: tlp.Level(x.TLP)}) {
			continue
		}
		byIndex[x.Index] = x
		items = append(items, relevance.ItemOf(x.ID, x.Type, x.Author, x.Index, tlp.Level(x.TLP), x.Object))
	}
	profiles := r.profiles()
	ranked := relevance.Ranker{Subscriptions: subs, Me: profiles[r.member], Authors: profiles}.Rank(items)
	page, next, err := relevance.Page(ranked, cursor, limit)
	if err != nil {
		return api.FeedPage{}, err
	}
	out := api.FeedPage{Items: make([]api.FeedEntry, len(page)), NextCursor: next, Window: len(items)}
	for i, e := range page {
		out.Items[i] = api.FeedEntry{Tier: e.Tier, Reasons: e.Reasons, Record: byIndex[e.Item.Index]}
	}
	return out, nil
}

func (r relevanceService) Notifications(ctx context.Context, owner string, unread bool, cursor string, limit int) (api.NotificationPage, error) {
	q := relsqlite.NotificationQuery{Owner: owner, Unread: unread, Limit: limit}
	if cursor != "" {
		before, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || before < 1 {
			return api.NotificationPage{}, errs.Errorf(errs.Invalid, "invalid cursor %q: not a value this server issued", cursor)
		}
		q.Before = before
	}
	ns, more, err := r.store.Notifications(ctx, q)
	if err != nil {
		return api.NotificationPage{}, err
	}
	page := api.NotificationPage{Items: ns}
	if more {
		page.NextCursor = strconv.FormatInt(ns[len(ns)-1].ID, 10)
	}
	return page, nil
}

func (r relevanceService) MarkRead(ctx context.Context, owner string, id int64) (relevance.Notification, error) {
	return r.store.MarkRead(ctx, owner, id)
}

func (b backend) UpdateProfile(ctx context.Context, p ledger.ProfileUpdate) (intake.Submission, error) {
	return b.d.intake.UpdateProfile(ctx, p)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
