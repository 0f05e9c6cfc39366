package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/provider/twilio"
	"github.com/hookline/hookline/provider/whatsapp"
)

// recorded is one request a fake received.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// fake is a local HTTP server that records what it receives and answers
// with answer (204 when nil).
type fake struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []recorded
	answer func(r *http.Request, body []byte) (int, string)
}

func newFake(t *testing.T, answer func(r *http.Request, body []byte) (int, string)) *fake {
	f := &fake{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, recorded{r.Method, r.URL.RequestURI(), r.Header.Clone(), body})
		f.mu.Unlock()
		status, text := http.StatusNoContent, ""
		if f.answer != nil {
			status, text = f.answer(r, body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, text)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// wait returns the requests received once n of them match, failing the
// test after a few seconds.
func (f *fake) wait(t *testing.T, n int, match func(recorded) bool) []recorded {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []recorded
		f.mu.Lock()
		for _, r := range f.got {
			if match == nil || match(r) {
				out = append(out, r)
			}
		}
		f.mu.Unlock()
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %d matching requests, want %d", len(out), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// post sends a raw request and returns its status and body.
func post(t *testing.T, method, u, contentType string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// verifyEvent checks an event's Standard Webhooks signature with the
// integration's signing secret and returns its body.
func verifyEvent(t *testing.T, secret string, r recorded) map[string]any {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", r.header.Get("Webhook-Id"), r.header.Get("Webhook-Timestamp"), r.body)
	if r.header.Get("Webhook-Signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("event signature %q does not verify", r.header.Get("Webhook-Signature"))
	}
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("event body %s: %v", r.body, err)
	}
	return v
}

func isEvent(kind string) func(recorded) bool {
	return func(r recorded) bool { return strings.Contains(string(r.body), `"event":"`+kind+`"`) }
}

// waitDelivery polls a delivery until it is final.
func waitDelivery(t *testing.T, c client, key string, id any) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := c.call("GET", fmt.Sprintf("/api/v1/deliveries/%v", id), key, "", 200)
		if s := d["status"]; s == "succeeded" || s == "failed" || s == "canceled" {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %v did not end: %v", id, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIntegrationSMSEndToEnd runs the Custom Webhook integration over SMS
// through the real wiring: a form signed as Twilio signs it comes in, a
// signed MESSAGE event reaches the customer's receiver, the customer's
// reply through the reply URL reaches a local fake of Twilio's Messages API
// with Basic auth, and END follows; and every refusal holds.
func TestIntegrationSMSEndToEnd(t *testing.T) {
	token := "configured-admin-token-123"
	receiver := newFake(t, nil)
	twilioAPI := newFake(t, func(r *http.Request, body []byte) (int, string) {
		form, _ := url.ParseQuery(string(body))
		if form.Get("To") == "+15550009999" {
			return 400, `{"code": 21211, "message": "The 'To' number +15550009999 is not a valid phone number.", "status": 400}`
		}
		return 201, `{"sid": "SMout", "status": "queued"}`
	})
	m, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token,
		EgressAllow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		DeliverySchedule: []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}, DeliveryWorkers: 4, DeliveryPerTarget: 2})
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	company := c.call("POST", "/api/v1/tenants", token, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), token, "", 201)["key"].(string)
	other := c.call("POST", "/api/v1/tenants", token, `{"name": "Other", "kind": "company"}`, 201)
	otherKey := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", other["id"]), token, "", 201)["key"].(string)

	conn := c.call("POST", "/api/v1/connections", key, fmt.Sprintf(`{"type": "sms", "code": "shop-sms",
		"provider": {"account_sid": "AC123", "auth_token": "twilio-auth-token-1", "from": "+15550001111", "base_url": %q}}`, twilioAPI.srv.URL), 201)
	if conn["provider"].(map[string]any)["auth_token"] != "********" || conn["inbound_url"] != m.PublicURL()+"/channels/sms/shop-sms" {
		t.Fatalf("connection shown as %v", conn)
	}
	// The code is unique across tenants, and the clash says nothing of whose.
	clash := c.call("POST", "/api/v1/connections", otherKey, `{"type": "sms", "code": "shop-sms",
		"provider": {"account_sid": "AC9", "auth_token": "x", "from": "+1"}}`, 409)
	if strings.Contains(fmt.Sprint(clash), "Shop") {
		t.Fatalf("the clash names the owner: %v", clash)
	}
	integ := c.call("POST", "/api/v1/integrations", key, fmt.Sprintf(`{"alias": "CRM", "method": "POST", "url": %q,
		"auth": {"type": "bearer", "token": "crm-bearer-token"}, "headers": [{"key": "X-Source", "value": "hookline"}],
		"connections": ["shop-sms"]}`, receiver.srv.URL+"/events"), 201)
	secret, replyToken := integ["signing_secret"].(string), integ["reply_token"].(string)
	id := integ["id"]
	if !strings.HasPrefix(secret, "whsec_") || !strings.HasPrefix(replyToken, "hlr_") || integ["status"] != "inactive" {
		t.Fatalf("created %v", integ)
	}
	shown := c.call("GET", fmt.Sprintf("/api/v1/integrations/%v", id), key, "", 200)
	if shown["reply_token"] != "********" || shown["signing_secret"] != "********" || shown["auth"].(map[string]any)["token"] != "********" {
		t.Fatalf("secrets shown: %v", shown)
	}
	c.call("GET", fmt.Sprintf("/api/v1/integrations/%v", id), otherKey, "", 404)
	// The connection serves one integration.
	c.call("POST", "/api/v1/integrations", key, fmt.Sprintf(`{"alias": "Two", "method": "POST", "url": %q, "connections": ["shop-sms"]}`, receiver.srv.URL), 409)
	c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/start", id), key, "", 200)

	inbound := m.PublicURL() + "/channels/sms/shop-sms"
	sms := func(sid, from, body string) (url.Values, string) {
		v := url.Values{"MessageSid": {sid}, "From": {from}, "To": {"+15550001111"}, "Body": {body}, "NumMedia": {"0"}, "AccountSid": {"AC123"}}
		return v, twilio.Signature("twilio-auth-token-1", inbound, v)
	}
	// A bad signature is a 403 and stores nothing.
	form, _ := sms("SM0", "+15551230000", "forged")
	status, _ := post(t, "POST", inbound, "application/x-www-form-urlencoded", map[string]string{twilio.HeaderSignature: "AAAA"}, form.Encode())
	if status != 403 {
		t.Fatalf("forged SMS: %d", status)
	}
	if chats := c.call("GET", fmt.Sprintf("/api/v1/integrations/%v/chats", id), key, "", 200)["chats"].([]any); len(chats) != 0 {
		t.Fatalf("a forged SMS stored %v", chats)
	}
	form, sig := sms("SM1", "+15551230000", `hello "team"`)
	for range 2 { // the second is a provider retry: handled once
		status, body := post(t, "POST", inbound, "application/x-www-form-urlencoded", map[string]string{twilio.HeaderSignature: sig}, form.Encode())
		if status != 200 || body != "<Response/>" {
			t.Fatalf("SMS: %d %q", status, body)
		}
	}
	ev := verifyEvent(t, secret, receiver.wait(t, 1, isEvent("MESSAGE"))[0])
	if ev["contact"] != "+15551230000" || ev["text"] != `hello "team"` || ev["event"] != "MESSAGE" {
		t.Fatalf("event %v", ev)
	}
	first := receiver.wait(t, 1, nil)[0]
	if first.header.Get("Authorization") != "Bearer crm-bearer-token" || first.header.Get("X-Source") != "hookline" {
		t.Fatalf("event headers %v", first.header)
	}
	chatID := ev["chatId"]
	chat := c.call("GET", fmt.Sprintf("/api/v1/integrations/%v/chats/%v", id, chatID), key, "", 200)
	if n := len(chat["messages"].([]any)); n != 1 || chat["status"] != "open" {
		t.Fatalf("after a repeated SMS the chat holds %d messages: %v", n, chat)
	}

	// The customer replies with the reply token.
	replyURL := fmt.Sprintf("%s/api/v1/integrations/%v/chats/%v/messages", c.base, id, chatID)
	status, body := post(t, "POST", replyURL, "application/json", map[string]string{"Authorization": "Bearer " + replyToken}, `{"text": "We are on it"}`)
	if status != 202 {
		t.Fatalf("reply: %d %s", status, body)
	}
	sent := twilioAPI.wait(t, 1, nil)[0]
	sentForm, _ := url.ParseQuery(string(sent.body))
	if sent.path != "/2010-04-01/Accounts/AC123/Messages.json" || sentForm.Get("To") != "+15551230000" || sentForm.Get("From") != "+15550001111" ||
		sentForm.Get("Body") != "We are on it" || sent.header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("AC123:twilio-auth-token-1")) ||
		sent.header.Get("Webhook-Signature") != "" {
		t.Fatalf("Twilio got %s %s %v", sent.path, sent.body, sent.header)
	}
	// Refusals of the reply URL.
	if status, _ := post(t, "POST", replyURL, "application/json", map[string]string{"Authorization": "Bearer hlr_wrong"}, `{"text": "x"}`); status != 401 {
		t.Fatalf("wrong reply token: %d", status)
	}
	if status, _ := post(t, "POST", replyURL, "application/json", map[string]string{"Authorization": "Bearer " + otherKey}, `{"text": "x"}`); status != 404 {
		t.Fatalf("another company's key: %d", status)
	}
	unknown := fmt.Sprintf("%s/api/v1/integrations/%v/chats/999999/messages", c.base, id)
	if status, _ := post(t, "POST", unknown, "application/json", map[string]string{"Authorization": "Bearer " + replyToken}, `{"text": "x"}`); status != 404 {
		t.Fatalf("unknown chat: %d", status)
	}
	// A company key works too (the Try Out form).
	c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/chats/%v/messages", id, chatID), key, `{"text": "Try out"}`, 202)

	// END comes after the MESSAGE event.
	endURL := fmt.Sprintf("%s/api/v1/integrations/%v/chats/%v/end", c.base, id, chatID)
	if status, body := post(t, "POST", endURL, "", map[string]string{"Authorization": "Bearer " + replyToken}, ""); status != 200 {
		t.Fatalf("end: %d %s", status, body)
	}
	events := receiver.wait(t, 2, nil)
	if end := verifyEvent(t, secret, events[1]); end["event"] != "END" || end["chatId"] != chatID {
		t.Fatalf("second event %v", end)
	}
	if status, _ := post(t, "POST", endURL, "", map[string]string{"Authorization": "Bearer " + replyToken}, ""); status != 409 {
		t.Fatalf("ending an ended chat: %d", status)
	}
	if status, _ := post(t, "POST", replyURL, "application/json", map[string]string{"Authorization": "Bearer " + replyToken}, `{"text": "late"}`); status != 409 {
		t.Fatalf("reply to an ended chat: %d", status)
	}

	// A provider's permanent refusal fails the reply at once.
	form, sig = sms("SM2", "+15550009999", "hi")
	if status, _ := post(t, "POST", inbound, "application/x-www-form-urlencoded", map[string]string{twilio.HeaderSignature: sig}, form.Encode()); status != 200 {
		t.Fatal(status)
	}
	ev2 := verifyEvent(t, secret, receiver.wait(t, 3, nil)[2])
	msg := c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/chats/%v/messages", id, ev2["chatId"]), key, `{"text": "x"}`, 202)
	d := waitDelivery(t, c, key, msg["delivery_ids"].([]any)[0])
	attempts := d["attempts"].([]any)
	if d["status"] != "failed" || len(attempts) != 1 || !strings.Contains(attempts[0].(map[string]any)["error"].(string), "21211") {
		t.Fatalf("refused reply: %v", d)
	}

	// Rotating the reply token keeps the old one for a day.
	rotated := c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/reply-token", id), key, "", 200)
	for _, tok := range []string{replyToken, rotated["reply_token"].(string)} {
		if status, _ := post(t, "POST", fmt.Sprintf("%s/api/v1/integrations/%v/chats/%v/messages", c.base, id, ev2["chatId"]), "application/json",
			map[string]string{"Authorization": "Bearer " + tok}, `{"text": "y"}`); status != 202 {
			t.Fatalf("token after rotation: %d", status)
		}
	}

	// Campaigns: an integration without connections, linked by a live
	// chatbot campaign, cannot be stopped; a held connection cannot go.
	bare := c.call("POST", "/api/v1/integrations", key, fmt.Sprintf(`{"alias": "Bot bridge", "method": "GET", "url": %q}`, receiver.srv.URL+"/bridge"), 201)
	c.call("POST", "/api/v1/connections", key, fmt.Sprintf(`{"type": "sms", "code": "shop-sms-2",
		"provider": {"account_sid": "AC123", "auth_token": "twilio-auth-token-2", "from": "+15550002222", "base_url": %q}}`, twilioAPI.srv.URL), 201)
	campaign := fmt.Sprintf(`{"name": "Spring", "type": "chatbot", "connection": "shop-sms-2", "integration_id": %v}`, bare["id"])
	c.call("POST", "/api/v1/campaigns", key, campaign, 409) // the integration is inactive
	c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/start", bare["id"]), key, "", 200)
	camp := c.call("POST", "/api/v1/campaigns", key, campaign, 201)
	c.call("POST", "/api/v1/campaigns", key, fmt.Sprintf(`{"name": "X", "type": "chatbot", "connection": "shop-sms", "integration_id": %v}`, bare["id"]), 409)
	c.call("POST", fmt.Sprintf("/api/v1/campaigns/%v/live", camp["id"]), key, "", 200)
	refusal := c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/stop", bare["id"]), key, "", 409)
	if !strings.Contains(fmt.Sprint(refusal), `"Spring"`) {
		t.Fatalf("the stop refusal does not name the campaign: %v", refusal)
	}
	c.call("DELETE", fmt.Sprintf("/api/v1/integrations/%v", bare["id"]), key, "", 409)
	c.call("DELETE", fmt.Sprintf("/api/v1/connections/%v", conn["id"]), key, "", 409)
	linked := c.call("GET", fmt.Sprintf("/api/v1/integrations/%v/campaigns", bare["id"]), key, "", 200)["campaigns"].([]any)
	if len(linked) != 1 || linked[0].(map[string]any)["integration_date"] == nil {
		t.Fatalf("linked campaigns %v", linked)
	}
	// The campaign's messages reach its integration, GET with the fields
	// in the query, the campaign named.
	inbound2 := m.PublicURL() + "/channels/sms/shop-sms-2"
	v := url.Values{"MessageSid": {"SM5"}, "From": {"+15557770000"}, "To": {"+15550002222"}, "Body": {"via campaign"}}
	if status, _ := post(t, "POST", inbound2, "application/x-www-form-urlencoded",
		map[string]string{twilio.HeaderSignature: twilio.Signature("twilio-auth-token-2", inbound2, v)}, v.Encode()); status != 200 {
		t.Fatal(status)
	}
	bridged := receiver.wait(t, 1, func(r recorded) bool { return strings.HasPrefix(r.path, "/bridge") })[0]
	q, _ := url.ParseQuery(strings.SplitN(bridged.path, "?", 2)[1])
	if bridged.method != "GET" || q.Get("text") != "via campaign" || q.Get("contact") != "+15557770000" || q.Get("event") != "MESSAGE" {
		t.Fatalf("bridged %s %s", bridged.method, bridged.path)
	}
	details := c.call("GET", fmt.Sprintf("/api/v1/integrations/%v/api-details", id), key, "", 200)
	if !strings.HasSuffix(details["reply_url"].(string), fmt.Sprintf("/api/v1/integrations/%v/chats/{chatId}/messages", id)) {
		t.Fatalf("api details %v", details)
	}
}

