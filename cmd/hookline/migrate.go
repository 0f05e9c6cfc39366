package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hookline/hookline/sqlstore"
)

// runMigrate implements `hookline migrate`: it applies pending migrations
// to the configured database and lists what it applied. serve does
// the same on start; this command lets an operator migrate ahead of time.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, rest, err := loadConfig("migrate", args, getenv, stdout)
	if code, done := configFailure("migrate", err, rest, stderr); done {
		return code
	}
	db, err := sqlstore.OpenWith(ctx, cfg.DatabaseURL, cfg.DataDir, sqlstore.Options{SQLiteSync: cfg.SQLiteSync})
	if err != nil {
		fmt.Fprintf(stderr, "hookline migrate: %v\n", err)
		return 1
	}
	defer db.Close()
	// A migration may seal values stored in clear, with the key serve
	// uses; it is loaded only then.
	applied, err := db.Migrations(ctx, &secretKey{db: db, dataDir: cfg.DataDir, configured: cfg.SecretKey})
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hookline migrate: %v\n", err)
		return 1
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	return 0
}
