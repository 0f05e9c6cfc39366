package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore/pgtest"
)

// openTest opens and migrates a SQLite store in a temporary directory.
func openTest(t *testing.T) *DB {
	t.Helper()
	return openMigrated(t, "", t.TempDir())
}

// openPostgresTest opens and migrates a fresh PostgreSQL store, or skips
// the test without one (see pgtest).
func openPostgresTest(t *testing.T) *DB {
	t.Helper()
	return openMigrated(t, pgtest.URL(t), "")
}

// openMigrated opens the store Open would, migrated, closed at the end
// of the test.
func openMigrated(t *testing.T, databaseURL, dataDir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), databaseURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return db
}

// eachDialect runs fn as a subtest on a fresh, migrated store of each
// dialect; PostgreSQL is skipped unless HOOKLINE_TEST_POSTGRES_URL is set.
func eachDialect(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Run(DialectSQLite, func(t *testing.T) { fn(t, openTest(t)) })
	t.Run(DialectPostgres, func(t *testing.T) { fn(t, openPostgresTest(t)) })
}

func TestSQLitePragmas(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, p := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "1"}, // NORMAL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"wal_autocheckpoint", "0"}, // the checkpointer's job
		{"journal_size_limit", "67108864"},
		{"temp_store", "2"}, // MEMORY
	} {
		var got string
		if err := db.db.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(got, p.want) {
			t.Errorf("PRAGMA %s = %s, want %s", p.pragma, got, p.want)
		}
	}
	var n int
	if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n == 0 {
		t.Fatalf("schema_migrations rows = %d, %v", n, err)
	}
}

// TestMigrationFiles checks that each dialect's migrations count up from 1
// and that PostgreSQL's mirror SQLite's, version by version.
func TestMigrationFiles(t *testing.T) {
	byDialect := map[string][]Migration{}
	for _, d := range []string{DialectSQLite, DialectPostgres} {
		ms, err := migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		next := 1
		for _, m := range ms {
			if m.Version != next {
				t.Errorf("%s migration %d_%s: versions must count up from 1 without gaps", d, m.Version, m.Name)
			}
			next = m.Version + 1
		}
		byDialect[d] = ms
	}
	lite, pg := byDialect[DialectSQLite], byDialect[DialectPostgres]
	if len(lite) != len(pg) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones: each change needs a file for both", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Name != pg[i].Name {
			t.Errorf("migration %d is %q on SQLite, %q on PostgreSQL", lite[i].Version, lite[i].Name, pg[i].Name)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, err := db.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', CURRENT_TIMESTAMP)"); err != nil {
			t.Fatal(err)
		}
		err := db.Migrate(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("migrating a newer schema: %v, want a refusal", err)
		}
	})
}

func TestRebind(t *testing.T) {
	d := &dialect{dollarPlaceholders: true}
	if got := d.rebind("SELECT a FROM t WHERE x = ? AND y IN (?, ?)"); got != "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)" {
		t.Fatalf("rebind = %q", got)
	}
	if got := sqliteDialect.rebind("x = ?"); got != "x = ?" {
		t.Fatalf("sqlite rebind = %q", got)
	}
}

// TestCompanyScope applies companyScope to api_keys.tenant_id, the one
// company-owned column this package has so far, so that the condition every
// company-scoped resource uses is checked against real rows.
func TestCompanyScope(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mk := func(name string, kind hookline.TenantKind, agency int64) *hookline.Tenant {
			tn := &hookline.Tenant{Name: name, Kind: kind, AgencyID: agency}
			if err := db.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			return tn
		}
		a := mk("A", hookline.KindAgency, 0)
		a1 := mk("A1", hookline.KindCompany, a.ID)
		a2 := mk("A2", hookline.KindCompany, a.ID)
		b := mk("B", hookline.KindAgency, 0)
		b1 := mk("B1", hookline.KindCompany, b.ID)
		owner := map[int64]int64{}
		for _, tn := range []*hookline.Tenant{a, a1, a2, b, b1} {
			_, k := hookline.NewAPIKey(tn.ID)
			if err := db.CreateKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			owner[k.ID] = tn.ID
		}
		for _, c := range []struct {
			scope hookline.Scope
			want  []int64
		}{
			{hookline.AdminScope(), []int64{a.ID, a1.ID, a2.ID, b.ID, b1.ID}},
			{hookline.TenantScope(a), []int64{a1.ID, a2.ID}},
			{hookline.TenantScope(a1), []int64{a1.ID}},
			{hookline.TenantScope(b), []int64{b1.ID}},
			{hookline.TenantScope(b1), []int64{b1.ID}},
		} {
			cond, args := companyScope(c.scope, "tenant_id")
			rows, err := db.conn().query(ctx, "SELECT id FROM api_keys WHERE "+cond+" ORDER BY id", args...)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, owner[id])
			}
			rows.Close()
			if !slices.Equal(got, c.want) {
				t.Errorf("scope %+v sees companies %v, want %v", c.scope, got, c.want)
			}
		}
	})
}

