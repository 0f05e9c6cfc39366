package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// TestJSONBodyInjectionThroughAPI: the seed body prints sessionId and
// moduleId outside string literals; a value that would add a key to the
// body fails the run as a render error naming the expression, and nothing
// reaches the receiver. A plain number still goes through.
func TestJSONBodyInjectionThroughAPI(t *testing.T) {
	e := newTestEnv(t, 0)
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	key, _ := e.createKey(testAdminToken, cid)
	rc := newTicketReceiver(t)
	r := want(t, e.do("POST", "/api/v1/webhooks", key, seedWebhook(rc.URL)), http.StatusCreated)
	path := fmt.Sprintf("/api/v1/webhooks/%d/run", int64(r.json(t)["id"].(float64)))
	for _, hostile := range []any{`1, "admin": true`, `1}, "x": {`, "1 2", `"a" "b"`} {
		res := want(t, e.do("POST", path, key, map[string]any{"context": map[string]any{
			"certainly": map[string]any{"sessionId": hostile, "moduleId": 7, "reply": "hi"}}}), http.StatusOK).json(t)
		errv, _ := res["error"].(map[string]any)
		if errv["kind"] != "render" || errv["field"] != "body" || !strings.Contains(fmt.Sprint(errv["message"]), "line ") {
			t.Fatalf("sessionId %q: %v", hostile, res["error"])
		}
	}
	rc.mu.Lock()
	sent := len(rc.reqs)
	rc.mu.Unlock()
	if sent != 0 {
		t.Fatalf("%d hostile bodies reached the receiver", sent)
	}
	res := want(t, e.do("POST", path, key, map[string]any{"context": map[string]any{
		"certainly": map[string]any{"sessionId": 42, "moduleId": 7, "reply": `He said "hi", "admin": true`}}}), http.StatusOK).json(t)
	if res["error"] != nil || res["variables"].(map[string]any)["ticket_status"] != "open" {
		t.Fatalf("a plain run: %v", res)
	}
}

// TestRunawayTemplatesThroughAPI: templates at the API's size limit that
// ran for seconds before are refused when saved, stopped by their budget,
// or rendered: either way the answer comes at once.
func TestRunawayTemplatesThroughAPI(t *testing.T) {
	e := newTestEnv(t, 0)
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	key, _ := e.createKey(testAdminToken, cid)
	rc := newTicketReceiver(t)
	names := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "a%d", i)
		}
		return b.String()
	}
	bodies := map[string]string{
		"long unpacking":      "{% set " + names(20000) + " = range(20000) %}{}",
		"unpacking in a loop": "{% for i in range(1000) %}{% set " + names(2000) + " = range(2000) %}{% endfor %}{}",
		"nested loops":        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}{}",
	}
	for name, body := range bodies {
		if len(body) > hookline.MaxWebhookBodyLen {
			t.Fatalf("%s: %d bytes, over the API's limit", name, len(body))
		}
		start := time.Now()
		r := e.do("POST", "/api/v1/webhooks", key, map[string]any{"name": name, "method": "POST", "url": rc.URL, "body": body})
		if r.status == http.StatusCreated {
			run := want(t, e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/run", int64(r.json(t)["id"].(float64))), key, nil), http.StatusOK).json(t)
			if errv, _ := run["error"].(map[string]any); errv != nil && errv["kind"] != "render" {
				t.Fatalf("%s: %v", name, run["error"])
			}
		} else if r.status != http.StatusBadRequest {
			t.Fatalf("%s: status %d: %s", name, r.status, r.raw)
		}
		// Not a speed assertion (BENCHMARKS.md measures that): a guard
		// against a template that runs unbounded.
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("%s took %s", name, d)
		}
	}
}

// TestSaveRefusesUnknownFilterAnywhere: saving keeps DESIGN.md's rule, an
// unknown filter is refused even in a branch that is never taken.
func TestSaveRefusesUnknownFilterAnywhere(t *testing.T) {
	e := newTestEnv(t, 0)
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	key, _ := e.createKey(testAdminToken, cid)
	r := want(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"name": "u", "method": "POST", "url": "https://example.com/",
		"body": `{"a": {% if false %}{{ 1|no_such_filter }}{% else %}1{% endif %}}`}), http.StatusBadRequest)
	if d := r.apiError(t); d.Field != "body" || !strings.Contains(d.Message, "no_such_filter") {
		t.Fatalf("%+v", d)
	}
}
