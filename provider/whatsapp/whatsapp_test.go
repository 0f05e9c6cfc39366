package whatsapp

import (
	"net/url"
	"strings"
	"testing"
)

// TestVerifyPublishedVector checks the "sha256=" HMAC-SHA256 scheme, the
// one X-Hub-Signature-256 uses, against the example GitHub's documentation
// publishes for it ("Validating webhook deliveries", test values): secret
// "It's a Secret to Everybody", payload "Hello, World!".
func TestVerifyPublishedVector(t *testing.T) {
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	body := []byte("Hello, World!")
	if got := Sign("It's a Secret to Everybody", body); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if !Verify("It's a Secret to Everybody", body, want) {
		t.Fatal("the published example does not verify")
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
	}{
		"other secret": {"It's a Secret to everybody", want, body},
		"other body":   {"It's a Secret to Everybody", want, []byte("Hello, World?")},
		"no prefix":    {"It's a Secret to Everybody", strings.TrimPrefix(want, "sha256="), body},
		"sha1 prefix":  {"It's a Secret to Everybody", "sha1=" + strings.TrimPrefix(want, "sha256="), body},
		"not hex":      {"It's a Secret to Everybody", "sha256=zz", body},
		"truncated":    {"It's a Secret to Everybody", want[:len(want)-2], body},
		"empty":        {"It's a Secret to Everybody", "", body},
		"no secret":    {"", want, body},
		"extra bytes":  {"It's a Secret to Everybody", "sha256=" + strings.ToUpper(strings.TrimPrefix(want, "sha256=")) + "00", body},
	} {
		if Verify(c.secret, c.body, c.header) {
			t.Errorf("%s: verifies", name)
		}
	}
}

func TestHandshake(t *testing.T) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt-1"}, "hub.challenge": {"1158201444"}}
	if c, ok := Handshake(q, "vt-1"); !ok || c != "1158201444" {
		t.Fatalf("handshake %q %v", c, ok)
	}
	if _, ok := Handshake(q, "vt-2"); ok {
		t.Fatal("a wrong verify token passes")
	}
	q.Set("hub.mode", "unsubscribe")
	if _, ok := Handshake(q, "vt-1"); ok {
		t.Fatal("a mode other than subscribe passes")
	}
}

const sampleEvent = `{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"PN1"},
 "contacts":[{"profile":{"name":"Ada"},"wa_id":"4915100000"}],
 "messages":[
  {"from":"4915100000","id":"wamid.T","timestamp":"1700000000","type":"text","text":{"body":"hello"}},
  {"from":"4915100000","id":"wamid.I","timestamp":"1700000001","type":"image","image":{"id":"MEDIA1","mime_type":"image/jpeg","caption":"look"}},
  {"from":"4915100000","id":"wamid.V","type":"video","video":{"id":"MEDIA2","mime_type":"video/mp4"}},
  {"from":"4915100000","id":"wamid.A","type":"audio","audio":{"id":"MEDIA3","mime_type":"audio/ogg"}},
  {"from":"4915100000","id":"wamid.D","type":"document","document":{"id":"MEDIA4","mime_type":"application/pdf","filename":"bill.pdf"}},
  {"from":"4915100000","id":"wamid.L","type":"location","location":{"latitude":52.52,"longitude":13.405,"name":"Office","address":"Berlin"}},
  {"from":"4915100000","id":"wamid.B","type":"button","button":{"text":"Yes","payload":"YES"}},
  {"from":"4915100000","id":"wamid.X","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"b1","title":"Track order"}}},
  {"from":"4915100000","id":"wamid.Y","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"l1","title":"Refund","description":"d"}}}
 ],
 "statuses":[{"id":"wamid.S","status":"delivered"}]}}]}]}`