// TestStatementCache has SQLite queries prepared once and shared by
// concurrent callers, in and out of transactions, and closed with the
// store.
func TestStatementCache(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a := &hookline.Tenant{Name: "A", Kind: hookline.KindAgency}
	if err := db.CreateTenant(ctx, a); err != nil {
		t.Fatal(err)
	}
	query := "SELECT " + tenantColumns + " FROM tenants WHERE id = ? AND 1 = 1"
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			_, err := db.FindTenant(ctx, hookline.AdminScope(), a.ID)
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if db.stmts.lookup(query) == nil {
		t.Fatalf("FindTenant's query was not kept prepared")
	}
	// In a transaction the cached statement is used; a query not cached
	// yet runs unprepared rather than waiting for a second connection to
	// prepare it, and is prepared in the background for the next run.
	if _, err := db.RenameTenant(ctx, hookline.AdminScope(), a.ID, "B"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); db.stmts.lookup("UPDATE tenants SET name = ? WHERE id = ?") == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("a statement first run in a transaction was not prepared for the next run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := db.db.Stats().MaxOpenConnections; got != poolSize() {
		t.Fatalf("SQLite pool holds %d connections, want %d", got, poolSize())
	}
	db.Close()
	if db.stmts.lookup(query) != nil {
		t.Fatalf("statements outlive Close")
	}
}

// TestCloseWaitsForPreparations: statements still being prepared in the
// background when the store closes end before Close returns. One that
// went on after it opened a connection of its own, which created a new,
// empty database file where the data directory had just been removed.
func TestCloseWaitsForPreparations(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 64 {
		db.stmts.prepareLater(fmt.Sprintf("SELECT %d FROM sqlite_master", i))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := db.db.Stats().OpenConnections; n != 0 {
		t.Fatalf("%d connections open after Close", n)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) > 0 {
		t.Fatalf("files written after Close: %v", files)
	}
}

// TestPostgresStatementCache checks that pgx prepares and keeps the
// store's queries on each connection (its statement cache mode), so the
// store needs no cache of its own there.
func TestPostgresStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.URL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.stmts != nil {
		t.Fatal("PostgreSQL statements are cached twice")
	}
	c, err := db.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var one int
	if err := c.QueryRowContext(ctx, "SELECT $1::int", 1).Scan(&one); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("the query is prepared %d times on its connection, want 1", n)
	}
}

// TestPostgresPoolSize sizes the pool like SQLite's unless the URL's
// pool_max_conns says otherwise, and refuses a pool too small for
// WithLock.
func TestPostgresPoolSize(t *testing.T) {
	url := pgtest.URL(t)
	_, err := Open(context.Background(), url+"&pool_max_conns=1", "")
	if err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
		t.Fatalf("pool_max_conns=1: %v, want a refusal", err)
	}
	for _, c := range []struct {
		url  string
		want int
	}{{url, poolSize()}, {url + "&pool_max_conns=3", 3}} {
		db, err := Open(context.Background(), c.url, "")
		if err != nil {
			t.Fatal(err)
		}
		got := db.db.Stats().MaxOpenConnections
		db.Close()
		if got != c.want {
			t.Fatalf("%s: %d connections, want %d", c.url, got, c.want)
		}
	}
}

// TestSQLiteSync checks that HOOKLINE_SQLITE_SYNC's values reach the
// connection's synchronous pragma (1 NORMAL, 2 FULL).
func TestSQLiteSync(t *testing.T) {
	for sync, want := range map[string]int{"": 1, "normal": 1, "full": 2} {
		db, err := OpenWith(context.Background(), "", t.TempDir(), Options{SQLiteSync: sync})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.db.QueryRow("PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != want {
			t.Fatalf("SQLiteSync %q: synchronous = %d, want %d", sync, got, want)
		}
	}
	if _, err := OpenWith(context.Background(), "", t.TempDir(), Options{SQLiteSync: "off"}); err == nil {
		t.Fatal("SQLiteSync off was accepted")
	}
}

// TestKeyedLocksForget: a session lock no one holds or waits for is
// forgotten, so that the map does not grow with every session ever seen.
func TestKeyedLocksForget(t *testing.T) {
	var l keyedLocks
	ctx := context.Background()
	for i := range 100 {
		unlock, ok, err := l.lock(ctx, fmt.Sprint("session-", i), true)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		if _, ok, _ := l.lock(ctx, fmt.Sprint("session-", i), false); ok {
			t.Fatal("a held lock was taken again")
		}
		unlock()
	}
	cctx, cancel := context.WithCancel(ctx)
	unlock, _, _ := l.lock(ctx, "x", true)
	cancel()
	if _, _, err := l.lock(cctx, "x", true); err == nil {
		t.Fatal("a cancelled wait took the lock")
	}
	unlock()
	if n := l.held(); n != 0 {
		t.Fatalf("%d locks remembered after every holder left", n)
	}
}

