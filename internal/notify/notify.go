// Package notify turns newly projected records into notifications: after
// the follower applies a block, the notifier reads the records it has not
// seen from the projection, matches them against every subscription that
// asks for notifications, keeps those whose owner may read the record
// (access.MayRead with the owner's viewer), stores one notification per
// owner and record, and queues a push to each matching subscription's
// webhook. It runs on goroutines of its own: the follower only wakes it,
// and a slow or failing webhook delays nothing but its own pushes.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
	"github.com/phalanx-ledger/phalanx/internal/relevance/sqlite"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Defaults of Config.
const (
	DefaultTimeout   = 5 * time.Second // one webhook attempt
	DefaultAttempts  = 3
	DefaultBackoff   = time.Second // doubled after each failed attempt
	DefaultQueueSize = 1024        // pushes waiting; more are dropped (the notification stays stored)
	pageSize         = 500
)

// Records is what the notifier reads of the projection.
type Records interface {
	NextIndex(ctx context.Context) (uint64, error)
	List(ctx context.Context, q projection.ListQuery) (projection.ListPage, error)
}

// ViewerFunc resolves a subscription's owner to what it may read; ok is
// false when the owner no longer exists (its subscriptions are skipped).
type ViewerFunc func(ctx context.Context, owner string) (v access.Viewer, ok bool, err error)

// Config configures a Notifier. Store, Records, Viewer and Profiles are
// required.
type Config struct {
	Store    *sqlite.Store
	Records  Records
	Viewer   ViewerFunc
	Profiles func(ctx context.Context) (map[string]relevance.Profile, error)
	// Client sends webhook pushes; nil means a client with DefaultTimeout.
	Client    *http.Client
	Attempts  int           // 0 means DefaultAttempts
	Backoff   time.Duration // 0 means DefaultBackoff
	QueueSize int           // 0 means DefaultQueueSize
	Logger    *slog.Logger  // nil discards
}

// Push is the JSON body POSTed to a webhook.
type Push struct {
	Subscription string                 `json:"subscription"` // the subscription whose webhook this is
	Notification relevance.Notification `json:"notification"`
}

// Notifier watches the projection for new records. Create it with New,
// then Start it; Wake it after each applied block.
type Notifier struct {
	cfg    Config
	wake   chan struct{}
	pushes chan push
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

type push struct {
	url  string
	body Push
}

// New checks cfg and applies its defaults.
func New(cfg Config) (*Notifier, error) {
	if cfg.Store == nil || cfg.Records == nil || cfg.Viewer == nil || cfg.Profiles == nil {
		return nil, fmt.Errorf("notify: Store, Records, Viewer and Profiles are required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, wake: make(chan struct{}, 1), pushes: make(chan push, cfg.QueueSize)}, nil
}

// Start begins watching. On a node's first start the notifier begins at
// the projection's current end: records already there raise nothing.
func (n *Notifier) Start(ctx context.Context) error {
	if _, set, err := n.cfg.Store.Next(ctx); err != nil {
		return err
	} else if !set {
		end, err := n.cfg.Records.NextIndex(ctx)
		if err != nil {
			return fmt.Errorf("notifier start: %w", err)
		}
		if _, err := n.cfg.Store.Record(ctx, nil, end); err != nil {
			return err
		}
	}
	ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	n.wg.Add(2)
	go n.watch(ctx)
	go n.deliver(ctx)
	n.Wake()
	return nil
}

// Wake asks the notifier to look for new records; it never blocks.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Stop ends both goroutines and waits for them; queued pushes are dropped.
func (n *Notifier) Stop() {
	n.once.Do(func() {
		if n.cancel != nil {
			n.cancel()
			n.wg.Wait()
		}
	})
}

func (n *Notifier) watch(ctx context.Context) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
			if err := n.Process(ctx); err != nil && ctx.Err() == nil {
				n.cfg.Logger.Error("notifications", "err", err)
			}
		}
	}
}

// Process handles every record projected since the last call: it stores
// the notifications they raise and queues their webhook pushes.
func (n *Notifier) Process(ctx context.Context) error {
	next, _, err := n.cfg.Store.Next(ctx)
	if err != nil {
		return err
	}
	end, err := n.cfg.Records.NextIndex(ctx) // before listing: a record applied meanwhile waits for the next pass
	if err != nil || end <= next {
		return err
	}
	subs, err := n.notifying(ctx)
	if err != nil {
		return err
	}
	p := pass{n: n, subs: subs, viewers: map[string]*access.Viewer{}}
	if len(subs) > 0 {
		if p.profiles, err = n.cfg.Profiles(ctx); err != nil {
			return fmt.Errorf("member profiles: %w", err)
		}
	}
	for next < end {
		upTo, err := p.page(ctx, next, end)
		if err != nil {
			return err
		}
		stored, err := n.cfg.Store.Record(ctx, p.out, upTo)
		if err != nil {
			return err
		}
		n.queue(stored, subs)
		next, p.out = upTo, nil
	}
	return nil
}

