package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// hookCall posts one message to a channel's hook with a JWT of its app,
// and returns the status and body.
func hookCall(t *testing.T, url, clientID, secret, from, text string) (int, []byte) {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"appId": clientID, "sub": "1"}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"message": map[string]any{"text": text}, "from": map[string]any{"id": from},
		"to": map[string]any{"id": "desk"}, "customData": map[string]any{"userToken": "ut-" + from}})
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", "bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// TestBotChannelsEndToEnd is issue 17's Done-when through the real wiring:
// an outside system holding a channel's client id and secret talks to a bot
// that collects a value, calls a webhook and answers with the mapped
// variable, in sync mode in the HTTP answer and in async mode at its
// POST_URL, in order; the templates see the channel's customData; an
// unapproved channel is refused; the export carries the channels, and an
// import recreates them unapproved; the metrics count per channel.
func TestBotChannelsEndToEnd(t *testing.T) {
	token := "configured-admin-token-123"
	tickets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, seedTicket)
	}))
	defer tickets.Close()
	var mu sync.Mutex
	var posted []string
	var auths []string
	postURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posted, auths = append(posted, string(b)), append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer postURL.Close()
	m, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token,
		EgressAllow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		DeliverySchedule: []time.Duration{100 * time.Millisecond}, DeliveryWorkers: 4, DeliveryPerTarget: 2})
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	company := c.call("POST", "/api/v1/tenants", token, `{"name": "Desk", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), token, "", 201)["key"].(string)
	c.call("POST", "/api/v1/webhooks", key, fmt.Sprintf(`{"name": "Ticket lookup", "method": "GET",
		"url": "%s/api/v2/tickets/{{certainly.extractedData.ticket_id}}",
		"custom_variables": [{"name": "ticket_status", "mapper": "{{ticket.status}}"}]}`, tickets.URL), 201)
	doc := strings.Replace(e2eBot, "      - condition: certainly.extractedData.ticket_id == 0\n        webhooks: [Broken lookup]\n        on_failure: 4\n        to: 2\n", "", 1)
	doc = strings.Replace(doc, "text: Bye!", "text: \"Bye, {{ context.session.BotUserSession.lastMessage.customData.userToken }}!\"", 1)
	b := postYAML(t, c.base+"/api/v1/bots", key, doc)

	syncCh := c.call("POST", fmt.Sprintf("/api/v1/bots/%v/channels", b["id"]), key, `{"type": "webhook", "name": "web", "mode": "sync"}`, 201)
	if code, _ := hookCall(t, syncCh["url"].(string), syncCh["client_id"].(string), syncCh["client_secret"].(string), "ada", "hi"); code != 403 {
		t.Fatalf("an unapproved channel answered %d", code)
	}
	c.call("POST", fmt.Sprintf("/api/v1/channels/%v/approve", syncCh["id"]), token, "", 200)
	say := func(ch map[string]any, from, text string) string {
		t.Helper()
		code, out := hookCall(t, ch["url"].(string), ch["client_id"].(string), ch["client_secret"].(string), from, text)
		if code != 200 {
			t.Fatalf("hook %q: %d %s", text, code, out)
		}
		return string(out)
	}
	if got := say(syncCh, "ada", "hi"); got != `{"text":["Your ticket number?"]}`+"\n" {
		t.Fatalf("sync hi: %s", got)
	}
	if got := say(syncCh, "ada", "388"); got != `{"text":["Ticket 388 is open.","Bye, ut-ada!"]}`+"\n" {
		t.Fatalf("sync answer: %s", got)
	}

	asyncCh := c.call("POST", fmt.Sprintf("/api/v1/bots/%v/channels", b["id"]), key,
		fmt.Sprintf(`{"type": "webhook", "name": "queue", "mode": "async", "post_url": %q, "access_token": "post-token-123"}`, postURL.URL+"/answers"), 201)
	c.call("POST", fmt.Sprintf("/api/v1/channels/%v/approve", asyncCh["id"]), token, "", 200)
	for _, text := range []string{"hi", "not a number", "42"} {
		if got := say(asyncCh, "bob", text); got != "" {
			t.Fatalf("async %q answered %q, want an empty 200", text, got)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(posted)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d answers reached POST_URL", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := []string{
		`{"text":["Your ticket number?"],"to":"bob","from":"desk"}`,
		`{"text":["A ticket number is digits only."],"to":"bob","from":"desk"}`,
		`{"text":["Ticket 42 is open.","Bye, ut-bob!"],"to":"bob","from":"desk"}`,
	}
	mu.Lock()
	for i := range want {
		if posted[i] != want[i] || auths[i] != "Bearer post-token-123" {
			t.Errorf("answer %d: %s (%s), want %s", i, posted[i], auths[i], want[i])
		}
	}
	mu.Unlock()

	// The sessions of each channel, and the metrics per channel.
	for ch, n := range map[any]int{syncCh["id"]: 1, asyncCh["id"]: 1, 0: 0} {
		list := c.call("GET", fmt.Sprintf("/api/v1/bots/%v/sessions?channel=%v", b["id"], ch), key, "", 200)
		if got := len(list["sessions"].([]any)); got != n {
			t.Errorf("channel %v: %d sessions, want %d", ch, got, n)
		}
	}
	metrics := c.call("GET", fmt.Sprintf("/api/v1/bots/%v/metrics", b["id"]), key, "", 200)
	names := map[string]float64{}
	for _, ch := range metrics["channels"].([]any) {
		ch := ch.(map[string]any)
		names[ch["channel_name"].(string)] = ch["totals"].(map[string]any)["messages_in"].(float64)
	}
	if names["web"] != 2 || names["queue"] != 3 {
		t.Fatalf("messages in per channel = %v", names)
	}

	// Export carries the channels; an import into another company
	// recreates them, unapproved and without an app.
	other := c.call("POST", "/api/v1/tenants", token, `{"name": "Other desk", "kind": "company"}`, 201)
	otherKey := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", other["id"]), token, "", 201)["key"].(string)
	c.call("POST", "/api/v1/webhooks", otherKey, fmt.Sprintf(`{"name": "Ticket lookup", "method": "GET", "url": "%s/x"}`, tickets.URL), 201)
	exported := getBody(t, fmt.Sprintf("%s/api/v1/bots/%v/export?format=yaml", c.base, b["id"]), key)
	if !strings.Contains(exported, "name: web") || !strings.Contains(exported, "post_url: "+postURL.URL+"/answers") || strings.Contains(exported, "post-token-123") {
		t.Fatalf("export:\n%s", exported)
	}
	imported := postYAML(t, c.base+"/api/v1/bots", otherKey, exported)
	chans := c.call("GET", fmt.Sprintf("/api/v1/bots/%v/channels", imported["id"]), otherKey, "", 200)["channels"].([]any)
	if len(chans) != 2 {
		t.Fatalf("imported channels: %v", chans)
	}
	for _, ch := range chans {
		ch := ch.(map[string]any)
		if ch["approved"] != false || ch["app_id"] != nil {
			t.Fatalf("an imported channel: %v", ch)
		}
	}
	// Deleting the bot deletes its channels.
	c.call("DELETE", fmt.Sprintf("/api/v1/bots/%v", imported["id"]), otherKey, "", 204)
	c.call("GET", fmt.Sprintf("/api/v1/channels/%v", chans[0].(map[string]any)["id"]), otherKey, "", 404)
}

func postYAML(t *testing.T, url, key, doc string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(doc))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/yaml")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 {
		t.Fatalf("POST %s: %d %s", url, res.StatusCode, raw)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func getBody(t *testing.T, url, key string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, raw)
	}
	return string(raw)
}