// TestQueueClaimedByOneProcess: the SQLite queue's leases live in one
// process's memory, so a second DB on the same file cannot claim the queue
// or lease from it until the first is closed.
func TestQueueClaimedByOneProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	second, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := first.ClaimQueue(); err != nil {
		t.Fatal(err)
	}
	err = second.ClaimQueue()
	if err == nil || !strings.Contains(err.Error(), "another hookline process") {
		t.Fatalf("a second claim: %v", err)
	}
	if _, err := NewDeliveryStore(second, nil).LeaseDeliveries(ctx, hookline.LeaseRequest{Token: "t", Limit: 1}); err == nil {
		t.Fatal("a second process leased from a claimed queue")
	}
	first.Close()
	if err := second.ClaimQueue(); err != nil {
		t.Fatalf("claim after the first closed: %v", err)
	}
}

func TestIsWrite(t *testing.T) {
	for q, want := range map[string]bool{
		"INSERT INTO t VALUES (1)":                    true,
		"  update t SET a = 1":                        true,
		"\n\tDELETE FROM t":                           true,
		"REPLACE INTO t VALUES (1)":                   true,
		"WITH x AS (SELECT 1) INSERT INTO t SELECT 1": true,
		"SELECT 1":                             false,
		"WITH x AS (SELECT 1) SELECT * FROM x": false,
		"(SELECT 1)":                           false,
		"":                                     false,
	} {
		if got := isWrite(q); got != want {
			t.Errorf("isWrite(%q) = %v, want %v", q, got, want)
		}
	}
}

// fillerDB opens a SQLite store in a temporary directory, unmigrated,
// with one table of text to fill its log with.
func fillerDB(t *testing.T) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := OpenSQLite(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.db.ExecContext(context.Background(), "CREATE TABLE filler (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	return db, dir
}

// TestCheckpointerCopiesTheLog: with SQLite's automatic checkpoint off,
// what is written reaches the database file by the background checkpoints
// alone, while the process goes on writing.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	db, dir := fillerDB(t)
	ctx := context.Background()
	for range 200 {
		if _, err := db.db.ExecContext(ctx, "INSERT INTO filler VALUES (?)", strings.Repeat("x", 8000)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, SQLiteFile)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= 200*8000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database file holds %d bytes 10 s after 1.6 MB were committed: the log was not checkpointed", st.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCheckpointerRestartsTheLog keeps a read transaction open in the log
// while writes go on, then ends it: the checkpointer's restarts wait for
// that reader only briefly (never the 10 s busy timeout, holding every
// write), and once it has left, the log starts over instead of growing.
func TestCheckpointerRestartsTheLog(t *testing.T) {
	db, _ := fillerDB(t)
	ctx := context.Background()
	write := func(n int, until time.Time) time.Duration {
		var slowest time.Duration
		for i := 0; i < n || time.Now().Before(until); i++ {
			start := time.Now()
			if err := db.inTx(ctx, func(c conn) error {
				_, err := c.exec(ctx, "INSERT INTO filler VALUES (?)", strings.Repeat("x", 8000))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			slowest = max(slowest, time.Since(start))
		}
		return slowest
	}
	write(100, time.Time{})
	// The reader begins right after a write, before the checkpointer
	// copied it: it reads from the log, and holds a restart back.
	reader, err := db.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM filler").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// About three pages a row: past walSettleFrames, then on for several
	// of the checkpointer's ticks, with the reader in.
	if slowest := write(2*walSettleFrames/3, time.Now().Add(time.Second)); slowest > 3*time.Second {
		t.Fatalf("a write took %v while a reader stayed in the log: the restart waited for it", slowest)
	}
	tx.Rollback()
	reader.Close()
	frames := func() int {
		frames, _, err := walCheckpoint(ctx, db.db, "PASSIVE")
		if err != nil {
			t.Fatal(err)
		}
		return frames
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		write(10, time.Time{})
		if f := frames(); f < walSettleFrames {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the log still holds %d pages 10 s after its last reader left: it did not start over", f)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSharedWriteBatches checks which stores commit their writes together:
// on SQLite, with its one writer, the queue's enqueues and outcomes and the
// provider messages share one batcher; on PostgreSQL each store batches on
// its own, with batches of its own running at once.
func TestSharedWriteBatches(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		queue, chats := NewDeliveryStore(db, nil), NewIntegrationStore(db, nil)
		shared := queue.creates == chats.inbound
		if want := db.Dialect() == DialectSQLite; shared != want {
			t.Fatalf("the queue and the chats share a write batcher: %v, want %v", shared, want)
		}
		if again := NewDeliveryStore(db, nil); (again.creates == queue.creates) != shared {
			t.Fatal("two queues on one SQLite database do not share the batcher")
		}
	})
}
