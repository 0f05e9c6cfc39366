// Package sqlstore implements hookline's services on SQL databases: an
// embedded SQLite file by default, PostgreSQL when several processes share
// one database. Queries are written once, with `?` placeholders, in SQL
// that SQLite and PostgreSQL both accept; what differs between them (the
// driver, placeholders, error codes, locks, the migrations) lives in one
// file per dialect, so no store method deals with either.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// DB is an open database. It implements hookline.TenantService and
// hookline.KeyService; each resource adds its methods in its own file.
type DB struct {
	db      *sql.DB
	dialect *dialect
	now     func() time.Time
	// stmts holds the prepared statements of the queries run so far; nil
	// when the driver caches statements itself.
	stmts *stmtCache
	// locks serializes WithLock callers of this process for dialects
	// without a lock of their own.
	locks *localLocks
	// sessionLock takes the locks of bot sessions (see sessionlock.go).
	sessionLock sessionLocker
	// closeDriver releases what the driver holds beyond db (a pool).
	closeDriver func()
	// writes, if not nil, is held by each write transaction of this
	// process (SQLite's): writers wait for one another here instead of in
	// SQLite's busy handler, which sleeps a millisecond or more before
	// each retry and left the queue's leases and completions idle, taking
	// turns, with half the processors unused.
	writes *sync.Mutex
	// leases, if not nil, holds the delivery leases in memory (SQLite's:
	// see leaseBook).
	leases *leaseBook
	// checkpoints, if not nil, checkpoints SQLite's log in the background.
	checkpoints *checkpointer
	// writer, if not nil, is the one connection every write transaction
	// runs on (SQLite's). A connection's page cache is dropped whenever
	// another connection has written since its last transaction: writes
	// spread over the pool each found their cache dropped by the one
	// before and read their pages again from the file.
	writer *sql.Conn
	// batches, if not nil, is the one write batcher of the queue's
	// enqueues and outcomes and of provider messages (SQLite's): with one
	// writer, writes of every kind waiting together commit together, one
	// commit and one copy of the pages they share (the queue's indexes)
	// instead of one per kind.
	batches *writeBatcher[struct{}]
}

// batcher returns the write batcher a store uses: the DB's shared one on
// SQLite, else a batcher of its own with leaders batches at once.
func (db *DB) batcher(leaders int) *writeBatcher[struct{}] {
	if db.batches != nil {
		return db.batches
	}
	return &writeBatcher[struct{}]{db: db, leaders: leaders}
}

// SQLiteFile is the database file's name inside the data directory.
const SQLiteFile = "hookline.db"

// Dialect names.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DialectOf returns the dialect a database URL selects: DialectSQLite for
// "" (the data directory's file) and "sqlite:PATH", DialectPostgres for
// "postgres://..." and "postgresql://...". Its errors never show a
// password the URL may hold.
func DialectOf(databaseURL string) (string, error) {
	switch {
	case databaseURL == "":
		return DialectSQLite, nil
	case strings.HasPrefix(databaseURL, "sqlite:"):
		if strings.TrimSpace(strings.TrimPrefix(databaseURL, "sqlite:")) == "" {
			return "", errors.New("sqlite: needs a file path, such as sqlite:/var/lib/hookline/hookline.db")
		}
		return DialectSQLite, nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		u, err := url.Parse(databaseURL)
		if err != nil {
			// url's errors quote the whole URL, password included.
			return "", errors.New("is not a valid URL; want postgres://user:password@host:5432/database?sslmode=disable")
		}
		if u.Host == "" {
			return "", fmt.Errorf("%s names no host; want postgres://user:password@host:5432/database", u.Redacted())
		}
		return DialectPostgres, nil
	}
	if u, err := url.Parse(databaseURL); err == nil && u.Scheme != "" && u.Opaque == "" {
		return "", fmt.Errorf("unsupported scheme %q: want postgres://..., postgresql://... or sqlite:PATH, or leave it unset for the SQLite file in the data directory", u.Scheme)
	}
	return "", errors.New("is not a database URL: want postgres://..., postgresql://... or sqlite:PATH, or leave it unset for the SQLite file in the data directory")
}

// Options tune how a database is opened; the zero value is the default.
type Options struct {
	// SQLiteSync is SQLite's synchronous setting: "" or "normal" (a
	// committed transaction survives a crash of the process but may be
	// lost in a power cut, since WAL frames reach the disk at checkpoints)
	// or "full" (every commit is fsynced, so it survives a power cut too).
	// PostgreSQL ignores it.
	SQLiteSync string
}

