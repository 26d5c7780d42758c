package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// canaryObject is an indicator whose name, description and pattern carry
// a unique canary string.
func canaryObject(n int, canary, marking string) string {
	refs := ""
	if marking != "" {
		refs = `"object_marking_refs":["` + marking + `"],`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-5ea1-4ea1-8ea1-5ea1ed5ea1ed","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",%s"name":"%s","description":"secret %s","pattern":"[domain-name:value = '%s.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		n, refs, canary, canary, canary)
}

func newCanary(t *testing.T) string {
	b := make([]byte, 8)
	rand.Read(b)
	return "canary" + hex.EncodeToString(b)
}

// sealedCase is one confidential publish of the canary test.
type sealedCase struct {
	name    string
	addr    intake.Address
	marking string
	level   tlp.Level
	readers []int // indexes of the nodes that may read it (author included)
	canary  string
	id      string
}

// TestSealedCanary runs a three-member network. member1 publishes AMBER to
// {1,2}, AMBER+STRICT and RED to {2}, and AMBER to a sharing group of
// member2: member2's users read each as their clearance allows (AMBER
// users AMBER, RED only with a grant, clients never above AMBER),
// member3's API answers not found and no
// file under member3's data directory (ledger state, block store, WAL,
// projection, logs…) holds any canary, as raw bytes, hex or base64.
// Then member1 withdraws one record: it can no longer be read on any
// node, no file anywhere holds its canary, and its header and the
// withdrawal stay on the ledger.
func TestSealedCanary(t *testing.T) {
	dirs, err := InitTestnet(t.TempDir(), 3, TestnetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*testNode, len(dirs))
	for i, dir := range dirs {
		nodes[i] = startNode(t, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	waitCaughtUp(ctx, t, nodes)
	a, c := nodes[0], nodes[2]
	if res, err := a.cli.ChangeGroup(ctx, ledger.GroupOp{Op: ledger.GroupCreate, Name: "energy-isac", Members: []string{"member2"}}, true); err != nil {
		t.Fatalf("create group: %+v %v", res, err)
	}
	cases := []*sealedCase{
		{name: "AMBER to {1,2}", addr: intake.Address{To: []string{"member2"}}, marking: tlp.AmberID, level: tlp.Amber, readers: []int{0, 1}},
		{name: "AMBER+STRICT by --tlp", addr: intake.Address{To: []string{"member2"}, TLP: tlp.AmberStrict}, level: tlp.AmberStrict, readers: []int{0, 1}},
		{name: "RED (TLP 1.0 marking)", addr: intake.Address{To: []string{"member2"}}, marking: tlp.RedV1ID, level: tlp.Red, readers: []int{0, 1}},
		{name: "sharing group", addr: intake.Address{Group: "energy-isac"}, marking: tlp.AmberID, level: tlp.Amber, readers: []int{0, 1}},
	}
	for i, sc := range cases {
		sc.canary = newCanary(t)
		body := canaryObject(i+1, sc.canary, sc.marking)
		res, err := a.cli.PublishTo(ctx, []byte(body), sc.addr, true)
		if err != nil || len(res.Transactions) != 1 || !res.Transactions[0].Committed() {
			t.Fatalf("%s: publish: %+v %v", sc.name, res, err)
		}
		sc.id = res.Transactions[0].Objects[0]
	}
	// An unaddressed AMBER publish and a publish to an unknown group are
	// refused before anything is signed.
	if _, err := a.cli.Publish(ctx, []byte(canaryObject(99, newCanary(t), tlp.AmberID)), true); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("unaddressed AMBER publish: %v", err)
	}
	if _, err := a.cli.PublishTo(ctx, []byte(canaryObject(98, newCanary(t), "")), intake.Address{Group: "nosuch"}, true); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("publish to an unknown group: %v", err)
	}
	waitSameHeight(ctx, t, nodes)
	for _, sc := range cases {
		for _, i := range sc.readers {
			v := waitGet(ctx, t, nodes[i], sc.id)
			if !strings.Contains(string(v.Object), sc.canary) || v.TLP != uint8(sc.level) || !v.Sealed {
				t.Fatalf("%s: member%d reads %+v", sc.name, i+1, v)
			}
		}
		waitProjected(ctx, t, c)
		if _, err := c.cli.Get(ctx, sc.id); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("%s: member3 Get = %v; want not found", sc.name, err)
		}
		if p, err := c.cli.Search(ctx, projection.Query{Text: sc.canary}); err != nil || len(p.Items) != 0 {
			t.Fatalf("%s: member3 search = %+v %v", sc.name, p, err)
		}
	}

	checkUsers(ctx, t, nodes[1], cases)

	// Withdraw the first record.
	w := cases[0]
	if res, err := a.cli.Withdraw(ctx, w.id, "2026-01-01T00:00:00Z", true); err != nil {
		t.Fatalf("withdraw: %+v %v", res, err)
	}
	waitSameHeight(ctx, t, nodes)
	for _, n := range nodes {
		waitProjected(ctx, t, n)
		if _, err := n.cli.Get(ctx, w.id); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("%s still serves the withdrawn record: %v", n.d.Member(), err)
		}
	}
	recs, err := c.d.Ledger().Records(0, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	headers := 0
	for _, r := range recs {
		if r.ObjectID == w.id && r.Sealed != nil {
			headers++
		}
	}
	ws, err := c.d.Ledger().Withdrawals()
	if err != nil || headers != 1 || len(ws) != 1 || ws[0].ID != w.id || ws[0].Author != "member1" {
		t.Fatalf("ledger after withdrawal: %d headers, withdrawals %+v %v", headers, ws, err)
	}

	digest, err := nodes[1].d.Projection().Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	index, err := nodes[1].d.Projection().IndexDigest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Stop every node so that everything it holds is on disk, then scan.
	for _, n := range nodes {
		n.close()
	}
	// A rebuild of member2's projection from its block store opens the
	// same records again, and drops the withdrawn one again.
	res, err := Reindex(ctx, dirs[1])
	if err != nil || res.Digest != digest {
		t.Fatalf("reindex member2: %+v %v; digest before %s", res, err, digest)
	}
	if _, rebuilt := projectionDigest(t, dirs[1]); rebuilt != index {
		t.Fatalf("reindex member2: index digest %s, %s before", rebuilt, index)
	}
	for _, sc := range cases {
		if hits := testutil.ScanTree(t, dirs[2], []byte(sc.canary)); len(hits) != 0 {
			t.Errorf("%s: member3 (not a recipient) holds the canary in %v", sc.name, hits)
		}
	}
	for i := range nodes {
		if hits := testutil.ScanTree(t, dirs[i], []byte(w.canary)); len(hits) != 0 {
			t.Errorf("withdrawn record: member%d still holds its canary in %v", i+1, hits)
		}
	}
	// The scan finds what a recipient legitimately holds: it proves
	// something.
	if hits := testutil.ScanTree(t, dirs[1], []byte(cases[2].canary)); len(hits) == 0 {
		t.Error("member2's files do not hold the RED canary it may read: the scan is blind")
	}
}

// checkUsers: on a recipient node, each user reads exactly what its
// clearance allows (cases: AMBER, AMBER+STRICT, RED, group AMBER).
func checkUsers(ctx context.Context, t *testing.T, n *testNode, cases []*sealedCase) {
	t.Helper()
	users := map[string]api.AddUserRequest{
		"amber":  {Name: "amber", Role: auth.RoleAnalyst, Clearance: "AMBER"},
		"green":  {Name: "green", Role: auth.RoleReader, Clearance: "GREEN"},
		"client": {Name: "client", Role: auth.RoleMachine, Clearance: "RED", Client: true},
		"red":    {Name: "red", Role: auth.RoleAnalyst, Clearance: "RED"},
	}
	clients := map[string]*client.Client{}
	for name, u := range users {
		added, err := n.cli.AddUser(ctx, u)
		if err != nil {
			t.Fatalf("add user %s: %v", name, err)
		}
		if clients[name], err = client.New(n.d.URL(), added.Token); err != nil {
			t.Fatal(err)
		}
	}
	check := func(user string, sc *sealedCase, want bool) {
		t.Helper()
		v, err := clients[user].Get(ctx, sc.id)
		got := err == nil && strings.Contains(string(v.Object), sc.canary)
		if got != want || (!want && errs.CodeOf(err) != errs.NotFound) {
			t.Errorf("%s: user %s reads it: %v (%v); want %v", sc.name, user, got, err, want)
		}
		p, err := clients[user].Search(ctx, projection.Query{Text: sc.canary})
		if err != nil || (len(p.Items) == 1) != want {
			t.Errorf("%s: user %s search finds %d (%v); want %v", sc.name, user, len(p.Items), err, want)
		}
	}
	amber, strict, red, group := cases[0], cases[1], cases[2], cases[3]
	for _, sc := range []*sealedCase{amber, group} {
		check("amber", sc, true)
		check("client", sc, true)
		check("green", sc, false)
		check("red", sc, true)
	}
	check("amber", strict, false) // clearance AMBER < AMBER+STRICT
	check("client", strict, false)
	check("red", strict, true)
	check("red", red, false) // RED needs a grant
	check("client", red, false)
	if err := n.cli.Grant(ctx, "red", red.id); err != nil {
		t.Fatal(err)
	}
	if err := n.cli.Grant(ctx, "client", red.id); err != nil {
		t.Fatal(err)
	}
	check("red", red, true)
	check("client", red, false) // a client never reads RED
	check("amber", red, false)
}

// waitGet waits until n serves id.
func waitGet(ctx context.Context, t *testing.T, n *testNode, id string) projection.Version {
	t.Helper()
	for {
		v, err := n.cli.Get(ctx, id)
		if err == nil {
			return v
		}
		if ctx.Err() != nil {
			t.Fatalf("%s never served %s: %v", n.d.Member(), id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitProjected waits until n's projection has applied every record and
// withdrawal of the ledger it has committed.
func waitProjected(ctx context.Context, t *testing.T, n *testNode) {
	t.Helper()
	for {
		st, err := n.cli.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Projected == st.Records && n.d.follow.height.Load() == st.Height {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: projection stuck at %d of %d records", n.d.Member(), st.Projected, st.Records)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
