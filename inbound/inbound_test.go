package inbound

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/provider/twilio"
	"github.com/hookline/hookline/provider/whatsapp"
)

// fakeService knows one SMS and one WhatsApp connection and records what
// it receives.
type fakeService struct {
	mu       sync.Mutex
	received [][]hookline.ProviderMessage
	fail     error
}

var (
	smsConn = &hookline.Connection{ID: 1, Type: hookline.ConnectionSMS, Code: "shop",
		Provider: hookline.Provider{AccountSID: "AC1", AuthToken: "sms-token", From: "+1"}}
	waConn = &hookline.Connection{ID: 2, Type: hookline.ConnectionWhatsApp, Code: "shop-wa",
		Provider: hookline.Provider{PhoneNumberID: "PN", AccessToken: "at", AppSecret: "app-secret", VerifyToken: "vt"}}
)

func (f *fakeService) InboundConnection(_ context.Context, t hookline.ConnectionType, code string) (*hookline.Connection, error) {
	for _, c := range []*hookline.Connection{smsConn, waConn} {
		if c.Type == t && c.Code == code {
			return c, nil
		}
	}
	return nil, hookline.NotFound("connection", code)
}

func (f *fakeService) Receive(_ context.Context, _ *hookline.Connection, msgs []hookline.ProviderMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.received = append(f.received, msgs)
	return nil
}

func serve(t *testing.T, svc *fakeService) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	h := http.NewServeMux()
	srv = httptest.NewServer(h)
	s := New(Config{Service: svc, PublicURL: "https://hooks.example.com/"})
	handler, err := edge.New(nil, s.Mount())
	if err != nil {
		t.Fatal(err)
	}
	h.Handle("/", handler)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, u string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
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

// TestSMSSignedOverPublicURL checks that Twilio's signature is taken over
// the public URL with the request's query, not the address the request
// reached, and that nothing reaches the service unsigned.
func TestSMSSignedOverPublicURL(t *testing.T) {
	svc := &fakeService{}
	srv := serve(t, svc)
	form := url.Values{"MessageSid": {"SM1"}, "From": {"+1555"}, "To": {"+1"}, "Body": {"hi"}}
	public := "https://hooks.example.com/channels/sms/shop?tenant=a%20b"
	sig := twilio.Signature("sms-token", public, form)
	wrong := twilio.Signature("sms-token", srv.URL+"/channels/sms/shop?tenant=a%20b", form)
	for _, c := range []struct {
		name, path, sig string
		status          int
	}{
		{"signed over the address reached", "/channels/sms/shop?tenant=a%20b", wrong, 403},
		{"no signature", "/channels/sms/shop?tenant=a%20b", "", 403},
		{"unknown code", "/channels/sms/other?tenant=a%20b", sig, 404},
		{"whatsapp code on the sms path", "/channels/sms/shop-wa?tenant=a%20b", sig, 404},
		{"query changed", "/channels/sms/shop?tenant=b", sig, 403},
	} {
		if status, _ := do(t, "POST", srv.URL+c.path, map[string]string{"Content-Type": "application/x-www-form-urlencoded", twilio.HeaderSignature: c.sig}, form.Encode()); status != c.status {
			t.Errorf("%s: %d, want %d", c.name, status, c.status)
		}
	}
	if len(svc.received) != 0 {
		t.Fatalf("refused requests reached the service: %v", svc.received)
	}
	status, body := do(t, "POST", srv.URL+"/channels/sms/shop?tenant=a%20b", map[string]string{twilio.HeaderSignature: sig}, form.Encode())
	if status != 200 || body != "<Response/>" || len(svc.received) != 1 || svc.received[0][0].ProviderID != "SM1" {
		t.Fatalf("signed SMS: %d %q %v", status, body, svc.received)
	}
	// A signed form that is not a message is a 400; a failing service a
	// 503 or 500, so that Twilio retries.
	bad := url.Values{"From": {"+1555"}}
	if status, _ := do(t, "POST", srv.URL+"/channels/sms/shop", map[string]string{twilio.HeaderSignature: twilio.Signature("sms-token", "https://hooks.example.com/channels/sms/shop", bad)}, bad.Encode()); status != 400 {
		t.Fatalf("signed non-message: %d", status)
	}
	svc.fail = hookline.Errorf(hookline.CodeUnavailable, "store busy")
	if status, _ := do(t, "POST", srv.URL+"/channels/sms/shop?tenant=a%20b", map[string]string{twilio.HeaderSignature: sig}, form.Encode()); status != 503 {
		t.Fatalf("failing service: %d", status)
	}
	if status, _ := do(t, "POST", srv.URL+"/channels/sms/shop", nil, "Body="+strings.Repeat("a", twilio.MaxFormBytes+1)); status != 413 {
		t.Fatalf("oversized form: %d", status)
	}
}

func TestWhatsApp(t *testing.T) {
	svc := &fakeService{}
	srv := serve(t, svc)
	if status, body := do(t, "GET", srv.URL+"/channels/whatsapp/shop-wa?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42", nil, ""); status != 200 || body != "42" {
		t.Fatalf("handshake: %d %q", status, body)
	}
	if status, _ := do(t, "GET", srv.URL+"/channels/whatsapp/shop-wa?hub.mode=subscribe&hub.verify_token=x&hub.challenge=42", nil, ""); status != 403 {
		t.Fatalf("wrong verify token: %d", status)
	}
	event := `{"entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"PN"},"messages":[{"from":"49","id":"wamid.1","type":"text","text":{"body":"hi"}}]}}]}]}`
	// The signature is checked on the raw bytes: the same JSON respaced
	// does not verify.
	respaced := strings.Replace(event, `"body":"hi"`, `"body": "hi"`, 1)
	if status, _ := do(t, "POST", srv.URL+"/channels/whatsapp/shop-wa", map[string]string{whatsapp.HeaderSignature: whatsapp.Sign("app-secret", []byte(event))}, respaced); status != 403 {
		t.Fatalf("respaced body: %d", status)
	}
	if status, _ := do(t, "POST", srv.URL+"/channels/whatsapp/shop-wa", nil, event); status != 403 {
		t.Fatalf("unsigned: %d", status)
	}
	// A signed body that is not an event is refused after the check.
	junk := `{"entry":[{"changes":[{"value":{"messages":[{"type":"text"}]}}]}]}`
	if status, _ := do(t, "POST", srv.URL+"/channels/whatsapp/shop-wa", map[string]string{whatsapp.HeaderSignature: whatsapp.Sign("app-secret", []byte(junk))}, junk); status != 400 {
		t.Fatalf("signed junk: %d", status)
	}
	if len(svc.received) != 0 {
		t.Fatalf("refused events reached the service: %v", svc.received)
	}
	if status, _ := do(t, "POST", srv.URL+"/channels/whatsapp/shop-wa", map[string]string{whatsapp.HeaderSignature: whatsapp.Sign("app-secret", []byte(event))}, event); status != 200 {
		t.Fatalf("signed event: %d", status)
	}
	if len(svc.received) != 1 || svc.received[0][0].Text != "hi" {
		t.Fatalf("received %v", svc.received)
	}
}
