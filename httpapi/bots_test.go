package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/bot"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
)

// botEnv is the API with the bots' service and runtime, on SQLite.
type botEnv struct {
	*testEnv
	key, other string // keys of two companies
	company    int64
}

func newBotEnv(t *testing.T) *botEnv {
	t.Helper()
	db := storetest.SQLite(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tenants := tenant.NewService(db, db, testAdminToken)
	store := sqlstore.NewWebhookStore(db, storetest.Sealer(t))
	exec := webhook.NewExecutor(egress.New(egress.Config{Allow: loopback}))
	webhooks, err := webhook.NewService(tenants, store, store, exec)
	if err != nil {
		t.Fatal(err)
	}
	bots := sqlstore.NewBotStore(db)
	rt := bot.NewRuntime(bot.Config{Bots: bots, Sessions: bots, Webhooks: store, Runner: webhooks, Logger: log})
	api, err := New(Config{
		Tenants: tenants, Keys: tenants, Ready: db.Ping, Webhooks: webhooks, Templates: webhooks,
		Bots: bot.NewService(tenants, bots, bots, store, rt), Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	handler, err := edge.New(log, api.Mount())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e := &botEnv{testEnv: &testEnv{t: t, db: db, api: api, srv: srv, logs: logs}}
	e.company = e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	e.key, _ = e.createKey(testAdminToken, e.company)
	e.other, _ = e.createKey(testAdminToken, e.createTenant(testAdminToken, "Other", hookline.KindCompany, 0))
	return e
}

// send sends a raw body with a content type.
func (e *botEnv) send(method, path, key, contentType, body string, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, raw: raw}
}

const lookupBotYAML = `name: Lookup
start: 1
modules:
  - id: 1
    type: collector
    key: ticket_id
    prompt: "Ticket number?"
    validate: {type: number}
    connections:
      - webhooks: [Ticket status]
        on_failure: 3
        to: 2
  - id: 2
    type: end
    text: "Ticket {{certainly.extractedData.ticket_id}} is {{certainly.customVariables.ticket_status}}."
  - id: 3
    type: end
    text: "Lookup failed."
`

// TestBotsOverHTTP: create (YAML), get, list, try, sessions, metrics,
// export, errors, isolation and the 409 of a used webhook.
func TestBotsOverHTTP(t *testing.T) {
	e := newBotEnv(t)
	rc := newTicketReceiver(t)
	hook := want(t, e.do("POST", "/api/v1/webhooks", e.key, seedWebhook(rc.URL)), http.StatusCreated)
	hookID := idOf(hook.json(t))

	created := want(t, e.send("POST", "/api/v1/bots", e.key, "application/yaml", lookupBotYAML), http.StatusCreated)
	b := created.json(t)
	id := idOf(b)
	if created.header.Get("Location") != fmt.Sprintf("/api/v1/bots/%d", id) || b["version"].(float64) != 1 {
		t.Fatalf("created: %s", created.raw)
	}
	if got := b["modules"].([]any)[0].(map[string]any)["connections"].([]any)[0].(map[string]any)["webhooks"].([]any)[0]; got.(float64) != float64(hookID) {
		t.Fatalf("webhook stored as %v", got)
	}
	want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d", id), e.key, nil), http.StatusOK)
	want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d", id), e.other, nil), http.StatusNotFound)
	list := want(t, e.do("GET", "/api/v1/bots?limit=1", e.key, nil), http.StatusOK).json(t)
	if len(list["bots"].([]any)) != 1 || list["next_cursor"] != nil {
		t.Fatalf("list = %v", list)
	}

	// Try: the first message enters start, the answer calls the webhook.
	r := want(t, e.do("POST", fmt.Sprintf("/api/v1/bots/%d/try", id), e.key, map[string]any{"text": "hi"}), http.StatusOK).json(t)
	if fmt.Sprint(r["text"]) != "[Ticket number?]" {
		t.Fatalf("try 1 = %v", r)
	}
	r = want(t, e.do("POST", fmt.Sprintf("/api/v1/bots/%d/try", id), e.key, map[string]any{"text": "388"}), http.StatusOK).json(t)
	if fmt.Sprint(r["text"]) != "[Ticket 388 is open.]" {
		t.Fatalf("try 2 = %v", r)
	}
	session := int64(r["session_id"].(float64))
	want(t, e.do("POST", fmt.Sprintf("/api/v1/bots/%d/try", id), e.other, map[string]any{"text": "hi"}), http.StatusNotFound)
	if er := want(t, e.do("POST", fmt.Sprintf("/api/v1/bots/%d/try", id), e.key, map[string]any{"from": "x"}), http.StatusBadRequest).apiError(t); er.Field != "text" {
		t.Fatalf("try without text: %+v", er)
	}

	s := want(t, e.do("GET", fmt.Sprintf("/api/v1/sessions/%d", session), e.key, nil), http.StatusOK).json(t)
	if s["state"] != "ended" || len(s["history"].([]any)) != 2 {
		t.Fatalf("session = %s", mustJSON(t, s))
	}
	want(t, e.do("GET", fmt.Sprintf("/api/v1/sessions/%d", session), e.other, nil), http.StatusNotFound)
	ss := want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/sessions?channel=0&state=ended", id), e.key, nil), http.StatusOK).json(t)
	if len(ss["sessions"].([]any)) != 1 {
		t.Fatalf("sessions = %v", ss)
	}
	ss = want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/sessions?state=open", id), e.key, nil), http.StatusOK).json(t)
	if len(ss["sessions"].([]any)) != 0 {
		t.Fatalf("open sessions = %v", ss)
	}
	for q, field := range map[string]string{"channel=-1": "channel", "state=gone": "state", "limit=0": "limit"} {
		er := want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/sessions?%s", id, q), e.key, nil), http.StatusBadRequest).apiError(t)
		if er.Field != field {
			t.Errorf("sessions?%s: %+v", q, er)
		}
	}

	m := want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/metrics?channel=0", id), e.key, nil), http.StatusOK).json(t)
	ch := m["channels"].([]any)
	if len(ch) != 1 {
		t.Fatalf("metrics = %s", mustJSON(t, m))
	}
	totals := ch[0].(map[string]any)["totals"].(map[string]any)
	if totals["messages_in"].(float64) != 2 || totals["messages_out"].(float64) != 2 || totals["sessions_started"].(float64) != 1 ||
		totals["sessions_ended"].(float64) != 1 || totals["webhook_calls"].(map[string]any)["succeeded"].(float64) != 1 {
		t.Fatalf("totals = %v", totals)
	}
	for q, field := range map[string]string{"from=yesterday": "from", "to=2026-13-01T00:00:00Z": "to", "from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z": "from"} {
		er := want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/metrics?%s", id, q), e.key, nil), http.StatusBadRequest).apiError(t)
		if er.Field != field {
			t.Errorf("metrics?%s: %+v", q, er)
		}
	}

	// Export: JSON by default, YAML by query or Accept.
	ex := want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/export", id), e.key, nil), http.StatusOK)
	if ex.header.Get("Content-Type") != "application/json" || !strings.Contains(string(ex.raw), `"Ticket status"`) {
		t.Fatalf("JSON export: %s", ex.raw)
	}
	y := want(t, e.send("GET", fmt.Sprintf("/api/v1/bots/%d/export", id), e.key, "", "", "Accept", "application/yaml"), http.StatusOK)
	yq := want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/export?format=yaml", id), e.key, nil), http.StatusOK)
	if y.header.Get("Content-Type") != "application/yaml" || !bytes.Equal(y.raw, yq.raw) || !strings.Contains(string(y.raw), "- Ticket status") {
		t.Fatalf("YAML export:\n%s", y.raw)
	}
	want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/export?format=xml", id), e.key, nil), http.StatusBadRequest)

	// Importing the export elsewhere: the other company lacks the webhook.
	er := want(t, e.send("POST", "/api/v1/bots", e.other, "application/yaml", string(y.raw)), http.StatusBadRequest).apiError(t)
	if er.Field != "modules[0].connections[0].webhooks[0]" || !strings.Contains(er.Message, `"Ticket status"`) {
		t.Fatalf("import without the webhook: %+v", er)
	}

	// Errors name their paths.
	bad := strings.Replace(lookupBotYAML, "to: 2", "to: 7", 1)
	er = want(t, e.send("POST", "/api/v1/bots", e.key, "text/yaml", bad), http.StatusBadRequest).apiError(t)
	if er.Field != "modules[0].connections[0].to" || er.Message != "no module 7" {
		t.Fatalf("missing module: %+v", er)
	}
	er = want(t, e.do("POST", "/api/v1/bots", e.key, map[string]any{"name": "x", "start": 1, "modules": []any{map[string]any{"id": 1, "type": "end", "text": "{{ 1 +"}}}), http.StatusBadRequest).apiError(t)
	if er.Field != "modules[0].text" || !strings.Contains(er.Message, "line 1") {
		t.Fatalf("template: %+v", er)
	}
	er = want(t, e.send("POST", "/api/v1/bots", e.key, "application/yaml", "a: &x [1]\nb: *x\n"), http.StatusBadRequest).apiError(t)
	if !strings.Contains(er.Message, "aliases") {
		t.Fatalf("alias: %+v", er)
	}
	want(t, e.send("POST", "/api/v1/bots", e.key, "application/json", `{"name": "x"`), http.StatusBadRequest)
	// An agency or admin key names the company.
	er = want(t, e.send("POST", "/api/v1/bots", testAdminToken, "application/yaml", lookupBotYAML), http.StatusBadRequest).apiError(t)
	if er.Field != "company_id" {
		t.Fatalf("admin without company_id: %+v", er)
	}
	want(t, e.send("POST", "/api/v1/bots", e.key, "application/yaml", lookupBotYAML), http.StatusConflict)

	// The webhook is in use.
	er = want(t, e.do("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", hookID), e.key, nil), http.StatusConflict).apiError(t)
	if !strings.Contains(er.Message, `"Lookup"`) {
		t.Fatalf("delete a used webhook: %+v", er)
	}

	// PUT, as JSON: the GET's answer edited and sent back.
	got := want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d", id), e.key, nil), http.StatusOK).json(t)
	got["name"] = "Lookup v2"
	put := want(t, e.do("PUT", fmt.Sprintf("/api/v1/bots/%d", id), e.key, got), http.StatusOK).json(t)
	if put["name"] != "Lookup v2" || put["version"].(float64) != 2 {
		t.Fatalf("put = %v", put)
	}
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/bots/%d", id), e.other, nil), http.StatusNotFound)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/bots/%d", id), e.key, nil), http.StatusNoContent)
	want(t, e.do("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", hookID), e.key, nil), http.StatusNoContent)
}

