package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var sqliteDialect = &dialect{
	name:              DialectSQLite,
	uniqueViolation:   sqliteCode(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
	foreignKeyFailure: sqliteCode(sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
	busy:              sqliteCode(sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED),
	// The lease is one UPDATE, and SQLite runs one writer at a time: the
	// candidates cannot change under it, so it needs no row locks.
	lockDue: "",
	// The driver stores a time as Go prints it ("2006-01-02 15:04:05.999
	// +0000 UTC"), which SQLite's date functions do not read; every stored
	// time is UTC, so its first 19 characters are the date and time they
	// do read.
	epochHour: func(column string) string {
		return "CAST(strftime('%s', substr(" + column + ", 1, 19)) AS INTEGER) / 3600"
	},
	createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL
	)`,
	withLock: func(ctx context.Context, db *DB, name string, fn func(ctx context.Context) error) error {
		unlock, err := db.locks.lock(ctx, name)
		if err != nil {
			return fmt.Errorf("lock %s: %w", name, err)
		}
		defer unlock()
		return fn(ctx)
	},
}

// sqliteBusyTimeout is how long a statement waits for a lock another
// connection or process holds.
const sqliteBusyTimeout = 10 * time.Second

// checkpointInterval is how often the log is copied into the database
// file: at the queue's full rate, some ten megabytes each time.
const checkpointInterval = 100 * time.Millisecond

// openSQLiteFile opens (creating if needed) the SQLite database at path.
// The database runs in WAL mode with synchronous=NORMAL (or FULL, as o
// says), a busy timeout
// and foreign keys enforced; write transactions begin IMMEDIATE so that
// concurrent writers wait for the lock instead of failing half-way.
// Connections are kept open for good, each with its prepared statements,
// because opening one costs its pragmas and every statement's preparation.
func openSQLiteFile(ctx context.Context, path string, o Options) (*DB, error) {
	syncMode, err := o.sqliteSync()
	if err != nil {
		return nil, err
	}
	path, err = filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+syncMode+")")
	q.Add("_pragma", "foreign_keys(1)")
	// The checkpointer below copies the log in the background instead.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	// A log that grew under load keeps its size after it starts over,
	// unless told otherwise.
	q.Add("_pragma", "journal_size_limit(67108864)")
	// A statement that may fail half-way inside a transaction (the queue's
	// completions, say) journals the pages it changes, and SQLite moves
	// that journal into a temporary file past 64 KiB: a file created,
	// written and deleted by the batch, 6% of the process's CPU in the
	// drain. In memory, the journal lives and dies with the statement.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := poolSize()
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(0)
	sqldb.SetConnMaxLifetime(0)
	db := &DB{
		db:      sqldb,
		dialect: sqliteDialect,
		now:     time.Now,
		stmts:   newStmtCache(sqldb, maxStatements),
		locks:   &localLocks{},
		writes:  &sync.Mutex{},
		leases:  newLeaseBook(path),
	}
	db.batches = &writeBatcher[struct{}]{db: db}
	sessions := &keyedLocks{}
	db.sessionLock = sessions.lock
	if err := db.Ping(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if db.writer, err = sqldb.Conn(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.checkpoints = startCheckpointer(sqldb, db.writes, checkpointInterval, path+"-wal")
	return db, nil
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

// localLocks are named locks within one process, each a channel of one
// slot so that waiting for it can be cancelled with the context.
type localLocks struct {
	mu    sync.Mutex
	slots map[string]chan struct{}
}

func (l *localLocks) lock(ctx context.Context, name string) (unlock func(), err error) {
	l.mu.Lock()
	if l.slots == nil {
		l.slots = map[string]chan struct{}{}
	}
	slot, ok := l.slots[name]
	if !ok {
		slot = make(chan struct{}, 1)
		l.slots[name] = slot
	}
	l.mu.Unlock()
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
