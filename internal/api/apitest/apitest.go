// Package apitest provides in-memory fakes of the API's dependencies (the
// node Backend and the token store), for tests of package api, its client
// and the CLI. They pair with the real policy, auth.Authorize.
//
// The fake Backend publishes by committing at once: each object of a bundle
// becomes one transaction in a block of its own. An object may steer the
// fake with the field "x_apitest": "reject" (the mempool rejects its
// transaction), "fail" (the ledger rejects it at commit) or "hang" (it never
// commits, so waiting for it times out).
//
// Governance transactions commit at once too, each in a block of its own;
// the fake checks them roughly as the ledger does (see Propose and Vote). A
// proposal's title steers it like x_apitest: "apitest:fail" or
// "apitest:hang".
package apitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

var _ api.Backend = (*Backend)(nil)

// Author is the member id the fake Backend signs as.
const Author = "member-test"

// Backend is an in-memory api.Backend. Its zero value is not usable; call
// NewBackend. Set Err to make every call fail with it.
type Backend struct {
	mu       sync.Mutex
	versions []projection.Version // in ledger order
	outcomes map[string]intake.Outcome
	hanging  map[string]bool
	height   int64
	txs      uint64                      // governance transactions submitted, for unique hashes
	props    map[uint64]api.ProposalView // by id
	nextProp uint64                      // id of the next proposal

	// Err, when set, is returned by every method.
	Err error
	// StatusValue is what Status returns (with Height and Records filled in).
	StatusValue api.Status
	// MembersValue is what Members returns.
	MembersValue []api.Member
	// LastQuery is the last query Search received.
	LastQuery projection.Query
}

// NewBackend returns an empty fake ledger.
func NewBackend() *Backend {
	return &Backend{
		outcomes: map[string]intake.Outcome{},
		hanging:  map[string]bool{},
		props:    map[uint64]api.ProposalView{},
		nextProp: 1,
		StatusValue: api.Status{
			Member: Author, ChainID: "phalanx-test", NodeID: "node-test",
			Validators: 1, Version: "test",
		},
		MembersValue: []api.Member{{
			ID: Author, Name: "Test CERT", SignKey: "c2lnbg==", SealKey: "c2VhbA==",
			ValidatorKey: "dmFs", Power: 10, Sectors: []string{"government"},
			Regions: []string{"eu"}, Status: "active", JoinHeight: 1,
		}},
	}
}

// stixObject is the part of a STIX object the fake reads.
type stixObject struct {
	Type     string            `json:"type"`
	ID       string            `json:"id"`
	Modified string            `json:"modified"`
	Created  string            `json:"created"`
	Labels   []string          `json:"labels"`
	Objects  []json.RawMessage `json:"objects"`
	Steer    string            `json:"x_apitest"`
}

// Publish implements api.Backend.
func (b *Backend) Publish(ctx context.Context, body []byte) ([]intake.Submission, error) {
	if b.Err != nil {
		return nil, b.Err
	}
	raws, err := splitBundle(body)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := make([]intake.Submission, 0, len(raws))
	for _, raw := range raws {
		sub, err := b.submit(raw)
		if err != nil {
			return nil, err
		}
		subs = append(subs, sub)
	}
	return subs, nil
}

// splitBundle returns the objects of a bundle, or the single object body.
func splitBundle(body []byte) ([]json.RawMessage, error) {
	var o stixObject
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, errs.Errorf(errs.Invalid, "invalid STIX JSON: %v", err)
	}
	if o.Type != "bundle" {
		return []json.RawMessage{body}, nil
	}
	if len(o.Objects) == 0 {
		return nil, errs.Errorf(errs.Invalid, "bundle %s has no objects", o.ID)
	}
	return o.Objects, nil
}

// submit makes one transaction of raw and, unless steered otherwise,
// commits it. b.mu must be held.
func (b *Backend) submit(raw json.RawMessage) (intake.Submission, error) {
	var o stixObject
	if err := json.Unmarshal(raw, &o); err != nil || o.ID == "" || o.Type == "" {
		return intake.Submission{}, errs.Errorf(errs.Invalid, "invalid STIX object: type and id are required")
	}
	sum := sha256.Sum256(append([]byte(strconv.FormatInt(b.height, 10)), raw...))
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	sub := intake.Submission{TxHash: hash, Objects: []string{o.ID}, Codename: "ok"}
	switch o.Steer {
	case "reject":
		sub.Code, sub.Codename, sub.Log = 3, "invalid_object", "object rejected by the test"
		return sub, nil
	case "hang":
		b.hanging[hash] = true
		return sub, nil
	}
	b.commit(hash, o, raw)
	return sub, nil
}

