package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/integration"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/webhook"
)

// integrationService is the integration service on db, its queue a
// delivery service without a worker: the API's tests read what it queued.
func integrationService(t *testing.T, db *sqlstore.DB, tenants hookline.TenantService, exec *webhook.Executor) *integration.Service {
	t.Helper()
	sealer := storetest.Sealer(t)
	queue := sqlstore.NewDeliveryStore(db, sealer)
	store := sqlstore.NewIntegrationStore(db, sealer)
	return integration.NewService(integration.Config{
		Tenants: tenants, Connections: store, Integrations: store, Campaigns: store, Chats: store,
		Queue: delivery.NewService(sqlstore.NewWebhookStore(db, sealer), queue, exec, nil), Secrets: queue,
		NewSecret: delivery.NewSecret, Exec: exec, PublicURL: "https://hooks.example.com",
	})
}

func TestIntegrationInputErrors(t *testing.T) {
	e := newTestEnv(t, 0)
	company := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	key, _ := e.createKey(testAdminToken, company)
	for _, c := range []struct{ body, field string }{
		{`{"alias": "", "method": "POST", "url": "https://x.example"}`, "alias"},
		{`{"alias": "a", "method": "PATCH", "url": "https://x.example"}`, "method"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example/{{chatId}}"}`, "url"},
		{`{"alias": "a", "method": "POST", "url": "x.example"}`, "url"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "events": ["OPEN"]}`, "events[0]"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "body_fields": [{"key": "a..b", "value": "x"}]}`, "body_fields[0].key"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "body_fields": [{"key": "a", "value": "x"}, {"key": "a.b", "value": "y"}]}`, "body_fields[1].key"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "body_fields": [{"key": "a", "value": "text|upper", "type": "variable"}]}`, "body_fields[0].value"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "auth": {"type": "bearer"}}`, "auth.token"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "auth": {"type": "bearer", "token": "********"}}`, "auth.token"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "headers": [{"key": "Bad Header", "value": "x"}]}`, "headers[0].key"},
		{`{"alias": "a", "method": "POST", "url": "https://x.example", "connections": ["no/slash"]}`, "connections[0]"},
	} {
		r := want(t, e.do("POST", "/api/v1/integrations", key, c.body), http.StatusBadRequest)
		if got := r.apiError(t).Field; got != c.field {
			t.Errorf("%s: field %q, want %q (%s)", c.body, got, c.field, r.raw)
		}
	}
	for _, c := range []struct{ body, field string }{
		{`{"type": "sms", "code": "a"}`, "provider"},
		{`{"type": "fax", "code": "a", "provider": {}}`, "type"},
		{`{"type": "sms", "code": "a b", "provider": {}}`, "code"},
		{`{"type": "sms", "code": "a", "provider": {"account_sid": "AC1", "from": "+1"}}`, "provider.auth_token"},
		{`{"type": "sms", "code": "a", "provider": {"account_sid": "AC1", "auth_token": "t", "from": "+1", "app_secret": "s"}}`, "provider.app_secret"},
		{`{"type": "whatsapp", "code": "a", "provider": {"phone_number_id": "1", "access_token": "t", "app_secret": "s"}}`, "provider.verify_token"},
		{`{"type": "sms", "code": "a", "provider": {"account_sid": "AC1", "auth_token": "t", "from": "+1", "base_url": "ftp://x"}}`, "provider.base_url"},
	} {
		r := want(t, e.do("POST", "/api/v1/connections", key, c.body), http.StatusBadRequest)
		if got := r.apiError(t).Field; got != c.field {
			t.Errorf("%s: field %q, want %q (%s)", c.body, got, c.field, r.raw)
		}
	}
	for _, c := range []struct{ body, field string }{
		{`{"name": "c", "type": "chatbot", "connection": "x"}`, "integration_id"},
		{`{"name": "c", "type": "chatbot", "connection": "x", "integration_id": 1, "bot_id": 2}`, "bot_id"},
		{`{"name": "c", "type": "chatbot", "connection": "x", "bot_id": 2}`, "bot_id"},
		{`{"name": "c", "type": "keyword", "connection": "x", "reply": "r"}`, "keywords"},
		{`{"name": "c", "type": "keyword", "connection": "x", "keywords": ["Hi", "hi "], "reply": "r"}`, "keywords[1]"},
		{`{"name": "c", "type": "keyword", "connection": "x", "keywords": ["hi"], "reply": "r", "integration_id": 1}`, "integration_id"},
		{`{"name": "c", "type": "survey", "connection": "x"}`, "type"},
	} {
		r := want(t, e.do("POST", "/api/v1/campaigns", key, c.body), http.StatusBadRequest)
		if got := r.apiError(t).Field; got != c.field {
			t.Errorf("%s: field %q, want %q (%s)", c.body, got, c.field, r.raw)
		}
	}
}

func TestIntegrationScopeAndPages(t *testing.T) {
	e := newTestEnv(t, 0)
	agency := e.createTenant(testAdminToken, "Agency", hookline.KindAgency, 0)
	company := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, agency)
	other := e.createTenant(testAdminToken, "Other", hookline.KindCompany, 0)
	agencyKey, _ := e.createKey(testAdminToken, agency)
	otherKey, _ := e.createKey(testAdminToken, other)
	body := `{"alias": "CRM %d", "method": "POST", "url": "https://crm.example/events"%s}`
	// An agency key must name the company.
	r := want(t, e.do("POST", "/api/v1/integrations", agencyKey, fmt.Sprintf(body, 0, "")), http.StatusBadRequest)
	if r.apiError(t).Field != "company_id" {
		t.Fatalf("agency without company_id: %s", r.raw)
	}
	var ids []any
	for i := range 3 {
		r := want(t, e.do("POST", "/api/v1/integrations", agencyKey, fmt.Sprintf(body, i, fmt.Sprintf(`, "company_id": %d`, company))), http.StatusCreated)
		ids = append(ids, r.json(t)["id"])
	}
	want(t, e.do("GET", fmt.Sprintf("/api/v1/integrations/%v", ids[0]), otherKey, nil), http.StatusNotFound)
	want(t, e.do("POST", fmt.Sprintf("/api/v1/integrations/%v/start", ids[0]), otherKey, nil), http.StatusNotFound)
	want(t, e.do("GET", fmt.Sprintf("/api/v1/integrations/%v/chats", ids[0]), otherKey, nil), http.StatusNotFound)
	page := want(t, e.do("GET", "/api/v1/integrations?limit=2", agencyKey, nil), http.StatusOK).json(t)
	items := page["integrations"].([]any)
	if len(items) != 2 || page["next_cursor"] == nil || items[0].(map[string]any)["reply_token"] != hookline.SecretMask {
		t.Fatalf("first page %v", page)
	}
	next := want(t, e.do("GET", "/api/v1/integrations?limit=2&cursor="+page["next_cursor"].(string), agencyKey, nil), http.StatusOK).json(t)
	if len(next["integrations"].([]any)) != 1 || next["next_cursor"] != nil {
		t.Fatalf("second page %v", next)
	}
	if got := want(t, e.do("GET", "/api/v1/integrations", otherKey, nil), http.StatusOK).json(t)["integrations"].([]any); len(got) != 0 {
		t.Fatalf("another company sees %v", got)
	}
	// PUT keeps masked secrets and the company.
	created := want(t, e.do("POST", "/api/v1/integrations", agencyKey, fmt.Sprintf(body, 9,
		fmt.Sprintf(`, "company_id": %d, "auth": {"type": "bearer", "token": "crm-secret-token"}`, company))), http.StatusCreated).json(t)
	shown := want(t, e.do("GET", fmt.Sprintf("/api/v1/integrations/%v", created["id"]), agencyKey, nil), http.StatusOK)
	shownBody := strings.Replace(string(shown.raw), `"alias":"CRM 9"`, `"alias":"CRM nine"`, 1)
	put := want(t, e.do("PUT", fmt.Sprintf("/api/v1/integrations/%v", created["id"]), agencyKey, shownBody), http.StatusOK).json(t)
	if put["alias"] != "CRM nine" || put["auth"].(map[string]any)["token"] != hookline.SecretMask {
		t.Fatalf("put %v", put)
	}
	stored, err := sqlstore.NewIntegrationStore(e.db, nil).FindIntegrations(context.Background(), hookline.IntegrationFilter{Scope: hookline.AdminScope()})
	if err != nil || len(stored) != 4 {
		t.Fatalf("stored %d, %v", len(stored), err)
	}
	if strings.Contains(string(shown.raw), "crm-secret-token") {
		t.Fatal("the secret is shown")
	}
}
