package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// webhookStore opens a store with the webhook services, sealing with a
// fresh random key.
func webhookStore(t *testing.T, open Open) (*sqlstore.DB, *sqlstore.WebhookStore) {
	t.Helper()
	db := open(t)
	sealer := Sealer(t)
	return db, sqlstore.NewWebhookStore(db, sealer)
}

// SampleSecret is the bearer token of the webhooks the suite stores; tests
// of a store's files look for it to prove it is sealed.
const SampleSecret = "tok-3f9a1c7e5b2d4086"

// SampleHeaderSecret and SampleParamSecret are the values of the secret
// header and param of the webhooks the suite stores: one secret by its
// name, one marked so; tests of a store's files look for them too.
const (
	SampleHeaderSecret = "hdr-5e2b8d0c4a7f1936"
	SampleParamSecret  = "prm-a61f3c9e0d5b7248"
)

// fullWebhook sets every field of a definition, with lists in an order
// that sorting would change.
func fullWebhook(companyID int64, name string) *hookline.Webhook {
	return &hookline.Webhook{CompanyID: companyID, WebhookDefinition: hookline.WebhookDefinition{
		Name:         name,
		Method:       "POST",
		URL:          "https://{{subdomain}}.example.com/api/tickets/{{ticket}}",
		ResponseType: hookline.ResponseXML,
		Execution:    hookline.ExecutionAsync,
		TimeoutMS:    2500,
		Auth:         hookline.Auth{Type: hookline.AuthBearer, Token: SampleSecret},
		Headers: []hookline.KeyValue{
			{Key: "X-Zeta", Value: "z", Type: hookline.ValueText},
			{Key: "X-Alpha", Value: "certainly.sessionId", Type: hookline.ValueVariable},
			{Key: "X-Zeta", Value: "again", Type: hookline.ValueText},
			{Key: "X-Auth-Token", Value: SampleHeaderSecret, Type: hookline.ValueText},
			{Key: "X-Token-Hint", Value: "not a secret", Type: hookline.ValueText, Secret: new(bool)},
		},
		Params: []hookline.KeyValue{
			{Key: "z", Value: "{{certainly.botId}}", Type: hookline.ValueText},
			{Key: "a", Value: "certainly.moduleId", Type: hookline.ValueVariable},
			{Key: "sig", Value: SampleParamSecret, Type: hookline.ValueText, Secret: ptrTo(true)},
		},
		ContextValues: map[string]string{"subdomain": "acme", "ticket": "{{ certainly.extractedData.ticket_id }}"},
		Body:          "{\n  \"reply\": \"{{certainly.reply}}\", // the user's words\n  \"id\": {{certainly.sessionId}}\n}",
		CustomVariables: []hookline.CustomVariable{
			{Name: "ticket_status", Mapper: "{{ticket.status}}"},
			{Name: "a_priority", Mapper: "{{ticket.priority}}"},
		},
		RetryNonIdempotent: true,
	}}
}

// replaceWith is an UpdateWebhook change that replaces the definition.
func replaceWith(def hookline.WebhookDefinition) func(*hookline.Webhook) (hookline.WebhookDefinition, error) {
	return func(*hookline.Webhook) (hookline.WebhookDefinition, error) { return def, nil }
}

func ptrTo[T any](v T) *T { return &v }