// TestIntegrationWhatsAppEndToEnd is the same over the WhatsApp Cloud API,
// with a local fake of the Graph API: the verify handshake, an event
// signed with X-Hub-Signature-256 whose image is resolved before the event
// is queued, a reply with the bearer token, END after it.
func TestIntegrationWhatsAppEndToEnd(t *testing.T) {
	token := "configured-admin-token-123"
	receiver := newFake(t, nil)
	graph := newFake(t, func(r *http.Request, body []byte) (int, string) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/v21.0/MEDIA1":
			return 200, `{"url": "https://lookaside.example/media/1", "mime_type": "image/jpeg", "id": "MEDIA1"}`
		case strings.Contains(string(body), `"to":"4915199999"`):
			return 400, `{"error": {"message": "(#131047) Re-engagement message", "code": 131047, "error_data": {"details": "more than 24 hours have passed"}}}`
		}
		return 200, `{"messages": [{"id": "wamid.out"}]}`
	})
	m, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token,
		EgressAllow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		DeliverySchedule: []time.Duration{50 * time.Millisecond}, DeliveryWorkers: 4, DeliveryPerTarget: 2})
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	company := c.call("POST", "/api/v1/tenants", token, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), token, "", 201)["key"].(string)
	c.call("POST", "/api/v1/connections", key, fmt.Sprintf(`{"type": "whatsapp", "code": "shop-wa", "provider": {"phone_number_id": "PN1",
		"access_token": "graph-access-token", "app_secret": "meta-app-secret", "verify_token": "verify-me", "base_url": %q}}`, graph.srv.URL), 201)
	integ := c.call("POST", "/api/v1/integrations", key, fmt.Sprintf(`{"alias": "CRM", "method": "PUT", "url": %q, "connections": ["shop-wa"],
		"body_fields": [{"key": "chat.id", "value": "chatId", "type": "variable"}, {"key": "event", "value": "event", "type": "variable"},
		{"key": "media.url", "value": "multimedia.url", "type": "variable"}, {"key": "media.type", "value": "multimedia.content_type", "type": "variable"},
		{"key": "tags[]", "value": "whatsapp"}, {"key": "tags[]", "value": "connection.code", "type": "variable"}]}`, receiver.srv.URL+"/wa"), 201)
	id, secret := integ["id"], integ["signing_secret"].(string)
	c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/start", id), key, "", 200)

	inbound := m.PublicURL() + "/channels/whatsapp/shop-wa"
	if status, body := post(t, "GET", inbound+"?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=8675309", "", nil, ""); status != 200 || body != "8675309" {
		t.Fatalf("handshake: %d %q", status, body)
	}
	if status, _ := post(t, "GET", inbound+"?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", "", nil, ""); status != 403 {
		t.Fatalf("handshake with a wrong token: %d", status)
	}
	event := func(wamid, from string) string {
		return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
			"metadata":{"display_phone_number":"15550001111","phone_number_id":"PN1"},
			"messages":[{"from":%q,"id":%q,"timestamp":"1700000000","type":"image","image":{"id":"MEDIA1","mime_type":"image/jpeg","caption":"my receipt"}}]}}]}]}`, from, wamid)
	}
	body := event("wamid.1", "4915100000")
	if status, _ := post(t, "POST", inbound, "application/json", map[string]string{whatsapp.HeaderSignature: whatsapp.Sign("wrong-secret", []byte(body))}, body); status != 403 {
		t.Fatalf("forged event: %d", status)
	}
	if chats := c.call("GET", fmt.Sprintf("/api/v1/integrations/%v/chats", id), key, "", 200)["chats"].([]any); len(chats) != 0 {
		t.Fatalf("a forged event stored %v", chats)
	}
	for range 2 {
		if status, b := post(t, "POST", inbound, "application/json", map[string]string{whatsapp.HeaderSignature: whatsapp.Sign("meta-app-secret", []byte(body))}, body); status != 200 {
			t.Fatalf("event: %d %s", status, b)
		}
	}
	got := receiver.wait(t, 1, nil)[0]
	ev := verifyEvent(t, secret, got)
	media := ev["media"].(map[string]any)
	if got.method != "PUT" || ev["event"] != "MESSAGE" || media["url"] != "https://lookaside.example/media/1" || media["type"] != "image/jpeg" ||
		fmt.Sprint(ev["tags"]) != "[whatsapp shop-wa]" {
		t.Fatalf("event %s %s", got.method, got.body)
	}
	lookups := graph.wait(t, 2, func(r recorded) bool { return r.method == "GET" })
	if lookups[0].header.Get("Authorization") != "Bearer graph-access-token" {
		t.Fatalf("media lookup headers %v", lookups[0].header)
	}
	chatID := ev["chat"].(map[string]any)["id"]
	if msgs := c.call("GET", fmt.Sprintf("/api/v1/integrations/%v/chats/%v", id, chatID), key, "", 200)["messages"].([]any); len(msgs) != 1 {
		t.Fatalf("a repeated wamid stored %d messages", len(msgs))
	}

	c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/chats/%v/messages", id, chatID), key, `{"text": "Thanks, got it"}`, 202)
	sent := graph.wait(t, 1, func(r recorded) bool { return r.method == "POST" })[0]
	var out map[string]any
	json.Unmarshal(sent.body, &out)
	if sent.path != "/v21.0/PN1/messages" || sent.header.Get("Authorization") != "Bearer graph-access-token" || out["to"] != "4915100000" ||
		out["text"].(map[string]any)["body"] != "Thanks, got it" {
		t.Fatalf("Graph got %s %s %v", sent.path, sent.body, sent.header)
	}
	c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/chats/%v/end", id, chatID), key, "", 200)
	if end := verifyEvent(t, secret, receiver.wait(t, 2, nil)[1]); end["event"] != "END" {
		t.Fatalf("second event %v", end)
	}

	// WhatsApp's closed 24-hour window fails the reply at once.
	late := event("wamid.2", "4915199999")
	if status, _ := post(t, "POST", inbound, "application/json", map[string]string{whatsapp.HeaderSignature: whatsapp.Sign("meta-app-secret", []byte(late))}, late); status != 200 {
		t.Fatal(status)
	}
	ev2 := verifyEvent(t, secret, receiver.wait(t, 3, nil)[2])
	msg := c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/chats/%v/messages", id, ev2["chat"].(map[string]any)["id"]), key, `{"text": "hello?"}`, 202)
	d := waitDelivery(t, c, key, msg["delivery_ids"].([]any)[0])
	attempts := d["attempts"].([]any)
	if d["status"] != "failed" || len(attempts) != 1 || !strings.Contains(attempts[0].(map[string]any)["error"].(string), "131047") {
		t.Fatalf("refused reply: %v", d)
	}
}