// sqliteSync is the synchronous pragma's value for o.
func (o Options) sqliteSync() (string, error) {
	switch strings.ToLower(o.SQLiteSync) {
	case "", "normal":
		return "NORMAL", nil
	case "full":
		return "FULL", nil
	}
	return "", fmt.Errorf("SQLite synchronous setting %q: want normal or full", o.SQLiteSync)
}

// Open opens the database that databaseURL names (see DialectOf): unset,
// the SQLite file in dataDir, created if needed. Call Migrate before use.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	return OpenWith(ctx, databaseURL, dataDir, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, databaseURL, dataDir string, o Options) (*DB, error) {
	dialect, err := DialectOf(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	switch {
	case dialect == DialectPostgres:
		return openPostgres(ctx, databaseURL)
	case databaseURL == "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		return openSQLiteFile(ctx, filepath.Join(dataDir, SQLiteFile), o)
	}
	path := strings.TrimPrefix(databaseURL, "sqlite:")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the database's directory: %w", err)
	}
	return openSQLiteFile(ctx, path, o)
}

// OpenSQLite opens (creating if needed) the SQLite database in dataDir.
// Call Migrate before use.
func OpenSQLite(ctx context.Context, dataDir string) (*DB, error) {
	return OpenWith(ctx, "", dataDir, Options{})
}

// Dialect names the database behind db: DialectSQLite or DialectPostgres.
func (db *DB) Dialect() string { return db.dialect.name }

// Close closes the database; in-flight queries finish first.
func (db *DB) Close() error {
	if db.checkpoints != nil {
		db.checkpoints.stop()
	}
	if db.writer != nil {
		db.writer.Close()
	}
	if db.leases != nil {
		db.leases.unclaim()
	}
	db.stmts.close()
	err := db.db.Close()
	if db.closeDriver != nil {
		db.closeDriver()
	}
	return err
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return db.dialect.translate(fmt.Errorf("ping database: %w", err))
	}
	return nil
}

// WithLock runs fn while holding the lock called name, which no other
// holder of the same name, in this process or (on PostgreSQL) in any
// process using the same schema, holds at the same time. It is for work
// that must happen once however many processes start together, such as
// migrating or minting the first admin key. fn runs its queries through db
// as usual; the lock is not reentrant.
//
// On PostgreSQL the lock is a transaction-scoped advisory lock, released
// when fn returns or the connection holding it dies. SQLite has no lock
// that can span fn's own transactions, so there the lock serializes the
// callers of this process only: a data directory is served by one process,
// and writes that must not happen twice recheck under SQLite's write lock,
// as Migrate does.
func (db *DB) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	return db.dialect.withLock(ctx, db, name, fn)
}

// timestamp returns the current time as stored: UTC with microsecond
// precision, which every supported database keeps exactly.
func (db *DB) timestamp() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// dialect holds what differs between SQL databases. Each is defined in its
// own file: dialect_sqlite.go, dialect_postgres.go.
type dialect struct {
	name string
	// dollarPlaceholders: the driver wants $1, $2... instead of ?.
	dollarPlaceholders bool
	uniqueViolation    func(error) bool
	foreignKeyFailure  func(error) bool
	busy               func(error) bool
	// lockDue ends the delivery lease's candidate query (see leaseQuery).
	lockDue string
	// leasePrelude, if not empty, runs before the lease query in the
	// same transaction (see LeaseDeliveries).
	leasePrelude string
	// epochHour returns an expression of the hours since 1970-01-01 UTC
	// (an integer) of a stored timestamp column, to group rows by hour.
	epochHour func(column string) string
	// createMigrationsTable creates schema_migrations if it is missing.
	createMigrationsTable string
	withLock              func(ctx context.Context, db *DB, name string, fn func(ctx context.Context) error) error
}

