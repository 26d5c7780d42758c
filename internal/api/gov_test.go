package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// key is a 32-byte test key filled with b.
func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// admitBody is a proposal to admit the member id, as JSON.
func admitBody(t *testing.T, id, title string) string {
	t.Helper()
	b, err := json.Marshal(ledger.Propose{Kind: ledger.KindAdmit, Title: title, Member: &ledger.Member{
		ID: id, Name: "New CERT", SignKey: key(1), SealKey: key(2), ValidatorKey: key(3),
		Sectors: []string{"energy"}, Regions: []string{"eu"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// postGov posts body to path with the admin token and decodes the answer.
func (e *env) postGov(t *testing.T, path, body string) (*http.Response, api.GovResult, []byte) {
	t.Helper()
	resp, b := e.do(t, http.MethodPost, path, adminSecret, "application/json", body)
	var res api.GovResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return resp, res, b
}

func TestProposeNoWait(t *testing.T) {
	e := newEnv(t)
	resp, res, body := e.postGov(t, "/v1/gov/proposals", admitBody(t, "newco", "admit NewCo"))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	tx := res.Transaction
	if len(tx.TxHash) != 64 || tx.Code != 0 || tx.Codename != "ok" || tx.Committed() || res.Proposal != nil || res.Error != nil {
		t.Errorf("result %s", body)
	}
}

func TestProposeWait(t *testing.T) {
	e := newEnv(t)
	resp, res, body := e.postGov(t, "/v1/gov/proposals?wait=true&timeout=5", admitBody(t, "newco", "admit NewCo"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	p := res.Proposal
	if !res.Transaction.Committed() || p == nil || res.Error != nil {
		t.Fatalf("result %s", body)
	}
	if p.ID != 1 || p.Proposer != apitest.Author || p.Height != res.Transaction.Height || p.Status != ledger.ProposalOpen ||
		p.Content.Kind != ledger.KindAdmit || p.Content.Title != "admit NewCo" || !bytes.Equal(p.Content.Member.SignKey, key(1)) {
		t.Errorf("proposal %+v", p)
	}
	// The proposal's fields are flattened beside its votes, which are {}.
	if !strings.Contains(string(body), `"id":1,"proposer":"member-test"`) || !strings.Contains(string(body), `"votes":{}`) {
		t.Errorf("proposal JSON %s", body)
	}
	// Keys travel as base64, as encoding/json writes []byte.
	if !strings.Contains(string(body), `"sign_key":"`+base64.StdEncoding.EncodeToString(key(1))+`"`) {
		t.Errorf("keys not base64: %s", body)
	}
}

// extraProposals is a backend whose ledger also holds extra proposals.
type extraProposals struct {
	*apitest.Backend
	extra []api.ProposalView
}

func (b extraProposals) Proposals(ctx context.Context) ([]api.ProposalView, error) {
	ps, err := b.Backend.Proposals(ctx)
	return append(ps, b.extra...), err
}

// TestProposeWaitFindsOwnProposal checks the answer names the proposal this
// node opened, not a newer one of the same block by another member or with
// other content.
func TestProposeWaitFindsOwnProposal(t *testing.T) {
	const next = 1 // the fake commits the first transaction at height 1
	var content ledger.Propose
	if err := json.Unmarshal([]byte(admitBody(t, "newco", "")), &content); err != nil {
		t.Fatal(err)
	}
	other := content
	other.Title = "something else"
	e := newEnv(t, func(c *api.Config) {
		c.Backend = extraProposals{Backend: c.Backend.(*apitest.Backend), extra: []api.ProposalView{
			{Proposal: ledger.Proposal{ID: 100, Proposer: "member-other", Content: content, Height: next}},
			{Proposal: ledger.Proposal{ID: 99, Proposer: apitest.Author, Content: other, Height: next}},
		}}
	})
	resp, res, body := e.postGov(t, "/v1/gov/proposals?wait=true", admitBody(t, "newco", ""))
	if resp.StatusCode != http.StatusOK || res.Proposal == nil || res.Proposal.ID != 1 {
		t.Fatalf("status %d, %s", resp.StatusCode, body)
	}
}

func TestProposeRejected(t *testing.T) {
	e := newEnv(t)
	for _, query := range []string{"", "?wait=true"} {
		resp, res, body := e.postGov(t, "/v1/gov/proposals"+query, admitBody(t, apitest.Author, ""))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%q: status %d %s", query, resp.StatusCode, body)
		}
		tx := res.Transaction
		if tx.Code != ledger.CodeBadProposal || tx.Codename != "bad_proposal" || tx.Committed() ||
			tx.Log != `admit_member proposal: member id "member-test" is taken` {
			t.Errorf("%q: transaction %+v", query, tx)
		}
		want := `proposal rejected: bad_proposal: admit_member proposal: member id "member-test" is taken`
		if res.Error == nil || res.Error.Code != errs.Rejected || res.Error.Message != want {
			t.Errorf("%q: error %+v", query, res.Error)
		}
	}
}

func TestProposeFailedAtCommit(t *testing.T) {
	e := newEnv(t)
	resp, res, body := e.postGov(t, "/v1/gov/proposals?wait=true", admitBody(t, "newco", apitest.TitleFail))
	if resp.StatusCode != http.StatusUnprocessableEntity || !res.Transaction.Committed() ||
		res.Transaction.Codename != "bad_proposal" || res.Proposal != nil || res.Error == nil {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
}

func TestProposeWaitTimeout(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.PublishTimeout = 200 * time.Millisecond })
	start := time.Now()
	resp, res, body := e.postGov(t, "/v1/gov/proposals?wait=true&timeout=60", admitBody(t, "newco", apitest.TitleHang))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %s, want about 200ms", d)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || res.Error == nil || res.Error.Code != errs.Unavailable ||
		!strings.Contains(res.Error.Message, res.Transaction.TxHash) {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
}

func TestProposeBadInput(t *testing.T) {
	e := newEnv(t)
	admit := admitBody(t, "newco", "")
	cases := []struct {
		name, query, ctype, body string
		status                   int
		code                     string
	}{
		{"bad json", "", "application/json", `{`, 400, errs.Invalid},
		{"unknown field", "", "application/json", `{"kind":"remove_member","target":"x","extra":1}`, 400, errs.Invalid},
		{"unknown member field", "", "application/json", strings.Replace(admit, `"name"`, `"node_id":"x","name"`, 1), 400, errs.Invalid},
		{"bad base64", "", "application/json", strings.Replace(admit, `"sign_key":"`, `"sign_key":"!`, 1), 400, errs.Invalid},
		{"trailing data", "", "application/json", admit + ` {}`, 400, errs.Invalid},
		{"no kind", "", "application/json", `{"target":"x"}`, 400, errs.Invalid},
		{"empty body", "", "application/json", ``, 400, errs.Invalid},
		{"no content type", "", "", admit, 415, api.CodeUnsupportedMediaType},
		{"stix content type", "", "application/stix+json", admit, 415, api.CodeUnsupportedMediaType},
		{"bad wait", "?wait=maybe", "application/json", admit, 400, errs.Invalid},
		{"unknown param", "?wiat=true", "application/json", admit, 400, errs.Invalid},
		{"too large", "", "application/json", `{"kind":"remove_member","title":"` + strings.Repeat("x", 70<<10) + `"}`, 413, errs.TooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.do(t, "POST", "/v1/gov/proposals"+c.query, adminSecret, c.ctype, c.body)
			wantError(t, resp, body, c.status, c.code)
		})
	}
	if ps, _ := e.backend.Proposals(context.Background()); len(ps) != 0 {
		t.Errorf("bad input reached the ledger: %+v", ps)
	}
}

// propose opens an admit proposal and returns its id.
func (e *env) propose(t *testing.T, member string) uint64 {
	t.Helper()
	resp, res, body := e.postGov(t, "/v1/gov/proposals?wait=true", admitBody(t, member, ""))
	if resp.StatusCode != http.StatusOK || res.Proposal == nil {
		t.Fatalf("propose: %d %s", resp.StatusCode, body)
	}
	return res.Proposal.ID
}

func TestVote(t *testing.T) {
	e := newEnv(t)
	id := e.propose(t, "newco")
	resp, res, body := e.postGov(t, "/v1/gov/proposals/1/votes", `{"choice":"no"}`)
	if resp.StatusCode != http.StatusAccepted || res.Transaction.Codename != "ok" || res.Proposal != nil {
		t.Fatalf("vote: %d %s", resp.StatusCode, body)
	}
	resp, res, body = e.postGov(t, "/v1/gov/proposals/1/votes?wait=commit", `{"choice":"yes"}`)
	if resp.StatusCode != http.StatusOK || !res.Transaction.Committed() || res.Proposal == nil ||
		res.Proposal.ID != id || res.Proposal.Votes[apitest.Author] != "yes" {
		t.Fatalf("vote and wait: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v1/gov/proposals/1", readerSecret, "", "")
	var p api.ProposalView
	if resp.StatusCode != 200 || json.Unmarshal(body, &p) != nil || p.Votes[apitest.Author] != "yes" {
		t.Errorf("proposal after votes: %d %s", resp.StatusCode, body)
	}
}

func TestVoteRejected(t *testing.T) {
	e := newEnv(t)
	e.propose(t, "newco")
	closed := e.backend.PutProposal(api.ProposalView{Proposal: ledger.Proposal{
		Proposer: "member-other", Content: ledger.Propose{Kind: ledger.KindRemove, Target: "x"},
		Height: 1, End: 2, Status: ledger.ProposalRejected, Result: "no quorum",
	}})
	for _, c := range []struct {
		path, body, codename string
	}{
		{"/v1/gov/proposals/99/votes", `{"choice":"yes"}`, "unknown_proposal"},
		{"/v1/gov/proposals/" + strconv.FormatUint(closed, 10) + "/votes?wait=true", `{"choice":"yes"}`, "voting_closed"},
		{"/v1/gov/proposals/1/votes", `{"choice":"maybe"}`, "bad_vote"},
	} {
		resp, res, body := e.postGov(t, c.path, c.body)
		if resp.StatusCode != http.StatusUnprocessableEntity || res.Transaction.Codename != c.codename ||
			res.Transaction.Log == "" || res.Error == nil || !strings.Contains(res.Error.Message, c.codename) {
			t.Errorf("%s %s: %d %s", c.path, c.body, resp.StatusCode, body)
		}
	}
	for path, body := range map[string]string{
		"/v1/gov/proposals/abc/votes": `{"choice":"yes"}`,
		"/v1/gov/proposals/-1/votes":  `{"choice":"yes"}`,
		"/v1/gov/proposals/1/votes":   `{"choice":"yes","proposal":2}`,
	} {
		resp, b := e.do(t, "POST", path, adminSecret, "application/json", body)
		wantError(t, resp, b, 400, errs.Invalid)
	}
	resp, b := e.do(t, "POST", "/v1/gov/proposals/1/votes", adminSecret, "application/json", `{}`)
	if d := wantError(t, resp, b, 400, errs.Invalid); !strings.Contains(d.Message, "choice is required") {
		t.Errorf("message %q", d.Message)
	}
}

func TestListAndGetProposals(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "GET", "/v1/gov/proposals", readerSecret, "", "")
	if resp.StatusCode != 200 || compact(t, body) != `{"proposals":[]}` {
		t.Fatalf("empty list: %d %s", resp.StatusCode, body)
	}
	e.propose(t, "newco")
	e.propose(t, "otherco")
	e.backend.PutProposal(api.ProposalView{Proposal: ledger.Proposal{
		Proposer: "member-other", Content: ledger.Propose{Kind: ledger.KindRemove, Target: "x"},
		Status: ledger.ProposalPassed, Yes: 2, Electors: 2, Result: "executed",
	}}) // no votes map
	resp, body = e.do(t, "GET", "/v1/gov/proposals", readerSecret, "", "")
	var list api.ProposalsResponse
	if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list.Proposals) != 3 {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	for i, want := range []uint64{3, 2, 1} {
		if list.Proposals[i].ID != want {
			t.Errorf("proposal %d has id %d, want %d (newest first)", i, list.Proposals[i].ID, want)
		}
	}
	if strings.Contains(string(body), `"votes":null`) {
		t.Errorf("null votes: %s", body)
	}

	resp, body = e.do(t, "GET", "/v1/gov/proposals/3", readerSecret, "", "")
	var raw map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &raw) != nil {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}
	for _, k := range []string{"id", "proposer", "content", "height", "end_height", "status", "yes", "no", "abstain", "electors", "result", "votes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("proposal lacks %s: %s", k, body)
		}
	}
	resp, body = e.do(t, "GET", "/v1/gov/proposals/42", readerSecret, "", "")
	wantError(t, resp, body, 404, errs.NotFound)
	for _, id := range []string{"abc", "-1", "1.5", "18446744073709551616"} {
		resp, body = e.do(t, "GET", "/v1/gov/proposals/"+id, readerSecret, "", "")
		wantError(t, resp, body, 400, errs.Invalid)
	}
}

func TestGovBackendErrors(t *testing.T) {
	e := newEnv(t)
	e.backend.Err = errs.Errorf(errs.Unavailable, "node is catching up")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/gov/proposals", ""},
		{"GET", "/v1/gov/proposals/1", ""},
		{"POST", "/v1/gov/proposals", `{"kind":"remove_member","target":"x"}`},
		{"POST", "/v1/gov/proposals/1/votes", `{"choice":"yes"}`},
	} {
		resp, body := e.do(t, c.method, c.path, adminSecret, "application/json", c.body)
		wantError(t, resp, body, 503, errs.Unavailable)
	}
}
