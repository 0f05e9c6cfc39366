package tenant

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore/storetest"
)

func wantUnauthorized(t *testing.T, what string, err error) {
	t.Helper()
	if hookline.ErrorCode(err) != hookline.CodeUnauthorized {
		t.Fatalf("%s: %v, want unauthorized", what, err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	const adminToken = "configured-admin-token-0123456789"
	svc := NewService(db, db, adminToken)
	// Another node on the same database, with a verified-key cache of its
	// own.
	other := NewService(db, db, adminToken)
	sessions := NewSessions(svc, db, time.Hour)
	otherSessions := NewSessions(other, db, time.Hour)
	admin := &hookline.Caller{}
	name, kind := "Shop", hookline.KindCompany
	shop, err := svc.CreateTenant(ctx, admin, hookline.TenantInput{Name: &name, Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, admin, shop.ID)
	if err != nil {
		t.Fatal(err)
	}

	_, err = sessions.SignIn(ctx, "hl_not-a-key")
	wantUnauthorized(t, "sign in with a wrong key", err)

	s, err := sessions.SignIn(ctx, key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Token, "hls_") || s.Caller.Tenant == nil || s.Caller.Tenant.ID != shop.ID || s.Caller.KeyID != key.ID {
		t.Fatalf("signed in: %+v", s)
	}
	stored, err := db.FindSession(ctx, hookline.HashSessionToken(s.Token))
	if err != nil || stored.KeyID != key.ID {
		t.Fatalf("stored session %+v, %v", stored, err)
	}
	for _, n := range []*Sessions{sessions, otherSessions} {
		c, got, err := n.SessionCaller(ctx, s.Token)
		if err != nil || c.Tenant.ID != shop.ID || c.KeyID != key.ID || got.ID != stored.ID {
			t.Fatalf("session caller: %+v, %+v, %v", c, got, err)
		}
	}
	_, _, err = sessions.SessionCaller(ctx, key.Secret)
	wantUnauthorized(t, "the API key as a session token", err)
	_, _, err = sessions.SessionCaller(ctx, "")
	wantUnauthorized(t, "no token", err)

	t.Run("RevokedKey", func(t *testing.T) {
		k, err := svc.CreateKey(ctx, admin, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		s, err := sessions.SignIn(ctx, k.Secret)
		if err != nil {
			t.Fatal(err)
		}
		// The other node has the key in its cache...
		if _, _, err := otherSessions.SessionCaller(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeKey(ctx, admin, shop.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		// ...yet the session ends on both at once: the store ended it
		// with its key.
		for _, n := range []*Sessions{sessions, otherSessions} {
			_, _, err := n.SessionCaller(ctx, s.Token)
			wantUnauthorized(t, "a revoked key's session", err)
		}
		_, err = sessions.SignIn(ctx, k.Secret)
		wantUnauthorized(t, "sign in with a revoked key", err)
	})
	t.Run("AdminToken", func(t *testing.T) {
		s, err := sessions.SignIn(ctx, adminToken)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := sessions.SessionCaller(ctx, s.Token)
		if err != nil || !c.IsAdmin() {
			t.Fatalf("admin session: %+v, %v", c, err)
		}
		// Started again with another HOOKLINE_ADMIN_TOKEN, the old one's
		// sessions end.
		changed := NewSessions(NewService(db, db, "another-admin-token-0123456789"), db, time.Hour)
		_, _, err = changed.SessionCaller(ctx, s.Token)
		wantUnauthorized(t, "a session of a replaced admin token", err)
		if _, err := db.FindSession(ctx, hookline.HashSessionToken(s.Token)); hookline.ErrorCode(err) != hookline.CodeNotFound {
			t.Fatalf("the ended session is still stored: %v", err)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		s, err := sessions.SignIn(ctx, key.Secret)
		if err != nil {
			t.Fatal(err)
		}
		later := NewSessions(svc, db, time.Hour)
		later.now = func() time.Time { return time.Now().Add(time.Hour) }
		_, _, err = later.SessionCaller(ctx, s.Token)
		wantUnauthorized(t, "an expired session", err)
		if _, err := db.FindSession(ctx, hookline.HashSessionToken(s.Token)); hookline.ErrorCode(err) != hookline.CodeNotFound {
			t.Fatalf("the expired session is still stored: %v", err)
		}
	})
	t.Run("SignOut", func(t *testing.T) {
		s, err := sessions.SignIn(ctx, key.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := otherSessions.SignOut(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		_, _, err = sessions.SessionCaller(ctx, s.Token)
		wantUnauthorized(t, "a signed-out session", err)
		if err := sessions.SignOut(ctx, s.Token); err != nil {
			t.Fatalf("signing out twice: %v", err)
		}
	})
	t.Run("DeletedTenant", func(t *testing.T) {
		name := "Gone"
		gone, err := svc.CreateTenant(ctx, admin, hookline.TenantInput{Name: &name, Kind: &kind})
		if err != nil {
			t.Fatal(err)
		}
		k, err := svc.CreateKey(ctx, admin, gone.ID)
		if err != nil {
			t.Fatal(err)
		}
		s, err := sessions.SignIn(ctx, k.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteTenant(ctx, admin, gone.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = otherSessions.SessionCaller(ctx, s.Token)
		wantUnauthorized(t, "a deleted tenant's session", err)
	})
}
