package sqlstore_test

import (
	"context"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
)

// benchStores opens a fresh, migrated store of each dialect: SQLite, and
// PostgreSQL when HOOKLINE_TEST_POSTGRES_URL is set.
func benchStores(b *testing.B) map[string]*sqlstore.DB {
	ctx := context.Background()
	urls := map[string]string{sqlstore.DialectSQLite: ""}
	if pgtest.Available() {
		urls[sqlstore.DialectPostgres] = pgtest.URL(b)
	}
	stores := map[string]*sqlstore.DB{}
	for name, url := range urls {
		db, err := sqlstore.Open(ctx, url, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, nil); err != nil {
			b.Fatal(err)
		}
		stores[name] = db
	}
	return stores
}

func BenchmarkFindKeyByHash(b *testing.B) {
	for name, db := range benchStores(b) {
		ctx := context.Background()
		c := &hookline.Tenant{Name: "Bench", Kind: hookline.KindCompany}
		if err := db.CreateTenant(ctx, c); err != nil {
			b.Fatal(err)
		}
		secret, k := hookline.NewAPIKey(c.ID)
		if err := db.CreateKey(ctx, k); err != nil {
			b.Fatal(err)
		}
		hash := hookline.HashAPIKey(secret)
		b.Run(name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if _, err := db.FindKeyByHash(ctx, hash); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := db.FindKeyByHash(ctx, hash); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkFindTenant(b *testing.B) {
	for name, db := range benchStores(b) {
		ctx := context.Background()
		a := &hookline.Tenant{Name: "Agency", Kind: hookline.KindAgency}
		if err := db.CreateTenant(ctx, a); err != nil {
			b.Fatal(err)
		}
		c := &hookline.Tenant{Name: "Bench", Kind: hookline.KindCompany, AgencyID: a.ID}
		if err := db.CreateTenant(ctx, c); err != nil {
			b.Fatal(err)
		}
		scope := hookline.TenantScope(a)
		b.Run(name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if _, err := db.FindTenant(ctx, scope, c.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := db.FindTenant(ctx, scope, c.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
