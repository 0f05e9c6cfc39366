package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL error codes (SQLSTATE) that the store translates.
const (
	pgForeignKeyViolation = "23503"
	pgUniqueViolation     = "23505"
	pgSerialization       = "40001"
	pgDeadlock            = "40P01"
	pgLockNotAvailable    = "55P03"
	pgQueryCanceled       = "57014"
	pgTooManyConnections  = "53300"
)

var postgresDialect = &dialect{
	name:               DialectPostgres,
	dollarPlaceholders: true,
	uniqueViolation:    pgCode(pgUniqueViolation),
	foreignKeyFailure:  pgCode(pgForeignKeyViolation),
	busy:               pgCode(pgSerialization, pgDeadlock, pgLockNotAvailable, pgQueryCanceled, pgTooManyConnections),
	// Processes sharing the database lease at the same time: each locks
	// the candidates it takes and skips those another holds. A candidate
	// locked and changed by another lease meanwhile is rechecked against
	// its new row (READ COMMITTED), so it is not leased twice; its key's
	// successors still see it pending or sending and wait.
	lockDue: " FOR UPDATE OF d SKIP LOCKED",
	// The lease must read deliveries_due in (next_attempt_at, id) order
	// and stop at its limit. The planner does so when its statistics are
	// fresh, but a queue grows faster than autovacuum analyzes it: with
	// the statistics of a small table, or with a generic plan of the
	// cached prepared statement (made without the parameters' values), it
	// chose to scan the whole backlog, run the per-key check on every live
	// row and sort, which took seconds per lease with 10,000 queued (seen
	// with three processes draining one schema). So the lease's
	// transaction asks for a custom plan without sorts, sequential or
	// bitmap scans, which leaves the ordered index scan; and without JIT
	// compilation, which the cost of a sort it cannot avoid (each target's
	// share of a few hundred candidates) would otherwise start, at some
	// milliseconds a lease.
	leasePrelude: "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('enable_sort', 'off', true), " +
		"set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('jit', 'off', true)",
	epochHour: func(column string) string {
		return "CAST(FLOOR(EXTRACT(EPOCH FROM " + column + ") / 3600) AS BIGINT)"
	},
	createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL
	)`,
	withLock: pgWithLock,
}

// openPostgres connects to the PostgreSQL database at databaseURL through a
// pgx pool, wrapped as a *sql.DB so that the store keeps one code path for
// both dialects. The pool holds poolSize connections unless the URL's
// pool_max_conns says otherwise; the URL's search_path picks the schema.
// pgx prepares and caches each query's statement per connection
// (QueryExecModeCacheStatement), so the store adds no cache of its own: a
// *sql.Stmt on top would prepare every statement a second time, under
// another name, on each connection.
func openPostgres(ctx context.Context, databaseURL string) (*DB, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, errors.New("database URL: not a valid URL")
	}
	where := u.Redacted()
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's parse errors may quote the URL, password included.
		return nil, fmt.Errorf("database URL %s: cannot be parsed as a PostgreSQL connection URL", where)
	}
	q := u.Query()
	if !q.Has("pool_max_conns") {
		cfg.MaxConns = int32(poolSize())
	}
	if cfg.MaxConns < 2 {
		// WithLock holds one connection while its function runs queries
		// on another.
		return nil, fmt.Errorf("database URL %s: pool_max_conns must be at least 2", where)
	}
	if !q.Has("default_query_exec_mode") {
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	// OpenDBFromPool keeps no idle connections in database/sql, so that
	// other users of the pool are not starved; the store is the pool's only
	// user, and keeping them saves an acquire and a connection wrapper on
	// every query. database/sql then retires them on the pool's schedule.
	n := int(cfg.MaxConns)
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxLifetime(cfg.MaxConnLifetime)
	sqldb.SetConnMaxIdleTime(cfg.MaxConnIdleTime)
	lockCfg := cfg.Copy()
	lockCfg.MaxConns, lockCfg.MinConns = sessionLockConns, 0
	lockPool, err := pgxpool.NewWithConfig(ctx, lockCfg)
	if err != nil {
		sqldb.Close()
		pool.Close()
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	db := &DB{
		db:          sqldb,
		dialect:     postgresDialect,
		now:         time.Now,
		closeDriver: func() { lockPool.Close(); pool.Close() },
		sessionLock: pgSessionLocker(lockPool),
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	return db, nil
}

func pgCode(codes ...string) func(error) bool {
	return func(err error) bool {
		var e *pgconn.PgError
		if !errors.As(err, &e) {
			return false
		}
		for _, c := range codes {
			if e.Code == c {
				return true
			}
		}
		return false
	}
}

// pgWithLock holds a transaction-scoped advisory lock in a transaction of
// its own while fn runs. The lock's key is a hash of the schema and the
// name, so that stores in different schemas of one database do not wait
// for each other. Ending the transaction, or losing its connection,
// releases the lock; nothing can leave it held.
func pgWithLock(ctx context.Context, db *DB, name string, fn func(ctx context.Context) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return db.dialect.translate(fmt.Errorf("lock %s: %w", name, err))
	}
	// The transaction only holds the lock; it changes nothing.
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(COALESCE(current_schema(), '') || '/' || $1, 0))", name); err != nil {
		return db.dialect.translate(fmt.Errorf("lock %s: %w", name, err))
	}
	return fn(ctx)
}
