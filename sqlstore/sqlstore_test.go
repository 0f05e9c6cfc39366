package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/sqlstore/storetest"
)

// database is a kind of database the tests run on: fresh makes a new,
// empty one and returns the URL and data directory that open it.
type database struct {
	name  string
	fresh func(t *testing.T) (url, dataDir string)
}

// databases lists SQLite, always, and PostgreSQL, which is skipped unless
// HOOKLINE_TEST_POSTGRES_URL is set.
func databases() []database {
	return []database{
		{sqlstore.DialectSQLite, func(t *testing.T) (string, string) { return "", t.TempDir() }},
		{sqlstore.DialectPostgres, func(t *testing.T) (string, string) { return pgtest.URL(t), "" }},
	}
}

// eachDatabase runs fn as a subtest on every database.
func eachDatabase(t *testing.T, fn func(t *testing.T, d database)) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) { fn(t, d) })
	}
}

// openAt opens and migrates the database at url (and dataDir), closed when
// the test ends.
func openAt(t *testing.T, url, dataDir string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url, dataDir)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// opener returns a storetest.Open making a fresh database of kind d.
func opener(d database) storetest.Open {
	return func(t *testing.T) *sqlstore.DB {
		t.Helper()
		url, dir := d.fresh(t)
		db := openAt(t, url, dir)
		if db.Dialect() != d.name {
			t.Fatalf("dialect = %q, want %q", db.Dialect(), d.name)
		}
		return db
	}
}

func TestStores(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) { storetest.Exercise(t, opener(d)) })
}

// TestConcurrentWrites checks that writers queue for the lock (on SQLite:
// busy timeout, BEGIN IMMEDIATE) rather than failing with "database is
// locked".
func TestConcurrentWrites(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) {
		db := opener(d)(t)
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
	})
}

func TestReopen(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) {
		url, dir := d.fresh(t)
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, url, dir)
		if err != nil {
			t.Fatal(err)
		}
		applied, err := db.Migrations(ctx, nil)
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
		db, err = sqlstore.Open(ctx, url, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if applied, err := db.Migrations(ctx, nil); err != nil || len(applied) != 0 {
			t.Fatalf("second run applied %v, %v", applied, err)
		}
		got, err := db.FindTenant(ctx, hookline.AdminScope(), a.ID)
		if err != nil || got.Name != "Kept" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Fatalf("after reopen: %+v, %v; stored %+v", got, err, a)
		}
	})
}

// TestSQLiteURL opens the SQLite file a sqlite: URL names, creating its
// directory, rather than the one in the data directory.
func TestSQLiteURL(t *testing.T) {
	dir := t.TempDir()
	db := openAt(t, "sqlite:"+dir+"/sub/store.db", t.TempDir())
	if db.Dialect() != sqlstore.DialectSQLite {
		t.Fatalf("dialect = %q", db.Dialect())
	}
	if err := db.CreateTenant(context.Background(), &hookline.Tenant{Name: "A", Kind: hookline.KindAgency}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	again := openAt(t, "sqlite:"+dir+"/sub/store.db", "")
	list, err := again.FindTenants(context.Background(), hookline.TenantFilter{Scope: hookline.AdminScope()})
	if err != nil || len(list) != 1 {
		t.Fatalf("tenants in the reopened file = %d, %v", len(list), err)
	}
}

// TestPostgresMigrateRace starts several processes' worth of stores on
// one fresh schema at once: each migration is applied exactly once, and
// none of them fails.
func TestPostgresMigrateRace(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	const racers = 4
	var wg sync.WaitGroup
	applied := make([][]sqlstore.Migration, racers)
	errs := make([]error, racers)
	for i := range racers {
		db, err := sqlstore.Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Go(func() { applied[i], errs[i] = db.Migrations(ctx, nil) })
	}
	wg.Wait()
	var versions []int
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		for _, m := range applied[i] {
			versions = append(versions, m.Version)
		}
	}
	slices.Sort(versions)
	if len(versions) == 0 {
		t.Fatal("no racer applied any migration")
	}
	// Each version once, in all (TestMigrationFiles checks that they
	// count up).
	for i, v := range versions {
		if (i == 0 && v != 1) || (i > 0 && v <= versions[i-1]) {
			t.Fatalf("versions applied = %v: want each version exactly once, from 1", versions)
		}
	}
	db := openAt(t, url, "")
	if again, err := db.Migrations(ctx, nil); err != nil || len(again) != 0 {
		t.Fatalf("migrating after the race applied %v, %v", again, err)
	}
}

