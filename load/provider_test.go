package load

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/provider/twilio"
)

// TestTwilioSignatureVector checks the bench's own signer against the
// example of Twilio's security documentation, and against hookline's
// check of the forms the SMS publisher posts.
func TestTwilioSignatureVector(t *testing.T) {
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"}}
	if got := TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Fatalf("signature %q, want Twilio's RSOYDt4T1cUTdK1PDd93/VVr8B8=", got)
	}
	form := smsForm(SMSConfig{AccountSID: "AC1", To: "+15550100000", Keys: 100, Round: 3}, 1234)
	if form.Get("From") != "+15550000034" || form.Get("Body") != "msg 12" || form.Get("MessageSid") != form.Get("SmsSid") || !strings.HasPrefix(form.Get("MessageSid"), "SM00000003") {
		t.Fatalf("form %v", form)
	}
	// Repeated names sort by value, as Twilio signs them.
	form.Add("MediaUrl0", "https://b.example")
	form.Add("MediaUrl0", "https://a.example")
	sig := TwilioSignature("tok", "http://127.0.0.1:8080/channels/sms/x", form)
	if !twilio.Verify("tok", "http://127.0.0.1:8080/channels/sms/x", form, sig) {
		t.Fatal("hookline does not verify the bench's signature")
	}
}

// TestSMSPublisher posts a small backlog to a fake hookline inbound edge
// that checks each form's signature against the public URL, and checks
// that each contact's messages came in order from one connection.
func TestSMSPublisher(t *testing.T) {
	const public = "https://hooks.example.com"
	var mu sync.Mutex
	next := map[string]int{}
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil || r.URL.Path != "/channels/sms/bench-sms":
			bad = append(bad, fmt.Sprintf("%s %q", r.URL.Path, body))
		case !twilio.Verify("tok", public+r.URL.Path, form, r.Header.Get("X-Twilio-Signature")):
			bad = append(bad, "signature of "+string(body))
		default:
			seq, _ := strconv.Atoi(strings.TrimPrefix(form.Get("Body"), "msg "))
			if seq != next[form.Get("From")] {
				bad = append(bad, fmt.Sprintf("%s: %d where %d was due", form.Get("From"), seq, next[form.Get("From")]))
			}
			next[form.Get("From")] = seq + 1
		}
		io.WriteString(w, "<Response/>")
	}))
	defer srv.Close()
	p, err := NewSMSPublisher(SMSConfig{Base: srv.URL, PublicURL: public, Code: "bench-sms", AccountSID: "AC1", AuthToken: "tok", To: "+1555",
		Backlog: 500, Keys: 30, Connections: 4, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background())
	if err != nil || res.Accepted != 500 {
		t.Fatalf("accepted %d: %v", res.Accepted, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 || len(next) != 30 || next[contactOf(0)] != 17 || next[contactOf(29)] != 16 {
		t.Fatalf("problems %v; contacts %d", bad, len(next))
	}
	// An answer without TwiML stops the run.
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }))
	defer refuse.Close()
	p, _ = NewSMSPublisher(SMSConfig{Base: refuse.URL, Code: "x", AuthToken: "tok", Backlog: 10, Keys: 2, Connections: 1, Timeout: time.Second})
	if _, err := p.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "status 403") {
		t.Fatalf("a refused SMS: %v", err)
	}
}

