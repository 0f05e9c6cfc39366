package storetest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

func exerciseKeys(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	a := mustCreate(t, db, "A", hookline.KindAgency, 0)
	a1 := mustCreate(t, db, "A1", hookline.KindCompany, a.ID)

	newKey := func(tenantID int64) (string, *hookline.APIKey) {
		t.Helper()
		secret, k := hookline.NewAPIKey(tenantID)
		if err := db.CreateKey(ctx, k); err != nil {
			t.Fatalf("create key for tenant %d: %v", tenantID, err)
		}
		return secret, k
	}

	if n, err := db.CountAdminKeys(ctx); err != nil || n != 0 {
		t.Fatalf("admin keys in a new store = %d, %v", n, err)
	}
	adminSecret, admin := newKey(0)
	secret1, k1 := newKey(a1.ID)
	_, k2 := newKey(a1.ID)
	_, ka := newKey(a.ID)

	if !strings.HasPrefix(adminSecret, k1.Prefix[:3]) || !strings.HasPrefix(secret1, k1.Prefix) {
		t.Fatalf("prefix %q is not the start of secret %q", k1.Prefix, secret1)
	}
	got, err := db.FindKeyByHash(ctx, hookline.HashAPIKey(secret1))
	if err != nil {
		t.Fatalf("find by hash: %v", err)
	}
	if got.ID != k1.ID || got.TenantID != a1.ID || got.Prefix != k1.Prefix || !bytes.Equal(got.Hash, k1.Hash) || !got.CreatedAt.Equal(k1.CreatedAt) {
		t.Fatalf("found %+v, stored %+v", got, k1)
	}
	got, err = db.FindKeyByHash(ctx, hookline.HashAPIKey(adminSecret))
	if err != nil || got.TenantID != 0 || got.ID != admin.ID {
		t.Fatalf("admin key: %+v, %v", got, err)
	}
	_, err = db.FindKeyByHash(ctx, hookline.HashAPIKey("hl_unknown"))
	wantCode(t, err, hookline.CodeNotFound, "")

	if n, err := db.CountAdminKeys(ctx); err != nil || n != 1 {
		t.Fatalf("admin keys = %d, %v; want 1", n, err)
	}
	list, err := db.FindKeys(ctx, hookline.KeyFilter{TenantID: a1.ID})
	if err != nil || len(list) != 2 || list[0].ID != k1.ID || list[1].ID != k2.ID {
		t.Fatalf("keys of A1 = %v, %v; want %d, %d", list, err, k1.ID, k2.ID)
	}
	list, err = db.FindKeys(ctx, hookline.KeyFilter{})
	if err != nil || len(list) != 1 || list[0].ID != admin.ID {
		t.Fatalf("admin keys = %v, %v", list, err)
	}

	// A duplicate hash is a conflict, never a second row.
	dup := *k1
	wantCode(t, db.CreateKey(ctx, &dup), hookline.CodeConflict, "")
	wantCode(t, db.CreateKey(ctx, &hookline.APIKey{TenantID: 9999, Prefix: "hl_x", Hash: hookline.HashAPIKey("x")}), hookline.CodeNotFound, "")

	// Revoking only works through the key's own tenant.
	wantCode(t, db.DeleteKey(ctx, a.ID, k1.ID), hookline.CodeNotFound, "")
	wantCode(t, db.DeleteKey(ctx, 0, k1.ID), hookline.CodeNotFound, "")
	wantCode(t, db.DeleteKey(ctx, a1.ID, ka.ID), hookline.CodeNotFound, "")
	if err := db.DeleteKey(ctx, a1.ID, k1.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	_, err = db.FindKeyByHash(ctx, hookline.HashAPIKey(secret1))
	wantCode(t, err, hookline.CodeNotFound, "")
	wantCode(t, db.DeleteKey(ctx, a1.ID, k1.ID), hookline.CodeNotFound, "")
	if err := db.DeleteKey(ctx, 0, admin.ID); err != nil {
		t.Fatalf("revoke admin key: %v", err)
	}
	if n, _ := db.CountAdminKeys(ctx); n != 0 {
		t.Fatalf("admin keys after revoking = %d", n)
	}
}
