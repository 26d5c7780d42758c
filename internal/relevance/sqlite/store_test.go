package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relevance.db")
	s, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestSubscriptions(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database mode: %v %v", fi, err)
	}
	f, _ := relevance.ParseFilter("type=indicator label=ransomware")
	sub, err := s.AddSubscription(ctx, "alice", relevance.Subscription{Name: " ransom ", Filter: f, Notify: true, Webhook: "https://hooks.example/x"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Name != "ransom" || len(sub.ID) != 20 || sub.Owner != "alice" {
		t.Errorf("stored %+v", sub)
	}
	if _, err := s.AddSubscription(ctx, "alice", relevance.Subscription{Name: "ransom"}); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := s.AddSubscription(ctx, "bob", relevance.Subscription{Name: "ransom"}); err != nil {
		t.Errorf("another owner's same name: %v", err)
	}
	for _, bad := range []relevance.Subscription{{Name: ""}, {Name: "x", Webhook: "https://a.example"},
		{Name: "x", Notify: true, Webhook: "file:///etc/passwd"}, {Name: "x", Filter: relevance.Filter{Markings: []string{"pink"}}}} {
		if _, err := s.AddSubscription(ctx, "alice", bad); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	list, err := s.Subscriptions(ctx, "alice")
	if err != nil || len(list) != 1 || list[0].ID != sub.ID || list[0].Filter.String() != f.String() || list[0].Webhook != sub.Webhook {
		t.Fatalf("list %+v %v", list, err)
	}
	if all, _ := s.Subscriptions(ctx, ""); len(all) != 2 {
		t.Errorf("all subscriptions: %d", len(all))
	}
	if err := s.DeleteSubscription(ctx, "bob", sub.ID); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("bob deleting alice's: %v", err)
	}
	if err := s.DeleteSubscription(ctx, "alice", sub.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Subscriptions(ctx, "alice"); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	if _, set, err := s.Next(ctx); err != nil || set {
		t.Fatalf("fresh next: %v %v", set, err)
	}
	n := func(owner string, idx uint64) relevance.Notification {
		return relevance.Notification{Owner: owner, Index: idx, ObjectID: "indicator--x", Type: "indicator", TLP: "GREEN",
			Subscriptions: []string{"sub_1"}, Names: []string{"ransom"}}
	}
	stored, err := s.Record(ctx, []relevance.Notification{n("alice", 3), n("alice", 3), n("bob", 3), n("alice", 5)}, 6)
	if err != nil || len(stored) != 3 {
		t.Fatalf("record: %d %v", len(stored), err)
	}
	if next, set, _ := s.Next(ctx); next != 6 || !set {
		t.Errorf("next %d %v", next, set)
	}
	page, more, err := s.Notifications(ctx, NotificationQuery{Owner: "alice", Limit: 1})
	if err != nil || len(page) != 1 || !more || page[0].Index != 5 {
		t.Fatalf("page %+v %v %v", page, more, err)
	}
	if _, err := s.MarkRead(ctx, "bob", page[0].ID); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("bob marking alice's: %v", err)
	}
	got, err := s.MarkRead(ctx, "alice", page[0].ID)
	if err != nil || !got.Read || got.ReadAt.IsZero() {
		t.Fatalf("mark read %+v %v", got, err)
	}
	unread, _, _ := s.Notifications(ctx, NotificationQuery{Owner: "alice", Unread: true})
	if len(unread) != 1 || unread[0].Index != 3 || unread[0].Names[0] != "ransom" {
		t.Errorf("unread %+v", unread)
	}
	rest, more, _ := s.Notifications(ctx, NotificationQuery{Owner: "alice", Before: page[0].ID})
	if len(rest) != 1 || more || rest[0].Index != 3 {
		t.Errorf("second page %+v %v", rest, more)
	}
	if _, _, err := s.Notifications(ctx, NotificationQuery{Owner: "alice", Limit: MaxPage + 1}); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("oversized limit: %v", err)
	}
}