// TestWithLockAdminKey has several starting processes check for an admin
// key and mint one when there is none, as serve does, all at once: exactly
// one key is minted. On PostgreSQL each racer has a store of its own, as
// separate processes would; SQLite's lock holds within one process, so
// there the racers share one store.
func TestWithLockAdminKey(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) {
		url, dir := d.fresh(t)
		ctx := context.Background()
		const racers = 6
		stores := make([]*sqlstore.DB, racers)
		for i := range stores {
			if i == 0 || d.name == sqlstore.DialectPostgres {
				stores[i] = openAt(t, url, dir)
			} else {
				stores[i] = stores[0]
			}
		}
		var wg sync.WaitGroup
		minted := make([]bool, racers)
		errs := make([]error, racers)
		for i, db := range stores {
			wg.Go(func() {
				errs[i] = db.WithLock(ctx, "admin-key", func(ctx context.Context) error {
					n, err := db.CountAdminKeys(ctx)
					if err != nil || n > 0 {
						return err
					}
					_, k := hookline.NewAPIKey(0)
					minted[i] = true
					return db.CreateKey(ctx, k)
				})
			})
		}
		wg.Wait()
		count := 0
		for i := range racers {
			if errs[i] != nil {
				t.Fatalf("racer %d: %v", i, errs[i])
			}
			if minted[i] {
				count++
			}
		}
		n, err := stores[0].CountAdminKeys(ctx)
		if err != nil || n != 1 || count != 1 {
			t.Fatalf("admin keys stored = %d (%v), minted by %d racers; want exactly 1", n, err, count)
		}
	})
}

// TestWithLockCancelled gives up waiting for a held lock when the context
// ends, and reports that.
func TestWithLockCancelled(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) {
		url, dir := d.fresh(t)
		db := openAt(t, url, dir)
		other := db
		if d.name == sqlstore.DialectPostgres {
			other = openAt(t, url, dir)
		}
		held, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- db.WithLock(context.Background(), "test", func(context.Context) error {
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		ctx, cancel := context.WithCancel(context.Background())
		ran := false
		go cancel()
		err := other.WithLock(ctx, "test", func(context.Context) error { ran = true; return nil })
		close(release)
		if err == nil || ran {
			t.Fatalf("waiting for a held lock with a cancelled context: ran %v, %v", ran, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Released, the lock is free again.
		if err := other.WithLock(context.Background(), "test", func(context.Context) error { return nil }); err != nil {
			t.Fatalf("after release: %v", err)
		}
	})
}

// TestOpenErrors refuses URLs of unknown kinds without showing what they
// hold.
func TestOpenErrors(t *testing.T) {
	for _, url := range []string{"mysql://root:hunter2secret@db/hookline", "hunter2secret", "sqlite:", "postgres://user:hunter2secret@/db"} {
		_, err := sqlstore.Open(context.Background(), url, t.TempDir())
		if err == nil {
			t.Fatalf("%s: opened", url)
		}
		if strings.Contains(err.Error(), "hunter2secret") {
			t.Fatalf("%s: error %q shows the password", url, err)
		}
	}
}

// TestSessionLockAcrossStores: on PostgreSQL a session lock held by one
// store (one process) keeps another store on the same database waiting;
// on SQLite the stores of one process share its locks through the one DB.
func TestSessionLockAcrossStores(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) {
		url, dir := d.fresh(t)
		db := openAt(t, url, dir)
		other := db
		if d.name == sqlstore.DialectPostgres {
			other = openAt(t, url, dir)
		}
		a, b := sqlstore.NewBotStore(db), sqlstore.NewBotStore(other)
		ctx := context.Background()
		key := hookline.BotSessionKey{BotID: 7, ChannelID: 1, From: "u"}
		unlock, err := a.LockBotSession(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := b.TryLockBotSession(ctx, key); ok || err != nil {
			t.Fatalf("the other store took a held lock: %v, %v", ok, err)
		}
		unlock()
		u, ok, err := b.TryLockBotSession(ctx, key)
		if !ok || err != nil {
			t.Fatalf("after release: %v, %v", ok, err)
		}
		u()
	})
}
