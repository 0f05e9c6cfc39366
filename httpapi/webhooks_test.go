package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/webhook"
)

// loopback opens 127.0.0.0/8 to the API tests' webhook runs, as
// HOOKLINE_EGRESS_ALLOW=127.0.0.0/8 does for an operator.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// webhookServices returns the webhook store of db, sealing with a random
// key, and an engine sending through an egress client that allows allow.
func webhookServices(t *testing.T, db *sqlstore.DB, allow []netip.Prefix) (*sqlstore.WebhookStore, *webhook.Executor) {
	t.Helper()
	sealer := storetest.Sealer(t)
	return sqlstore.NewWebhookStore(db, sealer), webhook.NewExecutor(egress.New(egress.Config{Allow: allow}))
}

// seedBody is the sample body of seed 000, verbatim (comments included, and
// the no-break space the seed has after "Raw user response"), wrapped in
// braces as users paste it. It is read from the one copy that jinja's
// benchmark and Python's reference run use too.
var seedBody = readSeedBody()

func readSeedBody() string {
	b, err := os.ReadFile("../jinja/testdata/bench/seed_body.j2")
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// seedTicket is the webhook response of seed 002.
const seedTicket = `{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, "priority": "low", "status": "open", "external_id": null}}`

// testToken is the bearer token of the test webhooks: it must never show
// in a response or a log line.
const testToken = "tok-9d3c5e1a7f2b4680"

// ticketReceiver answers every request with seed 002's ticket and keeps
// what it received.
type ticketReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []receivedRequest
}

type receivedRequest struct {
	method, path, auth string
	body               []byte
}

func newTicketReceiver(t *testing.T) *ticketReceiver {
	rc := &ticketReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, receivedRequest{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), body})
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, seedTicket)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *ticketReceiver) last(t *testing.T) receivedRequest {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) == 0 {
		t.Fatal("the receiver got no request")
	}
	return rc.reqs[len(rc.reqs)-1]
}

