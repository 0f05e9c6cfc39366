package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/sqlstore/storetest"
)

func newSealer(t *testing.T) hookline.SecretSealer { return storetest.Sealer(t) }

// TestWebhookSecretsSealedAtRest stores a webhook of each auth type, each
// with a secret header and param, closes
// the database and reads every file of the data directory (the database,
// its WAL and shared memory): no secret may appear in them. Read back with
// another key, the secrets do not open.
func TestWebhookSecretsSealedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ws := sqlstore.NewWebhookStore(db, newSealer(t))
	secrets, ids := storeSecretWebhooks(t, db, ws)
	got, err := ws.FindWebhook(ctx, hookline.AdminScope(), ids[0])
	if err != nil || got.Auth.Token != secrets[0] {
		t.Fatalf("read back: %+v, %v", got, err)
	}

	scan := func() {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("data directory: %v, %v", files, err)
		}
		sawUsername := false
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
			sawUsername = sawUsername || bytes.Contains(raw, []byte("agent@example.com"))
		}
		if !sawUsername {
			// The scan must be able to see stored text at all.
			t.Fatalf("no file holds the username either: the scan reads the wrong files")
		}
	}
	// While open, the rows may sit in the WAL; after Close they are in
	// the database file.
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
	other := sqlstore.NewWebhookStore(db, newSealer(t))
	if _, err := other.FindWebhook(ctx, hookline.AdminScope(), ids[0]); hookline.ErrorCode(err) != hookline.CodeInternal {
		t.Fatalf("opening with another key: %v, want an internal error", err)
	}
}

// TestStoredDefinitionCoversDefinition checks the stored form against the
// API's document of a definition: every field of a WebhookDefinition, set
// to a value other than its zero, survives a store and a read.
func TestStoredDefinitionCoversDefinition(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	ws := sqlstore.NewWebhookStore(db, newSealer(t))
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	for _, auth := range []hookline.Auth{
		{Type: hookline.AuthBasic, Username: "u", Password: "p"},
		{Type: hookline.AuthBearer, Token: "t"},
		{Type: hookline.AuthAPIKey, Name: "k", Value: "v", In: "query"},
	} {
		def := hookline.WebhookDefinition{}
		fillNonZero(t, reflect.ValueOf(&def).Elem())
		def.Name = "def " + string(auth.Type)
		def.Auth = auth
		w := &hookline.Webhook{CompanyID: company.ID, WebhookDefinition: def}
		if err := ws.CreateWebhook(ctx, hookline.AdminScope(), w); err != nil {
			t.Fatal(err)
		}
		got, err := ws.FindWebhook(ctx, hookline.AdminScope(), w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.WebhookDefinition, def) {
			t.Fatalf("stored and read back:\n%+v\nwant\n%+v", got.WebhookDefinition, def)
		}
	}
}

// fillNonZero sets every field of v (a struct) to a value other than its
// zero, so that a field a codec forgets shows as a difference.
func fillNonZero(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x" + v.Type().Field(i).Name)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(1000 + i))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 1, 1)
			fillNonZero(t, s.Index(0))
			f.Set(s)
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
			f.Set(m)
		case reflect.Struct:
			fillNonZero(t, f)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
			if f.Elem().Kind() == reflect.Bool {
				f.Elem().SetBool(true)
			}
		default:
			t.Fatalf("fillNonZero: field %s of kind %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// TestWebhookSecretsSealedInPostgres reads every stored definition
// straight from PostgreSQL: no secret may appear in them, while the
// username, which is not secret, does.
func TestWebhookSecretsSealedInPostgres(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := openAt(t, url, "")
	ws := sqlstore.NewWebhookStore(db, newSealer(t))
	secrets, _ := storeSecretWebhooks(t, db, ws)
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var all string
	if err := raw.QueryRowContext(ctx, "SELECT string_agg(definition, ' ') FROM webhooks").Scan(&all); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Fatalf("a stored definition holds the secret %q in clear", s)
		}
	}
	if !strings.Contains(all, "agent@example.com") {
		t.Fatalf("no definition holds the username either: the check reads the wrong rows")
	}
}