// rebind rewrites ? placeholders for drivers that number them. Queries
// never contain a literal question mark, so a plain scan suffices.
func (d *dialect) rebind(query string) string {
	if !d.dollarPlaceholders {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// translate turns driver errors into hookline errors: unique violations
// become CodeConflict, a missing row CodeNotFound, a busy database
// CodeUnavailable. Store methods usually replace the generic message with
// one that names the resource; see notFound and conflict.
func (d *dialect) translate(err error) error {
	switch {
	case err == nil:
		return nil
	case hookline.ErrorCode(err) != hookline.CodeInternal:
		return err
	case errors.Is(err, sql.ErrNoRows):
		return &hookline.Error{Code: hookline.CodeNotFound, Message: "not found", Err: err}
	case d.uniqueViolation(err):
		return &hookline.Error{Code: hookline.CodeConflict, Message: "already exists", Err: err}
	case d.foreignKeyFailure(err):
		return &hookline.Error{Code: hookline.CodeConflict, Message: "refers to a missing record or is still referred to", Err: err}
	case d.busy(err):
		return &hookline.Error{Code: hookline.CodeUnavailable, Message: "the database is busy; retry shortly", Err: err}
	}
	return err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries through the dialect: placeholders rebound, statements
// reused, errors translated. Every store method goes through one.
type conn struct {
	q     querier
	d     *dialect
	stmts *stmtCache
	// tx is the transaction q is, nil outside one.
	tx *sql.Tx
	// alone, outside a transaction on SQLite, runs a statement that writes
	// in a transaction of its own (DB.inTx): so it takes the writer mutex
	// and the writer connection as every write does, rather than waiting
	// in SQLite's busy handler, whose growing sleeps left a writer outside
	// the mutex waiting seconds behind a stream of transactions inside it.
	alone func(ctx context.Context, fn func(c conn) error) error
}

// isWrite reports whether a statement changes the database.
func isWrite(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "REPLAC":
		return true
	}
	u := strings.ToUpper(q)
	return strings.HasPrefix(u, "WITH") && (strings.Contains(u, "INSERT ") || strings.Contains(u, "UPDATE ") || strings.Contains(u, "DELETE "))
}

// stmt returns the prepared statement of the rebound query, bound to the
// transaction when there is one, or nil to run the query unprepared. A
// transaction only uses statements already prepared: preparing a new one
// outside it would wait for a second connection while this one holds the
// write lock, which the other connections may be queuing for. It runs the
// query unprepared and has the statement prepared in the background, for
// the next transaction: statements run only in transactions (the queue's
// completions, say) were otherwise parsed again on every run.
func (c conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.tx != nil {
		if st := c.stmts.lookup(query); st != nil {
			return c.tx.StmtContext(ctx, st)
		}
		c.stmts.prepareLater(query)
		return nil
	}
	return c.stmts.get(ctx, query)
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if c.alone != nil && isWrite(query) {
		var res sql.Result
		err := c.alone(ctx, func(tc conn) error {
			var err error
			res, err = tc.exec(ctx, query, args...)
			return err
		})
		return res, err
	}
	query = c.d.rebind(query)
	var res sql.Result
	var err error
	if st := c.stmt(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = c.q.ExecContext(ctx, query, args...)
	}
	return res, c.d.translate(err)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = c.d.rebind(query)
	var rows *sql.Rows
	var err error
	if st := c.stmt(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = c.q.QueryContext(ctx, query, args...)
	}
	return rows, c.d.translate(err)
}

// row runs a query for one row; its Scan errors are the driver's, for the
// caller to translate.
func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	query = c.d.rebind(query)
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// queryRow scans one row into dest; no row is CodeNotFound.
func (c conn) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	if c.alone != nil && isWrite(query) {
		return c.alone(ctx, func(tc conn) error { return tc.queryRow(ctx, query, args, dest...) })
	}
	return c.d.translate(c.row(ctx, query, args...).Scan(dest...))
}

// queryAll runs a query and scans each of its rows with scan; what names
// the list in errors ("list webhooks: ...").
func queryAll[T any](ctx context.Context, c conn, what, query string, args []any, scan func(func(...any) error) (*T, error)) ([]*T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, c.d.translate(err))
	}
	return out, nil
}

func (db *DB) conn() conn {
	c := conn{q: db.db, d: db.dialect, stmts: db.stmts}
	if db.writer != nil {
		c.alone = db.inTx
	}
	return c
}

// inTx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(c conn) error) error {
	if db.writes != nil {
		db.writes.Lock()
		defer db.writes.Unlock()
	}
	var tx *sql.Tx
	var err error
	if db.writer != nil {
		tx, err = db.writer.BeginTx(ctx, nil)
	} else {
		tx, err = db.db.BeginTx(ctx, nil)
	}
	if err != nil {
		return db.dialect.translate(fmt.Errorf("begin transaction: %w", err))
	}
	if err := fn(conn{q: tx, d: db.dialect, stmts: db.stmts, tx: tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return db.dialect.translate(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// withMessage keeps err's code and cause but replaces its client-facing
// message and field, for errors whose generic wording would not help.
func withMessage(err error, field, format string, args ...any) error {
	code := hookline.ErrorCode(err)
	if code == hookline.CodeInternal {
		return err
	}
	return &hookline.Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Err: err}
}

// isCode reports whether err carries the hookline code.
func isCode(err error, code hookline.Code) bool { return hookline.ErrorCode(err) == code }

// maxStatements bounds the statement cache; the store's distinct query
// texts number a few dozen.
const maxStatements = 256

// poolSize is the number of connections kept open: enough for every
// processor to have a query running and one waiting, so that a burst of
// requests does not open new connections (and, on SQLite, re-run the
// pragmas of each) only to close them again.
func poolSize() int { return 2*runtime.GOMAXPROCS(0) + 2 }