// signedEvent posts a chat event to the sink as hookline signs it (with
// secret, or a wrong key when secret is empty).
func signedEvent(t *testing.T, url, secret, body string, want int) {
	t.Helper()
	key := []byte("wrong key")
	if secret != "" {
		key, _ = base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "msg_1.1700000000.%s", body)
	req, _ := http.NewRequest("POST", url+"/events", strings.NewReader(body))
	req.Header.Set("Webhook-Id", "msg_1")
	req.Header.Set("Webhook-Timestamp", "1700000000")
	req.Header.Set("Webhook-Signature", "v1,bm90IHRoaXMgb25l v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	discard(res)
	if res.StatusCode != want {
		t.Fatalf("%s: status %d, want %d", body, res.StatusCode, want)
	}
}

func chatEventBody(chat int, k int, kind string, seq int) string {
	text := ""
	if kind == "MESSAGE" {
		text = "msg " + strconv.Itoa(seq)
	}
	return fmt.Sprintf(`{"chatId": %d, "contact": %q, "event": %q, "text": %q, "multimedia": {"url": "", "caption": ""}}`, chat, contactOf(k), kind, text)
}

// TestChatSink sends a sink in chat mode each kind of event: in order,
// END after all of a chat's messages, END too early, a MESSAGE after END,
// a second chat of one contact, an unsigned event and one it cannot read.
func TestChatSink(t *testing.T) {
	k := newSink()
	srv := httptest.NewServer(k)
	defer srv.Close()
	c, err := newSinkClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	// 25 messages over 10 contacts: contacts 0-4 send 3, 5-9 send 2; the
	// chats of contacts 0 and 5 are ended.
	if err := c.ResetChat(ctx, 25, ChatExpect{Secret: secret, Keys: 10, EndEvery: 5}); err != nil {
		t.Fatal(err)
	}
	st, _ := c.Status(ctx)
	if st.WantEnds != 2 || st.Want != 25 {
		t.Fatalf("after the reset: %+v", st)
	}
	for i := range 25 {
		signedEvent(t, srv.URL, secret, chatEventBody(100+i%10, i%10, "MESSAGE", i/10), 204)
	}
	signedEvent(t, srv.URL, secret, chatEventBody(100, 0, "END", 0), 204)
	signedEvent(t, srv.URL, secret, chatEventBody(100, 0, "END", 0), 204) // a redelivery
	st, _ = c.Status(ctx)
	if !st.Done() || st.Ends != 1 || st.EndsDone() || st.Faults() != 0 || st.Duplicates != 1 || st.DoneAt == 0 {
		t.Fatalf("in order: %+v", st)
	}
	signedEvent(t, srv.URL, secret, chatEventBody(105, 5, "END", 0), 204)
	st, _ = c.Status(ctx)
	if !st.EndsDone() || st.Faults() != 0 {
		t.Fatalf("both ends: %+v", st)
	}
	// Faults: a MESSAGE after its chat's END, END before a chat's last
	// message, another chat's event for a contact, an unsigned event,
	// events it cannot read.
	signedEvent(t, srv.URL, secret, chatEventBody(100, 0, "MESSAGE", 3), 204)
	if err := c.ResetChat(ctx, 25, ChatExpect{Secret: secret, Keys: 10, EndEvery: 5}); err != nil {
		t.Fatal(err)
	}
	signedEvent(t, srv.URL, secret, chatEventBody(101, 0, "MESSAGE", 0), 204)
	signedEvent(t, srv.URL, secret, chatEventBody(101, 0, "END", 0), 204)
	signedEvent(t, srv.URL, secret, chatEventBody(102, 1, "MESSAGE", 0), 204)
	signedEvent(t, srv.URL, secret, chatEventBody(103, 1, "MESSAGE", 1), 204)
	signedEvent(t, srv.URL, "", chatEventBody(104, 2, "MESSAGE", 0), 204)
	signedEvent(t, srv.URL, secret, `{"chatId": 1, "contact": "+44", "event": "MESSAGE", "text": "msg 0"}`, 400)
	signedEvent(t, srv.URL, secret, chatEventBody(105, 3, "MESSAGE", 0)[:20], 400)
	signedEvent(t, srv.URL, secret, `{"chatId": 1, "contact": "+15550000003", "event": "MESSAGE", "text": "hello"}`, 400)
	st, _ = c.Status(ctx)
	if st.OutOfOrder != 2 || st.Unsigned != 1 || st.Malformed != 3 || st.Received != 3 || len(st.Problems) != 6 {
		t.Fatalf("faults: %+v", st)
	}
	for _, want := range []string{"END after 1 of its 3 MESSAGE events", "an event of chat 103 after events of chat 102", "does not verify"} {
		if !strings.Contains(strings.Join(st.Problems, "\n"), want) {
			t.Errorf("no problem says %q: %v", want, st.Problems)
		}
	}
	// A MESSAGE after END, as found before the reset.
	if err := c.ResetChat(ctx, 1, ChatExpect{Secret: secret, Keys: 1, EndEvery: 1}); err != nil {
		t.Fatal(err)
	}
	signedEvent(t, srv.URL, secret, chatEventBody(1, 0, "MESSAGE", 0), 204)
	signedEvent(t, srv.URL, secret, chatEventBody(1, 0, "END", 0), 204)
	signedEvent(t, srv.URL, secret, chatEventBody(1, 0, "MESSAGE", 0), 204)
	st, _ = c.Status(ctx)
	if st.OutOfOrder != 1 || !strings.Contains(st.Problems[0], "MESSAGE 0 after END") {
		t.Fatalf("a MESSAGE after END: %+v", st)
	}
	// Bad expectations are refused.
	for _, e := range []ChatExpect{{Secret: "plain", Keys: 1, EndEvery: 1}, {Secret: secret, EndEvery: 1}, {Secret: secret, Keys: 1}} {
		if err := c.ResetChat(ctx, 1, e); err == nil {
			t.Errorf("reset with %+v accepted", e)
		}
	}
	if contactOf(42) != "+15550000042" {
		t.Fatal(contactOf(42))
	}
	if n, ok := contactNumber("+15550000042"); !ok || n != 42 {
		t.Fatal(n, ok)
	}
	for _, bad := range []string{"+1555000004", "+4455500000042", "+1555abcdefg", "+1555-000004"} {
		if _, ok := contactNumber(bad); ok {
			t.Errorf("contact %q read as a number", bad)
		}
	}
}
