package sqlstore_test

import (
	"context"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// TestVerifySealer records the canary with the first key, accepts that key
// again after a reopen, and refuses another key with an error that names
// the setting to fix.
func TestVerifySealer(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) {
		ctx := context.Background()
		url, dir := d.fresh(t)
		open := func() *sqlstore.DB {
			db, err := sqlstore.Open(ctx, url, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			return db
		}
		first := newSealer(t)
		db := open()
		if err := sqlstore.NewWebhookStore(db, first).VerifySealer(ctx); err != nil {
			t.Fatalf("first start: %v", err)
		}
		db.Close()

		db = open()
		defer db.Close()
		if err := sqlstore.NewWebhookStore(db, first).VerifySealer(ctx); err != nil {
			t.Fatalf("same key after reopen: %v", err)
		}
		err := sqlstore.NewWebhookStore(db, newSealer(t)).VerifySealer(ctx)
		if hookline.ErrorCode(err) != hookline.CodeInvalid || hookline.ErrorField(err) != "HOOKLINE_SECRET_KEY" {
			t.Fatalf("another key: %v; want invalid naming HOOKLINE_SECRET_KEY", err)
		}
	})
}
