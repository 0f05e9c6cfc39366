package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/hookline/hookline/provider/twilio"
)

// TestChatbotCampaignRunsItsBot: a live chatbot campaign with a bot answers
// its connection's messages with the bot, through the provider's API: the
// bot collects a name over two SMS and greets the contact with it.
func TestChatbotCampaignRunsItsBot(t *testing.T) {
	token := "configured-admin-token-123"
	twilioAPI := newFake(t, func(r *http.Request, body []byte) (int, string) { return 201, `{"sid": "SMout"}` })
	m, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token,
		EgressAllow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		DeliverySchedule: []time.Duration{50 * time.Millisecond}, DeliveryWorkers: 4})
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	company := c.call("POST", "/api/v1/tenants", token, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), token, "", 201)["key"].(string)
	bot := c.call("POST", "/api/v1/bots", key, `{"name": "Greeter", "start": 1, "modules": [
		{"id": 1, "type": "collector", "key": "name", "prompt": "Your name?", "validate": {"type": "text"}, "connections": [{"to": 2}]},
		{"id": 2, "type": "end", "text": "Hello {{certainly.extractedData.name}}"}]}`, 201)
	c.call("POST", "/api/v1/connections", key, fmt.Sprintf(`{"type": "sms", "code": "bot-sms",
		"provider": {"account_sid": "AC1", "auth_token": "bot-sms-token", "from": "+15550001111", "base_url": %q}}`, twilioAPI.srv.URL), 201)
	c.call("POST", "/api/v1/campaigns", key, `{"name": "Bot", "type": "chatbot", "connection": "bot-sms", "bot_id": 99999}`, 404)
	camp := c.call("POST", "/api/v1/campaigns", key, fmt.Sprintf(`{"name": "Bot", "type": "chatbot", "connection": "bot-sms", "bot_id": %v}`, bot["id"]), 201)
	c.call("POST", fmt.Sprintf("/api/v1/campaigns/%v/live", camp["id"]), key, "", 200)

	inbound := m.PublicURL() + "/channels/sms/bot-sms"
	send := func(sid, body string) {
		t.Helper()
		v := url.Values{"MessageSid": {sid}, "From": {"+15557770000"}, "To": {"+15550001111"}, "Body": {body}}
		if status, answer := post(t, "POST", inbound, "application/x-www-form-urlencoded",
			map[string]string{twilio.HeaderSignature: twilio.Signature("bot-sms-token", inbound, v)}, v.Encode()); status != 200 {
			t.Fatalf("inbound %q: %d %s", body, status, answer)
		}
	}
	send("SM1", "hi")
	send("SM2", "Ada")
	sent := twilioAPI.wait(t, 2, nil)
	var bodies []string
	for _, r := range sent {
		form, _ := url.ParseQuery(string(r.body))
		if form.Get("To") != "+15557770000" || form.Get("From") != "+15550001111" {
			t.Fatalf("sent %s", r.body)
		}
		bodies = append(bodies, form.Get("Body"))
	}
	if len(bodies) != 2 || bodies[0] != "Your name?" || bodies[1] != "Hello Ada" {
		t.Fatalf("the bot said %q, want the prompt then the greeting", bodies)
	}
}
