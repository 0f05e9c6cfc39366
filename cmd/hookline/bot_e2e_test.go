package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// e2eBot collects a ticket number, looks it up through a webhook and
// answers with the status it mapped; ticket 0 goes to a webhook that fails,
// whose on_failure branch answers instead.
const e2eBot = `name: Ticket desk
start: 1
settings:
  idle_timeout: 30m
modules:
  - id: 1
    type: collector
    key: ticket_id
    prompt: Your ticket number?
    validate: {type: number}
    retry_prompt: A ticket number is digits only.
    connections:
      - condition: certainly.extractedData.ticket_id == 0
        webhooks: [Broken lookup]
        on_failure: 4
        to: 2
      - webhooks: [Ticket lookup]
        on_failure: 4
        to: 2
  - id: 2
    type: message
    text: "Ticket {{ certainly.extractedData.ticket_id }} is {{ certainly.customVariables.ticket_status }}."
    connections:
      - to: 3
  - id: 3
    type: end
    text: Bye!
  - id: 4
    type: end
    text: Sorry, the ticket system is down.
`

// TestBotEndToEnd runs the built binary: a bot imported with `hookline bot
// import` into the data directory `hookline serve` uses collects a value,
// calls a webhook on a local receiver and answers with the mapped
// variable through POST /api/v1/bots/{id}/try; a failing webhook takes its
// on_failure branch; the session shows each outcome; `hookline bot export`
// writes the document back with webhooks named; /metrics counts the bot's
// messages; the webhook the bot uses cannot be deleted.
func TestBotEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	n := &node{t: t, bin: bin, env: crashEnv(), data: data}
	n.start()
	defer n.kill()
	c := client{t, n.url()}

	tickets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, seedTicket)
	}))
	defer tickets.Close()

	company := c.call("POST", "/api/v1/tenants", crashAdmin, `{"name": "Desk", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), crashAdmin, "", 201)["key"].(string)
	lookup := c.call("POST", "/api/v1/webhooks", key, fmt.Sprintf(`{"name": "Ticket lookup", "method": "GET",
		"url": "%s/api/v2/tickets/{{certainly.extractedData.ticket_id}}",
		"custom_variables": [{"name": "ticket_status", "mapper": "{{ticket.status}}"}]}`, tickets.URL), 201)
	c.call("POST", "/api/v1/webhooks", key, fmt.Sprintf(`{"name": "Broken lookup", "method": "GET", "url": "%s/broken"}`, tickets.URL), 201)

	// Import through the CLI, on the data directory serve uses.
	file := filepath.Join(dir, "desk.yaml")
	if err := os.WriteFile(file, []byte(e2eBot), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), crashEnv()...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
	}
	code, out, errOut := cli("bot", "import", file, "--company", fmt.Sprint(company["id"]), "--data", data)
	if code != 0 {
		t.Fatalf("bot import: exit %d, %s%s", code, out, errOut)
	}
	var imported struct{ ID int64 }
	if err := json.Unmarshal([]byte(out), &imported); err != nil || imported.ID == 0 {
		t.Fatalf("bot import printed %q (%v)", out, err)
	}
	// A document naming a webhook the company lacks: the path is named.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(e2eBot, "[Ticket lookup]", "[Nope]", 1)), 0o600)
	code, _, errOut = cli("bot", "import", bad, "--company", fmt.Sprint(company["id"]), "--data", data)
	if code != 1 || !strings.Contains(errOut, `modules[0].connections[1].webhooks[0]: company`) || !strings.Contains(errOut, `"Nope"`) {
		t.Fatalf("bad import: exit %d, stderr %q", code, errOut)
	}

	try := func(from, text string) (string, float64) {
		t.Helper()
		r := c.call("POST", fmt.Sprintf("/api/v1/bots/%d/try", imported.ID), key, fmt.Sprintf(`{"from": %q, "text": %q}`, from, text), 200)
		return fmt.Sprint(r["text"]), r["session_id"].(float64)
	}
	if got, _ := try("ada", "hi"); got != "[Your ticket number?]" {
		t.Fatalf("first message: %s", got)
	}
	if got, _ := try("ada", "three"); got != "[A ticket number is digits only.]" {
		t.Fatalf("invalid answer: %s", got)
	}
	got, session := try("ada", "388")
	if got != "[Ticket 388 is open. Bye!]" {
		t.Fatalf("answer with the mapped variable: %s", got)
	}
	try("bob", "hi")
	failed, failedSession := try("bob", "0")
	if failed != "[Sorry, the ticket system is down.]" {
		t.Fatalf("failing webhook: %s", failed)
	}

	s := c.call("GET", fmt.Sprintf("/api/v1/sessions/%v", session), key, "", 200)
	hist := s["history"].([]any)
	hook := hist[2].(map[string]any)["webhooks"].([]any)[0].(map[string]any)
	if s["state"] != "ended" || len(hist) != 3 || hook["status"] != "succeeded" || hook["http_status"].(float64) != 200 || hook["name"] != "Ticket lookup" {
		t.Fatalf("session: %v", s)
	}
	s = c.call("GET", fmt.Sprintf("/api/v1/sessions/%v", failedSession), key, "", 200)
	hook = s["history"].([]any)[1].(map[string]any)["webhooks"].([]any)[0].(map[string]any)
	if hook["status"] != "failed" || hook["error_kind"] != "http_status" || hook["http_status"].(float64) != 500 {
		t.Fatalf("failed outcome: %v", hook)
	}

	// Export through the CLI, as the API writes it.
	code, out, errOut = cli("bot", "export", fmt.Sprint(imported.ID), "--format", "yaml", "--data", data)
	if code != 0 || !strings.Contains(out, "- Ticket lookup") || !strings.Contains(out, "- Broken lookup") {
		t.Fatalf("bot export: exit %d, %s%s", code, out, errOut)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/bots/%d/export", n.url(), imported.ID), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/yaml")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	api, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(api) != out {
		t.Fatalf("the API's export differs from the CLI's:\n%s\n---\n%s", api, out)
	}

	status, families := scrapeMetrics(t, n.url(), "")
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	if got := series(t, families, "hookline_bot_messages_total", "direction", "in"); got != 5 {
		t.Fatalf("bot messages in = %v, want 5", got)
	}
	c.call("DELETE", fmt.Sprintf("/api/v1/webhooks/%v", lookup["id"]), key, "", 409)
	n.stop()
}
