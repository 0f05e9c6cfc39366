package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// Migrations live in migrations/<dialect>/NNNN_name.sql, and, for changes
// SQL cannot make, in dataMigrations. Each is applied once, in its own
// transaction, in version order, and recorded in schema_migrations.
// Applied migrations must never be edited: add a new one.
//
//go:embed migrations
var migrationFiles embed.FS

// Migration is one schema or data change of a dialect.
type Migration struct {
	Version int
	Name    string
	SQL     string
	// run is a data migration written in Go, run instead of SQL in the
	// migration's transaction: for changes SQL cannot make, such as
	// sealing stored values, which needs the secret key.
	run func(ctx context.Context, c conn, sealer hookline.SecretSealer) error
}

// dataMigrations are the migrations written in Go. They run on every
// dialect, between the SQL files by version; a version is either a file or
// one of these, never both.
var dataMigrations = []Migration{
	{Version: 4, Name: "seal_secret_items", run: sealSecretItems},
}

// migrations returns the dialect's migrations in version order.
func migrations(dialect string) ([]Migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, label, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || label == "" {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_description.sql", dir, name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration %s/%s: version %d already used by %s", dir, name, v, other)
		}
		seen[v] = name
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: label, SQL: string(body)})
	}
	for _, m := range dataMigrations {
		if other, dup := seen[m.Version]; dup {
			return nil, fmt.Errorf("data migration %04d_%s: version %d already used by %s/%s", m.Version, m.Name, m.Version, dir, other)
		}
		seen[m.Version] = m.Name
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Migrate applies the migrations not yet recorded in schema_migrations. It
// refuses a database migrated by a newer hookline, whose schema this binary
// does not know. sealer is the key stored secrets are sealed with: a data
// migration that finds a secret to seal needs it, and fails without it
// (nil) rather than leave the secret in clear.
func (db *DB) Migrate(ctx context.Context, sealer hookline.SecretSealer) error {
	_, err := db.Migrations(ctx, sealer)
	return err
}

// Migrations applies pending migrations, as Migrate does, and returns the
// ones it applied. It runs under WithLock, so that processes starting
// together on one PostgreSQL database migrate it once: the others wait,
// then find nothing left to do.
func (db *DB) Migrations(ctx context.Context, sealer hookline.SecretSealer) ([]Migration, error) {
	ms, err := migrations(db.dialect.name)
	if err != nil {
		return nil, err
	}
	var applied []Migration
	err = db.WithLock(ctx, "migrate", func(ctx context.Context) error {
		applied, err = db.migrate(ctx, ms, sealer)
		return err
	})
	return applied, err
}

// migrate applies those of ms not yet recorded; the caller holds the
// migration lock.
func (db *DB) migrate(ctx context.Context, ms []Migration, sealer hookline.SecretSealer) ([]Migration, error) {
	c := db.conn()
	// The DDL is run verbatim: it has no placeholders and runs once.
	if _, err := c.q.ExecContext(ctx, db.dialect.createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", c.d.translate(err))
	}
	var latest int
	if err := c.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", nil, &latest); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if len(ms) > 0 && latest > ms[len(ms)-1].Version {
		return nil, fmt.Errorf("database schema version %d is newer than this hookline knows (%d); run a newer hookline",
			latest, ms[len(ms)-1].Version)
	}
	var applied []Migration
	for _, m := range ms {
		if m.Version <= latest {
			continue
		}
		done := false
		err := db.inTx(ctx, func(c conn) error {
			// Another process may have applied it since we looked (on
			// SQLite, where the migration lock is the process's own); the
			// write transaction holds SQLite's lock, so this answer is
			// final.
			var n int
			if err := c.queryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", []any{m.Version}, &n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if m.run != nil {
				if err := m.run(ctx, c, sealer); err != nil {
					return err
				}
			} else if _, err := c.q.ExecContext(ctx, m.SQL); err != nil {
				// Migration files are run verbatim: they have no
				// placeholders to rebind, and may mention ? in comments.
				return c.d.translate(err)
			}
			if _, err := c.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, db.timestamp()); err != nil {
				return err
			}
			done = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if done {
			applied = append(applied, m)
		}
	}
	return applied, nil
}