// seedWebhook is the Done-when definition: the seed 000 body and the seed
// 002 mapper, with a bearer token, posting to url.
func seedWebhook(url string) map[string]any {
	return map[string]any{
		"name": "Ticket status", "method": "POST", "url": url,
		"auth":             map[string]any{"type": "bearer", "token": testToken},
		"headers":          []any{map[string]any{"key": "X-Session", "value": "certainly.sessionId", "type": "variable"}},
		"body":             seedBody,
		"custom_variables": []any{map[string]any{"name": "ticket_status", "mapper": "{{ticket.status}}"}},
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// companyEnv is an API with a company and its key.
func companyEnv(t *testing.T) (*testEnv, string, int64) {
	e := newTestEnv(t, 0)
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	key, _ := e.createKey(testAdminToken, cid)
	return e, key, cid
}

func wantField(t *testing.T, r response, status int, field string) errorDetail {
	t.Helper()
	d := want(t, r, status).apiError(t)
	if d.Field != field {
		t.Fatalf("error field = %q, want %q: %+v", d.Field, field, d)
	}
	return d
}

// noSecret fails when the token shows in any response body or log line.
func (e *testEnv) noSecret(t *testing.T, bodies ...[]byte) {
	t.Helper()
	for _, b := range bodies {
		if strings.Contains(string(b), testToken) {
			t.Fatalf("the token shows in a response: %s", b)
		}
	}
	if strings.Contains(e.logs.String(), testToken) {
		t.Fatal("the token reached the log")
	}
}

func TestWebhookCRUD(t *testing.T) {
	e, key, cid := companyEnv(t)
	rc := newTicketReceiver(t)

	r := want(t, e.do("POST", "/api/v1/webhooks", key, seedWebhook(rc.URL+"/{{tenant}}/tickets")), http.StatusBadRequest)
	if d := r.apiError(t); d.Field != "context_values.tenant" {
		t.Fatalf("a URL name without a context value: %+v", d)
	}
	def := with(seedWebhook(rc.URL+"/{{tenant}}/tickets"), "context_values", map[string]any{"tenant": "acme"})
	r = want(t, e.do("POST", "/api/v1/webhooks", key, def), http.StatusCreated)
	created := r.json(t)
	id := int64(created["id"].(float64))
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/webhooks/%d", id) {
		t.Fatalf("Location = %q", loc)
	}
	if created["company_id"] != float64(cid) || created["body"] != seedBody || created["method"] != "POST" ||
		created["timeout_ms"] != float64(5000) || created["response_type"] != "json" || created["execution"] != "sync" {
		t.Fatalf("created = %s", r.raw)
	}
	if auth := created["auth"].(map[string]any); auth["token"] != hookline.SecretMask || auth["type"] != "bearer" {
		t.Fatalf("auth shown as %v", auth)
	}
	if names := created["context_names"].([]any); len(names) != 1 || names[0] != "tenant" {
		t.Fatalf("context_names = %v", names)
	}
	path := fmt.Sprintf("/api/v1/webhooks/%d", id)
	got := want(t, e.do("GET", path, key, nil), http.StatusOK)
	list := want(t, e.do("GET", "/api/v1/webhooks", key, nil), http.StatusOK)
	if l := list.json(t)["webhooks"].([]any); len(l) != 1 || l[0].(map[string]any)["name"] != "Ticket status" {
		t.Fatalf("list = %s", list.raw)
	}

	t.Run("Conflict", func(t *testing.T) {
		wantField(t, e.do("POST", "/api/v1/webhooks", key, def), http.StatusConflict, "name")
	})

	t.Run("BadTemplates", func(t *testing.T) {
		for _, c := range []struct {
			change map[string]any
			field  string
			msg    string
		}{
			{map[string]any{"body": "{\n  \"a\": {{ x + }}\n}"}, "body", "line 2"},
			{map[string]any{"body": "{% extends 'base' %}"}, "body", "column"},
			{map[string]any{"custom_variables": []any{map[string]any{"name": "s", "mapper": "{{ ticket.status "}}}, "custom_variables[0].mapper", "line 1"},
			{map[string]any{"url": "https://example.com/{{ a b }}"}, "url", "line 1"},
			{map[string]any{"url": "ftp://example.com/"}, "url", "http"},
			{map[string]any{"headers": []any{map[string]any{"key": "X-A", "value": "{% if %}"}}}, "headers[0].value", "line 1"},
			{map[string]any{"method": "FETCH"}, "method", "FETCH"},
			{map[string]any{"timeout_ms": 50}, "timeout_ms", "between"},
			{map[string]any{"auth": map[string]any{"type": "bearer"}}, "auth.token", "required"},
			{map[string]any{"auth": map[string]any{"type": "magic"}}, "auth.type", "magic"},
			{map[string]any{"custom_variables": []any{map[string]any{"name": "ticket status", "mapper": "{{x}}"}}}, "custom_variables[0].name", "valid name"},
			{map[string]any{"name": ""}, "name", "empty"},
			{map[string]any{"frobnicate": true}, "frobnicate", "unknown field"},
			{map[string]any{"timeout_ms": "fast"}, "timeout_ms", "integer"},
			{map[string]any{"values": map[string]any{"a": "b"}}, "values", "template_id"},
		} {
			body := with(def, "name", "Other")
			for k, v := range c.change {
				body[k] = v
			}
			d := wantField(t, e.do("POST", "/api/v1/webhooks", key, body), http.StatusBadRequest, c.field)
			if !strings.Contains(d.Message, c.msg) {
				t.Errorf("%v: message %q lacks %q", c.change, d.Message, c.msg)
			}
		}
		// An agency key must say which company.
		agency := e.createTenant(testAdminToken, "Agency", hookline.KindAgency, 0)
		agencyKey, _ := e.createKey(testAdminToken, agency)
		wantField(t, e.do("POST", "/api/v1/webhooks", agencyKey, with(def, "name", "x")), http.StatusBadRequest, "company_id")
		wantField(t, e.do("POST", "/api/v1/webhooks", agencyKey, with(def, "name", "x", "company_id", cid)), http.StatusNotFound, "company_id")
	})

	t.Run("ReplaceKeepsSecrets", func(t *testing.T) {
		// The fetched (masked) webhook, edited and sent back.
		fetched := got.json(t)
		fetched["name"] = "Ticket status v2"
		fetched["timeout_ms"] = 3000
		r := want(t, e.do("PUT", path, key, fetched), http.StatusOK)
		if v := r.json(t); v["name"] != "Ticket status v2" || v["timeout_ms"] != float64(3000) || v["auth"].(map[string]any)["token"] != hookline.SecretMask {
			t.Fatalf("replaced = %s", r.raw)
		}
		// The token left out keeps the stored one too.
		noToken := with(def, "name", "Ticket status v2", "auth", map[string]any{"type": "bearer"})
		want(t, e.do("PUT", path, key, noToken), http.StatusOK)
		want(t, e.do("POST", path+"/run", key, nil), http.StatusOK)
		if got := rc.last(t).auth; got != "Bearer "+testToken {
			t.Fatalf("after PUTs the receiver got Authorization %q", got)
		}
		// A mask with no secret of its kind behind it is an error.
		wantField(t, e.do("PUT", path, key, with(def, "auth", map[string]any{"type": "basic", "username": "u", "password": hookline.SecretMask})), http.StatusBadRequest, "auth.password")
		wantField(t, e.do("PUT", path, key, with(def, "company_id", cid+1)), http.StatusBadRequest, "company_id")
		wantField(t, e.do("PUT", path, key, with(def, "body", "{{ oops")), http.StatusBadRequest, "body")
		want(t, e.do("PUT", "/api/v1/webhooks/999999", key, def), http.StatusNotFound)
	})

	t.Run("Patch", func(t *testing.T) {
		r := want(t, e.do("PATCH", path, key, `{"execution": "async", "auth": {"token": "tok-rotated-0001"}, "headers": null}`), http.StatusOK)
		v := r.json(t)
		if v["execution"] != "async" || v["name"] != "Ticket status v2" || len(v["headers"].([]any)) != 0 || v["body"] != seedBody {
			t.Fatalf("patched = %s", r.raw)
		}
		want(t, e.do("POST", path+"/run", key, nil), http.StatusOK)
		if got := rc.last(t).auth; got != "Bearer tok-rotated-0001" {
			t.Fatalf("after the patch the receiver got Authorization %q", got)
		}
		wantField(t, e.do("PATCH", path, key, `{"custom_variables": [{"name": "x", "mapper": "{{"}]}`), http.StatusBadRequest, "custom_variables[0].mapper")
		wantField(t, e.do("PATCH", path, key, `{"colour": "blue"}`), http.StatusBadRequest, "colour")
		want(t, e.do("PATCH", path, key, `[1]`), http.StatusBadRequest)
		want(t, e.do("PATCH", path, key, `{"auth": {"token": "tok-9d3c5e1a7f2b4680"}}`), http.StatusOK)
	})

	t.Run("Delete", func(t *testing.T) {
		// A company with webhooks cannot be deleted.
		want(t, e.do("DELETE", fmt.Sprintf("/api/v1/tenants/%d", cid), testAdminToken, nil), http.StatusConflict)
		want(t, e.do("DELETE", path, key, nil), http.StatusNoContent)
		want(t, e.do("GET", path, key, nil), http.StatusNotFound)
		want(t, e.do("DELETE", path, key, nil), http.StatusNotFound)
		want(t, e.do("GET", "/api/v1/webhooks/abc", key, nil), http.StatusNotFound)
	})
	e.noSecret(t, r.raw, got.raw, list.raw)
}

// TestWebhookRunAwkwardResponse: a reply whose numbers overflow a double
// (valid JSON, which Python reads as infinity) and whose strings carry HTML
// still gives a 200 with the data shown; it once gave a 500.
func TestWebhookRunAwkwardResponse(t *testing.T) {
	e, key, _ := companyEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ticket": {"id": 388, "status": "open", "score": 1e700, "notes": "<p>Hi & bye</p>"}, "ranks": [-1e400, 2]}`)
	}))
	t.Cleanup(srv.Close)
	def := map[string]any{"method": "GET", "url": srv.URL, "custom_variables": []any{
		map[string]any{"name": "status", "mapper": "{{ticket.status}}"},
		map[string]any{"name": "score", "mapper": "{{ticket.score}}"},
		map[string]any{"name": "score_text", "mapper": "score {{ticket.score}}"},
		map[string]any{"name": "ticket", "mapper": "{{ticket}}"},
		map[string]any{"name": "ranks", "mapper": "{{ranks}}"},
	}}
	r := want(t, e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"webhook": def}), http.StatusOK)
	var res struct {
		Response struct {
			Data json.RawMessage `json:"data"`
		}
		Variables map[string]json.RawMessage
		Error     any
	}
	if err := json.Unmarshal(r.raw, &res); err != nil || res.Error != nil {
		t.Fatalf("run = %s (%v)", r.raw, err)
	}
	if got, want := string(res.Response.Data), `{"ticket":{"id":388,"status":"open","score":null,"notes":"<p>Hi & bye</p>"},"ranks":[null,2]}`; got != want {
		t.Errorf("data = %s, want %s", got, want)
	}
	for name, want := range map[string]string{
		"status": `"open"`, "score": `null`, "score_text": `"score inf"`,
		"ticket": `{"id":388,"status":"open","score":null,"notes":"<p>Hi & bye</p>"}`, "ranks": `[null,2]`,
	} {
		if got := string(res.Variables[name]); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
}

