package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// ticketTemplate is a template from scratch: the receiver's URL under a
// tenant name, a bearer token as a secret blank.
func ticketTemplate(url string) map[string]any {
	return map[string]any{
		"name": "Ticket lookup", "description": "Looks a ticket up.", "category": "Helpdesk",
		"webhook": map[string]any{
			"method": "GET", "url": url + "/{{tenant}}/tickets/{{ticket}}",
			"auth":             map[string]any{"type": "bearer"},
			"context_values":   map[string]any{"ticket": "{{ certainly.extractedData.ticket_id }}"},
			"custom_variables": []any{map[string]any{"name": "ticket_status", "mapper": "{{ticket.status}}"}},
		},
		"blanks": []any{
			map[string]any{"name": "tenant", "label": "Tenant", "target": "context_values.tenant", "required": true},
			map[string]any{"name": "token", "label": "API token", "target": "auth.token", "required": true, "secret": true},
		},
	}
}

func TestWebhookTemplates(t *testing.T) {
	e := newTestEnv(t, 0)
	agency := e.createTenant(testAdminToken, "Agency", hookline.KindAgency, 0)
	agencyKey, _ := e.createKey(testAdminToken, agency)
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, agency)
	key, _ := e.createKey(testAdminToken, cid)
	rc := newTicketReceiver(t)
	var shown [][]byte

	t.Run("Builtin", func(t *testing.T) {
		r := want(t, e.do("GET", "/api/v1/webhook-templates", key, nil), http.StatusOK)
		list := r.json(t)["templates"].([]any)
		if len(list) < 6 {
			t.Fatalf("%d templates, want at least the 6 built-in ones", len(list))
		}
		for _, item := range list {
			tp := item.(map[string]any)
			if tp["id"].(float64) >= 0 || tp["scope"] != "builtin" || tp["key"] == "" || tp["created_at"] != nil {
				t.Fatalf("built-in template shown as %v", tp)
			}
		}
		one := want(t, e.do("GET", "/api/v1/webhook-templates/-1", key, nil), http.StatusOK).json(t)
		if one["key"] != "zendesk-ticket-lookup" || len(one["blanks"].([]any)) == 0 {
			t.Fatalf("template -1 = %v", one)
		}
		for _, p := range []string{"-999", "0", "abc"} {
			want(t, e.do("GET", "/api/v1/webhook-templates/"+p, key, nil), http.StatusNotFound)
		}
		d := want(t, e.do("PUT", "/api/v1/webhook-templates/-1", key, ticketTemplate(rc.URL)), http.StatusForbidden).apiError(t)
		if !strings.Contains(d.Message, "read-only") {
			t.Fatalf("PUT on a built-in: %+v", d)
		}
		want(t, e.do("DELETE", "/api/v1/webhook-templates/-1", key, nil), http.StatusForbidden)
		want(t, e.do("DELETE", "/api/v1/webhook-templates/-999", key, nil), http.StatusNotFound)
	})

	t.Run("FillBuiltin", func(t *testing.T) {
		values := map[string]any{"subdomain": "acme", "agent_email": "agent@acme.com/token", "api_token": testToken}
		r := want(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": -1, "values": values}), http.StatusCreated)
		shown = append(shown, r.raw)
		w := r.json(t)
		if w["template_id"] != float64(-1) || w["auth"].(map[string]any)["password"] != hookline.SecretMask ||
			w["context_values"].(map[string]any)["subdomain"] != "acme" || w["name"] != "Zendesk ticket lookup" {
			t.Fatalf("from template -1: %s", r.raw)
		}
		d := wantField(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": -1, "name": "Other", "values": map[string]any{"agent_email": "a@b.c/token"}}),
			http.StatusBadRequest, "values.subdomain")
		if !strings.Contains(d.Message, "values.api_token") {
			t.Fatalf("every missing value is named: %q", d.Message)
		}
		wantField(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": -1, "name": "Other", "values": with(values, "nope", "x")}), http.StatusBadRequest, "values.nope")
		wantField(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": -1, "url": "https://example.com/", "values": values}), http.StatusBadRequest, "url")
		wantField(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": -99, "values": values}), http.StatusNotFound, "template_id")
		// A value that breaks the field it fills is named as that value.
		wantField(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": -6, "values": map[string]any{"url": "ftp://example.com/"}}), http.StatusBadRequest, "values.url")
	})

	var companyTemplate float64
	t.Run("CompanyTemplate", func(t *testing.T) {
		r := want(t, e.do("POST", "/api/v1/webhook-templates", key, ticketTemplate(rc.URL)), http.StatusCreated)
		tp := r.json(t)
		companyTemplate = tp["id"].(float64)
		if tp["company_id"] != float64(cid) || tp["scope"] != "company" || tp["agency_id"] != nil || tp["created_at"] == nil ||
			r.header.Get("Location") != fmt.Sprintf("/api/v1/webhook-templates/%v", tp["id"]) {
			t.Fatalf("created = %s", r.raw)
		}
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, ticketTemplate(rc.URL)), http.StatusConflict, "name")
		secret := ticketTemplate(rc.URL)
		secret["name"] = "With secret"
		secret["webhook"].(map[string]any)["auth"] = map[string]any{"type": "bearer", "token": testToken}
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, secret), http.StatusBadRequest, "webhook.auth.token")
		bad := ticketTemplate(rc.URL)
		bad["name"] = "Bad"
		bad["webhook"].(map[string]any)["body"] = "{{ x"
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, bad), http.StatusBadRequest, "webhook.body")
		noName := ticketTemplate(rc.URL)
		delete(noName, "name")
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, noName), http.StatusBadRequest, "name")
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, with(ticketTemplate(rc.URL), "name", "x", "blanks", ticketTemplate(rc.URL)["blanks"].([]any)[1:])), http.StatusBadRequest, "webhook.context_values.tenant")
		want(t, e.do("POST", "/api/v1/webhook-templates", key, with(ticketTemplate(rc.URL), "agency_id", agency)), http.StatusForbidden)

		// A webhook from it, with the link kept.
		r = want(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": companyTemplate, "name": "Mine",
			"values": map[string]any{"tenant": "acme", "token": testToken}}), http.StatusCreated)
		shown = append(shown, r.raw)
		w := r.json(t)
		if w["template_id"] != companyTemplate || w["url"] != rc.URL+"/{{tenant}}/tickets/{{ticket}}" {
			t.Fatalf("from the company template: %s", r.raw)
		}
		run := want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%v/run", w["id"]), key, nil), http.StatusOK).json(t)
		if run["variables"].(map[string]any)["ticket_status"] != "open" {
			t.Fatalf("run = %v", run)
		}
		if got := rc.last(t); got.path != "/acme/tickets/388" || got.auth != "Bearer "+testToken {
			t.Fatalf("the receiver got %+v", got)
		}

		// Replace, then delete: the webhook stays without the link.
		path := fmt.Sprintf("/api/v1/webhook-templates/%v", companyTemplate)
		r = want(t, e.do("PUT", path, key, with(ticketTemplate(rc.URL), "name", "Ticket lookup v2")), http.StatusOK)
		if r.json(t)["name"] != "Ticket lookup v2" {
			t.Fatalf("replaced = %s", r.raw)
		}
		wantField(t, e.do("PUT", path, key, with(ticketTemplate(rc.URL), "company_id", cid+100)), http.StatusBadRequest, "company_id")
		want(t, e.do("DELETE", path, key, nil), http.StatusNoContent)
		want(t, e.do("GET", path, key, nil), http.StatusNotFound)
		if got := want(t, e.do("GET", fmt.Sprintf("/api/v1/webhooks/%v", w["id"]), key, nil), http.StatusOK).json(t); got["template_id"] != nil {
			t.Fatalf("the webhook kept a link to a deleted template: %v", got)
		}
	})

	t.Run("FromWebhook", func(t *testing.T) {
		src := want(t, e.do("POST", "/api/v1/webhooks", key, with(seedWebhook(rc.URL), "name", "Source")), http.StatusCreated).json(t)
		r := want(t, e.do("POST", "/api/v1/webhook-templates", key, map[string]any{"from_webhook_id": src["id"], "name": "From source"}), http.StatusCreated)
		shown = append(shown, r.raw)
		tp := r.json(t)
		if tp["webhook"].(map[string]any)["auth"].(map[string]any)["token"] != nil {
			t.Fatalf("the token was copied: %s", r.raw)
		}
		secretBlank := false
		for _, b := range tp["blanks"].([]any) {
			if b := b.(map[string]any); b["target"] == "auth.token" && b["secret"] == true {
				secretBlank = true
			}
		}
		if !secretBlank || tp["webhook"].(map[string]any)["body"] != seedBody {
			t.Fatalf("template from webhook = %s", r.raw)
		}
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, map[string]any{"from_webhook_id": 999999}), http.StatusNotFound, "from_webhook_id")
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, map[string]any{"from_webhook_id": src["id"], "webhook": map[string]any{}}), http.StatusBadRequest, "webhook")
	})

	t.Run("AgencyTemplate", func(t *testing.T) {
		// An agency key owns its template by default; its companies use it.
		r := want(t, e.do("POST", "/api/v1/webhook-templates", agencyKey, with(ticketTemplate(rc.URL), "name", "Agency lookup")), http.StatusCreated)
		tp := r.json(t)
		if tp["agency_id"] != float64(agency) || tp["scope"] != "agency" {
			t.Fatalf("agency template = %s", r.raw)
		}
		path := fmt.Sprintf("/api/v1/webhook-templates/%v", tp["id"])
		want(t, e.do("GET", path, key, nil), http.StatusOK)
		listed := false
		for _, item := range want(t, e.do("GET", "/api/v1/webhook-templates", key, nil), http.StatusOK).json(t)["templates"].([]any) {
			listed = listed || item.(map[string]any)["id"] == tp["id"]
		}
		if !listed {
			t.Fatal("the company does not list its agency's template")
		}
		d := want(t, e.do("PUT", path, key, with(ticketTemplate(rc.URL), "name", "Hijacked")), http.StatusForbidden).apiError(t)
		if !strings.Contains(d.Message, "agency") {
			t.Fatalf("company changing its agency's template: %+v", d)
		}
		want(t, e.do("DELETE", path, key, nil), http.StatusForbidden)
		want(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": tp["id"], "name": "Via agency",
			"values": map[string]any{"tenant": "acme", "token": testToken}}), http.StatusCreated)
		// The agency may also give a company's id; the admin must name an owner.
		want(t, e.do("POST", "/api/v1/webhook-templates", agencyKey, with(ticketTemplate(rc.URL), "name", "For shop", "company_id", cid)), http.StatusCreated)
		wantField(t, e.do("POST", "/api/v1/webhook-templates", testAdminToken, ticketTemplate(rc.URL)), http.StatusBadRequest, "company_id")
		wantField(t, e.do("POST", "/api/v1/webhook-templates", testAdminToken, with(ticketTemplate(rc.URL), "company_id", cid, "agency_id", agency)), http.StatusBadRequest, "agency_id")
		wantField(t, e.do("POST", "/api/v1/webhook-templates", testAdminToken, with(ticketTemplate(rc.URL), "agency_id", cid)), http.StatusNotFound, "agency_id")
		want(t, e.do("POST", "/api/v1/webhook-templates", testAdminToken, with(ticketTemplate(rc.URL), "name", "By admin", "agency_id", agency)), http.StatusCreated)
		want(t, e.do("DELETE", path, agencyKey, nil), http.StatusNoContent)
	})
	e.noSecret(t, shown...)
}