func TestParseEveryType(t *testing.T) {
	msgs, err := Parse([]byte(sampleEvent))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, text, media, caption string }{
		{"wamid.T", "hello", "", ""},
		{"wamid.I", "", "MEDIA1", "look"},
		{"wamid.V", "", "MEDIA2", ""},
		{"wamid.A", "", "MEDIA3", ""},
		{"wamid.D", "", "MEDIA4", "bill.pdf"},
		{"wamid.L", "Office\nBerlin\n52.52,13.405", "", ""},
		{"wamid.B", "Yes", "", ""},
		{"wamid.X", "Track order", "", ""},
		{"wamid.Y", "Refund", "", ""},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for i, w := range want {
		m := msgs[i]
		media, caption := "", ""
		if m.Media != nil {
			media, caption = m.Media.MediaID, m.Media.Caption
		}
		if m.ProviderID != w.id || m.Text != w.text || media != w.media || caption != w.caption || m.From != "4915100000" || m.To != "15550001111" {
			t.Errorf("message %d: %+v %+v", i, m, m.Media)
		}
	}
	if msgs[0].At.Unix() != 1700000000 {
		t.Errorf("timestamp %v", msgs[0].At)
	}
	// A statuses-only event carries no message.
	if msgs, err := Parse([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"x"}]}}]}]}`)); err != nil || len(msgs) != 0 {
		t.Fatalf("statuses: %v %v", msgs, err)
	}
}

var hostileEvents = []struct{ name, body string }{
	{"not json", `{"entry":`},
	{"array", `[]`},
	{"wrong types", `{"entry":"x"}`},
	{"no id", `{"entry":[{"changes":[{"value":{"messages":[{"from":"1","type":"text","text":{"body":"x"}}]}}]}]}`},
	{"no from", `{"entry":[{"changes":[{"value":{"messages":[{"id":"w","type":"text","text":{"body":"x"}}]}}]}]}`},
	{"text without body", `{"entry":[{"changes":[{"value":{"messages":[{"id":"w","from":"1","type":"text"}]}}]}]}`},
	{"image without id", `{"entry":[{"changes":[{"value":{"messages":[{"id":"w","from":"1","type":"image","image":{}}]}}]}]}`},
	{"media id path", `{"entry":[{"changes":[{"value":{"messages":[{"id":"w","from":"1","type":"image","image":{"id":"../../me"}}]}}]}]}`},
	{"unknown type", `{"entry":[{"changes":[{"value":{"messages":[{"id":"w","from":"1","type":"order"}]}}]}]}`},
	{"interactive empty", `{"entry":[{"changes":[{"value":{"messages":[{"id":"w","from":"1","type":"interactive","interactive":{}}]}}]}]}`},
	{"NUL in text", `{"entry":[{"changes":[{"value":{"messages":[{"id":"w","from":"1","type":"text","text":{"body":"a\u0000b"}}]}}]}]}`},
	{"invalid UTF-8", "{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"id\":\"w\xff\",\"from\":\"1\"}]}}]}]}"},
	{"huge id", `{"entry":[{"changes":[{"value":{"messages":[{"id":"` + strings.Repeat("w", 300) + `","from":"1","type":"text","text":{"body":"x"}}]}}]}]}`},
	{"too large", `{"x":"` + strings.Repeat("a", MaxEventBytes) + `"}`},
}

func TestHostileEvents(t *testing.T) {
	for _, h := range hostileEvents {
		t.Run(h.name, func(t *testing.T) {
			if msgs, err := Parse([]byte(h.body)); err == nil {
				t.Fatalf("accepted as %+v", msgs)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleEvent))
	for _, h := range hostileEvents {
		f.Add([]byte(h.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, err := Parse(body)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if m.ProviderID == "" || m.From == "" {
				t.Fatalf("accepted a message without id or from: %+v", m)
			}
			if m.Media != nil && (m.Media.MediaID == "" || strings.ContainsAny(m.Media.MediaID, "/?#")) {
				t.Fatalf("accepted media id %q", m.Media.MediaID)
			}
		}
	})
}

func TestPermanent(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   bool
	}{
		{400, `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"details":"Message failed to send because more than 24 hours have passed"}}}`, true},
		{400, `{"error":{"message":"Message Undeliverable.","code":131026}}`, true},
		{400, `{"error":{"message":"Rate limit hit","code":130429}}`, false},
		{401, `{"error":{"message":"Invalid OAuth access token","code":190}}`, false},
		{500, `{"error":{"message":"x","code":131000}}`, false},
	} {
		got, reason := Permanent(c.status, []byte(c.body))
		if got != c.want {
			t.Errorf("%s: permanent %v, want %v", c.body, got, c.want)
		}
		if got && !strings.Contains(reason, "WhatsApp refused") {
			t.Errorf("reason %q", reason)
		}
	}
}
