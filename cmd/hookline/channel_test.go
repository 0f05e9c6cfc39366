package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/pgtest"
	"github.com/hookline/hookline/sqlstore/storetest"
)

// TestChannelApprove approves a channel with `hookline channel approve ID`
// on the store serve uses, the data directory's SQLite file and a
// PostgreSQL database, and checks the store then holds it approved.
func TestChannelApprove(t *testing.T) {
	for _, d := range []struct {
		name string
		env  func(t *testing.T) (url, dir string)
	}{
		{"sqlite", func(t *testing.T) (string, string) { return "", t.TempDir() }},
		{"postgres", func(t *testing.T) (string, string) { return pgtest.URL(t), "" }},
	} {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			url, dir := d.env(t)
			db, err := sqlstore.Open(ctx, url, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
			if err := db.CreateTenant(ctx, company); err != nil {
				t.Fatal(err)
			}
			store := sqlstore.NewChannelStore(db, storetest.Sealer(t))
			ch := storetest.SampleChannel(company.ID, 12, "Web")
			if err := store.CreateChannel(ctx, hookline.AdminScope(), ch, nil); err != nil {
				t.Fatal(err)
			}
			env := envOf("HOOKLINE_DATABASE_URL", url, "HOOKLINE_DATA", dir, "HOOKLINE_SECRET_KEY", testSecretKey)

			var stdout, stderr bytes.Buffer
			if code := run(ctx, []string{"channel", "approve", fmt.Sprint(ch.ID)}, env, &stdout, &stderr); code != 0 ||
				!strings.Contains(stdout.String(), fmt.Sprintf(`channel %d "Web" of bot 12 (company %d) approved at `, ch.ID, company.ID)) {
				t.Fatalf("approve: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
			}
			got, err := store.FindChannel(ctx, hookline.AdminScope(), ch.ID)
			if err != nil || !got.Approved || got.ApprovedAt == nil {
				t.Fatalf("after the command: %+v, %v", got, err)
			}

			stdout.Reset()
			stderr.Reset()
			if code := run(ctx, []string{"channel", "approve", "99999"}, env, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "channel 99999 not found") {
				t.Fatalf("unknown id: exit %d, stderr %q", code, stderr.String())
			}
			for _, args := range [][]string{{"channel", "approve"}, {"channel", "approve", "x"}, {"channel", "approve", "1", "2"}, {"channel"}, {"channel", "delete", "1"}} {
				stderr.Reset()
				if code := run(ctx, args, env, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
					t.Fatalf("%v: exit %d, stderr %q; want 2 and a reason", args, code, stderr.String())
				}
			}
		})
	}
}

// TestServeApps: the running service serves the apps, sealing their
// secrets with the data directory's key, and shows a secret only once.
func TestServeApps(t *testing.T) {
	dir := t.TempDir()
	m, logs, _ := startMain(t, Config{DataDir: dir, AdminToken: "admin-token-for-the-apps-test"})
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	const admin = "admin-token-for-the-apps-test"
	company := c.call("POST", "/api/v1/tenants", admin, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), admin, "", 201)["key"].(string)
	app := c.call("POST", "/api/v1/apps", key, `{"name": "Web"}`, 201)
	secret, _ := app["client_secret"].(string)
	if len(secret) < 40 {
		t.Fatalf("created %v", app)
	}
	got := c.call("GET", fmt.Sprintf("/api/v1/apps/%v", app["id"]), key, "", 200)
	if got["client_secret"] != hookline.SecretMask {
		t.Fatalf("got %v", got)
	}
	rotated := c.call("POST", fmt.Sprintf("/api/v1/apps/%v/rotate-secret", app["id"]), key, "", 200)
	if rotated["client_secret"] == secret || rotated["previous_secret_valid_until"] == nil {
		t.Fatalf("rotated %v", rotated)
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatal("a client secret reached the log")
	}
}
