package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func exerciseSessions(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	f := NewFixture(t, db)
	secret, key := hookline.NewAPIKey(f.A1.ID)
	if err := db.CreateKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	newSession := func(keyID int64, keyHash []byte, expires time.Time) (string, *hookline.Session) {
		t.Helper()
		token := hookline.NewSessionToken()
		s := &hookline.Session{TokenHash: hookline.HashSessionToken(token), KeyID: keyID, KeyHash: keyHash, ExpiresAt: expires}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatalf("create session: %v", err)
		}
		return token, s
	}
	later := time.Now().Add(time.Hour)

	token, s := newSession(key.ID, hookline.HashAPIKey(secret), later)
	if s.ID == 0 || s.CreatedAt.IsZero() || s.CreatedAt.Location() != time.UTC {
		t.Fatalf("created session %+v: want an ID and a UTC creation time", s)
	}
	got, err := db.FindSession(ctx, hookline.HashSessionToken(token))
	if err != nil {
		t.Fatalf("find session: %v", err)
	}
	if got.ID != s.ID || got.KeyID != key.ID || !bytes.Equal(got.KeyHash, key.Hash) ||
		!got.ExpiresAt.Equal(later.UTC().Truncate(time.Microsecond)) || got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("found %+v, stored %+v", got, s)
	}
	_, err = db.FindSession(ctx, hookline.HashSessionToken(hookline.NewSessionToken()))
	wantCode(t, err, hookline.CodeNotFound, "")

	t.Run("UniqueToken", func(t *testing.T) {
		dup := &hookline.Session{TokenHash: hookline.HashSessionToken(token), KeyID: key.ID, KeyHash: key.Hash, ExpiresAt: later}
		wantCode(t, db.CreateSession(ctx, dup), hookline.CodeConflict, "")
	})
	t.Run("AdminToken", func(t *testing.T) {
		// The configured admin token has no key row: its sessions name
		// no key.
		adminToken, _ := newSession(0, hookline.HashAPIKey("configured-admin-token"), later)
		got, err := db.FindSession(ctx, hookline.HashSessionToken(adminToken))
		if err != nil || got.KeyID != 0 {
			t.Fatalf("admin token session = %+v, %v", got, err)
		}
	})
	t.Run("RevokedKey", func(t *testing.T) {
		// A session cannot be opened for a key revoked meanwhile.
		_, gone := hookline.NewAPIKey(f.A1.ID)
		if err := db.CreateKey(ctx, gone); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteKey(ctx, f.A1.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		s := &hookline.Session{TokenHash: hookline.HashSessionToken(hookline.NewSessionToken()), KeyID: gone.ID, KeyHash: gone.Hash, ExpiresAt: later}
		wantCode(t, db.CreateSession(ctx, s), hookline.CodeNotFound, "")

		// Revoking a key ends its sessions, and only its.
		_, other := hookline.NewAPIKey(f.A1.ID)
		if err := db.CreateKey(ctx, other); err != nil {
			t.Fatal(err)
		}
		otherToken, _ := newSession(other.ID, other.Hash, later)
		if err := db.DeleteKey(ctx, f.A1.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.FindSession(ctx, hookline.HashSessionToken(otherToken))
		wantCode(t, err, hookline.CodeNotFound, "")
		if _, err := db.FindSession(ctx, hookline.HashSessionToken(token)); err != nil {
			t.Fatalf("another key's session went with the revoked key: %v", err)
		}
	})
	t.Run("DeletedTenant", func(t *testing.T) {
		_, k := hookline.NewAPIKey(f.S.ID)
		if err := db.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		tok, _ := newSession(k.ID, k.Hash, later)
		if err := db.DeleteTenant(ctx, hookline.AdminScope(), f.S.ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.FindSession(ctx, hookline.HashSessionToken(tok))
		wantCode(t, err, hookline.CodeNotFound, "")
	})
	t.Run("Delete", func(t *testing.T) {
		tok, _ := newSession(key.ID, key.Hash, later)
		if err := db.DeleteSession(ctx, hookline.HashSessionToken(tok)); err != nil {
			t.Fatal(err)
		}
		_, err := db.FindSession(ctx, hookline.HashSessionToken(tok))
		wantCode(t, err, hookline.CodeNotFound, "")
		if err := db.DeleteSession(ctx, hookline.HashSessionToken(tok)); err != nil {
			t.Fatalf("deleting a deleted session: %v", err)
		}
	})
	t.Run("Prune", func(t *testing.T) {
		now := time.Now()
		expired, _ := newSession(key.ID, key.Hash, now.Add(-time.Minute))
		n, err := db.PruneSessions(ctx, now)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want the 1 expired session", n, err)
		}
		_, err = db.FindSession(ctx, hookline.HashSessionToken(expired))
		wantCode(t, err, hookline.CodeNotFound, "")
		if _, err := db.FindSession(ctx, hookline.HashSessionToken(token)); err != nil {
			t.Fatalf("pruning took a live session: %v", err)
		}
	})
}