// masked is w as a listing shows it: each secret masked, the auth's and
// the secret headers' and params'.
func masked(w *hookline.Webhook) *hookline.Webhook {
	m := w.Clone()
	m.WebhookDefinition = m.Masked()
	return &m
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exerciseWebhooks(t *testing.T, open Open) {
	ctx := context.Background()
	db, ws := webhookStore(t, open)
	f := NewFixture(t, db)
	all := hookline.AdminScope()

	w := fullWebhook(f.A1.ID, "Ticket lookup")
	if err := ws.CreateWebhook(ctx, all, w); err != nil {
		t.Fatalf("create: %v", err)
	}
	if w.ID == 0 || w.CreatedAt.IsZero() || !w.UpdatedAt.Equal(w.CreatedAt) {
		t.Fatalf("created webhook = %+v: want an ID and timestamps", w)
	}

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := ws.FindWebhook(ctx, all, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if jsonOf(t, got) != jsonOf(t, w) {
			t.Fatalf("found\n%s\nstored\n%s", jsonOf(t, got), jsonOf(t, w))
		}
		if got.Auth.Token != SampleSecret || got.Headers[3].Value != SampleHeaderSecret || got.Params[2].Value != SampleParamSecret {
			t.Fatalf("secrets read back as %q, %q, %q", got.Auth.Token, got.Headers[3].Value, got.Params[2].Value)
		}
		// A listing never unseals: the secrets read as the mask there,
		// and a value marked not secret, whatever its name, as it is.
		list, err := ws.FindWebhooks(ctx, hookline.WebhookFilter{Scope: all})
		if err != nil || len(list) != 1 || jsonOf(t, list[0]) != jsonOf(t, masked(w)) {
			t.Fatalf("list = %v, %v", list, err)
		}
		if l := list[0]; l.Headers[3].Value != hookline.SecretMask || l.Params[2].Value != hookline.SecretMask || l.Headers[4].Value != "not a secret" {
			t.Fatalf("listed items: %+v %+v", l.Headers, l.Params)
		}
		// Every auth type keeps its fields.
		for i, a := range []hookline.Auth{
			{Type: hookline.AuthBasic, Username: "ada", Password: "pa:ss wörd"},
			{Type: hookline.AuthAPIKey, Name: "api_key", Value: "k-123456", In: hookline.APIKeyInQuery},
			{Type: hookline.AuthNone},
		} {
			v := &hookline.Webhook{CompanyID: f.A2.ID, WebhookDefinition: hookline.WebhookDefinition{
				Name: "auth " + string(a.Type), Method: "GET", URL: "https://example.com/", Auth: a}}
			if err := ws.CreateWebhook(ctx, all, v); err != nil {
				t.Fatalf("auth %d: %v", i, err)
			}
			got, err := ws.FindWebhook(ctx, all, v.ID)
			if err != nil || got.Auth != a {
				t.Fatalf("auth %d read back as %+v, %v; want %+v", i, got.Auth, err, a)
			}
			if err := ws.DeleteWebhook(ctx, all, v.ID); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		wantCode(t, ws.CreateWebhook(ctx, all, fullWebhook(9999, "x")), hookline.CodeNotFound, "company_id")
		// An agency owns no webhooks.
		wantCode(t, ws.CreateWebhook(ctx, all, fullWebhook(f.A.ID, "x")), hookline.CodeNotFound, "company_id")
	})

	t.Run("UniqueNames", func(t *testing.T) {
		wantCode(t, ws.CreateWebhook(ctx, all, fullWebhook(f.A1.ID, "Ticket lookup")), hookline.CodeConflict, "name")
		other := fullWebhook(f.A2.ID, "Ticket lookup")
		if err := ws.CreateWebhook(ctx, all, other); err != nil {
			t.Fatalf("the same name in another company: %v", err)
		}
		second := fullWebhook(f.A1.ID, "Second")
		if err := ws.CreateWebhook(ctx, all, second); err != nil {
			t.Fatal(err)
		}
		renamed := second.WebhookDefinition
		renamed.Name = "Ticket lookup"
		_, err := ws.UpdateWebhook(ctx, all, second.ID, replaceWith(renamed))
		wantCode(t, err, hookline.CodeConflict, "name")
	})

	t.Run("Update", func(t *testing.T) {
		upd := fullWebhook(f.B1.ID, "Renamed").WebhookDefinition
		upd.Headers = upd.Headers[:1]
		upd.Body = ""
		var seen *hookline.Webhook
		got, err := ws.UpdateWebhook(ctx, all, w.ID, func(stored *hookline.Webhook) (hookline.WebhookDefinition, error) {
			seen = stored
			return upd, nil
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		// The change sees the stored webhook with its secrets opened.
		if seen.Auth.Token != SampleSecret || seen.ID != w.ID {
			t.Fatalf("update saw %+v", seen)
		}
		if got.CompanyID != f.A1.ID || !got.CreatedAt.Equal(w.CreatedAt) || got.UpdatedAt.Before(w.UpdatedAt) || got.Name != "Renamed" {
			t.Fatalf("updated = %+v", got)
		}
		found, err := ws.FindWebhook(ctx, all, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if jsonOf(t, found) != jsonOf(t, got) || len(found.Headers) != 1 || found.Body != "" {
			t.Fatalf("after update: found\n%s\nreturned\n%s", jsonOf(t, found), jsonOf(t, got))
		}
		// A refused change leaves the webhook as it was.
		refused := hookline.Invalid("name", "no")
		_, err = ws.UpdateWebhook(ctx, all, w.ID, func(*hookline.Webhook) (hookline.WebhookDefinition, error) {
			return hookline.WebhookDefinition{}, refused
		})
		wantCode(t, err, hookline.CodeInvalid, "name")
		if again, _ := ws.FindWebhook(ctx, all, w.ID); jsonOf(t, again) != jsonOf(t, found) {
			t.Fatalf("a refused update changed the webhook: %s", jsonOf(t, again))
		}
		_, err = ws.UpdateWebhook(ctx, all, 9999, replaceWith(upd))
		wantCode(t, err, hookline.CodeNotFound, "")
	})

	t.Run("Delete", func(t *testing.T) {
		// A company that still has webhooks and a template cannot be
		// deleted, and the refusal counts what is left.
		tp := sampleTemplate(f.A1, "Kept")
		if err := ws.CreateWebhookTemplate(ctx, all, tp); err != nil {
			t.Fatal(err)
		}
		err := db.DeleteTenant(ctx, all, f.A1.ID)
		wantCode(t, err, hookline.CodeConflict, "")
		if want := fmt.Sprintf("tenant %d still owns 2 webhooks and 1 template", f.A1.ID); !strings.Contains(hookline.ErrorMessage(err), want) {
			t.Fatalf("refusal %q, want it to say %q", hookline.ErrorMessage(err), want)
		}
		if err := ws.DeleteWebhookTemplate(ctx, all, tp.ID); err != nil {
			t.Fatal(err)
		}
		list, err := ws.FindWebhooks(ctx, hookline.WebhookFilter{Scope: all, CompanyID: f.A1.ID})
		if err != nil || len(list) != 2 {
			t.Fatalf("A1's webhooks = %d, %v", len(list), err)
		}
		if err := ws.DeleteWebhook(ctx, all, list[0].ID); err != nil {
			t.Fatal(err)
		}
		err = db.DeleteTenant(ctx, all, f.A1.ID)
		if want := fmt.Sprintf("tenant %d still owns 1 webhook;", f.A1.ID); !strings.Contains(hookline.ErrorMessage(err), want) {
			t.Fatalf("refusal %q, want it to say %q", hookline.ErrorMessage(err), want)
		}
		if err := ws.DeleteWebhook(ctx, all, list[1].ID); err != nil {
			t.Fatal(err)
		}
		_, err = ws.FindWebhook(ctx, all, w.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
		wantCode(t, ws.DeleteWebhook(ctx, all, w.ID), hookline.CodeNotFound, "")
		if err := db.DeleteTenant(ctx, all, f.A1.ID); err != nil {
			t.Fatalf("delete the company without webhooks: %v", err)
		}
	})
}

// exerciseWebhookScopes checks that each caller finds, lists, changes and
// deletes exactly the webhooks of the companies in its scope.
func exerciseWebhookScopes(t *testing.T, open Open) {
	ctx := context.Background()
	db, ws := webhookStore(t, open)
	f := NewFixture(t, db)
	byCompany := map[int64]*hookline.Webhook{}
	for _, c := range f.Companies() {
		w := fullWebhook(c.ID, "Lookup")
		if err := ws.CreateWebhook(ctx, hookline.AdminScope(), w); err != nil {
			t.Fatal(err)
		}
		byCompany[c.ID] = w
	}
	for _, sc := range f.Scopes() {
		t.Run(sc.Name, func(t *testing.T) {
			list, err := ws.FindWebhooks(ctx, hookline.WebhookFilter{Scope: sc.Scope})
			if err != nil {
				t.Fatal(err)
			}
			// Earlier cases add webhooks: compare the companies listed.
			var got, want []int64
			for _, w := range list {
				got = append(got, w.CompanyID)
			}
			for _, c := range sc.Companies {
				want = append(want, c.ID)
			}
			if got = distinct(got); !slices.Equal(got, want) {
				t.Fatalf("list: companies %v, want %v", got, want)
			}
			for _, c := range f.Companies() {
				w := byCompany[c.ID]
				visible := slices.Contains(sc.Companies, c)
				_, ferr := ws.FindWebhook(ctx, sc.Scope, w.ID)
				_, uerr := ws.UpdateWebhook(ctx, sc.Scope, w.ID, replaceWith(fullWebhook(c.ID, "Lookup").WebhookDefinition))
				cerr := ws.CreateWebhook(ctx, sc.Scope, fullWebhook(c.ID, "New in "+sc.Name))
				filtered, lerr := ws.FindWebhooks(ctx, hookline.WebhookFilter{Scope: sc.Scope, CompanyID: c.ID})
				if lerr != nil {
					t.Fatal(lerr)
				}
				for _, v := range filtered {
					if v.CompanyID != c.ID {
						t.Fatalf("the filter on %s listed a webhook of company %d", c.Name, v.CompanyID)
					}
				}
				if visible {
					if ferr != nil || uerr != nil || cerr != nil || len(filtered) < 2 {
						t.Fatalf("%s in scope: find %v, update %v, create %v, filtered list %d", c.Name, ferr, uerr, cerr, len(filtered))
					}
					continue
				}
				wantCode(t, ferr, hookline.CodeNotFound, "")
				wantCode(t, uerr, hookline.CodeNotFound, "")
				wantCode(t, cerr, hookline.CodeNotFound, "company_id")
				wantCode(t, ws.DeleteWebhook(ctx, sc.Scope, w.ID), hookline.CodeNotFound, "")
				if len(filtered) != 0 {
					t.Fatalf("%s out of scope: the company filter listed %d webhooks", c.Name, len(filtered))
				}
			}
		})
	}
	// Nothing out of scope was deleted; in-scope deletes work.
	for _, c := range f.Companies() {
		if err := ws.DeleteWebhook(ctx, hookline.TenantScope(c), byCompany[c.ID].ID); err != nil {
			t.Fatalf("delete %s's webhook by its own company: %v", c.Name, err)
		}
	}
}

// sampleTemplate is a valid template owned by owner: a bearer token and a
// subdomain as blanks.
func sampleTemplate(owner *hookline.Tenant, name string) *hookline.WebhookTemplate {
	scope := hookline.TemplateCompany
	if owner.Kind == hookline.KindAgency {
		scope = hookline.TemplateAgency
	}
	return &hookline.WebhookTemplate{
		Scope: scope, OwnerID: owner.ID, Name: name, Description: "Looks a ticket up.", Category: "Helpdesk",
		Webhook: hookline.WebhookDefinition{
			Name: "Ticket lookup", Method: "GET", URL: "https://{{subdomain}}.example.com/tickets/{{ticket}}.json",
			Auth:            hookline.Auth{Type: hookline.AuthBearer},
			Headers:         []hookline.KeyValue{{Key: "Accept", Value: "application/json"}},
			ContextValues:   map[string]string{"ticket": "{{ certainly.extractedData.ticket_id }}"},
			CustomVariables: []hookline.CustomVariable{{Name: "ticket_status", Mapper: "{{ticket.status}}"}},
		},
		Blanks: []hookline.TemplateBlank{
			{Name: "subdomain", Label: "Subdomain", Target: "context_values.subdomain", Required: true},
			{Name: "token", Label: "API token", Target: "auth.token", Required: true, Secret: true},
		},
	}
}

func exerciseWebhookTemplates(t *testing.T, open Open) {
	ctx := context.Background()
	db, ws := webhookStore(t, open)
	f := NewFixture(t, db)
	all := hookline.AdminScope()

	byOwner := map[int64]*hookline.WebhookTemplate{}
	for _, owner := range f.Tenants() {
		tp := sampleTemplate(owner, "Tickets")
		if err := ws.CreateWebhookTemplate(ctx, all, tp); err != nil {
			t.Fatalf("create %s's template: %v", owner.Name, err)
		}
		byOwner[owner.ID] = tp
	}

	t.Run("RoundTrip", func(t *testing.T) {
		want := byOwner[f.A.ID]
		got, err := ws.FindWebhookTemplate(ctx, all, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if jsonOf(t, got) != jsonOf(t, want) {
			t.Fatalf("found\n%s\nstored\n%s", jsonOf(t, got), jsonOf(t, want))
		}
		if got.Webhook.Name != "Ticket lookup" || got.Scope != hookline.TemplateAgency {
			t.Fatalf("found %+v", got)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		builtin := sampleTemplate(f.A1, "Built in")
		builtin.Scope = hookline.TemplateBuiltin
		wantCode(t, ws.CreateWebhookTemplate(ctx, all, builtin), hookline.CodeInvalid, "scope")
		// The owner's kind must match the template's scope.
		mismatch := sampleTemplate(f.A1, "Mismatch")
		mismatch.Scope = hookline.TemplateAgency
		wantCode(t, ws.CreateWebhookTemplate(ctx, all, mismatch), hookline.CodeNotFound, "owner_id")
		wantCode(t, ws.CreateWebhookTemplate(ctx, all, sampleTemplate(&hookline.Tenant{ID: 9999, Kind: hookline.KindCompany}, "x")), hookline.CodeNotFound, "owner_id")
		wantCode(t, ws.CreateWebhookTemplate(ctx, all, sampleTemplate(f.A1, "Tickets")), hookline.CodeConflict, "name")
	})

	// What each scope reads: companies their own and their agency's,
	// agencies their own and their companies', the admin everything.
	reads := map[string][]*hookline.Tenant{
		"admin":        f.Tenants(),
		"agency A":     {f.A, f.A1, f.A2},
		"company A1":   {f.A, f.A1},
		"agency B":     {f.B, f.B1},
		"standalone S": {f.S},
	}
	for _, sc := range f.Scopes() {
		t.Run("Scope "+sc.Name, func(t *testing.T) {
			list, err := ws.FindWebhookTemplates(ctx, hookline.WebhookTemplateFilter{Scope: sc.Scope})
			if err != nil {
				t.Fatal(err)
			}
			var got, want []int64
			for _, tp := range list {
				got = append(got, tp.OwnerID)
			}
			for _, owner := range reads[sc.Name] {
				want = append(want, owner.ID)
			}
			if got = distinct(got); !slices.Equal(got, want) {
				t.Fatalf("list: owners %v, want %v", got, want)
			}
			for _, owner := range f.Tenants() {
				tp := byOwner[owner.ID]
				_, err := ws.FindWebhookTemplate(ctx, sc.Scope, tp.ID)
				upd := sampleTemplate(owner, "Tickets")
				upd.ID = tp.ID
				uerr := ws.UpdateWebhookTemplate(ctx, sc.Scope, upd)
				cerr := ws.CreateWebhookTemplate(ctx, sc.Scope, sampleTemplate(owner, "New in "+sc.Name))
				readable := slices.Contains(reads[sc.Name], owner)
				writable := sc.Scope.SeesTenant(owner)
				switch {
				case writable:
					if err != nil || uerr != nil || cerr != nil {
						t.Fatalf("%s's template: find %v, update %v, create %v", owner.Name, err, uerr, cerr)
					}
				case readable:
					// A company uses its agency's templates but cannot change them.
					if err != nil {
						t.Fatalf("%s's template: find %v", owner.Name, err)
					}
					wantCode(t, uerr, hookline.CodeForbidden, "")
					wantCode(t, ws.DeleteWebhookTemplate(ctx, sc.Scope, tp.ID), hookline.CodeForbidden, "")
					wantCode(t, cerr, hookline.CodeNotFound, "owner_id")
				default:
					wantCode(t, err, hookline.CodeNotFound, "")
					wantCode(t, uerr, hookline.CodeNotFound, "")
					wantCode(t, ws.DeleteWebhookTemplate(ctx, sc.Scope, tp.ID), hookline.CodeNotFound, "")
					wantCode(t, cerr, hookline.CodeNotFound, "owner_id")
				}
			}
		})
	}

	t.Run("OwnerFilter", func(t *testing.T) {
		list, err := ws.FindWebhookTemplates(ctx, hookline.WebhookTemplateFilter{Scope: hookline.TenantScope(f.A), OwnerID: f.A1.ID})
		if err != nil || len(list) < 2 { // "Tickets" and those the scope cases made
			t.Fatalf("agency A filtering on A1: %d, %v", len(list), err)
		}
		for _, tp := range list {
			if tp.OwnerID != f.A1.ID {
				t.Fatalf("filter on A1 listed a template of %d", tp.OwnerID)
			}
		}
		list, err = ws.FindWebhookTemplates(ctx, hookline.WebhookTemplateFilter{Scope: hookline.TenantScope(f.B), OwnerID: f.A1.ID})
		if err != nil || len(list) != 0 {
			t.Fatalf("agency B filtering on A1: %d, %v", len(list), err)
		}
	})

	t.Run("DeleteUnlinksWebhooks", func(t *testing.T) {
		tp := byOwner[f.A1.ID]
		id := tp.ID
		w := fullWebhook(f.A1.ID, "From template")
		w.TemplateID = &id
		if err := ws.CreateWebhook(ctx, all, w); err != nil {
			t.Fatal(err)
		}
		if got, _ := ws.FindWebhook(ctx, all, w.ID); got.TemplateID == nil || *got.TemplateID != id {
			t.Fatalf("template link = %v", got.TemplateID)
		}
		// A company that still owns a template cannot be deleted.
		wantCode(t, db.DeleteTenant(ctx, all, f.A2.ID), hookline.CodeConflict, "")
		if err := ws.DeleteWebhookTemplate(ctx, hookline.TenantScope(f.A1), id); err != nil {
			t.Fatal(err)
		}
		_, err := ws.FindWebhookTemplate(ctx, all, id)
		wantCode(t, err, hookline.CodeNotFound, "")
		got, err := ws.FindWebhook(ctx, all, w.ID)
		if err != nil || got.TemplateID != nil {
			t.Fatalf("webhook after its template went: %+v, %v", got, err)
		}
	})
}

// distinct returns the sorted distinct values of ids.
func distinct(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