// TestOpenedDefinitionsAreCopies: a webhook read twice (the second time
// from the store's cache of opened definitions) comes back equal, and what
// a caller changes in one never reaches the next.
func TestOpenedDefinitionsAreCopies(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	sealer := newSealer(t)
	ws := sqlstore.NewWebhookStore(db, sealer)
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	w := &hookline.Webhook{CompanyID: company.ID, WebhookDefinition: hookline.WebhookDefinition{Name: "w", Method: "GET",
		URL: "https://example.com/", Auth: hookline.Auth{Type: hookline.AuthBearer, Token: "tok"},
		Headers: []hookline.KeyValue{{Key: "X-A", Value: "a"}}, ContextValues: map[string]string{"k": "v"}}}
	if err := ws.CreateWebhook(ctx, hookline.AdminScope(), w); err != nil {
		t.Fatal(err)
	}
	first, err := ws.FindWebhook(ctx, hookline.AdminScope(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	first.Headers[0].Value, first.ContextValues["k"], first.Auth.Token = "changed", "changed", "changed"
	second, err := ws.FindWebhook(ctx, hookline.AdminScope(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if second.Headers[0].Value != "a" || second.ContextValues["k"] != "v" || second.Auth.Token != "tok" || second.Name != "w" {
		t.Fatalf("second read: %+v", second.WebhookDefinition)
	}
	// A change made through another store (another process, say) is read
	// at once: the cache is keyed by what is stored.
	other := sqlstore.NewWebhookStore(db, sealer)
	if _, err := other.UpdateWebhook(ctx, hookline.AdminScope(), w.ID, func(stored *hookline.Webhook) (hookline.WebhookDefinition, error) {
		d := stored.WebhookDefinition
		d.Headers = []hookline.KeyValue{{Key: "X-A", Value: "b"}}
		return d, nil
	}); err != nil {
		t.Fatal(err)
	}
	if third, _ := ws.FindWebhook(ctx, hookline.AdminScope(), w.ID); third.Headers[0].Value != "b" {
		t.Fatalf("after another store's update: %+v", third.Headers)
	}
}

// storeSecretWebhooks stores, for a new company, one webhook of each auth
// type holding secrets in its auth, a Cookie header and an access_token
// param. It returns the secrets, which no database file may hold in
// clear, and the webhooks' ids.
func storeSecretWebhooks(t *testing.T, db *sqlstore.DB, ws *sqlstore.WebhookStore) (secrets []string, ids []int64) {
	t.Helper()
	ctx := context.Background()
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	secrets = []string{"bearer-secret-7c1f0a", "basic-password-93be2d", "api-key-value-5a8e44", "cookie-secret-c3d9e1", "param-secret-08f6b2"}
	for i, auth := range []hookline.Auth{
		{Type: hookline.AuthBearer, Token: secrets[0]},
		{Type: hookline.AuthBasic, Username: "agent@example.com", Password: secrets[1]},
		{Type: hookline.AuthAPIKey, Name: "X-Api-Key", Value: secrets[2]},
	} {
		w := &hookline.Webhook{CompanyID: company.ID, WebhookDefinition: hookline.WebhookDefinition{
			Name: string(auth.Type), Method: "GET", URL: "https://example.com/", Auth: auth,
			Headers: []hookline.KeyValue{{Key: "Cookie", Value: secrets[3], Type: hookline.ValueText}},
			Params:  []hookline.KeyValue{{Key: "access_token", Value: secrets[4], Type: hookline.ValueText}}}}
		if err := ws.CreateWebhook(ctx, hookline.AdminScope(), w); err != nil {
			t.Fatalf("webhook %d: %v", i, err)
		}
		ids = append(ids, w.ID)
	}
	return secrets, ids
}
