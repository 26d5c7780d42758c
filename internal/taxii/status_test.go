package taxii

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// ledgerStub accepts every submission as transaction "AB…" and reports it
// committed once committed is set.
type ledgerStub struct {
	mu        sync.Mutex
	committed bool
}

func (l *ledgerStub) Level(o *stix.Object) (tlp.Level, error) { return tlp.Of(o.Raw, tlp.Green) }

func (l *ledgerStub) PublishObjects(_ context.Context, objs []*stix.Object) ([]intake.Submission, error) {
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	return []intake.Submission{{TxHash: strings.Repeat("AB", 32), Objects: ids}}, nil
}

func (l *ledgerStub) Wait(context.Context, string) (intake.Outcome, error) {
	return intake.Outcome{}, errs.Errorf(errs.Unavailable, "stub")
}

func (l *ledgerStub) Outcome(_ context.Context, h string) (intake.Outcome, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.committed {
		return intake.Outcome{}, errs.Errorf(errs.NotFound, "not committed")
	}
	return intake.Outcome{TxHash: h, Height: 7}, nil
}

// TestStatusSurvivesRestart: a status resource is stored in SQLite; a new
// server on the same file serves it, and it moves from pending to
// complete when the ledger commits.
func TestStatusSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "taxii.db")
	stub := &ledgerStub{}
	open := func() *Server {
		s, err := New(context.Background(), Config{Reader: fakeReader{}, Publisher: stub, Tokens: fakeTokens{},
			Policy: access.ByClearance{}, Member: "cert-a", StatusDB: db})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	do := func(s *Server, method, path, body string) (int, Status) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Accept", MediaType)
		req.Header.Set("Content-Type", MediaType)
		req.Header.Set("Authorization", "Bearer admin")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var st Status
		json.Unmarshal(rec.Body.Bytes(), &st)
		return rec.Code, st
	}
	s := open()
	obj := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--d0000000-0000-4000-8000-000000000001","value":"198.51.100.7"}`
	code, st := do(s, http.MethodPost, "/taxii2/phalanx/collections/all/objects/", `{"objects":[`+obj+`]}`)
	if code != http.StatusAccepted || st.Status != "pending" || st.PendingCount != 1 || st.Pendings[0].ID != "ipv4-addr--d0000000-0000-4000-8000-000000000001" {
		t.Fatalf("POST: %d %+v", code, st)
	}
	s.Close()

	s = open()
	defer s.Close()
	if code, got := do(s, http.MethodGet, "/taxii2/phalanx/status/"+st.ID+"/", ""); code != http.StatusOK || got.Status != "pending" {
		t.Fatalf("after restart: %d %+v", code, got)
	}
	stub.mu.Lock()
	stub.committed = true
	stub.mu.Unlock()
	code, got := do(s, http.MethodGet, "/taxii2/phalanx/status/"+st.ID+"/", "")
	if code != http.StatusOK || got.Status != "complete" || got.SuccessCount != 1 || got.TotalCount != 1 || !strings.Contains(got.Successes[0].Message, "height 7") {
		t.Fatalf("after commit: %d %+v", code, got)
	}
}
