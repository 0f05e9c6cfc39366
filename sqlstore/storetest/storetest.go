// Package storetest is the conformance suite of hookline's stores: every
// database sqlstore supports must pass Exercise. Each resource adds its
// checks in its own file and one t.Run line to Exercise.
package storetest

import (
	"context"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// Open returns a new, empty, migrated store, closed when the test ends.
type Open func(t *testing.T) *sqlstore.DB

// Exercise runs the whole suite against the stores open returns.
func Exercise(t *testing.T, open Open) {
	t.Run("Tenants", func(t *testing.T) { exerciseTenants(t, open) })
	t.Run("TenantScopes", func(t *testing.T) { exerciseTenantScopes(t, open) })
	t.Run("Keys", func(t *testing.T) { exerciseKeys(t, open) })
	t.Run("Webhooks", func(t *testing.T) { exerciseWebhooks(t, open) })
	t.Run("WebhookScopes", func(t *testing.T) { exerciseWebhookScopes(t, open) })
	t.Run("WebhookTemplates", func(t *testing.T) { exerciseWebhookTemplates(t, open) })
	t.Run("Migrate", func(t *testing.T) { exerciseMigrate(t, open) })
}

// wantCode fails the test unless err carries code (and field, when given).
func wantCode(t *testing.T, err error, code hookline.Code, field string) {
	t.Helper()
	if got := hookline.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if field != "" {
		if got := hookline.ErrorField(err); got != field {
			t.Fatalf("error field = %q (%v), want %q", got, err, field)
		}
	}
}

func mustCreate(t *testing.T, db *sqlstore.DB, name string, kind hookline.TenantKind, agency int64) *hookline.Tenant {
	t.Helper()
	tn := &hookline.Tenant{Name: name, Kind: kind, AgencyID: agency}
	if err := db.CreateTenant(context.Background(), tn); err != nil {
		t.Fatalf("create %s %q: %v", kind, name, err)
	}
	return tn
}

func exerciseMigrate(t *testing.T, open Open) {
	db := open(t)
	applied, err := db.Migrations(context.Background())
	if err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("migrating a migrated store applied %d migrations again", len(applied))
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
}