// TestBotOpenAPI: the bot routes are documented and their answers match
// their schemas.
func TestBotOpenAPI(t *testing.T) {
	e := newBotEnv(t)
	raw := want(t, e.do("GET", "/api/v1/openapi.json", "", nil), http.StatusOK).raw
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	botRoutes := 0
	for _, p := range e.api.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		op, _ := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op == nil {
			t.Fatalf("route %q is not documented", p)
		}
		if strings.Contains(path, "/bots") || strings.Contains(path, "/sessions") {
			botRoutes++
		}
		if strings.Contains(path, "{") && op["responses"].(map[string]any)["404"] == nil {
			t.Errorf("route %q: 404 undocumented", p)
		}
	}
	if botRoutes != 10 {
		t.Fatalf("%d bot routes", botRoutes)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	rc := newTicketReceiver(t)
	want(t, e.do("POST", "/api/v1/webhooks", e.key, seedWebhook(rc.URL)), http.StatusCreated)
	created := want(t, e.send("POST", "/api/v1/bots", e.key, "application/yaml", lookupBotYAML), http.StatusCreated)
	id := idOf(created.json(t))
	try := want(t, e.do("POST", fmt.Sprintf("/api/v1/bots/%d/try", id), e.key, map[string]any{"text": "hi", "from": "x"}), http.StatusOK)
	want(t, e.do("POST", fmt.Sprintf("/api/v1/bots/%d/try", id), e.key, map[string]any{"text": "7", "from": "x"}), http.StatusOK)
	session := int64(try.json(t)["session_id"].(float64))
	answers := []struct {
		schema string
		r      response
	}{
		{"Bot", created},
		{"BotList", want(t, e.do("GET", "/api/v1/bots", e.key, nil), http.StatusOK)},
		{"BotTryReply", try},
		{"BotSessionList", want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/sessions", id), e.key, nil), http.StatusOK)},
		{"BotSession", want(t, e.do("GET", fmt.Sprintf("/api/v1/sessions/%d", session), e.key, nil), http.StatusOK)},
		{"BotMetrics", want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/metrics", id), e.key, nil), http.StatusOK)},
		{"BotDocument", want(t, e.do("GET", fmt.Sprintf("/api/v1/bots/%d/export", id), e.key, nil), http.StatusOK)},
	}
	for _, a := range answers {
		var v any
		if err := json.Unmarshal(a.r.raw, &v); err != nil {
			t.Fatal(err)
		}
		if schemas[a.schema] == nil {
			t.Fatalf("no schema %s", a.schema)
		}
		conforms(t, schemas, a.schema, map[string]any{"$ref": "#/components/schemas/" + a.schema}, v)
	}
}
