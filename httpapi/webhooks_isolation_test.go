package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestWebhookIsolationMatrix extends the isolation matrix to webhooks: for
// every principal (admin, agency A, company A1, agency B, company B1) and
// the webhooks of companies A1 and B1, each operation works in scope and
// answers, out of scope, exactly what a webhook that does not exist gets,
// changing nothing.
func TestWebhookIsolationMatrix(t *testing.T) {
	scope := map[string][]string{
		"admin": {"A1", "B1"},
		"A":     {"A1"},
		"A1":    {"A1"},
		"B":     {"B1"},
		"B1":    {"B1"},
	}
	for _, p := range []string{"admin", "A", "A1", "B", "B1"} {
		t.Run(p, func(t *testing.T) {
			w := newWorld(t)
			rc := newTicketReceiver(t)
			ids := map[string]int64{}
			for _, company := range []string{"A1", "B1"} {
				r := want(t, w.e.do("POST", "/api/v1/webhooks", testAdminToken,
					with(seedWebhook(rc.URL), "name", "Hook of "+company, "company_id", w.ids[company])), http.StatusCreated)
				ids[company] = int64(r.json(t)["id"].(float64))
			}
			key := w.keys[p]

			listed := map[int64]bool{}
			for _, item := range want(t, w.e.do("GET", "/api/v1/webhooks", key, nil), http.StatusOK).json(t)["webhooks"].([]any) {
				listed[int64(item.(map[string]any)["id"].(float64))] = true
			}
			for _, target := range []string{"A1", "B1"} {
				visible := slices.Contains(scope[p], target)
				if listed[ids[target]] != visible {
					t.Fatalf("list: %s's webhook listed = %v, in scope = %v", target, listed[ids[target]], visible)
				}
				filter := w.e.do("GET", fmt.Sprintf("/api/v1/webhooks?company_id=%d", w.ids[target]), key, nil)
				if visible != (filter.status == http.StatusOK) || !visible && filter.status != http.StatusNotFound {
					t.Fatalf("list filtered on %s: %d %s", target, filter.status, filter.raw)
				}

				path := fmt.Sprintf("/api/v1/webhooks/%d", ids[target])
				ghost := "/api/v1/webhooks/999999"
				ops := []struct {
					name, method, suffix string
					body                 any
					status               int
				}{
					{"read", "GET", "", nil, http.StatusOK},
					{"update", "PUT", "", with(seedWebhook(rc.URL), "name", "Renamed "+target), http.StatusOK},
					{"patch", "PATCH", "", `{"timeout_ms": 4000}`, http.StatusOK},
					{"run", "POST", "/run", `{"context": {"certainly": {"sessionId": 1, "moduleId": 2}}}`, http.StatusOK},
					{"delete", "DELETE", "", nil, http.StatusNoContent},
				}
				for _, o := range ops {
					r := w.e.do(o.method, path+o.suffix, key, o.body)
					if visible {
						if r.status != o.status {
							t.Fatalf("%s %s in scope: %d, want %d; %s", o.name, target, r.status, o.status, r.raw)
						}
						continue
					}
					d := wantField(t, r, http.StatusNotFound, "")
					if d.Message != fmt.Sprintf("webhook %d not found", ids[target]) {
						t.Fatalf("%s %s out of scope: %+v", o.name, target, d)
					}
					g := w.e.do(o.method, ghost+o.suffix, key, o.body)
					if gd := wantField(t, g, http.StatusNotFound, ""); gd.Code != d.Code || gd.Message != "webhook 999999 not found" {
						t.Fatalf("%s on a missing webhook: %+v", o.name, gd)
					}
				}
				if !visible {
					// Nothing changed: the owner still has it, unrenamed.
					r := want(t, w.e.do("GET", path, testAdminToken, nil), http.StatusOK).json(t)
					if r["name"] != "Hook of "+target || r["timeout_ms"] != float64(5000) {
						t.Fatalf("after out-of-scope calls: %v", r)
					}
				}
			}
			// Creating for, or running as, a company out of scope is a 404 on company_id.
			for _, target := range []string{"A1", "B1"} {
				if slices.Contains(scope[p], target) || p == "admin" {
					continue
				}
				wantField(t, w.e.do("POST", "/api/v1/webhooks", key, with(seedWebhook(rc.URL), "name", "x", "company_id", w.ids[target])), http.StatusNotFound, "company_id")
				wantField(t, w.e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"webhook": seedWebhook(rc.URL), "company_id": w.ids[target]}), http.StatusNotFound, "company_id")
			}
		})
	}
}

