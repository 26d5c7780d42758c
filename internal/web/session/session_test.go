package session

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "web.db")
	s, err := Open(ctx, path, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("web.db: %v, mode %v", err, st.Mode())
	}
	id, sess, err := s.Create(ctx, "tok_1", "admin", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 43 || len(sess.CSRF) != 43 || id == sess.CSRF {
		t.Fatalf("id %q csrf %q", id, sess.CSRF)
	}
	got, err := s.Get(ctx, id)
	if err != nil || got.TokenID != "tok_1" || got.Role != "admin" || got.CSRF != sess.CSRF || !got.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, id+"x"); errs.CodeOf(err) != errs.Unauthenticated {
		t.Fatalf("wrong id: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := s.Get(ctx, id); errs.CodeOf(err) != errs.Unauthenticated {
		t.Fatalf("expired session: %v", err)
	}
	id2, _, err := s.Create(ctx, "tok_2", "reader", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, id2); errs.CodeOf(err) != errs.Unauthenticated {
		t.Fatalf("deleted session: %v", err)
	}
	id3, _, _ := s.Create(ctx, "tok_3", "reader", time.Hour)
	if err := s.DeleteForToken(ctx, "tok_3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, id3); errs.CodeOf(err) != errs.Unauthenticated {
		t.Fatalf("session of a revoked token: %v", err)
	}
	if _, _, err := s.Create(ctx, "", "admin", time.Hour); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("empty token id: %v", err)
	}
}
