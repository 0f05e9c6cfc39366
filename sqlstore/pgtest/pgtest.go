// Package pgtest gives tests a PostgreSQL schema of their own, so that
// concurrent test runs against one server cannot see each other's rows. It
// is for tests only: it reads HOOKLINE_TEST_POSTGRES_URL and skips the test
// when that is unset.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	// The pgx driver registers itself as "pgx" for database/sql.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// EnvURL names the variable holding the server's URL, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvURL = "HOOKLINE_TEST_POSTGRES_URL"

// Available reports whether the PostgreSQL tests run.
func Available() bool { return os.Getenv(EnvURL) != "" }

// URL creates a fresh schema named hl_test_<random> and returns the
// server's URL with search_path set to it, so that everything a store
// opened on it creates lands in that schema. The schema is dropped when tb
// and its subtests end. Without EnvURL the test is skipped.
func URL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		tb.Skipf("%s is not set; skipping the PostgreSQL test", EnvURL)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	defer admin.Close()
	suffix := make([]byte, 8)
	_, _ = rand.Read(suffix)
	schema := "hl_test_" + hex.EncodeToString(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The name is made of hex digits only, so it needs no quoting.
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema %s on %s: %v", schema, u.Redacted(), err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