// TestWebhookTemplateIsolationMatrix: templates owned by agencies A and B
// and companies A1 and B1. A company uses (reads) its agency's templates
// but may not change them (403); everything else out of scope is a 404.
func TestWebhookTemplateIsolationMatrix(t *testing.T) {
	owners := []string{"A", "A1", "B", "B1"}
	reads := map[string][]string{
		"admin": owners,
		"A":     {"A", "A1"},
		"A1":    {"A", "A1"},
		"B":     {"B", "B1"},
		"B1":    {"B", "B1"},
	}
	writes := map[string][]string{
		"admin": owners,
		"A":     {"A", "A1"},
		"A1":    {"A1"},
		"B":     {"B", "B1"},
		"B1":    {"B1"},
	}
	for _, p := range []string{"admin", "A", "A1", "B", "B1"} {
		t.Run(p, func(t *testing.T) {
			w := newWorld(t)
			rc := newTicketReceiver(t)
			ids := map[string]int64{}
			for _, owner := range owners {
				field := "company_id"
				if owner == "A" || owner == "B" {
					field = "agency_id"
				}
				r := want(t, w.e.do("POST", "/api/v1/webhook-templates", testAdminToken,
					with(ticketTemplate(rc.URL), "name", "Template of "+owner, field, w.ids[owner])), http.StatusCreated)
				ids[owner] = int64(r.json(t)["id"].(float64))
			}
			key := w.keys[p]
			listed := map[int64]bool{}
			for _, item := range want(t, w.e.do("GET", "/api/v1/webhook-templates", key, nil), http.StatusOK).json(t)["templates"].([]any) {
				listed[int64(item.(map[string]any)["id"].(float64))] = true
			}
			for _, owner := range owners {
				readable, writable := slices.Contains(reads[p], owner), slices.Contains(writes[p], owner)
				if listed[ids[owner]] != readable {
					t.Fatalf("list: %s's template listed = %v, readable = %v", owner, listed[ids[owner]], readable)
				}
				path := fmt.Sprintf("/api/v1/webhook-templates/%d", ids[owner])
				for _, o := range []struct {
					name, method string
					body         any
					status       int
				}{
					{"read", "GET", nil, http.StatusOK},
					{"update", "PUT", with(ticketTemplate(rc.URL), "name", "Renamed by "+p), http.StatusOK},
					{"delete", "DELETE", nil, http.StatusNoContent},
				} {
					r := w.e.do(o.method, path, key, o.body)
					switch {
					case writable || readable && o.name == "read":
						if r.status != o.status {
							t.Fatalf("%s %s's template: %d, want %d; %s", o.name, owner, r.status, o.status, r.raw)
						}
					case readable:
						want(t, r, http.StatusForbidden)
					default:
						d := wantField(t, r, http.StatusNotFound, "")
						if d.Message != fmt.Sprintf("webhook template %d not found", ids[owner]) {
							t.Fatalf("%s %s's template out of scope: %+v", o.name, owner, d)
						}
					}
				}
				// Filling a template out of reach is a 404 naming template_id.
				if !readable && p != "admin" {
					company := map[string]string{"A": "A1", "A1": "A1", "B": "B1", "B1": "B1"}[p]
					wantField(t, w.e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": ids[owner], "company_id": w.ids[company],
						"values": map[string]any{"tenant": "x", "token": testToken}}), http.StatusNotFound, "template_id")
				}
			}
		})
	}
}
