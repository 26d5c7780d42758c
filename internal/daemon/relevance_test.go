package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/notify"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
)

const (
	tlpGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	tlpAmber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
)

// relObject is a STIX object of type typ with labels and a TLP marking.
func relObject(typ string, n int, label, marking string) string {
	extra := `,"pattern":"[ipv4-addr:value = '198.51.100.` + fmt.Sprint(n) + `']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"`
	if typ == "report" {
		extra = `,"published":"2026-01-01T00:00:00Z","object_refs":["indicator--00000001-7e1e-4e1e-8e1e-7e1e7e1e7e1e"]`
	}
	return fmt.Sprintf(`{"type":"%s","spec_version":"2.1","id":"%s--%08x-7e1e-4e1e-8e1e-7e1e7e1e7e1e","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"relevance %d","labels":["%s"],"object_marking_refs":["%s"]%s}`,
		typ, typ, n, n, label, marking, extra)
}

func relID(typ string, n int) string {
	return fmt.Sprintf("%s--%08x-7e1e-4e1e-8e1e-7e1e7e1e7e1e", typ, n)
}

// hook is a webhook receiver that records every push.
type hook struct {
	mu     sync.Mutex
	pushes []notify.Push
	got    chan struct{}
}

func newHook(t *testing.T) (*hook, string) {
	h := &hook{got: make(chan struct{}, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.Push
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &p) != nil {
			http.Error(w, "bad push", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.pushes = append(h.pushes, p)
		h.mu.Unlock()
		h.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hook) all() []notify.Push {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.pushes)
}

// waitNotified waits until the notifier has read everything projected.
func waitNotified(ctx context.Context, t *testing.T, n *testNode) {
	t.Helper()
	waitProjected(ctx, t, n)
	for {
		end, err := n.d.proj.NextIndex(ctx)
		if err != nil {
			t.Fatal(err)
		}
		next, _, err := n.d.rel.store.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if next >= end {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("notifier stuck at %d of %d", next, end)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func userClient(ctx context.Context, t *testing.T, n *testNode, name, clearance string) *client.Client {
	return roleClient(ctx, t, n, name, auth.RoleReader, clearance)
}

// roleClient is userClient with a role.
func roleClient(ctx context.Context, t *testing.T, n *testNode, name string, role auth.Role, clearance string) *client.Client {
	t.Helper()
	added, err := n.cli.AddUser(ctx, api.AddUserRequest{Name: name, Role: role, Clearance: clearance})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(n.d.URL(), added.Token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRelevance runs a real node: users subscribe to type=indicator &
// label=ransomware with notifications (one with a webhook). A matching
// GREEN publish raises exactly one notification per user and one webhook
// push; a non-matching one raises none; a matching AMBER record sealed for
// this member notifies the AMBER-cleared user but never the GREEN-cleared
// one (nor reaches its feed). The feed ranks the subscribed record first
// with its reason, then, after the member declares a technology by a
// profile transaction, a record labelled with it.
func TestRelevance(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h, hookURL := newHook(t)
	// Only admins may aim webhooks; this one is cleared for GREEN only.
	green := roleClient(ctx, t, n, "green1", auth.RoleAdmin, "GREEN")
	amber := userClient(ctx, t, n, "amber1", "AMBER")

	filter := relevance.Filter{Types: []string{"indicator"}, Labels: []string{"ransomware"}}
	if _, err := amber.Subscribe(ctx, api.SubscriptionRequest{Name: "hook", Filter: filter, Webhook: hookURL}); errs.CodeOf(err) != errs.Forbidden {
		t.Fatalf("a reader set a webhook: %v", err)
	}
	sub, err := green.Subscribe(ctx, api.SubscriptionRequest{Name: "ransom", Filter: filter, Notify: true, Webhook: hookURL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := amber.Subscribe(ctx, api.SubscriptionRequest{Name: "ransom", Filter: filter, Notify: true}); err != nil {
		t.Fatal(err)
	}
	// The node's admin token has no user account: it subscribes as itself.
	adminSub, err := n.cli.Subscribe(ctx, api.SubscriptionRequest{Name: "amber only", Filter: relevance.Filter{Markings: []string{"AMBER"}}, Notify: true})
	if err != nil || adminSub.Owner[:6] != "token:" {
		t.Fatalf("admin token subscription: %+v %v", adminSub, err)
	}
	_, err = green.Subscribe(ctx, api.SubscriptionRequest{Name: "bad", Filter: relevance.Filter{Markings: []string{"PURPLE"}}})
	if errs.CodeOf(err) != errs.Invalid {
		t.Errorf("bad filter: %v", err)
	}
	if subs, err := green.Subscriptions(ctx); err != nil || len(subs) != 1 || subs[0].ID != sub.ID {
		t.Fatalf("green's subscriptions %+v %v", subs, err)
	}

	bundle := func(objs ...string) []byte {
		return []byte(`{"type":"bundle","id":"bundle--7e1e0000-0000-4000-8000-000000000001","objects":[` + joinObjs(objs) + `]}`)
	}
	n.publish(string(bundle(relObject("indicator", 1, "ransomware", tlpGreen)))) // matches
	n.publish(string(bundle(relObject("indicator", 2, "phishing", tlpGreen))))   // does not
	res, err := n.cli.PublishTo(ctx, bundle(relObject("indicator", 3, "ransomware", tlpAmber)), intake.Address{To: []string{"cert-a"}}, true)
	if err != nil || len(res.Transactions) != 1 || !res.Transactions[0].Committed() {
		t.Fatalf("publish AMBER: %+v %v", res, err)
	}
	waitNotified(ctx, t, n)

	gn, err := green.Notifications(ctx, false, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(gn.Items) != 1 || gn.Items[0].ObjectID != relID("indicator", 1) || gn.Items[0].Subscriptions[0] != sub.ID ||
		gn.Items[0].TLP != "GREEN" || gn.Items[0].Read {
		t.Fatalf("green1's notifications: %+v", gn.Items)
	}
	an, err := amber.Notifications(ctx, false, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var amberIDs []string
	for _, x := range an.Items {
		amberIDs = append(amberIDs, x.ObjectID)
	}
	if !slices.Equal(amberIDs, []string{relID("indicator", 3), relID("indicator", 1)}) {
		t.Fatalf("amber1's notifications: %v", amberIDs)
	}

	if ad, err := n.cli.Notifications(ctx, false, "", 0); err != nil || len(ad.Items) != 1 || ad.Items[0].ObjectID != relID("indicator", 3) {
		t.Fatalf("admin token's notifications: %+v %v", ad, err)
	}

	// The webhook receives exactly the one notification.
	select {
	case <-h.got:
	case <-ctx.Done():
		t.Fatal("no webhook push")
	}
	if ps := h.all(); len(ps) != 1 || ps[0].Subscription != sub.ID || ps[0].Notification.ObjectID != relID("indicator", 1) {
		t.Fatalf("webhook pushes %+v", ps)
	}

	// Read: only by its owner; unread lists shrink.
	if _, err := amber.MarkRead(ctx, gn.Items[0].ID); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("amber1 marking green1's notification: %v", err)
	}
	if got, err := green.MarkRead(ctx, gn.Items[0].ID); err != nil || !got.Read {
		t.Fatalf("mark read: %+v %v", got, err)
	}
	if un, err := green.Notifications(ctx, true, "", 0); err != nil || len(un.Items) != 0 {
		t.Errorf("unread after reading: %+v %v", un, err)
	}

	// The feed: subscribed first (though older), never the AMBER record.
	feed, err := green.Feed(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) < 2 || feed.Items[0].Record.ID != relID("indicator", 1) || feed.Items[0].Tier != relevance.TierSubscribed ||
		feed.Items[0].Reasons[0].Subscription != sub.ID {
		t.Fatalf("green1's feed starts %+v", feed.Items[:min(2, len(feed.Items))])
	}
	for _, e := range feed.Items {
		if e.Record.ID == relID("indicator", 3) {
			t.Fatal("the AMBER record reached green1's feed")
		}
	}
	if af, err := amber.Feed(ctx, "", 0); err != nil || af.Items[0].Record.ID != relID("indicator", 3) {
		t.Errorf("amber1's feed should start with the newest subscribed record: %v", err)
	}

	// The member declares a technology; a report labelled with it ranks
	// above unrelated newer records, with its reason.
	if r, err := n.cli.UpdateProfile(ctx, ledger.ProfileUpdate{Sectors: []string{"energy"}, Technologies: []string{"exchange"}}, true); err != nil ||
		!r.Transactions[0].Committed() || r.Transactions[0].Code != 0 {
		t.Fatalf("profile update: %+v %v", r, err)
	}
	ms, err := n.cli.Members(ctx)
	if err != nil || !slices.Equal(ms[0].Technologies, []string{"exchange"}) {
		t.Fatalf("members after profile update: %+v %v", ms, err)
	}
	n.publish(string(bundle(relObject("report", 4, "exchange", tlpGreen))))
	n.publish(string(bundle(relObject("indicator", 5, "misc", tlpGreen))))
	feed, err = green.Feed(ctx, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 2 || feed.Items[1].Record.ID != relID("report", 4) || feed.Items[1].Tier != relevance.TierProfile ||
		feed.Items[1].Reasons[0].Detail != "technology exchange" || feed.NextCursor == "" {
		t.Fatalf("feed after profile: %+v", feed)
	}
	rest, err := green.Feed(ctx, feed.NextCursor, 10)
	if err != nil || len(rest.Items) != 2 || rest.Items[0].Record.ID != relID("indicator", 5) || rest.Items[0].Reasons[0].Kind != "recent" {
		t.Fatalf("feed page 2: %+v %v", rest, err)
	}
	checkRelevanceBadInput(t, n)
	waitNotified(ctx, t, n)
	if ps := h.all(); len(ps) != 1 {
		t.Errorf("webhook got %d pushes, want 1", len(ps))
	}
}

func joinObjs(objs []string) string {
	out := ""
	for i, o := range objs {
		if i > 0 {
			out += ","
		}
		out += o
	}
	return out
}

// checkRelevanceBadInput: malformed parameters, ids and bodies answer 400,
// a missing token 401, someone else's subscription 404.
func checkRelevanceBadInput(t *testing.T, n *testNode) {
	t.Helper()
	cases := []struct {
		method, path, body, token string
		status                    int
	}{
		{"GET", "/v1/feed?limit=0", "", n.token, 400},
		{"GET", "/v1/feed?limit=201", "", n.token, 400},
		{"GET", "/v1/feed?cursor=zz", "", n.token, 400},
		{"GET", "/v1/feed?colour=red", "", n.token, 400},
		{"GET", "/v1/notifications?unread=maybe", "", n.token, 400},
		{"GET", "/v1/notifications?cursor=-4", "", n.token, 400},
		{"POST", "/v1/notifications/abc/read", "", n.token, 400},
		{"POST", "/v1/notifications/999999/read", "", n.token, 404},
		{"POST", "/v1/subscriptions", `{"name":"x","filter":{"types":["indicator"]},"extra":1}`, n.token, 400},
		{"POST", "/v1/subscriptions", `{"name":"x","filter":{"value_kinds":["mac"]}}`, n.token, 400},
		{"POST", "/v1/subscriptions", `{"name":"x","notify":true,"webhook":"ftp://x.example/"}`, n.token, 400},
		{"POST", "/v1/subscriptions", `{"name":"x"`, n.token, 400},
		{"DELETE", "/v1/subscriptions/sub_0000000000000000", "", n.token, 404},
		{"GET", "/v1/feed", "", "", 401},
		{"POST", "/v1/profile", `{"technologies":["x","x"]}`, n.token, 400},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, n.d.URL()+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || !strings.Contains(string(b), `"error"`) {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, res.StatusCode, b, c.status)
		}
	}
}

// TestInitTechnologies: technologies given at init reach the genesis
// member; malformed ones are refused before anything is created.
func TestInitTechnologies(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node")
	if err := Init(dir, InitOptions{Member: "cert-t", Technologies: []string{"exchange", "citrix adc"}, APIListen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, cometDir, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AppState json.RawMessage `json:"app_state"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	g, err := ledger.ParseGenesis(doc.AppState)
	if err != nil || !slices.Equal(g.Members[0].Technologies, []string{"exchange", "citrix adc"}) {
		t.Fatalf("genesis members %+v %v", g.Members, err)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if err := Init(bad, InitOptions{Member: "cert-u", Technologies: []string{"x\ny"}}); err == nil || !strings.Contains(err.Error(), "technologies") {
		t.Fatalf("bad technology: %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a refused init left %s behind: %v", bad, err)
	}
	if _, err := InitJoin(filepath.Join(t.TempDir(), "j"), InitOptions{Member: "cert-v", Technologies: []string{"a", "a"}}, ""); err == nil {
		t.Error("duplicate technology accepted by init --join")
	}
}
