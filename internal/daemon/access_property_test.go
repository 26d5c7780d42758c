package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/keys"
	"github.com/phalanx-ledger/phalanx/internal/notify"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
	relsqlite "github.com/phalanx-ledger/phalanx/internal/relevance/sqlite"
	"github.com/phalanx-ledger/phalanx/internal/seal"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// The reference model of who may read what, written apart from the code
// under test: a node holds a record when it is plaintext or its member is
// a recipient; a user reads a held record version when its clearance
// reaches the level and its kind is one the level admits.
type refUser struct {
	name      string
	role      auth.Role
	clearance int // 1 CLEAR … 5 RED
	client    bool
	grants    map[string]bool
}

type refVersion struct {
	id, version string
	level       int
	sealed      bool
	recipients  map[string]bool
	index       uint64
}

func refHolds(member string, v refVersion) bool { return !v.sealed || v.recipients[member] }

func refReads(u refUser, v refVersion) bool {
	if v.level > u.clearance {
		return false
	}
	kinds := map[int][]string{ // who each level admits
		1: {"own", "client"},
		2: {"own", "client"},
		3: {"own", "client"},
		4: {"own"},
		5: {"granted", "admin"},
	}[v.level]
	var mine []string
	switch {
	case u.client:
		mine = []string{"client"}
	case u.role == auth.RoleAdmin:
		mine = []string{"own", "admin"}
	default:
		mine = []string{"own"}
	}
	if u.grants[v.id] && !u.client {
		mine = append(mine, "granted")
	}
	for _, k := range kinds {
		if slices.Contains(mine, k) {
			return true
		}
	}
	return false
}

// projBackend serves the API from a real projection (the rest of the
// Backend is the apitest fake, unused here).
type projBackend struct {
	*apitest.Backend
	relevanceService
	proj *projection.Store
}

func (b projBackend) Get(ctx context.Context, id string, all bool) ([]projection.Version, error) {
	return b.proj.Get(ctx, id, all)
}

func (b projBackend) Search(ctx context.Context, q projection.Query) (projection.Page, error) {
	return b.proj.Search(ctx, q)
}

// TestAccessProperty: for random communities (members with real keys,
// sharing groups), random records (levels, plaintext or sealed for random
// recipients and groups, several versions per object) and random users
// (roles, clearances, clients, RED grants), every read path of a node's
// REST API (get latest, get all versions, search latest and all versions
// with paging, search by text) answers exactly what the reference model
// allows: no leak, no wrongful denial.
func TestAccessProperty(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { accessProperty(t, seed) })
	}
}