// TestWebhookRun is the Done-when: the seed 000 body, verbatim, with the
// seed 002 mapper, run against a receiver answering seed 002's ticket.
func TestWebhookRun(t *testing.T) {
	e, key, _ := companyEnv(t)
	rc := newTicketReceiver(t)
	created := want(t, e.do("POST", "/api/v1/webhooks", key, seedWebhook(rc.URL+"/tickets")), http.StatusCreated).json(t)
	path := fmt.Sprintf("/api/v1/webhooks/%v/run", created["id"])

	reply := "Hi \"bot\" \\ new\nline — ünïcode"
	ctx := map[string]any{"context": map[string]any{"certainly": map[string]any{
		"sessionId": 42, "reply": reply, "direction": "in", "moduleId": 7,
		"extractedData": map[string]any{"ticket_id": "388"},
	}}}
	r := want(t, e.do("POST", path, key, ctx), http.StatusOK)
	var res struct {
		Request struct {
			Method, URL, Body string
			Headers           map[string]string
		}
		Response struct {
			Status int
			Body   string
		}
		Variables  map[string]json.RawMessage
		Error      *struct{ Kind, Message string }
		DurationMS *float64 `json:"duration_ms"`
	}
	if err := json.Unmarshal(r.raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Error != nil || string(res.Variables["ticket_status"]) != `"open"` || res.Response.Status != 200 || res.DurationMS == nil {
		t.Fatalf("run = %s", r.raw)
	}
	if res.Request.Method != "POST" || res.Request.Headers["Authorization"] != "Bearer "+hookline.SecretMask || res.Request.Headers["X-Session"] != "42" {
		t.Fatalf("request shown as %+v", res.Request)
	}
	got := rc.last(t)
	var sent map[string]any
	if err := json.Unmarshal(got.body, &sent); err != nil {
		t.Fatalf("the receiver got invalid JSON: %v\n%s", err, got.body)
	}
	if sent["reply"] != reply || sent["sessionId"] != float64(42) || got.auth != "Bearer "+testToken {
		t.Fatalf("the receiver got %s (auth %q)", got.body, got.auth)
	}
	if res.Request.Body != string(got.body) {
		t.Fatalf("shown body %q, sent %q", res.Request.Body, got.body)
	}

	// Without a context, sample values; a context that is not an object is a 400.
	want(t, e.do("POST", path, key, nil), http.StatusOK)
	want(t, e.do("POST", path, key, `{}`), http.StatusOK)
	wantField(t, e.do("POST", path, key, `{"context": [1]}`), http.StatusBadRequest, "context")
	wantField(t, e.do("POST", path, key, `{"ctx": {}}`), http.StatusBadRequest, "ctx")

	t.Run("Unsaved", func(t *testing.T) {
		def := seedWebhook(rc.URL + "/unsaved")
		delete(def, "name")
		r := want(t, e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"webhook": def, "context": ctx["context"]}), http.StatusOK)
		if v := r.json(t); v["variables"].(map[string]any)["ticket_status"] != "open" || v["error"] != nil {
			t.Fatalf("unsaved run = %s", r.raw)
		}
		if rc.last(t).path != "/unsaved" {
			t.Fatalf("the receiver got %s", rc.last(t).path)
		}
		wantField(t, e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"webhook": with(def, "body", "{{ x")}), http.StatusBadRequest, "webhook.body")
		wantField(t, e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"webhook": with(def, "auth", map[string]any{"type": "bearer", "token": hookline.SecretMask})}), http.StatusBadRequest, "webhook.auth.token")
		wantField(t, e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"context": map[string]any{}}), http.StatusBadRequest, "webhook")
		wantField(t, e.do("POST", "/api/v1/webhooks/run", testAdminToken, map[string]any{"webhook": def}), http.StatusBadRequest, "company_id")
	})

	t.Run("TargetFails", func(t *testing.T) {
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error": "down"}`)
		}))
		defer failing.Close()
		def := with(seedWebhook(failing.URL), "name", "failing")
		r := want(t, e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"webhook": def}), http.StatusOK)
		v := r.json(t)
		if errv, _ := v["error"].(map[string]any); errv["kind"] != "http_status" || v["response"].(map[string]any)["status"] != float64(500) {
			t.Fatalf("failing target: %s", r.raw)
		}
		// Nothing listens on a closed server's port.
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		r = want(t, e.do("POST", "/api/v1/webhooks/run", key, map[string]any{"webhook": with(def, "url", closed.URL)}), http.StatusOK)
		if errv, _ := r.json(t)["error"].(map[string]any); errv["kind"] != "connection" {
			t.Fatalf("closed port: %s", r.raw)
		}
	})
	e.noSecret(t, r.raw)
}

// TestWebhookRunBlockedAddress: without an allowlist, the egress guard
// refuses loopback targets, and the run reports it in error.
func TestWebhookRunBlockedAddress(t *testing.T) {
	e := newTestEnvAllowing(t, 0, nil)
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	rc := newTicketReceiver(t)
	r := want(t, e.do("POST", "/api/v1/webhooks/run", testAdminToken, map[string]any{"webhook": seedWebhook(rc.URL), "company_id": cid}), http.StatusOK)
	if errv, _ := r.json(t)["error"].(map[string]any); errv["kind"] != "blocked_address" {
		t.Fatalf("loopback without allowlist: %s", r.raw)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) != 0 {
		t.Fatal("the blocked request reached the receiver")
	}
}
