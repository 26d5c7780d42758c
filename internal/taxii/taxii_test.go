package taxii

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

type fakeReader struct{ items []projection.Version }

func (f fakeReader) List(_ context.Context, q projection.ListQuery) (projection.ListPage, error) {
	return projection.ListPage{Items: f.items}, nil
}

type fakePublisher struct{}

func (fakePublisher) Level(o *stix.Object) (tlp.Level, error) { return tlp.Of(o.Raw, tlp.Green) }

func (fakePublisher) PublishObjects(context.Context, []*stix.Object) ([]intake.Submission, error) {
	return nil, errs.Errorf(errs.Unavailable, "no ledger")
}
func (fakePublisher) Wait(context.Context, string) (intake.Outcome, error) {
	return intake.Outcome{}, errs.Errorf(errs.NotFound, "none")
}
func (fakePublisher) Outcome(context.Context, string) (intake.Outcome, error) {
	return intake.Outcome{}, errs.Errorf(errs.NotFound, "none")
}

type fakeTokens struct{}

func (fakeTokens) Authenticate(_ context.Context, secret string) (auth.Token, error) {
	if secret == "admin" {
		return auth.Token{ID: "t1", Role: auth.RoleAdmin}, nil
	}
	return auth.Token{}, errs.Errorf(errs.Unauthenticated, "unknown token")
}

func (fakeTokens) Viewer(_ context.Context, tok auth.Token) (access.Viewer, error) {
	return access.Full(tok.Role == auth.RoleAdmin), nil
}

func newTestServer(t *testing.T, r Reader, public bool) *Server {
	t.Helper()
	s, err := New(context.Background(), Config{Reader: r, Publisher: fakePublisher{}, Tokens: fakeTokens{},
		Policy: access.ByClearance{}, Member: "cert-a", StatusDB: filepath.Join(t.TempDir(), "taxii.db"), PublicClear: public})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPublicClearOffByDefault: without PublicClear, nothing is readable
// without credentials, not even discovery.
func TestPublicClearOffByDefault(t *testing.T) {
	s := newTestServer(t, fakeReader{}, false)
	for _, path := range []string{"/taxii2/", "/taxii2/phalanx/", "/taxii2/phalanx/collections/",
		"/taxii2/phalanx/collections/" + AliasPublicClear + "/objects/"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept", MediaType)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: %d, want 401", path, rec.Code)
		}
	}
}

// TestDeleteOthersObject: only the author may revoke an object.
func TestDeleteOthersObject(t *testing.T) {
	v := projection.Version{ID: "indicator--a0000000-0000-4000-8000-000000000001", Type: "indicator",
		Version: "2026-01-01T00:00:00Z", Author: "cert-b", Latest: true,
		Object: []byte(`{"type":"indicator","id":"indicator--a0000000-0000-4000-8000-000000000001"}`)}
	s := newTestServer(t, fakeReader{items: []projection.Version{v}}, false)
	req := httptest.NewRequest(http.MethodDelete, "/taxii2/phalanx/collections/all/objects/"+v.ID+"/", nil)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("Authorization", "Bearer admin")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("DELETE of another member's object: %d %s", rec.Code, rec.Body)
	}
}
