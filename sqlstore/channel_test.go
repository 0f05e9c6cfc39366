package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/sqlstore/storetest"
)

// storeChannelSecrets stores an app, rotates its secret, and a channel
// with an access token; it returns every secret it stored.
func storeChannelSecrets(t *testing.T, db *sqlstore.DB, cs *sqlstore.ChannelStore) []string {
	t.Helper()
	ctx := context.Background()
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	app := storetest.SampleApp(company.ID, "Web")
	ch := storetest.SampleChannel(company.ID, 1, "visible-channel-name")
	if err := cs.CreateChannel(ctx, hookline.AdminScope(), ch, app); err != nil {
		t.Fatal(err)
	}
	const rotated = "cs-rotated-5c0e9a7b3d1f"
	if _, err := cs.RotateAppSecret(ctx, hookline.AdminScope(), app.ID, rotated, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	hook, err := cs.FindHookChannel(ctx, 1, ch.ID)
	if err != nil || hook.Secret != rotated || hook.Previous != storetest.SampleClientSecret {
		t.Fatalf("read back: %+v, %v", hook, err)
	}
	return []string{storetest.SampleClientSecret, rotated, storetest.SampleAccessToken}
}

// TestChannelSecretsSealedAtRest: no client secret or access token appears
// in the files of the data directory, while the channel's name does; read
// with another key, the secrets do not open.
func TestChannelSecretsSealedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	secrets := storeChannelSecrets(t, db, sqlstore.NewChannelStore(db, newSealer(t)))
	scan := func() {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("data directory: %v, %v", files, err)
		}
		sawName := false
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if bytes.Contains(raw, []byte(s)) {
					t.Fatalf("%s holds the secret %q in clear", filepath.Base(f), s)
				}
			}
			sawName = sawName || bytes.Contains(raw, []byte("visible-channel-name"))
		}
		if !sawName {
			t.Fatal("no file holds the channel's name either: the scan reads the wrong files")
		}
	}
	scan()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	scan()

	db, err = sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other := sqlstore.NewChannelStore(db, newSealer(t))
	if _, err := other.FindHookChannel(ctx, 1, 0); hookline.ErrorCode(err) != hookline.CodeInternal {
		t.Fatalf("opening with another key: %v, want an internal error", err)
	}
}

// TestChannelSecretsSealedInPostgres reads the apps and channels straight
// from PostgreSQL: no secret appears in them.
func TestChannelSecretsSealedInPostgres(t *testing.T) {
	{
		ctx := context.Background()
		url := pgtest.URL(t)
		db := openAt(t, url, "")
		secrets := storeChannelSecrets(t, db, sqlstore.NewChannelStore(db, newSealer(t)))
		raw, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var all string
		if err := raw.QueryRowContext(ctx, `SELECT (SELECT string_agg(a::text, ' ') FROM apps a) || ' ' || (SELECT string_agg(c::text, ' ') FROM channels c)`).Scan(&all); err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(all, s) {
				t.Fatalf("a stored row holds the secret %q in clear", s)
			}
		}
		if !strings.Contains(all, "visible-channel-name") {
			t.Fatal("no row holds the channel's name either: the check reads the wrong rows")
		}
	}
}