func accessProperty(t *testing.T, seed uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	root := t.TempDir()
	nm := 2 + rng.IntN(4)
	members := make([]string, nm)
	ids := map[string]*keys.Identity{}
	for i := range members {
		members[i] = fmt.Sprintf("m%d", i)
		id, err := keys.Generate(members[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := id.Save(filepath.Join(root, members[i], KeyFile)); err != nil {
			t.Fatal(err)
		}
		ids[members[i]] = id
	}
	groups := map[string][]string{}
	for g := range 1 + rng.IntN(3) {
		var ms []string
		for _, m := range members {
			if rng.IntN(2) == 0 {
				ms = append(ms, m)
			}
		}
		if len(ms) > 0 {
			groups[fmt.Sprintf("g%d", g)] = ms
		}
	}
	recs, ref := randomRecords(t, rng, members, groups, ids)
	node := members[rng.IntN(nm)]
	cli, users, proj, notifier := serveNode(ctx, t, rng, root, node, recs, ref)
	for _, u := range users {
		if _, err := cli[u.name].Subscribe(ctx, api.SubscriptionRequest{Name: "everything", Notify: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := notifier.Process(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		checkReadPaths(ctx, t, cli[u.name], u, node, ref)
		checkProjectionFilter(ctx, t, proj, u, node, ref)
		checkRelevancePaths(ctx, t, cli[u.name], u, node, ref)
	}
}

// randomRecords makes 12-30 records over up to 8 objects, in ledger order.
func randomRecords(t *testing.T, rng *rand.Rand, members []string, groups map[string][]string, ids map[string]*keys.Identity) ([]record.Record, []refVersion) {
	var recs []record.Record
	var ref []refVersion
	authors := map[string]string{}
	gnames := make([]string, 0, len(groups))
	for g := range groups {
		gnames = append(gnames, g)
	}
	sort.Strings(gnames)
	n := 12 + rng.IntN(19)
	for i := range n {
		obj := rng.IntN(8)
		id := fmt.Sprintf("indicator--%08x-0000-4000-8000-00000000000%d", obj, obj%10)
		author, ok := authors[id]
		if !ok {
			author = members[rng.IntN(len(members))]
			authors[id] = author
		}
		level := 1 + rng.IntN(5)
		version := fmt.Sprintf("2026-01-01T00:00:%02d", i) // the ledger's normalised form adds Z
		body := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s.000Z","object_marking_refs":["%s"],"name":"rec%d","pattern":"[ipv4-addr:value = '10.0.0.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"}`,
			id, version, tlp.Level(level).MarkingID(), i, i)
		version += "Z"
		r := record.Record{Index: uint64(i), Height: int64(i + 1), Time: time.Unix(int64(i), 0).UTC(), TxHash: []byte{byte(i)},
			Author: author, ObjectID: id, Type: "indicator", Modified: version}
		rv := refVersion{id: id, version: version, level: level, index: uint64(i), recipients: map[string]bool{}}
		addressed := rng.IntN(3) == 0
		if level < 3 && !addressed {
			r.Object = []byte(body)
		} else {
			rv.sealed = true
			to := map[string]bool{author: true}
			group := ""
			if len(gnames) > 0 && rng.IntN(2) == 0 {
				group = gnames[rng.IntN(len(gnames))]
				for _, m := range groups[group] {
					to[m] = true
				}
			}
			for _, m := range members {
				if rng.IntN(3) == 0 {
					to[m] = true
				}
			}
			var keyList []seal.Key
			for m := range to {
				keyList = append(keyList, seal.Key{Member: m, Public: ids[m].SealPublic()})
				rv.recipients[m] = true
			}
			e, err := seal.Seal(seal.Meta{ID: id, Modified: version, Author: author, Level: uint8(level), Group: group}, []byte(body), keyList)
			if err != nil {
				t.Fatal(err)
			}
			if r.Sealed, err = e.Encode(); err != nil {
				t.Fatal(err)
			}
		}
		recs, ref = append(recs, r), append(ref, rv)
	}
	return recs, ref
}

// serveNode opens the records as node's follower would, projects them and
// serves the REST API with real user accounts; it returns a client per
// random user.
func serveNode(ctx context.Context, t *testing.T, rng *rand.Rand, root, node string, recs []record.Record, ref []refVersion) (map[string]*client.Client, []refUser, *projection.Store, *notify.Notifier) {
	dir := filepath.Join(root, node)
	opened, probs := newOpener(dir, node, func(string, string) (bool, error) { return false, nil }).open(recs)
	if len(probs) != 0 {
		t.Fatalf("opening: %+v", probs)
	}
	proj, err := projection.Open(ctx, filepath.Join(dir, "projection.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proj.Close() })
	if err := proj.Apply(ctx, opened); err != nil {
		t.Fatal(err)
	}
	store, err := auth.Open(ctx, filepath.Join(dir, "node.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rel, err := relsqlite.Open(ctx, filepath.Join(dir, relevanceFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rel.Close() })
	noProfiles := func() map[string]relevance.Profile { return nil }
	notifier, err := notify.New(notify.Config{Store: rel, Records: proj, Viewer: ownerViewer(store),
		Profiles: func(context.Context) (map[string]relevance.Profile, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	backend := projBackend{apitest.NewBackend(), relevanceService{proj: proj, store: rel, profiles: noProfiles, member: node}, proj}
	srv, err := api.New(api.Config{Backend: backend, Tokens: store, Authorize: auth.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	roles := []auth.Role{auth.RoleAdmin, auth.RoleAnalyst, auth.RoleReader, auth.RoleMachine}
	clients := map[string]*client.Client{}
	var users []refUser
	for i := range 6 + rng.IntN(6) {
		u := refUser{name: fmt.Sprintf("u%d", i), role: roles[rng.IntN(len(roles))], clearance: 1 + rng.IntN(5),
			client: rng.IntN(3) == 0, grants: map[string]bool{}}
		if u.client && u.role == auth.RoleAdmin {
			u.role = auth.RoleReader
		}
		_, tok, _, err := func() (string, auth.Token, auth.User, error) {
			secret, tok, au, err := store.AddUser(ctx, auth.User{Name: u.name, Role: u.role, Clearance: tlp.Level(u.clearance).String(), Client: u.client})
			if err == nil {
				clients[u.name], err = client.New(hs.URL, secret)
			}
			return secret, tok, au, err
		}()
		if err != nil {
			t.Fatalf("user %s (%v): %v", u.name, tok, err)
		}
		for _, v := range ref {
			if rng.IntN(4) == 0 {
				if err := store.Grant(ctx, u.name, v.id); err != nil {
					t.Fatal(err)
				}
				u.grants[v.id] = true
			}
		}
		users = append(users, u)
	}
	return clients, users, proj, notifier
}

// checkProjectionFilter checks the projection's own SQL filter, without
// the API's second check: search with a Viewer returns exactly the
// versions the model allows (all versions, and the newest readable one of
// each object).
func checkProjectionFilter(ctx context.Context, t *testing.T, proj *projection.Store, u refUser, node string, ref []refVersion) {
	t.Helper()
	v := access.Viewer{Clearance: tlp.Level(u.clearance), Client: u.client, Admin: u.role == auth.RoleAdmin}
	for id := range u.grants {
		v.Grants = append(v.Grants, id)
	}
	sort.Strings(v.Grants)
	latest := map[string]uint64{}
	var all []uint64
	for _, r := range ref {
		if refHolds(node, r) && refReads(u, r) {
			all = append(all, r.index)
			latest[r.id] = r.index // ref is in ledger order and versions increase with it
		}
	}
	lat := make([]uint64, 0, len(latest))
	for _, i := range latest {
		lat = append(lat, i)
	}
	for _, c := range []struct {
		all  bool
		want []uint64
	}{{true, all}, {false, lat}} {
		p, err := proj.Search(ctx, projection.Query{Viewer: &v, AllVersions: c.all, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got := indexesOf(p.Items)
		slices.Sort(got)
		slices.Sort(c.want)
		if !slices.Equal(got, c.want) {
			t.Fatalf("user %+v: projection search (all %v) = %v; want %v", u, c.all, got, c.want)
		}
	}
}

// checkReadPaths compares every read path with the model for one user.
func checkReadPaths(ctx context.Context, t *testing.T, c *client.Client, u refUser, node string, ref []refVersion) {
	t.Helper()
	want := map[string][]refVersion{} // id → readable versions in ledger order
	var objects []string
	for _, v := range ref {
		if _, seen := want[v.id]; !seen {
			objects = append(objects, v.id)
			want[v.id] = nil
		}
		if refHolds(node, v) && refReads(u, v) {
			want[v.id] = append(want[v.id], v)
		}
	}
	var wantAll, wantLatest []uint64
	for _, id := range objects {
		vs := want[id]
		got, err := c.Versions(ctx, id)
		if len(vs) == 0 {
			if errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("user %+v: versions of %s = %d, %v; want not found", u, id, len(got), err)
			}
			if _, err := c.Get(ctx, id); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("user %+v: get %s = %v; want not found", u, id, err)
			}
			continue
		}
		if err != nil || !sameIndexes(got, vs) {
			t.Fatalf("user %+v: versions of %s = %v (%v); want %v", u, id, indexesOf(got), err, refIndexes(vs))
		}
		latest := vs[len(vs)-1]
		g, err := c.Get(ctx, id)
		if err != nil || g.Index != latest.index {
			t.Fatalf("user %+v: get %s = %d (%v); want %d", u, id, g.Index, err, latest.index)
		}
		wantLatest = append(wantLatest, latest.index)
		for _, v := range vs {
			wantAll = append(wantAll, v.index)
		}
	}
	for _, all := range []bool{false, true} {
		want := wantLatest
		if all {
			want = wantAll
		}
		var got []uint64
		for v, err := range c.SearchAll(ctx, projection.Query{AllVersions: all, Limit: 3}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v.Index)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("user %+v: search (all versions %v) = %v; want %v", u, all, got, want)
		}
	}
	for _, v := range ref {
		p, err := c.Search(ctx, projection.Query{Text: fmt.Sprintf("rec%d", v.index), AllVersions: true})
		found := err == nil && len(p.Items) == 1
		if found != (refHolds(node, v) && refReads(u, v)) {
			t.Fatalf("user %+v: text search for record %d: %d items (%v)", u, v.index, len(p.Items), err)
		}
	}
}

func sameIndexes(got []projection.Version, want []refVersion) bool {
	return slices.Equal(indexesOf(got), refIndexes(want))
}

func indexesOf(vs []projection.Version) []uint64 {
	out := make([]uint64, len(vs))
	for i, v := range vs {
		out[i] = v.Index
	}
	return out
}

func refIndexes(vs []refVersion) []uint64 {
	out := make([]uint64, len(vs))
	for i, v := range vs {
		out[i] = v.index
	}
	return out
}

// checkRelevancePaths: the user's feed holds exactly the latest version of
// each object it may read, and its notifications (from a subscription to
// everything) exactly the versions it may read.
func checkRelevancePaths(ctx context.Context, t *testing.T, c *client.Client, u refUser, node string, ref []refVersion) {
	t.Helper()
	latest := map[string]uint64{}
	var wantAll, wantLatest []uint64
	for _, v := range ref {
		if refHolds(node, v) && refReads(u, v) {
			latest[v.id] = v.index
			wantAll = append(wantAll, v.index)
		}
	}
	for _, idx := range latest {
		wantLatest = append(wantLatest, idx)
	}
	var feed []uint64
	for cursor, pages := "", 0; ; pages++ {
		p, err := c.Feed(ctx, cursor, 4)
		if err != nil || pages > 50 {
			t.Fatalf("user %+v: feed: %v", u, err)
		}
		for _, e := range p.Items {
			feed = append(feed, e.Record.Index)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	var notes []uint64
	for cursor, pages := "", 0; ; pages++ {
		p, err := c.Notifications(ctx, false, cursor, 4)
		if err != nil || pages > 50 {
			t.Fatalf("user %+v: notifications: %v", u, err)
		}
		for _, n := range p.Items {
			notes = append(notes, n.Index)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	for _, s := range [][]uint64{feed, notes, wantAll, wantLatest} {
		slices.Sort(s)
	}
	if !slices.Equal(feed, wantLatest) {
		t.Fatalf("user %+v: feed = %v; want %v", u, feed, wantLatest)
	}
	if !slices.Equal(notes, wantAll) {
		t.Fatalf("user %+v: notifications = %v; want %v", u, notes, wantAll)
	}
}