// notifying returns the subscriptions that ask for notifications.
func (n *Notifier) notifying(ctx context.Context) ([]relevance.Subscription, error) {
	all, err := n.cfg.Store.Subscriptions(ctx, "")
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if s.Notify {
			out = append(out, s)
		}
	}
	return out, nil
}

// pass is one Process call's state.
type pass struct {
	n        *Notifier
	subs     []relevance.Subscription
	profiles map[string]relevance.Profile
	viewers  map[string]*access.Viewer // nil: owner gone
	out      []relevance.Notification
}

// page reads up to pageSize records from next (below end), adds the
// notifications they raise to p.out and returns where the next page
// starts.
func (p *pass) page(ctx context.Context, next, end uint64) (uint64, error) {
	if len(p.subs) == 0 {
		return end, nil
	}
	q := projection.ListQuery{Versions: projection.VersionMatch{All: true}, Limit: pageSize}
	if next > 0 {
		q.After, q.HasAfter = next-1, true
	}
	pg, err := p.n.cfg.Records.List(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("read new records: %w", err)
	}
	for _, v := range pg.Items {
		if v.Index >= end {
			return end, nil
		}
		if err := p.match(ctx, v); err != nil {
			return 0, err
		}
	}
	if !pg.More || len(pg.Items) == 0 {
		return end, nil
	}
	return pg.Last + 1, nil
}

// match adds a notification for each owner that may read v and has
// matching subscriptions.
func (p *pass) match(ctx context.Context, v projection.Version) error {
	level := tlp.Level(v.TLP)
	it := relevance.ItemOf(v.ID, v.Type, v.Author, v.Index, level, v.Object)
	hits := relevance.Notifying(p.subs, it, p.profiles[v.Author])
	for i := 0; i < len(hits); {
		owner := hits[i].Owner
		j := i
		for j < len(hits) && hits[j].Owner == owner { // subs are sorted by owner
			j++
		}
		ok, err := p.mayRead(ctx, owner, access.Label{ID: v.ID, Level: level})
		if err != nil {
			return err
		}
		if ok {
			nt := relevance.Notification{Owner: owner, ObjectID: v.ID, Version: v.Version, Type: v.Type,
				Author: v.Author, TLP: level.String(), Index: v.Index}
			for _, s := range hits[i:j] {
				nt.Subscriptions, nt.Names = append(nt.Subscriptions, s.ID), append(nt.Names, s.Name)
			}
			p.out = append(p.out, nt)
		}
		i = j
	}
	return nil
}

func (p *pass) mayRead(ctx context.Context, owner string, l access.Label) (bool, error) {
	v, seen := p.viewers[owner]
	if !seen {
		got, ok, err := p.n.cfg.Viewer(ctx, owner)
		if err != nil {
			return false, fmt.Errorf("viewer of %s: %w", owner, err)
		}
		if ok {
			v = &got
		}
		p.viewers[owner] = v
	}
	return v != nil && access.MayRead(*v, l), nil
}

// queue hands the stored notifications to the webhook goroutine, one push
// per matching subscription with a webhook; a full queue drops the push.
func (n *Notifier) queue(stored []relevance.Notification, subs []relevance.Subscription) {
	hooks := map[string]string{}
	for _, s := range subs {
		if s.Webhook != "" {
			hooks[s.ID] = s.Webhook
		}
	}
	for _, nt := range stored {
		for _, id := range nt.Subscriptions {
			url, ok := hooks[id]
			if !ok {
				continue
			}
			select {
			case n.pushes <- push{url: url, body: Push{Subscription: id, Notification: nt}}:
			default:
				n.cfg.Logger.Warn("webhook queue full; push dropped (the notification is stored)", "subscription", id, "notification", nt.ID)
			}
		}
	}
}

func (n *Notifier) deliver(ctx context.Context) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-n.pushes:
			if err := n.send(ctx, p); err != nil && ctx.Err() == nil {
				n.cfg.Logger.Warn("webhook push failed", "subscription", p.body.Subscription, "notification", p.body.Notification.ID, "err", err)
			}
		}
	}
}

// send POSTs one push, retrying a failure (network error or a status other
// than 2xx) up to Attempts times with doubling backoff.
func (n *Notifier) send(ctx context.Context, p push) error {
	body, err := json.Marshal(p.body)
	if err != nil {
		return err
	}
	wait := n.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err = n.post(ctx, p.url, body)
		if err == nil || attempt >= n.cfg.Attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (n *Notifier) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "phalanx-notifier")
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
