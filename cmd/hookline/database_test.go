package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/sqlstore/pgtest"
)

const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// TestConfigDatabaseURL accepts the database URLs the store knows and
// refuses the rest with an error naming the setting, never the password.
func TestConfigDatabaseURL(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  []string
		want string // empty: accepted
	}{
		{"unset", nil, nil, ""},
		{"sqlite", nil, []string{"HOOKLINE_DATABASE_URL", "sqlite:/tmp/x/hookline.db"}, ""},
		{"postgres", nil, []string{"HOOKLINE_DATABASE_URL", "postgres://u:hunter2secret@db:5432/hl", "HOOKLINE_SECRET_KEY", testSecretKey}, ""},
		{"postgresql flag", []string{"--database-url", "postgresql://db/hl"}, []string{"HOOKLINE_SECRET_KEY", testSecretKey}, ""},
		{"scheme", nil, []string{"HOOKLINE_DATABASE_URL", "mysql://u:hunter2secret@db/hl"}, `HOOKLINE_DATABASE_URL: unsupported scheme "mysql"`},
		{"scheme flag", []string{"--database-url", "hunter2secret"}, nil, `--database-url: is not a database URL`},
		{"empty sqlite", nil, []string{"HOOKLINE_DATABASE_URL", "sqlite:"}, `HOOKLINE_DATABASE_URL: sqlite: needs a file path`},
		{"no host", nil, []string{"HOOKLINE_DATABASE_URL", "postgres://u:hunter2secret@/hl", "HOOKLINE_SECRET_KEY", testSecretKey}, `HOOKLINE_DATABASE_URL: postgres://u:xxxxx@/hl names no host`},
		{"postgres without key", nil, []string{"HOOKLINE_DATABASE_URL", "postgres://u:hunter2secret@db/hl"}, "HOOKLINE_SECRET_KEY must be set when HOOKLINE_DATABASE_URL (--database-url) is a PostgreSQL URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, _, err := loadConfig("serve", c.args, envOf(c.env...), io.Discard)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if cfg.DatabaseURL == "" && (len(c.env) > 0 && c.env[0] == "HOOKLINE_DATABASE_URL" || len(c.args) > 0) {
					t.Fatalf("DatabaseURL not set: %+v", cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %s", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2secret") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// TestSecretKeyRequiredByServeOnly: serve on PostgreSQL fails fast, with
// one line naming the missing setting, before touching the database;
// migrate seals nothing, so it neither needs the key nor lists it.
func TestSecretKeyRequiredByServeOnly(t *testing.T) {
	var stdout, stderr strings.Builder
	code := run(t.Context(), []string{"serve"}, envOf("HOOKLINE_DATABASE_URL", "postgres://127.0.0.1:1/none"), &stdout, &stderr)
	if code != 2 || !strings.HasPrefix(stderr.String(), "hookline serve: HOOKLINE_SECRET_KEY must be set") {
		t.Fatalf("serve: exit %d, stderr %q", code, stderr.String())
	}
	if _, _, err := loadConfig("migrate", nil, envOf("HOOKLINE_DATABASE_URL", "postgres://127.0.0.1:1/none"), io.Discard); err != nil {
		t.Fatalf("migrate asks for the secret key: %v", err)
	}
}

// TestPostgresEndToEnd runs the service on PostgreSQL: three processes'
// worth of Mains start at once on a fresh schema and mint one admin key
// between them; data written through one is there after a restart; and
// `hookline migrate` finds nothing left to do.
func TestPostgresEndToEnd(t *testing.T) {
	url := pgtest.URL(t)
	cfg := Config{DatabaseURL: url, DataDir: t.TempDir(), SecretKey: testSecretKey, LogLevel: slog.LevelWarn}
	const nodes = 3
	mains := make([]*Main, nodes)
	stderrs := make([]*syncBuffer, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		node := cfg
		node.Addr, node.MaxBodyBytes, node.ShutdownTimeout = "127.0.0.1:0", 1<<20, 5*time.Second
		stderrs[i] = &syncBuffer{}
		mains[i] = NewMain(node, io.Discard, stderrs[i])
		wg.Go(func() { errs[i] = mains[i].Open(t.Context()) })
	}
	wg.Wait()
	for i, m := range mains {
		defer m.Close()
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
	}
	var admin string
	printed := 0
	for i := range mains {
		if k := keyPattern.FindString(stderrs[i].String()); k != "" {
			admin = k
			printed++
		}
	}
	if printed != 1 {
		t.Fatalf("%d of %d nodes starting together printed an admin key; want 1", printed, nodes)
	}
	c := client{t, "http://" + mains[0].Addr()}
	company := c.call("POST", "/api/v1/tenants", admin, `{"name": "Shop", "kind": "company"}`, 201)
	cid := int64(company["id"].(float64))
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%d/keys", cid), admin, "", 201)["key"].(string)
	// Another node sees what the first wrote.
	c2 := client{t, "http://" + mains[1].Addr()}
	if got := c2.call("GET", "/api/v1/tenants", key, "", 200)["tenants"].([]any); len(got) != 1 {
		t.Fatalf("the company key sees %v on another node", got)
	}
	for _, m := range mains {
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}

	m, _, stderr := startMain(t, cfg)
	defer m.Close()
	if keyPattern.MatchString(stderr.String()) {
		t.Fatalf("a restart printed a new key: %q", stderr.String())
	}
	c = client{t, "http://" + m.Addr()}
	if got := c.call("GET", "/api/v1/tenants", key, "", 200)["tenants"].([]any); len(got) != 1 {
		t.Fatalf("after restart the company key sees %v", got)
	}

	var stdout, errOut strings.Builder
	env := envOf("HOOKLINE_DATABASE_URL", url, "HOOKLINE_SECRET_KEY", testSecretKey)
	if code := run(t.Context(), []string{"migrate"}, env, &stdout, &errOut); code != 0 || !strings.Contains(stdout.String(), "up to date") {
		t.Fatalf("migrate: exit %d, %q, %q", code, stdout.String(), errOut.String())
	}
}
