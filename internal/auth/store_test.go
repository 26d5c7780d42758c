package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	clock := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	s, err := Open(context.Background(), path, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "node.db")
	s := openStore(t, path)
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("token db mode %v, want 0600", st.Mode().Perm())
	}
	secret, tok, err := s.CreateToken(ctx, "siem", RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, SecretPrefix) || !strings.HasPrefix(tok.ID, "tok_") || tok.Created.Hour() != 10 {
		t.Fatalf("token %q %+v", secret, tok)
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Role != RoleReader {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	for _, bad := range []string{"", "phx_wrong", secret + "x", "Bearer " + secret, strings.Repeat("a", 1000)} {
		if _, err := s.Authenticate(ctx, bad); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("authenticate %q: %v", bad, err)
		}
	}
	if _, _, err := s.CreateToken(ctx, "x", Role("root")); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("unknown role: %v", err)
	}
	if _, _, err := s.CreateToken(ctx, " ", RoleAdmin); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("empty name: %v", err)
	}
	// persistence across reopen
	s.Close()
	s = openStore(t, path)
	if _, err := s.Authenticate(ctx, secret); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "siem" {
		t.Fatalf("list %+v %v", list, err)
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, secret); errs.CodeOf(err) != errs.Unauthenticated {
		t.Fatalf("revoked token still works: %v", err)
	}
	if err := s.RevokeToken(ctx, tok.ID); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("revoke twice: %v", err)
	}
}

func TestRoles(t *testing.T) {
	want := map[Role][3]bool{ // read, publish, admin
		RoleAdmin:   {true, true, true},
		RoleAnalyst: {true, true, false},
		RoleMachine: {true, true, false},
		RoleReader:  {true, false, false},
		Role("x"):   {false, false, false},
	}
	for r, w := range want {
		for i, a := range []Action{ActionRead, ActionPublish, ActionAdmin} {
			if got := r.Can(a); got != w[i] {
				t.Errorf("%s can %s = %v, want %v", r, a, got, w[i])
			}
			err := Authorize(Token{Role: r}, a)
			if (err == nil) != w[i] || (err != nil && (errs.CodeOf(err) != errs.Forbidden || !strings.Contains(err.Error(), string(a)))) {
				t.Errorf("Authorize(%s, %s) = %v", r, a, err)
			}
		}
	}
	for _, s := range []string{"admin", " Reader ", "MACHINE"} {
		if _, err := ParseRole(s); err != nil {
			t.Errorf("ParseRole(%q): %v", s, err)
		}
	}
}
