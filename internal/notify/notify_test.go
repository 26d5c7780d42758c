package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
	"github.com/phalanx-ledger/phalanx/internal/relevance/sqlite"
)

type noRecords struct{}

func (noRecords) NextIndex(context.Context) (uint64, error) { return 0, nil }
func (noRecords) List(context.Context, projection.ListQuery) (projection.ListPage, error) {
	return projection.ListPage{}, nil
}

func newNotifier(t *testing.T, cfg Config) *Notifier {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "relevance.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg.Store, cfg.Records = st, noRecords{}
	cfg.Viewer = func(context.Context, string) (access.Viewer, bool, error) { return access.Viewer{}, false, nil }
	cfg.Profiles = func(context.Context) (map[string]relevance.Profile, error) { return nil, nil }
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSendRetriesBounded: a webhook that fails twice gets the push on the
// third attempt; one that always fails is tried exactly Attempts times; a
// hanging one is cut off by the client's timeout.
func TestSendRetriesBounded(t *testing.T) {
	var calls atomic.Int32
	var failFirst atomic.Int32
	failFirst.Store(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= failFirst.Load() {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	n := newNotifier(t, Config{Attempts: 3, Backoff: time.Millisecond})
	p := push{url: srv.URL, body: Push{Subscription: "sub_1", Notification: relevance.Notification{ID: 1}}}
	if err := n.send(context.Background(), p); err != nil || calls.Load() != 3 {
		t.Fatalf("send: %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	failFirst.Store(100)
	if err := n.send(context.Background(), p); err == nil || calls.Load() != 3 {
		t.Fatalf("always failing: %v after %d calls, want an error after 3", err, calls.Load())
	}

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer hang.Close()
	slow := newNotifier(t, Config{Attempts: 2, Backoff: time.Millisecond, Client: &http.Client{Timeout: 100 * time.Millisecond}})
	start := time.Now()
	if err := slow.send(context.Background(), push{url: hang.URL, body: p.body}); err == nil {
		t.Fatal("a hanging webhook succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("hanging webhook held the sender %v", d)
	}
}

// TestQueueNeverBlocks: with the queue full, more pushes are dropped
// rather than waited for.
func TestQueueNeverBlocks(t *testing.T) {
	n := newNotifier(t, Config{QueueSize: 1})
	subs := []relevance.Subscription{{ID: "s", Notify: true, Webhook: "http://127.0.0.1:1/"}}
	stored := []relevance.Notification{{ID: 1, Subscriptions: []string{"s"}}, {ID: 2, Subscriptions: []string{"s"}}, {ID: 3, Subscriptions: []string{"s"}}}
	done := make(chan struct{})
	go func() { n.queue(stored, subs); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("queue blocked")
	}
	if len(n.pushes) != 1 {
		t.Errorf("queued %d, want 1", len(n.pushes))
	}
}