// commit records raw in a new block. b.mu must be held.
func (b *Backend) commit(hash string, o stixObject, raw json.RawMessage) {
	b.height++
	out := intake.Outcome{TxHash: hash, Height: b.height, Codename: "ok"}
	if o.Steer == "fail" {
		out.Code, out.Codename, out.Log = 7, "stale_version", "a newer version exists"
		b.outcomes[hash] = out
		return
	}
	version := o.Modified
	if version == "" {
		version = o.Created
	}
	for i := range b.versions {
		if b.versions[i].ID == o.ID {
			b.versions[i].Latest = false
		}
	}
	lvl, _ := tlp.Of(raw, tlp.Green)
	v := projection.Version{
		ID: o.ID, Type: o.Type, Version: version, Latest: true, Author: Author,
		Height: b.height, Index: uint64(len(b.versions)), Added: b.now(),
		TxHash: hash, Object: raw, TLP: uint8(lvl),
	}
	b.versions = append(b.versions, v)
	out.Records = []intake.RecordOutcome{{ID: v.ID, Version: v.Version, Index: v.Index}}
	b.outcomes[hash] = out
}

// now is the block time of the current height: a fixed time advancing a
// second per block.
func (b *Backend) now() time.Time {
	return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(b.height) * time.Second)
}

// Wait implements api.Backend: committed transactions return at once,
// hanging ones block until ctx is done.
func (b *Backend) Wait(ctx context.Context, txHash string) (intake.Outcome, error) {
	b.mu.Lock()
	hanging := b.hanging[txHash]
	b.mu.Unlock()
	if hanging {
		<-ctx.Done()
		return intake.Outcome{}, ctx.Err()
	}
	return b.Outcome(ctx, txHash)
}

// Outcome implements api.Backend.
func (b *Backend) Outcome(_ context.Context, txHash string) (intake.Outcome, error) {
	if b.Err != nil {
		return intake.Outcome{}, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out, ok := b.outcomes[txHash]
	if !ok {
		return intake.Outcome{}, errs.Errorf(errs.NotFound, "no committed transaction %s", txHash)
	}
	return out, nil
}

// Get implements api.Backend.
func (b *Backend) Get(_ context.Context, id string, all bool) ([]projection.Version, error) {
	if b.Err != nil {
		return nil, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []projection.Version
	for _, v := range b.versions {
		if v.ID == id && (all || v.Latest) {
			out = append(out, v)
		}
	}
	return out, nil
}

// Search implements api.Backend with a simple scan; the cursor is an offset.
func (b *Backend) Search(_ context.Context, q projection.Query) (projection.Page, error) {
	if b.Err != nil {
		return projection.Page{}, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.LastQuery = q
	var hits []projection.Version
	for i := len(b.versions) - 1; i >= 0; i-- {
		if matches(b.versions[i], q) {
			hits = append(hits, b.versions[i])
		}
	}
	return paginate(hits, q)
}

func matches(v projection.Version, q projection.Query) bool {
	var o stixObject
	_ = json.Unmarshal(v.Object, &o)
	switch {
	case !q.AllVersions && !v.Latest,
		len(q.Types) > 0 && !slices.Contains(q.Types, v.Type),
		len(q.Authors) > 0 && !slices.Contains(q.Authors, v.Author),
		q.Text != "" && !strings.Contains(strings.ToLower(string(v.Object)), strings.ToLower(q.Text)),
		!q.AddedAfter.IsZero() && !v.Added.After(q.AddedAfter):
		return false
	}
	for _, l := range q.Labels {
		if !slices.Contains(o.Labels, l) {
			return false
		}
	}
	return true
}

func paginate(hits []projection.Version, q projection.Query) (projection.Page, error) {
	limit := q.Limit
	if limit == 0 {
		limit = 50
	}
	start := 0
	if q.Cursor != "" {
		n, err := strconv.Atoi(q.Cursor)
		if err != nil || n < 0 || n > len(hits) {
			return projection.Page{}, errs.Errorf(errs.Invalid, "invalid cursor %q", q.Cursor)
		}
		start = n
	}
	end := min(start+limit, len(hits))
	page := projection.Page{Items: hits[start:end]}
	if end < len(hits) {
		page.NextCursor = strconv.Itoa(end)
	}
	return page, nil
}

// Status implements api.Backend.
func (b *Backend) Status(context.Context) (api.Status, error) {
	if b.Err != nil {
		return api.Status{}, b.Err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.StatusValue
	st.Height, st.Records, st.Projected = b.height, uint64(len(b.versions)), uint64(len(b.versions))
	st.AppHash = fmt.Sprintf("%064X", b.height)
	st.LastBlockTime = b.now()
	return st, nil
}

// Members implements api.Backend.
func (b *Backend) Members(context.Context) ([]api.Member, error) {
	if b.Err != nil {
		return nil, b.Err
	}
	return b.MembersValue, nil
}
