package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// clock is a test clock that moves one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func openClocked(t *testing.T) (*Store, string, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("CET", 3600))}
	path := filepath.Join(t.TempDir(), "node.db")
	s, err := Open(t.Context(), path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path, c
}

func mustCreate(t *testing.T, s *Store, name string, role Role) (string, Token) {
	t.Helper()
	secret, tok, err := s.CreateToken(t.Context(), name, role)
	if err != nil {
		t.Fatalf("CreateToken(%q, %q): %v", name, role, err)
	}
	return secret, tok
}

func TestLifecycle(t *testing.T) {
	ctx := t.Context()
	s, _, _ := openClocked(t)
	s1, admin := mustCreate(t, s, "ops admin", RoleAdmin)
	s2, siem := mustCreate(t, s, "  siem  ", RoleMachine)
	if want := time.Date(2026, 3, 1, 7, 0, 1, 0, time.UTC); !admin.Created.Equal(want) || admin.Created.Location() != time.UTC {
		t.Errorf("Created = %v, want %v in UTC (from the injected clock)", admin.Created, want)
	}
	if siem.Name != "siem" {
		t.Errorf("name %q not trimmed", siem.Name)
	}
	for secret, want := range map[string]Token{s1: admin, s2: siem} {
		got, err := s.Authenticate(ctx, secret)
		if err != nil || got != want {
			t.Fatalf("Authenticate = %+v, %v; want %+v", got, err, want)
		}
	}
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 2 || list[0] != admin || list[1] != siem {
		t.Fatalf("ListTokens = %+v, %v", list, err)
	}

	if err := s.RevokeToken(ctx, siem.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Authenticate(ctx, s2)
	wantErr(t, err, errs.Unauthenticated, "invalid token")
	if got, err := s.Authenticate(ctx, s1); err != nil || got != admin {
		t.Fatalf("other token broken by revocation: %+v %v", got, err)
	}
	if list, _ := s.ListTokens(ctx); len(list) != 1 || list[0] != admin {
		t.Fatalf("ListTokens after revoke = %+v", list)
	}
	wantErr(t, s.RevokeToken(ctx, siem.ID), errs.NotFound, siem.ID)
	wantErr(t, s.RevokeToken(ctx, "tok_00000000"), errs.NotFound, "tok_00000000")
	wantErr(t, s.RevokeToken(ctx, ""), errs.NotFound, "")
}

func TestSecretsAndIDs(t *testing.T) {
	s, path, _ := openClocked(t)
	idForm := regexp.MustCompile(`^tok_[0-9a-f]{8}$`)
	secrets, ids := map[string]bool{}, map[string]bool{}
	for range 50 {
		secret, tok := mustCreate(t, s, "t", RoleReader)
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
		if !strings.HasPrefix(secret, SecretPrefix) || err != nil || len(raw) != 32 {
			t.Fatalf("secret %q: want %s + base64url of 32 bytes (%v)", secret, SecretPrefix, err)
		}
		if !idForm.MatchString(tok.ID) {
			t.Fatalf("id %q", tok.ID)
		}
		if secrets[secret] || ids[tok.ID] {
			t.Fatalf("repeated secret or id")
		}
		secrets[secret], ids[tok.ID] = true, true
	}
	// The file holds each secret's SHA-256, never the secret.
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(path + "-wal")
	b = append(b, wal...)
	for secret := range secrets {
		sum := sha256.Sum256([]byte(secret))
		if strings.Contains(string(b), strings.TrimPrefix(secret, SecretPrefix)) {
			t.Fatal("a secret is stored in the database file")
		}
		if !strings.Contains(string(b), string(sum[:])) {
			t.Fatal("a secret's hash is not in the database file")
		}
	}
}

func TestAuthenticateRejects(t *testing.T) {
	ctx := t.Context()
	s, _, _ := openClocked(t)
	secret, _ := mustCreate(t, s, "t", RoleAnalyst)
	_, err := s.Authenticate(ctx, "")
	wantErr(t, err, errs.Unauthenticated, "missing token")
	last := secret[len(secret)-1]
	flipped := secret[:len(secret)-1] + string(map[bool]byte{true: 'B', false: 'A'}[last == 'A'])
	for _, bad := range []string{
		flipped, // well-formed, unknown
		SecretPrefix + strings.Repeat("A", len(secret)-len(SecretPrefix)),
		strings.ToUpper(secret), secret[:len(secret)-1], secret + "=", " " + secret,
		"phx_", "tok_abc", "' OR 1=1 --", strings.Repeat("x", 10000),
	} {
		_, err := s.Authenticate(ctx, bad)
		wantErr(t, err, errs.Unauthenticated, "invalid token")
	}
}

func TestCreateTokenInvalid(t *testing.T) {
	s, _, _ := openClocked(t)
	for _, c := range []struct {
		name string
		role Role
		msg  string
	}{
		{"", RoleReader, "name"},
		{" \t ", RoleReader, "name"},
		{strings.Repeat("n", maxName+1), RoleReader, "too long"},
		{"x", Role("root"), `unknown role "root"`},
		{"x", Role(""), "unknown role"},
		{"x", Role("Admin"), "unknown role"},
	} {
		_, _, err := s.CreateToken(t.Context(), c.name, c.role)
		wantErr(t, err, errs.Invalid, c.msg)
	}
	if list, _ := s.ListTokens(t.Context()); len(list) != 0 {
		t.Fatalf("invalid requests created tokens: %+v", list)
	}
}

func TestRoleMatrix(t *testing.T) {
	for _, c := range []struct {
		role                  Role
		read, publish, manage bool
	}{
		{RoleAdmin, true, true, true},
		{RoleAnalyst, true, true, false},
		{RoleMachine, true, true, false},
		{RoleReader, true, false, false},
		{Role(""), false, false, false},
		{Role("ADMIN"), false, false, false},
	} {
		for a, want := range map[Action]bool{ActionRead: c.read, ActionPublish: c.publish, ActionAdmin: c.manage, Action("delete"): false} {
			if got := c.role.Can(a); got != want {
				t.Errorf("%q.Can(%q) = %v, want %v", c.role, a, got, want)
			}
			err := Authorize(Token{Role: c.role}, a)
			if want {
				if err != nil {
					t.Errorf("Authorize(%q, %q) = %v", c.role, a, err)
				}
				continue
			}
			wantErr(t, err, errs.Forbidden, `role "`+string(c.role)+`" may not `+string(a))
		}
	}
	wantErr(t, Authorize(Token{Role: RoleReader}, ActionPublish), errs.Forbidden, `role "reader" may not publish`)
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": RoleAdmin, "Analyst": RoleAnalyst, " machine ": RoleMachine, "READER": RoleReader} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "root", "admins", "read er"} {
		_, err := ParseRole(in)
		wantErr(t, err, errs.Invalid, "unknown role")
	}
}

func TestFileModeAndReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "node.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // a loose file is tightened
		t.Fatal(err)
	}
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok := mustCreate(t, s, "kept", RoleAnalyst)
	gone, revoked := mustCreate(t, s, "revoked", RoleReader)
	if err := s.RevokeToken(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Authenticate(ctx, secret); err != nil || got != tok {
		t.Fatalf("after reopen: %+v %v, want %+v", got, err, tok)
	}
	_, err = s.Authenticate(ctx, gone)
	wantErr(t, err, errs.Unauthenticated, "invalid token")
	if list, _ := s.ListTokens(ctx); len(list) != 1 || list[0] != tok {
		t.Fatalf("ListTokens after reopen = %+v", list)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"", dir, filepath.Join(dir, "missing", "node.db"), filepath.Join(dir, "a?b")} {
		if s, err := Open(context.Background(), p, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if got := errs.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if !strings.Contains(errs.MessageOf(err), msg) {
		t.Fatalf("error message %q does not contain %q", errs.MessageOf(err), msg)
	}
}
