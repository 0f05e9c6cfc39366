// Package sqlstore implements hookline's services on SQL databases: an
// embedded SQLite file by default. Queries are written once, with `?`
// placeholders, in SQL that SQLite and PostgreSQL both accept; the dialect
// rewrites placeholders and translates driver errors into hookline codes in
// one place each, so no store method deals with either.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is an open, migrated database. It implements hookline.TenantService
// and hookline.KeyService; each resource adds its methods in its own file.
type DB struct {
	db      *sql.DB
	dialect *dialect
	now     func() time.Time
}

// SQLiteFile is the database file's name inside the data directory.
const SQLiteFile = "hookline.db"

// OpenSQLite opens (creating if needed) the SQLite database in dataDir.
// Call Migrate before use. The database runs in WAL mode with
// synchronous=NORMAL, a busy timeout and foreign keys enforced; write
// transactions begin IMMEDIATE so that concurrent writers wait for the lock
// instead of failing half-way.
func OpenSQLite(ctx context.Context, dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dataDir, SQLiteFile))
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{db: sqldb, dialect: sqliteDialect, now: time.Now}
	if err := db.Ping(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database; in-flight queries finish first.
func (db *DB) Close() error { return db.db.Close() }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return db.dialect.translate(fmt.Errorf("ping database: %w", err))
	}
	return nil
}

// timestamp returns the current time as stored: UTC with microsecond
// precision, which every supported database keeps exactly.
func (db *DB) timestamp() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// dialect holds what differs between SQL databases.
type dialect struct {
	name string
	// dollarPlaceholders: the driver wants $1, $2... instead of ?.
	dollarPlaceholders bool
	uniqueViolation    func(error) bool
	foreignKeyFailure  func(error) bool
	busy               func(error) bool
}

var sqliteDialect = &dialect{
	name:              "sqlite",
	uniqueViolation:   sqliteCode(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
	foreignKeyFailure: sqliteCode(sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
	busy:              sqliteCode(sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED),
}

func sqliteCode(codes ...int) func(error) bool {
	return func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		for _, c := range codes {
			// Extended codes match exactly; primary codes match any of
			// their extended codes (the low byte).
			if e.Code() == c || (c <= 0xff && e.Code()&0xff == c) {
				return true
			}
		}
		return false
	}
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

// conn runs queries through the dialect: placeholders rebound, errors
// translated. Every store method goes through one.
type conn struct {
	q querier
	d *dialect
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := c.q.ExecContext(ctx, c.d.rebind(query), args...)
	return res, c.d.translate(err)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := c.q.QueryContext(ctx, c.d.rebind(query), args...)
	return rows, c.d.translate(err)
}

// queryRow scans one row into dest; no row is CodeNotFound.
func (c conn) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	return c.d.translate(c.q.QueryRowContext(ctx, c.d.rebind(query), args...).Scan(dest...))
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

func (db *DB) conn() conn { return conn{q: db.db, d: db.dialect} }

// inTx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return db.dialect.translate(fmt.Errorf("begin transaction: %w", err))
	}
	if err := fn(conn{q: tx, d: db.dialect}); err != nil {
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
