package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDeliveryEndToEnd queues a delivery through the real wiring: the
// worker Open starts sends it, signed, with the webhook's auth, a receiver
// verifies the signature, and Close stops the worker before the store.
func TestDeliveryEndToEnd(t *testing.T) {
	token := "configured-admin-token-123"
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	calls := 0
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got, bodies = append(got, r), append(bodies, body)
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	m, logs, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token,
		EgressAllow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		DeliverySchedule: []time.Duration{100 * time.Millisecond}, DeliveryWorkers: 4, DeliveryPerTarget: 2})
	defer m.Close()
	c := client{t, "http://" + m.Addr()}
	company := c.call("POST", "/api/v1/tenants", token, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), token, "", 201)["key"].(string)
	hook := c.call("POST", "/api/v1/webhooks", key, fmt.Sprintf(`{"name": "Events", "method": "POST", "url": %q,
		"auth": {"type": "api_key", "name": "X-Api-Key", "value": "e2e-api-key-value"},
		"body": "{\"text\": \"{{certainly.reply}}\"}"}`, rc.URL+"/events"), 201)
	secret := c.call("POST", fmt.Sprintf("/api/v1/webhooks/%v/signing-secret", hook["id"]), key, "", 200)["signing_secret"].(string)
	d := c.call("POST", fmt.Sprintf("/api/v1/webhooks/%v/deliveries", hook["id"]), key, `{"context": {"certainly": {"reply": "say \"hi\""}}, "ordering_key": "chat-9"}`, 202)
	deadline := time.Now().Add(10 * time.Second)
	for {
		shown := c.call("GET", fmt.Sprintf("/api/v1/deliveries/%v", d["id"]), key, "", 200)
		if shown["status"] == "succeeded" {
			if n := len(shown["attempts"].([]any)); n != 2 {
				t.Fatalf("%d attempts, want 2 (503, then 204)", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %v", shown)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	r, body := got[1], bodies[1]
	mu.Unlock()
	if string(body) != `{"text": "say \"hi\""}` || r.Header.Get("X-Api-Key") != "e2e-api-key-value" || r.Header.Get("Webhook-Id") != d["message_id"] {
		t.Fatalf("received %s with %v", body, r.Header)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, raw)
	fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("Webhook-Id"), r.Header.Get("Webhook-Timestamp"), body)
	if r.Header.Get("Webhook-Signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("webhook-signature %q does not verify", r.Header.Get("Webhook-Signature"))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "e2e-api-key-value") || strings.Contains(logs.String(), strings.TrimPrefix(secret, "whsec_")) {
		t.Fatal("a secret reached the log")
	}
}
