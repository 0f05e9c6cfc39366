package twilio

import (
	"net/url"
	"strings"
	"testing"
)

// TestSignatureTwilioVector checks the signature against the example of
// Twilio's security documentation (api-snippets'
// security/signature_validation): auth token 12345, this URL and these
// parameters sign as RSOYDt4T1cUTdK1PDd93/VVr8B8=.
func TestSignatureTwilioVector(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	if got := Signature("12345", u, params); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Fatalf("signature %q, want Twilio's RSOYDt4T1cUTdK1PDd93/VVr8B8=", got)
	}
	if !Verify("12345", u, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Fatal("Twilio's own example does not verify")
	}
	for name, tamper := range map[string]func() (string, url.Values, string){
		"other token": func() (string, url.Values, string) { return "12346", params, u },
		"other url": func() (string, url.Values, string) {
			return "12345", params, "https://mycompany.com/myapp.php?foo=1&bar=3"
		},
		"http not https": func() (string, url.Values, string) { return "12345", params, strings.Replace(u, "https", "http", 1) },
		"changed param": func() (string, url.Values, string) {
			p := url.Values{}
			for k, v := range params {
				p[k] = v
			}
			p.Set("Digits", "1235")
			return "12345", p, u
		},
		"extra param": func() (string, url.Values, string) {
			p := url.Values{"Body": {"x"}}
			for k, v := range params {
				p[k] = v
			}
			return "12345", p, u
		},
	} {
		token, p, uu := tamper()
		if Verify(token, uu, p, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
			t.Errorf("%s: still verifies", name)
		}
	}
	if Verify("12345", u, params, "") || Verify("", u, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Fatal("an empty signature or token verifies")
	}
}

func TestMessage(t *testing.T) {
	v, err := ParseForm([]byte("MessageSid=SM1&From=%2B1555&To=%2B1666&Body=hi+there&NumMedia=2&MediaUrl0=https%3A%2F%2Fm.example%2F0&MediaContentType0=image%2Fjpeg&MediaUrl1=https%3A%2F%2Fm.example%2F1"))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := Message(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].ProviderID != "SM1" || msgs[0].Text != "hi there" || msgs[0].From != "+1555" ||
		msgs[0].Media.URL != "https://m.example/0" || msgs[0].Media.ContentType != "image/jpeg" ||
		msgs[1].ProviderID != "SM1/1" || msgs[1].Media.URL != "https://m.example/1" || msgs[1].Text != "" {
		t.Fatalf("messages %+v", msgs)
	}
}

// hostileForms are inbound bodies an attacker or a broken proxy could
// send, each refused with an error rather than a panic or a half-read
// message.
var hostileForms = []struct{ name, body string }{
	{"no MessageSid", "From=%2B1&Body=x"},
	{"no From", "MessageSid=SM1&Body=x"},
	{"NumMedia huge", "MessageSid=SM1&From=1&NumMedia=99999999999999999999"},
	{"NumMedia negative", "MessageSid=SM1&From=1&NumMedia=-1"},
	{"NumMedia over ten", "MessageSid=SM1&From=1&NumMedia=11"},
	{"NumMedia not a number", "MessageSid=SM1&From=1&NumMedia=two"},
	{"media missing", "MessageSid=SM1&From=1&NumMedia=1"},
	{"media not http", "MessageSid=SM1&From=1&NumMedia=1&MediaUrl0=file%3A%2F%2F%2Fetc%2Fpasswd"},
	{"media with credentials", "MessageSid=SM1&From=1&NumMedia=1&MediaUrl0=https%3A%2F%2Fu%3Ap%40h%2F"},
	{"bad escape", "MessageSid=SM1&From=%zz"},
	{"semicolon", "MessageSid=SM1;From=1"},
	{"invalid UTF-8", "MessageSid=SM1&From=1&Body=%ff%fe"},
	{"NUL", "MessageSid=SM1&From=1&Body=a%00b"},
	{"sid too long", "MessageSid=" + strings.Repeat("S", 65) + "&From=1"},
	{"too large", "MessageSid=SM1&From=1&Body=" + strings.Repeat("a", MaxFormBytes)},
}

func TestHostileForms(t *testing.T) {
	for _, h := range hostileForms {
		t.Run(h.name, func(t *testing.T) {
			v, err := ParseForm([]byte(h.body))
			if err == nil {
				_, err = Message(v)
			}
			if err == nil {
				t.Fatalf("%q was accepted", h.body)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("MessageSid=SM1&From=%2B1555&To=%2B1666&Body=hi&NumMedia=1&MediaUrl0=https%3A%2F%2Fm.example%2F0"))
	for _, h := range hostileForms {
		f.Add([]byte(h.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := ParseForm(body)
		if err != nil {
			return
		}
		msgs, err := Message(v)
		if err != nil {
			return
		}
		if len(msgs) == 0 || len(msgs) > MaxMedia || msgs[0].ProviderID == "" || msgs[0].From == "" {
			t.Fatalf("accepted %q as %+v", body, msgs)
		}
		// Whatever parses signs and verifies the same way.
		sig := Signature("token", "https://h.example/channels/sms/x", v)
		if !Verify("token", "https://h.example/channels/sms/x", v, sig) {
			t.Fatal("a signature does not verify")
		}
	})
}

func TestPermanent(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   bool
	}{
		{400, `{"code": 21211, "message": "The 'To' number 123 is not a valid phone number.", "status": 400}`, true},
		{400, `{"code": 21610, "message": "Attempt to send to unsubscribed recipient"}`, true},
		{403, `{"code": 21408, "message": "Permission to send an SMS has not been enabled for the region"}`, true},
		{401, `{"code": 20003, "message": "Authenticate"}`, false},
		{429, `{"code": 20429, "message": "Too Many Requests"}`, false},
		{500, `{"code": 20500, "message": "Internal Server Error"}`, false},
		{400, `not json`, false},
	} {
		got, reason := Permanent(c.status, []byte(c.body))
		if got != c.want {
			t.Errorf("%d %s: permanent %v, want %v", c.status, c.body, got, c.want)
		}
		if got && !strings.Contains(reason, "error") {
			t.Errorf("reason %q", reason)
		}
	}
}
