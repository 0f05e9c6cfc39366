package sqlstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
)

func openSQLite(t *testing.T) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func TestSQLite(t *testing.T) {
	storetest.Exercise(t, openSQLite)
}

// TestSQLiteConcurrentWrites checks that writers queue for the lock (busy
// timeout, BEGIN IMMEDIATE) rather than failing with "database is locked".
func TestSQLiteConcurrentWrites(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	agency := &hookline.Tenant{Name: "A", Kind: hookline.KindAgency}
	if err := db.CreateTenant(ctx, agency); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			c := &hookline.Tenant{Name: "C" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Kind: hookline.KindCompany, AgencyID: agency.ID}
			if err := db.CreateTenant(ctx, c); err != nil {
				errs <- err
				return
			}
			_, k := hookline.NewAPIKey(c.ID)
			errs <- db.CreateKey(ctx, k)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write: %v", err)
		}
	}
	list, err := db.FindTenants(ctx, hookline.TenantFilter{Scope: hookline.TenantScope(agency)})
	if err != nil || len(list) != 41 {
		t.Fatalf("tenants = %d, %v; want 41", len(list), err)
	}
}

func TestSQLiteReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := db.Migrations(ctx)
	if err != nil || len(applied) == 0 || applied[0].Version != 1 {
		t.Fatalf("first migration run applied %v, %v", applied, err)
	}
	a := &hookline.Tenant{Name: "Kept", Kind: hookline.KindAgency}
	if err := db.CreateTenant(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if applied, err := db.Migrations(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("second run applied %v, %v", applied, err)
	}
	got, err := db.FindTenant(ctx, hookline.AdminScope(), a.ID)
	if err != nil || got.Name != "Kept" || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("after reopen: %+v, %v; stored %+v", got, err, a)
	}
}
