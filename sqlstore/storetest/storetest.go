// Package storetest is the conformance suite of hookline's stores: every
// database sqlstore supports must pass Exercise. Each resource adds its
// checks in its own file and one t.Run line to Exercise.
package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"github.com/hookline/hookline/seal"
	"slices"
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
	t.Run("Paging", func(t *testing.T) { exercisePaging(t, open) })
	t.Run("Migrate", func(t *testing.T) { exerciseMigrate(t, open) })
	t.Run("Deliveries", func(t *testing.T) { exerciseDeliveries(t, open) })
	t.Run("DeliveryLeases", func(t *testing.T) { exerciseDeliveryLeases(t, open) })
	t.Run("DeliveryTargets", func(t *testing.T) { exerciseDeliveryTargets(t, open) })
	t.Run("DeliveryConcurrency", func(t *testing.T) { exerciseDeliveryConcurrency(t, open) })
	t.Run("DeliveryBatchCompletion", func(t *testing.T) { exerciseDeliveryBatchCompletion(t, open) })
	t.Run("DeliveryFullTarget", func(t *testing.T) { exerciseDeliveryFullTarget(t, open) })
	t.Run("DeliveryConcurrentCreates", func(t *testing.T) { exerciseDeliveryConcurrentCreates(t, open) })
	t.Run("QueueStats", func(t *testing.T) { exerciseQueueStats(t, open) })
	t.Run("DeliveryRetention", func(t *testing.T) { exerciseDeliveryRetention(t, open) })
	t.Run("Bots", func(t *testing.T) { exerciseBots(t, open) })
	t.Run("BotScopes", func(t *testing.T) { exerciseBotScopes(t, open) })
	t.Run("BotSessions", func(t *testing.T) { exerciseBotSessions(t, open) })
	t.Run("BotInbox", func(t *testing.T) { exerciseBotInbox(t, open) })
	t.Run("BotSessionLocks", func(t *testing.T) { exerciseBotSessionLocks(t, open) })
	t.Run("BotSessionFill", func(t *testing.T) { exerciseBotSessionFill(t, open) })
	t.Run("BotSessionWritesTogether", func(t *testing.T) { exerciseBotSessionWritesTogether(t, open) })
	t.Run("Apps", func(t *testing.T) { exerciseApps(t, open) })
	t.Run("Channels", func(t *testing.T) { exerciseChannels(t, open) })
	t.Run("HookKeys", func(t *testing.T) { exerciseHookKeys(t, open) })
	t.Run("Integrations", func(t *testing.T) { exerciseIntegrations(t, open) })
	t.Run("Chats", func(t *testing.T) { exerciseChats(t, open) })
	t.Run("ChatsInboundEvent", func(t *testing.T) { exerciseChatsInboundEvent(t, open) })
	t.Run("ChatsInboundTogether", func(t *testing.T) { exerciseChatsInboundTogether(t, open) })
	t.Run("QueueAndChatWritesTogether", func(t *testing.T) { exerciseQueueAndChatWritesTogether(t, open) })
	t.Run("DeliveryHours", func(t *testing.T) { exerciseDeliveryHours(t, open) })
	t.Run("Sessions", func(t *testing.T) { exerciseSessions(t, open) })
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
	applied, err := db.Migrations(context.Background(), nil)
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

// exercisePaging checks After and Limit on every listing: pages follow one
// another by id, with nothing skipped or repeated.
func exercisePaging(t *testing.T, open Open) {
	ctx := context.Background()
	db, ws := webhookStore(t, open)
	f := NewFixture(t, db)
	all := hookline.AdminScope()
	var want []int64
	for i := range 5 {
		w := fullWebhook(f.A1.ID, fmt.Sprintf("Page %d", i))
		if err := ws.CreateWebhook(ctx, all, w); err != nil {
			t.Fatal(err)
		}
		want = append(want, w.ID)
		if _, key := hookline.NewAPIKey(f.A1.ID); db.CreateKey(ctx, key) != nil {
			t.Fatal("create key")
		}
		if err := ws.CreateWebhookTemplate(ctx, all, sampleTemplate(f.A1, fmt.Sprintf("Page %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	collect := func(name string, list func(after int64, limit int) ([]int64, error)) []int64 {
		t.Helper()
		var got []int64
		after := int64(0)
		for range 10 {
			ids, err := list(after, 2)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(ids) > 2 {
				t.Fatalf("%s: a page of limit 2 has %d items", name, len(ids))
			}
			got = append(got, ids...)
			if len(ids) < 2 {
				return got
			}
			after = ids[len(ids)-1]
		}
		t.Fatalf("%s: paging did not end", name)
		return nil
	}
	ids := func(n int, id func(int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	got := collect("webhooks", func(after int64, limit int) ([]int64, error) {
		ws, err := ws.FindWebhooks(ctx, hookline.WebhookFilter{Scope: all, After: after, Limit: limit})
		return ids(len(ws), func(i int) int64 { return ws[i].ID }), err
	})
	if !slices.Equal(got, want) {
		t.Fatalf("webhooks paged: %v, want %v", got, want)
	}
	allTenants, _ := db.FindTenants(ctx, hookline.TenantFilter{Scope: all})
	got = collect("tenants", func(after int64, limit int) ([]int64, error) {
		ts, err := db.FindTenants(ctx, hookline.TenantFilter{Scope: all, After: after, Limit: limit})
		return ids(len(ts), func(i int) int64 { return ts[i].ID }), err
	})
	if !slices.Equal(got, ids(len(allTenants), func(i int) int64 { return allTenants[i].ID })) {
		t.Fatalf("tenants paged: %v", got)
	}
	got = collect("keys", func(after int64, limit int) ([]int64, error) {
		ks, err := db.FindKeys(ctx, hookline.KeyFilter{TenantID: f.A1.ID, After: after, Limit: limit})
		return ids(len(ks), func(i int) int64 { return ks[i].ID }), err
	})
	if len(got) != 5 || !slices.IsSorted(got) {
		t.Fatalf("keys paged: %v", got)
	}
	got = collect("templates", func(after int64, limit int) ([]int64, error) {
		ts, err := ws.FindWebhookTemplates(ctx, hookline.WebhookTemplateFilter{Scope: all, After: after, Limit: limit})
		return ids(len(ts), func(i int) int64 { return ts[i].ID }), err
	})
	if len(got) != 5 || !slices.IsSorted(got) {
		t.Fatalf("templates paged: %v", got)
	}
}

// SQLite returns a new, empty, migrated SQLite store in a temporary
// directory, closed when the test ends: the store the tests of the
// services and edges run on.
func SQLite(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	return db
}

// Sealer returns a sealer with a fresh random key, as a first start makes.
func Sealer(tb testing.TB) hookline.SecretSealer {
	tb.Helper()
	key := make([]byte, seal.KeySize)
	_, _ = rand.Read(key)
	s, err := seal.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
