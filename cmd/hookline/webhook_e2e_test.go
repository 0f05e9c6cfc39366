package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// seedTicket is the webhook response of seed 002.
const seedTicket = `{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, "priority": "low", "status": "open", "external_id": null}}`

// e2eToken is the webhooks' bearer token: it must not show in any
// response, log line or file of the data directory.
const e2eToken = "tok-e2e-5d1f8a3c9b7e2046"

// receiver answers seed 002's ticket and keeps the bodies it received.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	auths  []string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, body)
		rc.auths = append(rc.auths, r.Header.Get("Authorization"))
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, seedTicket)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) last(t *testing.T) (body []byte, auth string) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bodies) == 0 {
		t.Fatal("the receiver got no request")
	}
	return rc.bodies[len(rc.bodies)-1], rc.auths[len(rc.auths)-1]
}

// rawCall is client.call keeping the raw body, for secret checks.
func (c client) rawCall(method, path, key string, body any, status int) (map[string]any, []byte) {
	c.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d; %s", method, path, res.StatusCode, status, out)
	}
	var v map[string]any
	if len(out) > 0 {
		if err := json.Unmarshal(out, &v); err != nil {
			c.t.Fatalf("%s %s: %v in %q", method, path, err, out)
		}
	}
	return v, out
}

// TestWebhookDoneWhen walks issue 4's Done-when through the real wiring:
// a company key defines the seed 000 body verbatim with the seed 002
// mapper, runs it against a receiver and sees ticket_status = open; then
// a webhook from a built-in template, with and without its values. The
// token never shows in a response, the log or the data directory.
func TestWebhookDoneWhen(t *testing.T) {
	dir := t.TempDir()
	token := "configured-admin-token-123"
	m, logs, _ := startMain(t, Config{DataDir: dir, AdminToken: token, EgressAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	rc := newReceiver(t)
	var responses [][]byte

	agency := c.call("POST", "/api/v1/tenants", token, `{"name": "Acme Agency", "kind": "agency"}`, 201)
	company := c.call("POST", "/api/v1/tenants", token, fmt.Sprintf(`{"name": "Acme Shop", "kind": "company", "agency_id": %v}`, agency["id"]), 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), token, "", 201)["key"].(string)

	body := seedBody(t)
	def := map[string]any{
		"name": "Ticket status", "method": "POST", "url": rc.URL + "/api/v2/tickets",
		"auth":             map[string]any{"type": "bearer", "token": e2eToken},
		"body":             body,
		"custom_variables": []any{map[string]any{"name": "ticket_status", "mapper": "{{ticket.status}}"}},
	}
	created, raw := c.rawCall("POST", "/api/v1/webhooks", key, def, 201)
	responses = append(responses, raw)
	if created["body"] != body || created["company_id"] != company["id"] {
		t.Fatalf("created = %s", raw)
	}
	reply := "It's \"urgent\" \\ ticket\n388 — ça va?"
	run, raw := c.rawCall("POST", fmt.Sprintf("/api/v1/webhooks/%v/run", created["id"]), key, map[string]any{
		"context": map[string]any{"certainly": map[string]any{"sessionId": 7, "reply": reply, "moduleId": 3, "direction": "in"}},
	}, 200)
	responses = append(responses, raw)
	if v := run["variables"].(map[string]any); v["ticket_status"] != "open" || run["error"] != nil {
		t.Fatalf("run = %s", raw)
	}
	sent, auth := rc.last(t)
	var got map[string]any
	if err := json.Unmarshal(sent, &got); err != nil {
		t.Fatalf("the receiver got invalid JSON (%v): %s", err, sent)
	}
	if got["reply"] != reply || got["sessionId"] != float64(7) || auth != "Bearer "+e2eToken {
		t.Fatalf("the receiver got %s with %q", sent, auth)
	}

	// A webhook from the built-in generic REST template, then one missing
	// a required value.
	templates := c.call("GET", "/api/v1/webhook-templates", key, "", 200)["templates"].([]any)
	var generic map[string]any
	for _, tp := range templates {
		if tp := tp.(map[string]any); tp["key"] == "generic-rest-get" {
			generic = tp
		}
	}
	if len(templates) < 6 || generic == nil {
		t.Fatalf("templates: %d, generic-rest-get %v", len(templates), generic)
	}
	values := map[string]string{}
	var required []string
	for _, b := range generic["blanks"].([]any) {
		b := b.(map[string]any)
		if b["required"] == true {
			required = append(required, b["name"].(string))
		}
		switch b["target"] {
		case "url":
			values[b["name"].(string)] = rc.URL + "/status"
		case "auth.token":
			values[b["name"].(string)] = e2eToken
		}
	}
	if len(required) == 0 {
		t.Fatalf("generic-rest-get has no required blank: %v", generic["blanks"])
	}
	for _, name := range required {
		if values[name] == "" {
			values[name] = "x"
		}
	}
	fromTemplate, raw := c.rawCall("POST", "/api/v1/webhooks", key, map[string]any{"template_id": generic["id"], "name": "Status check", "values": values}, 201)
	responses = append(responses, raw)
	if fromTemplate["template_id"] != generic["id"] || fromTemplate["name"] != "Status check" {
		t.Fatalf("from template = %s", raw)
	}
	delete(values, required[0])
	missing, _ := c.rawCall("POST", "/api/v1/webhooks", key, map[string]any{"template_id": generic["id"], "name": "Incomplete", "values": values}, 400)
	if e := missing["error"].(map[string]any); e["field"] != "values."+required[0] {
		t.Fatalf("missing value: %v", e)
	}

	// An agency key sees the company's webhooks; another company does not.
	agencyKey := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", agency["id"]), token, "", 201)["key"].(string)
	if l := c.call("GET", "/api/v1/webhooks", agencyKey, "", 200)["webhooks"].([]any); len(l) != 2 {
		t.Fatalf("the agency sees %d webhooks", len(l))
	}
	other := c.call("POST", "/api/v1/tenants", token, `{"name": "Other", "kind": "company"}`, 201)
	otherKey := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", other["id"]), token, "", 201)["key"].(string)
	c.call("GET", fmt.Sprintf("/api/v1/webhooks/%v", created["id"]), otherKey, "", 404)
	c.call("POST", fmt.Sprintf("/api/v1/webhooks/%v/run", created["id"]), otherKey, "", 404)

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range responses {
		if strings.Contains(string(r), e2eToken) {
			t.Fatalf("the token shows in a response: %s", r)
		}
	}
	if strings.Contains(logs.String(), e2eToken) {
		t.Fatal("the token reached the log")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(e2eToken)) {
			t.Fatalf("%s holds the token in clear", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatalf("no key file generated: %v", err)
	}
}

// TestWebhookRunCommand runs the CLI on the Done-when definition: the same
// JSON as the API, exit 0 even when the target is refused, exit 1 on an
// invalid definition.
func TestWebhookRunCommand(t *testing.T) {
	rc := newReceiver(t)
	dir := t.TempDir()
	write := func(name string, v any) string {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def := write("def.json", map[string]any{
		"name": "Ticket status", "method": "POST", "url": rc.URL + "/api/v2/tickets",
		"auth": map[string]any{"type": "bearer", "token": e2eToken}, "body": seedBody(t),
		"custom_variables": []any{map[string]any{"name": "ticket_status", "mapper": "{{ticket.status}}"}},
	})
	ctxFile := write("ctx.json", map[string]any{"certainly": map[string]any{"sessionId": 9, "moduleId": 4, "reply": "a \"quoted\" reply"}})

	runCLI := func(env func(string) string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"webhook", "run"}, args...), env, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := runCLI(envOf("HOOKLINE_EGRESS_ALLOW", "127.0.0.1"), "--file", def, "--context", ctxFile)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var res struct {
		Request   struct{ Headers map[string]string }
		Response  struct{ Status int }
		Variables map[string]any
		Error     any
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if res.Variables["ticket_status"] != "open" || res.Error != nil || res.Response.Status != 200 || strings.Contains(out, e2eToken) {
		t.Fatalf("output = %s", out)
	}
	if sent, _ := rc.last(t); !strings.Contains(string(sent), `"reply": "a \"quoted\" reply"`) {
		t.Fatalf("the receiver got %s", sent)
	}

	// The flag opens loopback too; compact output is one line.
	code, out, _ = runCLI(envOf(), "--file", def, "--allow", "127.0.0.0/8", "--compact")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, `"ticket_status":"open"`) {
		t.Fatalf("--allow --compact: exit %d, %s", code, out)
	}
	// Without an allowlist the guard refuses loopback: a result all the same.
	code, out, _ = runCLI(envOf(), "--file", def)
	if code != 0 || !strings.Contains(out, `"kind": "blocked_address"`) {
		t.Fatalf("no allowlist: exit %d, %s", code, out)
	}
	if code, _, _ = runCLI(envOf(), "--file", def, "--fail"); code != 1 {
		t.Fatalf("--fail with a failed run: exit %d", code)
	}

	bad := write("bad.json", map[string]any{"method": "POST", "url": rc.URL, "body": "{{ oops"})
	code, out, errOut = runCLI(envOf(), "--file", bad)
	if code != 1 || out != "" || !strings.Contains(errOut, "body: ") || !strings.Contains(errOut, "line 1") {
		t.Fatalf("invalid definition: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A file that is not a definition gets the API's errors: the position
	// of malformed JSON, the field of a wrong type or an unknown name.
	for text, want := range map[string]string{
		"{\"method\": \"GET\",\n \"url\": \"http://x/\",}": "malformed JSON at line 2, column 21",
		`{"method": "GET", "timeout_ms": "5"}`:             "timeout_ms must be an integer, not string",
		`{"method": "GET", "colour": 1}`:                   `unknown field "colour"`,
		`[1]`:                                              "the file must be a JSON object",
	} {
		p := filepath.Join(dir, "broken.json")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut = runCLI(envOf(), "--file", p); code != 1 || !strings.Contains(errOut, "broken.json: "+want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", text, code, errOut, want)
		}
	}
	code, _, errOut = runCLI(envOf(), "--file", filepath.Join(dir, "nope.json"))
	if code != 1 || !strings.Contains(errOut, "--file") {
		t.Fatalf("missing file: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(envOf(), "--file", def, "--context", write("list.json", []int{1}))
	if code != 1 || !strings.Contains(errOut, "context") {
		t.Fatalf("bad context: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(envOf("HOOKLINE_EGRESS_ALLOW", "everywhere"), "--file", def)
	if code != 2 || !strings.Contains(errOut, `HOOKLINE_EGRESS_ALLOW "everywhere"`) {
		t.Fatalf("bad allowlist: exit %d, %q", code, errOut)
	}
	masked := write("masked.json", map[string]any{"method": "GET", "url": rc.URL, "auth": map[string]any{"type": "bearer", "token": "********"}})
	if code, _, errOut = runCLI(envOf(), "--file", masked); code != 1 || !strings.Contains(errOut, "auth.token") {
		t.Fatalf("masked token: exit %d, %q", code, errOut)
	}
	if code, _, _ = runCLI(envOf()); code != 2 {
		t.Fatalf("no --file: exit %d", code)
	}
}
