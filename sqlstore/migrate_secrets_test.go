package sqlstore

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/seal"
	"github.com/hookline/hookline/sqlstore/pgtest"
)

// TestSealSecretItemsMigration stores a webhook and a template in the
// format before migration 0004 (header and param values in clear, no
// secret flags) on each dialect, then migrates: the secret values are
// sealed, the others stay readable, every item gets its flag, and the
// store reads the webhook back as it was. Without the key, or with another
// key than the database's, the migration fails and records nothing.
func TestSealSecretItemsMigration(t *testing.T) {
	t.Run(DialectSQLite, func(t *testing.T) {
		db, err := OpenSQLite(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testSealSecretItemsMigration(t, db)
	})
	t.Run(DialectPostgres, func(t *testing.T) {
		db, err := Open(context.Background(), pgtest.URL(t), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testSealSecretItemsMigration(t, db)
	})
}

func testSealSecretItemsMigration(t *testing.T, db *DB) {
	ctx := context.Background()
	ms, err := migrations(db.dialect.name)
	if err != nil {
		t.Fatal(err)
	}
	var before []Migration
	for _, m := range ms {
		if m.Version < 4 {
			before = append(before, m)
		}
	}
	if _, err := db.migrate(ctx, before, nil); err != nil {
		t.Fatal(err)
	}
	sealer := testSealer(t)
	// The database's key is recorded, as the first start does.
	if err := NewWebhookStore(db, sealer).VerifySealer(ctx); err != nil {
		t.Fatal(err)
	}
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	const oldDefinition = `{"method":"GET","url":"https://example.com/","response_type":"json","execution":"sync","timeout_ms":5000,` +
		`"auth":{"type":"none"},"headers":[{"key":"Authorization","value":"Bearer old-secret-header-41c2","type":"text"},` +
		`{"key":"X-Plain","value":"plain-value-visible","type":"text"},{"key":"X-Session","value":"certainly.sessionId","type":"variable"}],` +
		`"params":[{"key":"api_key","value":"old-secret-param-9e07","type":"text"}],"context_values":{},"body":"","custom_variables":[],"retry_non_idempotent":false}`
	const oldTemplate = `{"name":"T","method":"GET","url":"https://example.com/","response_type":"json","execution":"sync","timeout_ms":5000,` +
		`"auth":{"type":"none"},"headers":[{"key":"Cookie","value":"old-secret-cookie-77ab","type":"text"}],"params":[],"context_values":{},"body":"","custom_variables":[],"retry_non_idempotent":false}`
	now := db.timestamp()
	var id int64
	if err := db.conn().queryRow(ctx, "INSERT INTO webhooks (company_id, name, template_id, definition, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?) RETURNING id",
		[]any{company.ID, "old", oldDefinition, now, now}, &id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.conn().exec(ctx, "INSERT INTO webhook_templates (owner_id, scope, name, description, category, definition, blanks, created_at, updated_at) VALUES (?, 'company', 'T', '', '', ?, '[]', ?, ?)",
		company.ID, oldTemplate, now, now); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"old-secret-header-41c2", "old-secret-param-9e07", "old-secret-cookie-77ab"}

	// Without the key, and with another one, nothing is sealed or recorded.
	for name, s := range map[string]hookline.SecretSealer{"no key": nil, "another key": testSealer(t)} {
		if _, err := db.Migrations(ctx, s); err == nil {
			t.Fatalf("%s: the migration ran", name)
		}
		var n int
		if err := db.conn().queryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = 4", nil, &n); err != nil || n != 0 {
			t.Fatalf("%s: version 4 recorded (%d, %v)", name, n, err)
		}
	}

	applied, err := db.Migrations(ctx, sealer)
	if err != nil || len(applied) == 0 || applied[0].Version != 4 {
		t.Fatalf("migrate: %v %v", applied, err)
	}
	var stored string
	if err := db.conn().queryRow(ctx, "SELECT definition FROM webhooks WHERE id = ?", []any{id}, &stored); err != nil {
		t.Fatal(err)
	}
	var template string
	if err := db.conn().queryRow(ctx, "SELECT definition FROM webhook_templates", nil, &template); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(stored+template, s) {
			t.Fatalf("%q is still in clear after the migration:\n%s\n%s", s, stored, template)
		}
	}
	if !strings.Contains(stored, "plain-value-visible") || !strings.Contains(stored, "certainly.sessionId") {
		t.Fatalf("a value that is not secret was sealed: %s", stored)
	}

	ws := NewWebhookStore(db, sealer)
	w, err := ws.FindWebhook(ctx, hookline.AdminScope(), id)
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	want := []hookline.KeyValue{
		{Key: "Authorization", Value: "Bearer old-secret-header-41c2", Type: hookline.ValueText, Secret: &yes},
		{Key: "X-Plain", Value: "plain-value-visible", Type: hookline.ValueText, Secret: &no},
		{Key: "X-Session", Value: "certainly.sessionId", Type: hookline.ValueVariable, Secret: &no},
	}
	for i, kv := range w.Headers {
		if kv.Key != want[i].Key || kv.Value != want[i].Value || kv.Type != want[i].Type || kv.Secret == nil || *kv.Secret != *want[i].Secret {
			t.Errorf("headers[%d] = %+v, want %+v", i, kv, want[i])
		}
	}
	if p := w.Params[0]; p.Value != "old-secret-param-9e07" || p.Secret == nil || !*p.Secret {
		t.Errorf("params[0] = %+v", p)
	}
	listed, err := ws.FindWebhooks(ctx, hookline.WebhookFilter{Scope: hookline.AdminScope()})
	if err != nil || len(listed) != 1 || listed[0].Headers[0].Value != hookline.SecretMask || listed[0].Headers[1].Value != "plain-value-visible" {
		t.Fatalf("listed: %+v, %v", listed, err)
	}
	if again, err := db.Migrations(ctx, sealer); err != nil || len(again) != 0 {
		t.Fatalf("migrating again: %v %v", again, err)
	}
}

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	key := make([]byte, seal.KeySize)
	_, _ = rand.Read(key)
	s, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
