package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
)

// seedBody is the sample body of seed 000, verbatim (comments included, and
// the no-break space the seed has after "Raw user response"), wrapped in
// braces as users paste it. It is read from the one copy that jinja's
// benchmark and Python's reference run use too.
var seedBody = readSeedBody()

func readSeedBody() string {
	b, err := os.ReadFile("../jinja/testdata/bench/seed_body.j2")
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// seedTicket is the response of seed 002.
const seedTicket = `{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, "priority": "low", "status": "open", "external_id": null}}`

func testClient() *egress.Client {
	return egress.New(egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
}

// seen is one request as a receiver saw it.
type seen struct {
	method string
	url    string
	header http.Header
	query  map[string][]string
	body   []byte
}

// receiver answers every request with status and body, recording it.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newReceiver(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, seen{r.Method, r.URL.String(), r.Header.Clone(), r.URL.Query(), b})
		rc.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func jsonReply(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func (rc *receiver) last(t *testing.T) seen {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) == 0 {
		t.Fatal("the receiver got no request")
	}
	return rc.reqs[len(rc.reqs)-1]
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

func run(t *testing.T, client *egress.Client, def hookline.WebhookDefinition, data map[string]any) *hookline.WebhookResult {
	t.Helper()
	c, err := Compile(def)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if data == nil {
		conv := SampleConversation()
		data, err = ConversationData(&conv)
		if err != nil {
			t.Fatal(err)
		}
	}
	return NewExecutor(client).Run(context.Background(), c, data)
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSeedBodyAndMapper(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, seedTicket))
	def := hookline.WebhookDefinition{
		Name: "Seed", Method: "POST", URL: rc.URL + "/tickets", Body: seedBody,
		CustomVariables: []hookline.CustomVariable{{Name: "ticket_status", Mapper: "{{ticket.status}}"}},
	}
	for _, channel := range []string{hookline.ChannelFacebook, "webhook"} {
		conv := SampleConversation()
		conv.Channel = channel
		data, err := ConversationData(&conv)
		if err != nil {
			t.Fatal(err)
		}
		res := run(t, testClient(), def, data)
		if res.Error != nil {
			t.Fatalf("%s: %v", channel, res.Error)
		}
		if got := string(res.Variables["ticket_status"]); got != `"open"` {
			t.Fatalf("%s: ticket_status = %s", channel, got)
		}
		var sent map[string]any
		got := rc.last(t)
		if err := json.Unmarshal(got.body, &sent); err != nil {
			t.Fatalf("%s: the receiver got invalid JSON: %v\n%s", channel, err, got.body)
		}
		if got.header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", got.header.Get("Content-Type"))
		}
		if sent["sessionId"] != float64(conv.SessionID) || sent["moduleId"] != float64(12) || sent["reply"] != conv.Reply {
			t.Errorf("%s: sent %v", channel, sent)
		}
		ed, _ := sent["extractedData"].(map[string]any)
		if ed["ticket_id"] != "388" {
			t.Errorf("%s: extractedData = %v", channel, sent["extractedData"])
		}
		if channel == hookline.ChannelFacebook {
			if sent["lastName"] != "Lovelace" || sent["firstName"] != "Ada" {
				t.Errorf("facebook: names %v %v", sent["firstName"], sent["lastName"])
			}
		} else if m, ok := sent["lastName"].(map[string]any); !ok || len(m) != 0 {
			t.Errorf("%s: lastName = %v, want {} off Facebook", channel, sent["lastName"])
		}
		if res.Response == nil || res.Response.Status != 200 || !strings.Contains(res.Response.Body, `"status": "open"`) {
			t.Errorf("response shown: %+v", res.Response)
		}
		if res.Request.Body != string(got.body) || res.Request.Method != "POST" {
			t.Errorf("request shown differs from the one sent")
		}
	}
}

func TestAuthAsReceiverSees(t *testing.T) {
	const secret = "s3cr3t-Tok3n-value"
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		// An echoing service: the response repeats the credentials.
		w.Header().Set("X-Echo", r.Header.Get("Authorization")+r.Header.Get("X-Api-Key"))
		json.NewEncoder(w).Encode(map[string]any{"headers": r.Header, "query": r.URL.RawQuery})
	})
	cases := []struct {
		name  string
		auth  hookline.Auth
		check func(s seen) bool
		shown func(res *hookline.WebhookResult) bool
	}{
		{"none", hookline.Auth{Type: hookline.AuthNone},
			func(s seen) bool { return s.header.Get("Authorization") == "" },
			func(res *hookline.WebhookResult) bool { return res.Request.Headers["Authorization"] == "" }},
		{"basic", hookline.Auth{Type: hookline.AuthBasic, Username: "agent@example.com/token", Password: secret},
			func(s seen) bool {
				return s.header.Get("Authorization") == "Basic "+base64.StdEncoding.EncodeToString([]byte("agent@example.com/token:"+secret))
			},
			func(res *hookline.WebhookResult) bool {
				return res.Request.Headers["Authorization"] == "Basic ********"
			}},
		{"bearer", hookline.Auth{Type: hookline.AuthBearer, Token: secret},
			func(s seen) bool { return s.header.Get("Authorization") == "Bearer "+secret },
			func(res *hookline.WebhookResult) bool {
				return res.Request.Headers["Authorization"] == "Bearer ********"
			}},
		{"api_key header", hookline.Auth{Type: hookline.AuthAPIKey, Name: "X-Api-Key", Value: secret},
			func(s seen) bool { return s.header.Get("X-Api-Key") == secret && s.header.Get("Authorization") == "" },
			func(res *hookline.WebhookResult) bool { return res.Request.Headers["X-Api-Key"] == "********" }},
		{"api_key query", hookline.Auth{Type: hookline.AuthAPIKey, Name: "api_key", Value: secret, In: "query"},
			func(s seen) bool { return s.query["api_key"][0] == secret && s.query["page"][0] == "2" },
			func(res *hookline.WebhookResult) bool {
				return strings.HasSuffix(res.Request.URL, "?page=2&api_key=********")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := hookline.WebhookDefinition{Name: "auth", Method: "GET", URL: rc.URL + "/x?page=2", Auth: c.auth}
			res := run(t, testClient(), def, nil)
			if res.Error != nil {
				t.Fatal(res.Error)
			}
			if s := rc.last(t); !c.check(s) {
				t.Errorf("receiver saw headers %v, query %v", s.header, s.query)
			}
			if !c.shown(res) {
				t.Errorf("shown request: %+v", res.Request)
			}
			if out := marshal(t, res); strings.Contains(out, secret) ||
				strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("agent@example.com/token:"+secret))) {
				t.Errorf("the secret appears in the result: %s", out)
			}
		})
	}
}

// TestEchoedSecretsInOtherForms: a receiver that echoes the request inside
// JSON or in a URL escapes the secrets it repeats; the escaped forms are
// masked too (base64 tokens with + / =, and quotes, backslashes, < > &).
func TestEchoedSecretsInOtherForms(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo-Url", r.URL.String())
		// Go's encoder escapes < > & as \u003c...; PHP's also escapes "/".
		b, _ := json.Marshal(map[string]any{"url": r.URL.String(), "headers": r.Header})
		io.WriteString(w, `{"go": `+string(b)+`, "php": "`+strings.ReplaceAll(r.Header.Get("Authorization"), "/", `\/`)+`"}`)
	})
	for _, auth := range []hookline.Auth{
		{Type: hookline.AuthAPIKey, Name: "api_key", Value: "Zm9v+YmFy/c2VjcmV0==", In: hookline.APIKeyInQuery},
		{Type: hookline.AuthAPIKey, Name: "X-Key", Value: `k"ey\with<odd>&chars`},
		{Type: hookline.AuthBearer, Token: "dG9r/ZW4+c2VjcmV0=="},
		{Type: hookline.AuthBasic, Username: "agent", Password: "p@ss/w0rd"},
	} {
		res := run(t, testClient(), hookline.WebhookDefinition{Name: "e", Method: "GET", URL: rc.URL + "/echo", ResponseType: hookline.ResponseText, Auth: auth}, nil)
		if res.Error != nil {
			t.Fatal(res.Error)
		}
		secret := auth.Value + auth.Token
		if auth.Type == hookline.AuthBasic {
			secret = base64.StdEncoding.EncodeToString([]byte(auth.Username + ":" + auth.Password))
		}
		out := marshal(t, res)
		quoted, _ := json.Marshal(secret)
		inJSON := string(quoted[1 : len(quoted)-1])
		shown := res.Response.Body + marshal(t, res.Response.Headers)
		for _, form := range []string{secret, inJSON, strings.ReplaceAll(inJSON, "/", `\/`), url.QueryEscape(secret)} {
			if strings.Contains(out, form) || strings.Contains(shown, form) {
				t.Errorf("%s: the secret appears as %q in %s", auth.Type, form, out)
			}
		}
		if !strings.Contains(res.Response.Body, hookline.SecretMask) {
			t.Errorf("%s: nothing masked in %s", auth.Type, res.Response.Body)
		}
	}
	if got := echoForms("short", "a+b/c=d"); !slices.Equal(got, []string{"a%2Bb%2Fc%3Dd", "a+b%2Fc=d", `a+b\/c=d`, "a+b/c=d"}) {
		t.Errorf("echoForms = %q", got)
	}
}

// TestVariablesMaskSecrets: a mapper that picks an echoed credential out
// of a response gets it masked, so the bot is not handed the secret.
func TestVariablesMaskSecrets(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"url": r.URL.String(), "auth": r.Header.Get("Authorization"), "id": 7})
	})
	def := hookline.WebhookDefinition{Name: "v", Method: "GET", URL: rc.URL + "/echo",
		Auth: hookline.Auth{Type: hookline.AuthBearer, Token: `tok"en/with+odd<chars>`},
		CustomVariables: []hookline.CustomVariable{
			{Name: "auth", Mapper: "{{ auth }}"}, {Name: "whole", Mapper: "{{ response }}"}, {Name: "id", Mapper: "{{ id }}"},
		}}
	res := run(t, testClient(), def, nil)
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	if got := string(res.Variables["auth"]); got != `"Bearer ********"` {
		t.Errorf("auth = %s", got)
	}
	if got := string(res.Variables["whole"]); strings.Contains(got, "odd") || !strings.Contains(got, `"id":7`) {
		t.Errorf("whole = %s", got)
	}
	if got := string(res.Variables["id"]); got != "7" {
		t.Errorf("id = %s", got)
	}
	// A mask that would cut an escape sequence in two masks the value whole.
	c := &Compiled{secrets: []string{"u0041bcdef"}}
	if got := string(c.scrubJSON([]byte(`"x\u0041bcdefg"`))); got != `"********"` {
		t.Errorf("scrubJSON = %s", got)
	}
}

// TestErrorMessageMasksSecrets: an error message that quotes the server's
// malformed answer does not show a secret the server echoed in it.
func TestErrorMessageMasksSecrets(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+" OK\r\n\r\n")
	})
	res := run(t, testClient(), hookline.WebhookDefinition{Name: "g", Method: "POST", URL: rc.URL,
		Auth: hookline.Auth{Type: hookline.AuthBearer, Token: "s3cret-token-42"}}, nil)
	if res.Error == nil || !strings.Contains(res.Error.Message, "malformed HTTP status code") ||
		strings.Contains(res.Error.Message, "s3cret") {
		t.Fatalf("error = %+v", res.Error)
	}
}

// TestAPIKeyHeaderIsSecret: the API key header is named to egress as a
// credential, so that a redirect to another host does not carry it (egress's
// TestDoRedirectHeaders shows the redirect side).
func TestAPIKeyHeaderIsSecret(t *testing.T) {
	for _, auth := range []hookline.Auth{
		{Type: hookline.AuthAPIKey, Name: "x-api-key", Value: "k3y-secret"},
		{Type: hookline.AuthAPIKey, Name: "api_key", Value: "k3y-secret", In: "query"},
		{Type: hookline.AuthBearer, Token: "t0ken-secret"},
	} {
		c, err := Compile(hookline.WebhookDefinition{Name: "k", Method: "GET", URL: "https://api.example.com/x", Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		req, err := c.Build(context.Background(), nil, egress.DefaultUserAgent)
		if err != nil {
			t.Fatal(err)
		}
		want := []string(nil)
		if auth.Type == hookline.AuthAPIKey && auth.In != "query" {
			want = []string{"X-Api-Key"}
		}
		if !slices.Equal(req.Egress.SecretHeaders, want) {
			t.Errorf("%s %s: SecretHeaders %q, want %q", auth.Type, auth.In, req.Egress.SecretHeaders, want)
		}
	}
}

func TestHeadersAndParams(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, `{}`))
	def := hookline.WebhookDefinition{
		Name: "hp", Method: "GET", URL: rc.URL + "/search?fixed=1",
		Headers: []hookline.KeyValue{
			{Key: "X-Static", Value: "plain text"},
			{Key: "X-Session", Value: "certainly.sessionId", Type: hookline.ValueVariable},
			{Key: "X-Lang", Value: "lang-{{ certainly.customVariables.language | upper }}"},
			{Key: "X-Email", Value: `certainly.extractedData["email"]`, Type: hookline.ValueVariable},
		},
		Params: []hookline.KeyValue{
			{Key: "q", Value: "{{ certainly.reply }}"},
			{Key: "session", Value: "certainly.sessionId", Type: hookline.ValueVariable},
			{Key: "odd key&", Value: "a=b&c ü/?"},
		},
	}
	res := run(t, testClient(), def, nil)
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	s := rc.last(t)
	conv := SampleConversation()
	want := map[string]string{"X-Static": "plain text", "X-Session": "4815162342", "X-Lang": "lang-EN", "X-Email": "ada@example.com"}
	for k, v := range want {
		if s.header.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, s.header.Get(k), v)
		}
	}
	if s.query["fixed"][0] != "1" || s.query["q"][0] != conv.Reply || s.query["session"][0] != "4815162342" || s.query["odd key&"][0] != "a=b&c ü/?" {
		t.Errorf("query = %v (raw %s)", s.query, s.url)
	}
	if !strings.HasPrefix(s.url, "/search?fixed=1&q=") {
		t.Errorf("params must follow the URL's own query in order: %s", s.url)
	}
	if res.Request.Headers["X-Session"] != "4815162342" {
		t.Errorf("shown headers: %v", res.Request.Headers)
	}
}

// The shown request headers are what the receiver gets, secrets masked:
// the definition's headers, the defaults, the auth header and the
// User-Agent egress adds. Only what the Go transport adds on the wire is
// not shown: Accept-Encoding (it negotiates gzip and decompresses itself)
// and Content-Length (the body's length).
func TestShownHeadersAreSent(t *testing.T) {
	const secret = "s3cr3t-Tok3n-value"
	rc := newReceiver(t, jsonReply(200, `{}`))
	cases := []struct {
		name    string
		auth    hookline.Auth
		headers []hookline.KeyValue
		body    string
	}{
		{"bearer, defaults", hookline.Auth{Type: hookline.AuthBearer, Token: secret}, []hookline.KeyValue{
			{Key: "x-static", Value: "plain"},
			{Key: "X-Session", Value: "certainly.sessionId", Type: hookline.ValueVariable},
			{Key: "X-Multi", Value: "one"},
			{Key: "x-multi", Value: "{{ certainly.direction }}"},
		}, seedBody},
		{"api key, own user agent and content type", hookline.Auth{Type: hookline.AuthAPIKey, Name: "x-api-key", Value: secret}, []hookline.KeyValue{
			{Key: "User-Agent", Value: "acme-bot/{{ certainly.moduleId }}"},
			{Key: "Content-Type", Value: "application/vnd.acme+json"},
			{Key: "Accept", Value: ""},
		}, `{"a": 1}`},
		{"basic, no body", hookline.Auth{Type: hookline.AuthBasic, Username: "agent", Password: secret}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := hookline.WebhookDefinition{Name: "h", Method: "POST", URL: rc.URL + "/h", Auth: c.auth, Headers: c.headers, Body: c.body}
			res := run(t, testClient(), def, nil)
			if res.Error != nil {
				t.Fatal(res.Error)
			}
			want := map[string]string{}
			for k, vs := range rc.last(t).header {
				switch k {
				case "Accept-Encoding", "Content-Length":
					continue
				case "Authorization":
					scheme, _, _ := strings.Cut(vs[0], " ")
					want[k] = scheme + " ********"
				case "X-Api-Key":
					want[k] = "********"
				default:
					want[k] = strings.Join(vs, ", ")
				}
			}
			if got := res.Request.Headers; !maps.Equal(got, want) {
				t.Errorf("shown headers\n %v\nreceiver got (masked)\n %v", got, want)
			}
		})
	}
}

func TestReplyStaysValidJSON(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, `{"ok": true}`))
	def := hookline.WebhookDefinition{Name: "esc", Method: "POST", URL: rc.URL,
		Body: `{"reply": "{{certainly.reply}}", "from": "{{ certainly.from }}", "n": {{ certainly.sessionId }}}`}
	replies := []string{
		`He said "hi" \ and left`,
		"line one\nline two\r\n\ttabbed",
		`", "injected": true, "x": "`,
		"Grüße, 東京 🎉 \u2028 </script>",
		"\x01\x1f control",
	}
	for _, reply := range replies {
		conv := SampleConversation()
		conv.Reply = reply
		conv.From = `a\"b`
		data, _ := ConversationData(&conv)
		res := run(t, testClient(), def, data)
		if res.Error != nil {
			t.Fatalf("%q: %v", reply, res.Error)
		}
		var got map[string]any
		if err := json.Unmarshal(rc.last(t).body, &got); err != nil {
			t.Fatalf("%q: invalid JSON sent: %v\n%s", reply, err, rc.last(t).body)
		}
		if got["reply"] != reply || got["from"] != `a\"b` || len(got) != 3 {
			t.Errorf("%q: receiver decoded %#v", reply, got)
		}
	}
}

func TestMappersKeepTypes(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "abc-123")
		io.WriteString(w, `{"ticket": {"id": 388, "status": "open", "tags": ["a", "b"], "score": 4.5, "meta": {"z": 1, "a": 2}}, "status": "ok"}`)
	})
	def := hookline.WebhookDefinition{Name: "m", Method: "GET", URL: rc.URL, CustomVariables: []hookline.CustomVariable{
		{Name: "id", Mapper: "{{ticket.id}}"},
		{Name: "ticket", Mapper: "{{ ticket }}"},
		{Name: "id_text", Mapper: "id: {{ticket.id}}"},
		{Name: "tags", Mapper: "{{ticket.tags}}"},
		{Name: "first_tag", Mapper: "{{ticket.tags[0]}}"},
		{Name: "score", Mapper: "{{ticket.score}}"},
		{Name: "missing", Mapper: "{{ticket.nothing}}"},
		{Name: "body_status", Mapper: "{{status}}"},
		{Name: "http_status", Mapper: "{{http.status}}"},
		{Name: "request_id", Mapper: "{{headers['x-request-id']}}"},
		{Name: "whole", Mapper: "{{response.ticket.meta}}"},
		{Name: "broken", Mapper: "{{ ticket.id + 'x' }}"},
		{Name: "after_broken", Mapper: "{{ ticket.status | upper }}"},
	}}
	res := run(t, testClient(), def, nil)
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	want := map[string]string{
		"id":           `388`,
		"ticket":       `{"id":388,"status":"open","tags":["a","b"],"score":4.5,"meta":{"z":1,"a":2}}`,
		"id_text":      `"id: 388"`,
		"tags":         `["a","b"]`,
		"first_tag":    `"a"`,
		"score":        `4.5`,
		"missing":      `null`,
		"body_status":  `"ok"`,
		"http_status":  `200`,
		"request_id":   `"abc-123"`,
		"whole":        `{"z":1,"a":2}`,
		"after_broken": `"OPEN"`,
	}
	for name, w := range want {
		if got := string(res.Variables[name]); got != w {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
	if _, ok := res.Variables["broken"]; ok || len(res.VariableErrors) != 1 || res.VariableErrors[0].Name != "broken" ||
		!strings.Contains(res.VariableErrors[0].Message, "custom_variables[11].mapper") {
		t.Errorf("variable errors: %+v", res.VariableErrors)
	}
	// Response.Data keeps the body's key order.
	if data := marshal(t, res.Response.Data); !strings.HasPrefix(data, `{"ticket":{"id":388,"status":"open"`) {
		t.Errorf("data = %s", data)
	}
}

func TestXMLResponse(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0"?>
<ticket status="open"><id>388</id><tag>a</tag><tag>b</tag><note/></ticket>`)
	})
	def := hookline.WebhookDefinition{Name: "x", Method: "GET", URL: rc.URL, ResponseType: hookline.ResponseXML,
		CustomVariables: []hookline.CustomVariable{
			{Name: "status", Mapper: "{{ ticket['@status'] }}"},
			{Name: "id", Mapper: "{{ ticket.id }}"},
			{Name: "tags", Mapper: "{{ ticket.tag }}"},
			{Name: "note", Mapper: "{{ ticket.note }}"},
		}}
	res := run(t, testClient(), def, nil)
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	if got := marshal(t, res.Variables); got != `{"id":"388","note":null,"status":"open","tags":["a","b"]}` {
		t.Errorf("variables = %s", got)
	}
	if got := rc.last(t).header.Get("Accept"); !strings.Contains(got, "application/xml") {
		t.Errorf("Accept = %q", got)
	}
}

func TestParseXML(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<ticket status="open"><id>388</id></ticket>`, `{"ticket":{"@status":"open","id":"388"}}`},
		{`<a> text </a>`, `{"a":"text"}`},
		{`<a/>`, `{"a":null}`},
		{`<a x="1">t</a>`, `{"a":{"@x":"1","#text":"t"}}`},
		{`<p>Hello <b>world</b> again</p>`, `{"p":{"b":"world","#text":"Hello again"}}`},
		{`<r><i>1</i><j/><i>2</i><i>3</i></r>`, `{"r":{"i":["1","2","3"],"j":null}}`},
		{`<r xmlns="urn:x" xmlns:s="urn:s"><s:v s:a="1">x</s:v></r>`, `{"r":{"v":{"@a":"1","#text":"x"}}}`},
		{`<r><![CDATA[<raw> & stuff]]><!-- c --></r>`, `{"r":"\u003craw\u003e \u0026 stuff"}`},
		{"\xEF\xBB\xBF<a>bom</a>", `{"a":"bom"}`},
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>K\xf8benhavn</a>", `{"a":"København"}`},
	}
	for _, c := range cases {
		v, err := ParseXML([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := marshal(t, v); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`<a>`, `<a></b>`, `<a/><b/>`, `just text`, ``, "<a>\n<b>x</a>"} {
		if _, err := ParseXML([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if v, err := Parse(hookline.ResponseJSON, []byte("\xEF\xBB\xBF{\"a\": 1}"), false); err != nil || marshal(t, v) != `{"a":1}` {
		t.Errorf("JSON with a byte order mark: %v %v", v, err)
	}
	if _, err := ParseXML([]byte(`<?xml version="1.0" encoding="Shift_JIS"?><a/>`)); err == nil || !strings.Contains(err.Error(), "Shift_JIS") {
		t.Errorf("unsupported charset: %v", err)
	}
	_, err := ParseXML([]byte("<a>\n<b>x</a>"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error without line: %v", err)
	}
}

func TestResponseErrors(t *testing.T) {
	t.Run("http_status", func(t *testing.T) {
		rc := newReceiver(t, jsonReply(404, `{"error": "RecordNotFound"}`))
		def := hookline.WebhookDefinition{Name: "s", Method: "GET", URL: rc.URL,
			CustomVariables: []hookline.CustomVariable{{Name: "e", Mapper: "{{error}}"}}}
		res := run(t, testClient(), def, nil)
		if res.Error == nil || res.Error.Kind != hookline.ErrHTTPStatus || !strings.Contains(res.Error.Message, "404") {
			t.Fatalf("error = %+v", res.Error)
		}
		if res.Response == nil || res.Response.Status != 404 || !strings.Contains(res.Response.Body, "RecordNotFound") || len(res.Variables) != 0 {
			t.Fatalf("result = %s", marshal(t, res))
		}
		if !strings.Contains(marshal(t, res), `"variables":{}`) {
			t.Errorf("variables must be an empty object: %s", marshal(t, res))
		}
	})
	t.Run("invalid_response", func(t *testing.T) {
		rc := newReceiver(t, jsonReply(200, `{"a": 1,}`))
		res := run(t, testClient(), hookline.WebhookDefinition{Name: "s", Method: "GET", URL: rc.URL}, nil)
		if res.Error == nil || res.Error.Kind != hookline.ErrInvalidResponse || !strings.Contains(res.Error.Message, "not valid JSON") {
			t.Fatalf("error = %+v", res.Error)
		}
	})
	// Answers egress cannot use are invalid responses too, not render or
	// connection errors, and a GET is not retried for them.
	for path, want := range map[string]string{
		"/to-ftp":       `redirect refused: scheme "ftp"`,
		"/bad-location": "Location that does not parse",
		"/not-gzip":     "does not decode",
	} {
		t.Run("invalid_response"+path, func(t *testing.T) {
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/to-ftp":
					http.Redirect(w, r, "ftp://127.0.0.1/file", http.StatusFound)
				case "/bad-location":
					w.Header().Set("Location", "http://[::1")
					w.WriteHeader(http.StatusFound)
				case "/not-gzip":
					w.Header().Set("Content-Encoding", "gzip")
					io.WriteString(w, `{"ticket": {"id": 388}}`)
				}
			})
			res := run(t, testClient(), hookline.WebhookDefinition{Name: "s", Method: "GET", URL: rc.URL + path}, nil)
			if res.Error == nil || res.Error.Kind != hookline.ErrInvalidResponse || !strings.Contains(res.Error.Message, want) ||
				strings.Contains(res.Error.Message, "attempts") {
				t.Fatalf("error = %+v", res.Error)
			}
		})
	}
	t.Run("empty body is null", func(t *testing.T) {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
		def := hookline.WebhookDefinition{Name: "s", Method: "DELETE", URL: rc.URL,
			CustomVariables: []hookline.CustomVariable{{Name: "v", Mapper: "{{response}}"}, {Name: "s", Mapper: "{{status}}"}}}
		res := run(t, testClient(), def, nil)
		if res.Error != nil || string(res.Variables["v"]) != "null" || string(res.Variables["s"]) != "204" {
			t.Fatalf("result = %s", marshal(t, res))
		}
	})
	t.Run("text", func(t *testing.T) {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		def := hookline.WebhookDefinition{Name: "s", Method: "POST", URL: rc.URL, ResponseType: hookline.ResponseText, Body: `{"text": "hi"}`,
			CustomVariables: []hookline.CustomVariable{{Name: "r", Mapper: "{{response}}"}}}
		res := run(t, testClient(), def, nil)
		if res.Error != nil || string(res.Variables["r"]) != `"ok"` {
			t.Fatalf("result = %s", marshal(t, res))
		}
	})
}

// TestResponseCharset: a JSON or text body is read in the charset its
// Content-Type declares, as Python's requests reads it; the shown body is
// that text, its size the bytes received.
func TestResponseCharset(t *testing.T) {
	body := "{\"name\": \"caf\xe9 \x80\x81\"}"
	for _, tc := range []struct {
		contentType string
		rt          hookline.ResponseType
		want        string
	}{
		{"application/json; charset=ISO-8859-1", hookline.ResponseJSON, "café \u0080\u0081"},
		{`application/json;charset="windows-1252"`, hookline.ResponseJSON, "café €\ufffd"},
		{"application/json; charset=us-ascii", hookline.ResponseJSON, "caf\ufffd \ufffd\ufffd"},
		{"application/json; charset=utf-8", hookline.ResponseJSON, "caf\ufffd \ufffd\ufffd"},
		{"application/json", hookline.ResponseJSON, "caf\ufffd \ufffd\ufffd"},
		{"text/plain; format=flowed; charset=latin1", hookline.ResponseText, body[:13] + "é \u0080\u0081\"}"},
	} {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tc.contentType)
			io.WriteString(w, body)
		})
		mapper := "{{name}}"
		if tc.rt == hookline.ResponseText {
			mapper = "{{response}}"
		}
		res := run(t, testClient(), hookline.WebhookDefinition{Name: "c", Method: "GET", URL: rc.URL, ResponseType: tc.rt,
			CustomVariables: []hookline.CustomVariable{{Name: "v", Mapper: mapper}}}, nil)
		var got string
		if res.Error != nil || json.Unmarshal(res.Variables["v"], &got) != nil || got != tc.want {
			t.Errorf("%s: variable %s (%v), want %q", tc.contentType, res.Variables["v"], res.Error, tc.want)
			continue
		}
		if tc.rt == hookline.ResponseText && res.Response.Body != tc.want {
			t.Errorf("%s: shown body %q, want %q", tc.contentType, res.Response.Body, tc.want)
		}
		if res.Response.Size != len(body) {
			t.Errorf("%s: size %d, want the %d bytes received", tc.contentType, res.Response.Size, len(body))
		}
	}
}

func TestOversizedResponse(t *testing.T) {
	big := `{"items": [` + strings.Repeat(`"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",`, 2000) + `"end"]}`
	rc := newReceiver(t, jsonReply(200, big))
	client := egress.New(egress.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, MaxResponseBytes: 4096})
	res := run(t, client, hookline.WebhookDefinition{Name: "big", Method: "GET", URL: rc.URL}, nil)
	if res.Response == nil || !res.Response.Truncated || res.Response.Size != 4096 {
		t.Fatalf("response = %+v", res.Response)
	}
	if res.Error == nil || res.Error.Kind != hookline.ErrInvalidResponse || !strings.Contains(res.Error.Message, "cut after 4096 bytes") {
		t.Fatalf("error = %+v", res.Error)
	}

	// Within the cap, the shown body stops at 64 KiB on a character boundary.
	long := strings.Repeat("ü", 50<<10) // 100 KiB
	rc2 := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, long) })
	res = run(t, testClient(), hookline.WebhookDefinition{Name: "long", Method: "GET", URL: rc2.URL, ResponseType: hookline.ResponseText}, nil)
	if res.Error != nil || res.Response.Truncated || res.Response.Size != len(long) || len(res.Response.Body) != hookline.MaxShownBodyBytes ||
		!strings.HasPrefix(long, res.Response.Body) {
		t.Fatalf("shown body: size %d, len %d, truncated %v, err %v", res.Response.Size, len(res.Response.Body), res.Response.Truncated, res.Error)
	}
}

func TestTimeoutClassified(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	start := time.Now()
	res := run(t, testClient(), hookline.WebhookDefinition{Name: "slow", Method: "POST", URL: rc.URL, TimeoutMS: 200, Body: `{}`}, nil)
	if res.Error == nil || res.Error.Kind != hookline.ErrTimeout {
		t.Fatalf("error = %+v", res.Error)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("a 200 ms timeout took %v", took)
	}
	if res.Response != nil {
		t.Errorf("response = %+v, want none", res.Response)
	}
}

func TestRetriesPerMethod(t *testing.T) {
	var n atomic.Int32
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 { // every first attempt fails
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"ok": true}`)
	})
	cases := []struct {
		method   string
		optIn    bool
		attempts int
	}{
		{"GET", false, 2},
		{"PUT", false, 2},
		{"DELETE", false, 2},
		{"POST", false, 1},
		{"PATCH", false, 1},
		{"POST", true, 2},
		{"PATCH", true, 2},
	}
	for _, c := range cases {
		n.Store(0)
		before := rc.count()
		def := hookline.WebhookDefinition{Name: "r", Method: c.method, URL: rc.URL, RetryNonIdempotent: c.optIn, TimeoutMS: 5000}
		res := run(t, testClient(), def, nil)
		if got := rc.count() - before; got != c.attempts || res.Response.Attempts != c.attempts {
			t.Errorf("%s (opt-in %v): %d attempts (shown %d), want %d", c.method, c.optIn, got, res.Response.Attempts, c.attempts)
		}
		if c.attempts == 1 && (res.Error == nil || res.Error.Kind != hookline.ErrHTTPStatus) {
			t.Errorf("%s: error = %+v, want http_status", c.method, res.Error)
		}
		if c.attempts == 2 && res.Error != nil {
			t.Errorf("%s: error = %+v", c.method, res.Error)
		}
	}
}

func TestBlockedAddress(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, `{}`))
	res := run(t, egress.New(egress.Config{}), hookline.WebhookDefinition{Name: "b", Method: "GET", URL: rc.URL}, nil)
	if res.Error == nil || res.Error.Kind != hookline.ErrBlockedAddress {
		t.Fatalf("error = %+v", res.Error)
	}
	if rc.count() != 0 {
		t.Fatal("the guarded request reached the receiver")
	}
}

func TestRenderErrors(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, `{}`))
	conv := SampleConversation()
	conv.Reply = "two\nlines"
	data, _ := ConversationData(&conv)
	cases := []struct {
		name  string
		def   hookline.WebhookDefinition
		field string
		want  string
	}{
		{"body not JSON", hookline.WebhookDefinition{Method: "POST", URL: rc.URL, Body: "{\n  \"reply\": {{ certainly.reply }}\n}"}, "body", "line 2"},
		{"header newline", hookline.WebhookDefinition{Method: "GET", URL: rc.URL,
			Headers: []hookline.KeyValue{{Key: "X-Reply", Value: "certainly.reply", Type: hookline.ValueVariable}}}, "headers[0].value", ""},
		{"missing context value", hookline.WebhookDefinition{Method: "GET", URL: "http://{{ host }}/x"}, "url", "context_values.host"},
		{"url does not parse", hookline.WebhookDefinition{Method: "GET", URL: "{{ certainly.reply }}"}, "url", "rendered URL"},
	}
	for _, c := range cases {
		c.def.Name = c.name
		res := run(t, testClient(), c.def, data)
		if res.Error == nil || res.Error.Kind != hookline.ErrRender || res.Error.Field != c.field || !strings.Contains(res.Error.Message, c.want) {
			t.Errorf("%s: error = %+v", c.name, res.Error)
		}
		if res.Response != nil {
			t.Errorf("%s: a request was sent", c.name)
		}
	}
	if rc.count() != 0 {
		t.Errorf("%d requests reached the receiver", rc.count())
	}
}

func TestCompileErrors(t *testing.T) {
	base := func() hookline.WebhookDefinition {
		return hookline.WebhookDefinition{Name: "c", Method: "POST", URL: "https://example.com/{{ a }}", Body: `{"a": 1}`,
			Headers:         []hookline.KeyValue{{Key: "X-A", Value: "ok"}},
			CustomVariables: []hookline.CustomVariable{{Name: "a", Mapper: "{{a}}"}, {Name: "b", Mapper: "{{b}}"}}}
	}
	cases := []struct {
		field  string
		change func(w *hookline.WebhookDefinition)
	}{
		{"url", func(w *hookline.WebhookDefinition) { w.URL = "https://example.com/{{ a " }},
		{"body", func(w *hookline.WebhookDefinition) { w.Body = "{\n  \"a\": {{ a + }}\n}" }},
		{"body", func(w *hookline.WebhookDefinition) { w.Body = `{% extends "x" %}` }},
		{"headers[0].value", func(w *hookline.WebhookDefinition) { w.Headers[0].Value = "{% if %}" }},
		// Jinja2 would fail these only when the branch is taken; saving refuses them.
		{"body", func(w *hookline.WebhookDefinition) { w.Body = `{% if false %}{{ x|nosuchfilter }}{% endif %}` }},
		{"body", func(w *hookline.WebhookDefinition) { w.Body = `{{ x is nosuchtest if x else 1 }}` }},
		{"custom_variables[1].mapper", func(w *hookline.WebhookDefinition) { w.CustomVariables[1].Mapper = "{{ b | }}" }},
		{"context_values.a", func(w *hookline.WebhookDefinition) { w.ContextValues = map[string]string{"a": "{{ x"} }},
		{"timeout_ms", func(w *hookline.WebhookDefinition) { w.TimeoutMS = 50 }},
	}
	for _, c := range cases {
		w := base()
		c.change(&w)
		// As saving compiles: strict about unknown filters and tests.
		_, err := compile(w, true)
		if hookline.ErrorCode(err) != hookline.CodeInvalid || hookline.ErrorField(err) != c.field {
			t.Errorf("%s: %v", c.field, err)
			continue
		}
		if c.field != "timeout_ms" && !strings.Contains(hookline.ErrorMessage(err), "line ") {
			t.Errorf("%s: message without a line: %q", c.field, hookline.ErrorMessage(err))
		}
	}
	w := base()
	w.Body = "{\n  \"a\": {{ a + }}\n}"
	_, err := Compile(w)
	if !strings.Contains(hookline.ErrorMessage(err), "line 2") {
		t.Errorf("body error not on line 2: %v", err)
	}
}

func TestContextNamesAndCheck(t *testing.T) {
	w := hookline.WebhookDefinition{Name: "n", Method: "GET",
		URL:    "https://{{subdomain}}.example.com/{{ certainly.botId }}/{{ticket_id}}?{% for i in range(2) %}x={{i}}{% endfor %}&{{subdomain}}",
		Params: []hookline.KeyValue{{Key: "p", Value: "1"}}}
	names, err := ContextNames(w)
	if err != nil || strings.Join(names, ",") != "subdomain,ticket_id" {
		t.Fatalf("names = %v, %v", names, err)
	}
	if err := Check(&w); hookline.ErrorField(err) != "context_values.subdomain" {
		t.Fatalf("check without context values: %v", err)
	}
	w.ContextValues = map[string]string{"subdomain": "acme", "ticket_id": "{{ certainly.extractedData.ticket_id }}"}
	if err := Check(&w); err != nil {
		t.Fatal(err)
	}
	if w.TimeoutMS != 5000 || w.Method != "GET" || w.ResponseType != "json" {
		t.Errorf("Check did not fill defaults: %+v", w)
	}
	c, _ := Compile(w)
	conv := SampleConversation()
	data, _ := ConversationData(&conv)
	req, err := c.Build(context.Background(), data, egress.DefaultUserAgent)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://acme.example.com/" + conv.BotID + "/388?x=0x=1&acme&p=1"; req.Egress.URL != want {
		t.Errorf("url = %s, want %s", req.Egress.URL, want)
	}
}

// TestCheckPlainText: a field without template tags that no run could
// send is refused at save time, naming the field, line and column; the
// same text with a tag in it is left to each run.
func TestCheckPlainText(t *testing.T) {
	base := hookline.WebhookDefinition{Name: "n", Method: "POST", URL: "https://example.com/x"}
	for _, tc := range []struct {
		edit        func(w *hookline.WebhookDefinition)
		field, want string
	}{
		{func(w *hookline.WebhookDefinition) { w.URL = "https://example.com/a b" }, "url", "line 1, column 22: URL contains a space"},
		{func(w *hookline.WebhookDefinition) {
			w.Headers = []hookline.KeyValue{{Key: "X-Ok", Value: "fine"}, {Key: "X-A", Value: "a\r\nX-B: b"}}
		}, "headers[1].value", "line 1, column 2"},
		{func(w *hookline.WebhookDefinition) { w.Body = `{"a": 1,}` }, "body", "the rendered body (JSON) is invalid at line 1, column 9"},
	} {
		w := base
		tc.edit(&w)
		err := Check(&w)
		if hookline.ErrorField(err) != tc.field || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want field %s and %q", tc.field, err, tc.field, tc.want)
		}
	}
	for _, edit := range []func(w *hookline.WebhookDefinition){
		func(w *hookline.WebhookDefinition) { w.URL = "https://example.com/{{ 'a' }} b" },
		func(w *hookline.WebhookDefinition) { w.Body = `{"a": {{ x }},}` },
		func(w *hookline.WebhookDefinition) { w.Body = `{"a": [1, "\u00e9"]}` },
		func(w *hookline.WebhookDefinition) {
			w.Headers = []hookline.KeyValue{{Key: "X-V", Value: "certainly.sessionId", Type: hookline.ValueVariable}}
		},
	} {
		w := base
		edit(&w)
		if err := Check(&w); err != nil {
			t.Errorf("%+v: %v", w, err)
		}
	}
}

func TestTemplateContext(t *testing.T) {
	tmpl := func(src string, data map[string]any) string {
		t.Helper()
		rc := newReceiver(t, jsonReply(200, `{}`))
		res := run(t, testClient(), hookline.WebhookDefinition{Name: "ctx", Method: "POST", URL: rc.URL, Body: src}, data)
		if res.Error != nil {
			t.Fatalf("%s: %v", src, res.Error)
		}
		return string(rc.last(t).body)
	}
	conv := hookline.Conversation{SessionID: 7, ModuleID: 3, Reply: "hi", Channel: "webhook",
		CustomData: json.RawMessage(`{"orderId": 42}`)}
	data, err := ConversationData(&conv)
	if err != nil {
		t.Fatal(err)
	}
	got := tmpl(`{"s": {{ certainly.sessionId }}, "m": {{ conversation.moduleId }}, "fb": {{ (fb is defined) | tojson }},
		"rd": {{ (certainly.replyData is defined) | tojson }}, "cd": {{ context.session.BotUserSession.lastMessage.customData.orderId }}}`, data)
	if got != `{"s": 7, "m": 3, "fb": false,
		"rd": false, "cd": 42}` {
		t.Errorf("conversation data rendered %s", got)
	}

	// Run webhook: the user's context is used as given and mirrored.
	data, err = RunData(json.RawMessage(`{"conversation": {"sessionId": 9, "reply": "yo"}, "extra": [1, 2]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := tmpl(`{"a": {{ certainly.sessionId }}, "b": "{{ conversation.reply }}", "c": {{ extra | tojson }}}`, data); got != `{"a": 9, "b": "yo", "c": [1, 2]}` {
		t.Errorf("run data rendered %s", got)
	}
	for _, bad := range []string{`[1]`, `{"a": `, `"x"`} {
		if _, err := RunData(json.RawMessage(bad)); hookline.ErrorField(err) != "context" {
			t.Errorf("%s: %v", bad, err)
		}
	}

	// No context: the sample, the same whether built from the conversation
	// or read from SampleContext's JSON.
	fromEmpty, _ := RunData(nil)
	fromJSON, err := RunData(SampleContext())
	if err != nil {
		t.Fatal(err)
	}
	a, b := tmpl(seedBody, fromEmpty), tmpl(seedBody, fromJSON)
	if a != b {
		t.Errorf("sample context differs:\n%s\n%s", a, b)
	}
}

func TestRunWebhookAndConversation(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, seedTicket))
	e := NewExecutor(testClient())
	w := &hookline.WebhookDefinition{Name: "r", Method: "POST", URL: rc.URL + "/{{ path }}", Body: seedBody,
		ContextValues:   map[string]string{"path": "tickets"},
		CustomVariables: []hookline.CustomVariable{{Name: "ticket_status", Mapper: "{{ticket.status}}"}}}
	res, err := e.RunContext(context.Background(), w, nil)
	if err != nil || res.Error != nil || string(res.Variables["ticket_status"]) != `"open"` || !strings.HasSuffix(res.Request.URL, "/tickets") {
		t.Fatalf("run webhook: %v %s", err, marshal(t, res))
	}
	// A context value the user's context defines takes the user's value.
	res, _ = e.RunContext(context.Background(), w, json.RawMessage(`{"path": "other", "certainly": {"sessionId": 1, "moduleId": 2}}`))
	if !strings.HasSuffix(res.Request.URL, "/other") || res.Error != nil {
		t.Fatalf("run with context: %s", marshal(t, res))
	}
	conv := SampleConversation()
	res, err = e.RunConversation(context.Background(), w, &conv)
	if err != nil || res.Error != nil || string(res.Variables["ticket_status"]) != `"open"` {
		t.Fatalf("run conversation: %v %s", err, marshal(t, res))
	}
	bad := *w
	bad.Body = "{{"
	if _, err := e.RunContext(context.Background(), &bad, nil); hookline.ErrorField(err) != "body" {
		t.Fatalf("bad definition: %v", err)
	}
	if _, err := e.RunContext(context.Background(), w, json.RawMessage(`[]`)); hookline.ErrorField(err) != "context" {
		t.Fatalf("bad context: %v", err)
	}
}

func TestBuiltinTemplates(t *testing.T) {
	ts, err := LoadBuiltinTemplates()
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) < 6 {
		t.Fatalf("%d built-in templates, want at least 6", len(ts))
	}
	files, _ := filepath.Glob("templates/*.json")
	if len(files) != len(ts) {
		t.Fatalf("%d files, %d templates", len(files), len(ts))
	}
	keys := map[string]bool{}
	for i, tp := range ts {
		if tp.ID != int64(-1-i) || tp.Scope != hookline.TemplateBuiltin || tp.Key == "" || keys[tp.Key] || tp.Description == "" || len(tp.Blanks) == 0 {
			t.Errorf("template %d: %+v", i, tp)
		}
		keys[tp.Key] = true
		// Every template fills into a webhook that compiles.
		values := map[string]string{}
		for _, b := range tp.Blanks {
			if b.Required && b.Default == "" {
				values[b.Name] = sampleBlankValue(b.Target)
			}
		}
		if _, err := FillTemplate(&tp, values); err != nil {
			t.Errorf("%s: %v", tp.Key, err)
			continue
		}
		for _, b := range tp.Blanks {
			if b.Secret && b.Default != "" {
				t.Errorf("%s: secret blank %s has a default", tp.Key, b.Name)
			}
		}
		if len(tp.Webhook.Secrets()) != 0 {
			t.Errorf("%s ships a secret", tp.Key)
		}
	}
	for _, k := range []string{"zendesk-ticket-lookup", "hubspot-contact-upsert", "slack-incoming-webhook", "sheets-append-row", "order-status-lookup", "generic-rest-get"} {
		if !keys[k] {
			t.Errorf("missing built-in template %s", k)
		}
	}
}

func builtin(t *testing.T, key string) hookline.WebhookTemplate {
	t.Helper()
	ts, err := LoadBuiltinTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range ts {
		if tp.Key == key {
			return tp
		}
	}
	t.Fatalf("no template %s", key)
	return hookline.WebhookTemplate{}
}

// TestCheckTemplateShowsDefaults: a template saved with the minimum shows
// the defaults its webhooks get, as a saved webhook shows its own.
func TestCheckTemplateShowsDefaults(t *testing.T) {
	tmpl := hookline.WebhookTemplate{Name: "t", Scope: hookline.TemplateCompany,
		Webhook: hookline.WebhookDefinition{Name: "t", Method: "get", URL: "https://{{sub}}.example.com/x"},
		Blanks:  []hookline.TemplateBlank{{Name: "sub", Target: "context_values.sub", Required: true}}}
	if err := CheckTemplate(&tmpl); err != nil {
		t.Fatal(err)
	}
	w := tmpl.Webhook
	if w.Method != "GET" || w.ResponseType != hookline.ResponseJSON || w.Execution != hookline.ExecutionSync ||
		w.TimeoutMS != 5000 || w.Auth.Type != hookline.AuthNone || w.ContextValues["sub"] != "" {
		t.Errorf("checked template = %+v", w)
	}
}

func TestFillTemplate(t *testing.T) {
	zd := builtin(t, "zendesk-ticket-lookup")
	_, err := FillTemplate(&zd, map[string]string{"agent_email": "a@acme.com/token", "colour": "red"})
	msg := hookline.ErrorMessage(err)
	for _, want := range []string{"values.subdomain is required", "values.api_token is required", "values.colour matches no blank"} {
		if !strings.Contains(msg, want) {
			t.Errorf("fill error %q lacks %q", msg, want)
		}
	}
	w, err := FillTemplate(&zd, map[string]string{"subdomain": "acme", "agent_email": "a@acme.com/token", "api_token": "zd-token"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	conv := SampleConversation()
	data, _ := ConversationData(&conv)
	req, err := c.Build(context.Background(), data, egress.DefaultUserAgent)
	if err != nil {
		t.Fatal(err)
	}
	if req.Egress.URL != "https://acme.zendesk.com/api/v2/tickets/388.json" || req.Shown.Headers["Authorization"] != "Basic ********" {
		t.Errorf("built %s %v", req.Egress.URL, req.Shown.Headers)
	}
	m := c.Map(context.Background(), 200, http.Header{}, []byte(seedTicket), false)
	if string(m.Variables["ticket_status"]) != `"open"` || string(m.Variables["ticket_priority"]) != `"low"` {
		t.Errorf("mapped %v", m.Variables)
	}

	// The generic GET: the optional token left out turns auth off.
	g := builtin(t, "generic-rest-get")
	w, err = FillTemplate(&g, map[string]string{"url": "https://api.example.com/v1/status"})
	if err != nil || w.Auth.Type != hookline.AuthNone || w.URL != "https://api.example.com/v1/status" {
		t.Fatalf("generic: %v %+v", err, w)
	}
	// The error names the value the user gave, not the field it filled.
	if _, err := FillTemplate(&g, map[string]string{"url": "not a url"}); hookline.ErrorField(err) != "values.url" {
		t.Fatalf("generic with a bad url: %v", err)
	}
}

func TestBuiltinTemplatesRunLocally(t *testing.T) {
	// The templates whose whole URL is a blank run against a local receiver.
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	slack := builtin(t, "slack-incoming-webhook")
	w, err := FillTemplate(&slack, map[string]string{"webhook_url": rc.URL + "/services/T/B/X"})
	if err != nil {
		t.Fatal(err)
	}
	conv := SampleConversation()
	conv.Reply = `I need a "human" \ now`
	res, err := NewExecutor(testClient()).RunConversation(context.Background(), &w, &conv)
	if err != nil || res.Error != nil {
		t.Fatalf("%v %s", err, marshal(t, res))
	}
	var sent struct{ Text string }
	if err := json.Unmarshal(rc.last(t).body, &sent); err != nil {
		t.Fatal(err)
	}
	if want := `A user needs help: Ada Lovelace wrote "I need a "human" \ now" (session 4815162342)`; sent.Text != want {
		t.Errorf("slack text %q\nwant %q", sent.Text, want)
	}
	if string(res.Variables["slack_result"]) != `"ok"` {
		t.Errorf("variables %v", res.Variables)
	}
}

func TestTemplateFromWebhook(t *testing.T) {
	w := hookline.WebhookDefinition{Name: "Orders", Method: "GET", URL: "https://{{host}}/orders/{{order}}",
		Auth: hookline.Auth{Type: hookline.AuthAPIKey, Name: "X-Key", Value: "very-secret-key", In: "header"},
		Headers: []hookline.KeyValue{{Key: "Accept-Language", Value: "da"}, {Key: "X-Session-Token", Value: "hand-typed-secret"},
			{Key: "X-Trace", Value: "{{ certainly.sessionId }}"}},
		ContextValues: map[string]string{"host": "shop.example.com", "order": "{{ certainly.extractedData.order_id }}"}}
	tp := TemplateFromWebhook(w)
	tp.Scope, tp.OwnerID = hookline.TemplateCompany, 9
	if out := marshal(t, tp); strings.Contains(out, "very-secret-key") || strings.Contains(out, "hand-typed-secret") {
		t.Fatalf("the secret was copied: %s", marshal(t, tp))
	}
	if err := CheckTemplate(&tp); err != nil {
		t.Fatal(err)
	}
	if len(tp.Blanks) != 3 || tp.Blanks[0].Target != "context_values.host" || tp.Blanks[0].Default != "shop.example.com" ||
		tp.Blanks[1].Target != "auth.value" || !tp.Blanks[1].Secret || !tp.Blanks[1].Required ||
		tp.Blanks[2].Target != "headers.X-Session-Token" || tp.Blanks[2].Name != "x_session_token" || !tp.Blanks[2].Secret ||
		tp.Webhook.Headers[0].Value != "da" {
		t.Fatalf("blanks %+v", tp.Blanks)
	}
	if tp.Webhook.ContextValues["order"] == "" {
		t.Fatalf("definition %+v", tp.Webhook)
	}
	got, err := FillTemplate(&tp, map[string]string{"api_key": "new-key", "x_session_token": "t2"})
	if err != nil || got.Auth.Value != "new-key" || got.ContextValues["host"] != "shop.example.com" || got.Headers[1].Value != "t2" {
		t.Fatalf("fill: %v %+v", err, got)
	}
}

func TestMain(m *testing.M) {
	// Proxy settings must not matter: egress ignores them. Set one to prove it.
	os.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	os.Exit(m.Run())
}

func TestConcurrentRuns(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, seedTicket))
	c, err := Compile(hookline.WebhookDefinition{Name: "c", Method: "POST", URL: rc.URL + "/{{ path }}", Body: seedBody,
		ContextValues:   map[string]string{"path": "{{ certainly.moduleId }}"},
		CustomVariables: []hookline.CustomVariable{{Name: "s", Mapper: "{{ticket.status}}"}, {Name: "t", Mapper: "{{ticket}}"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := NewExecutor(testClient())
	var wg sync.WaitGroup
	errs := make(chan string, 32)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				conv := SampleConversation()
				conv.ModuleID = int64(g*10 + i)
				data, _ := ConversationData(&conv)
				res := e.Run(context.Background(), c, data)
				if res.Error != nil || string(res.Variables["s"]) != `"open"` || !strings.HasSuffix(res.Request.URL, "/"+itoa(g*10+i)) {
					errs <- marshal(t, res)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRunUnsavedWithoutName(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, `{}`))
	res, err := NewExecutor(testClient()).RunContext(context.Background(), &hookline.WebhookDefinition{Method: "GET", URL: rc.URL}, nil)
	if err != nil || res.Error != nil {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestExecutorCompileCache(t *testing.T) {
	e := NewExecutor(testClient())
	w := hookline.WebhookDefinition{Name: "c", Method: "GET", URL: "https://example.com/{{ a }}", ContextValues: map[string]string{"a": "x"}}
	c1, err := e.Compile(&w)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := e.Compile(&w)
	if c1 != c2 {
		t.Error("the same definition was compiled twice")
	}
	w.ContextValues = map[string]string{"a": "y"}
	c3, _ := e.Compile(&w)
	if c3 == c1 || c3.def.ContextValues["a"] != "y" {
		t.Error("a changed definition came from the cache")
	}
	w.Body = "{{"
	if _, err := e.Compile(&w); hookline.ErrorField(err) != "body" {
		t.Errorf("bad definition: %v", err)
	}
	for i := range maxCached + 10 {
		w := hookline.WebhookDefinition{Name: "n" + itoa(i), Method: "GET", URL: "https://example.com/"}
		if _, err := e.Compile(&w); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.cache); n > maxCached {
		t.Errorf("cache holds %d entries, bound %d", n, maxCached)
	}

	// Large definitions: bounded by bytes, and the largest never kept.
	e = NewExecutor(testClient())
	body := `{"pad": "` + strings.Repeat("x", 60<<10) + `"}`
	for i := range 100 {
		w := hookline.WebhookDefinition{Name: "big" + itoa(i), Method: "POST", URL: "https://example.com/", Body: body}
		if _, err := e.Compile(&w); err != nil {
			t.Fatal(err)
		}
	}
	sum := 0
	for k := range e.cache {
		sum += len(k)
	}
	if sum != e.cacheBytes || sum > maxCachedBytes || len(e.cache) == 0 {
		t.Errorf("cache keys hold %d bytes (counted %d) in %d entries; bound %d", sum, e.cacheBytes, len(e.cache), maxCachedBytes)
	}
	huge := hookline.WebhookDefinition{Name: "huge", Method: "POST", URL: "https://example.com/", Body: `{"pad": "` + strings.Repeat("x", maxCachedDef) + `"}`}
	c, err := e.Compile(&huge)
	if err != nil || c == nil {
		t.Fatalf("huge definition: %v", err)
	}
	if again, _ := e.Compile(&huge); again == c {
		t.Error("a definition over maxCachedDef was cached")
	}
}

func TestBuildURL(t *testing.T) {
	cases := []struct {
		def         hookline.WebhookDefinition
		want, shown string
	}{
		{hookline.WebhookDefinition{URL: "https://example.com/a?b=1#frag"}, "https://example.com/a?b=1", "https://example.com/a?b=1"},
		{hookline.WebhookDefinition{URL: "https://example.com/a?b=1"}, "https://example.com/a?b=1", "https://example.com/a?b=1"},
		{hookline.WebhookDefinition{URL: "https://example.com/{{ certainly.reply }}"}, "https://example.com/My%20ticket%20number%20is%20388", ""},
		{hookline.WebhookDefinition{URL: "https://example.com/a", Auth: hookline.Auth{Type: hookline.AuthAPIKey, Name: "k", Value: "v&1", In: "query"},
			Params: []hookline.KeyValue{{Key: "p", Value: "{{ certainly.moduleId }}"}}},
			"https://example.com/a?p=12&k=v%261", "https://example.com/a?p=12&k=********"},
	}
	conv := SampleConversation()
	data, _ := ConversationData(&conv)
	for _, c := range cases {
		c.def.Name, c.def.Method = "u", "GET"
		comp, err := Compile(c.def)
		if err != nil {
			t.Fatal(err)
		}
		if c.shown == "" {
			c.shown = c.want
		}
		// Twice: a plain-text URL is parsed once and shared by every build.
		for range 2 {
			req, err := comp.Build(context.Background(), data, egress.DefaultUserAgent)
			if err != nil {
				t.Fatal(err)
			}
			if req.Egress.URL != c.want || req.Shown.URL != c.shown {
				t.Errorf("%s: sent %s, shown %s; want %s, %s", c.def.URL, req.Egress.URL, req.Shown.URL, c.want, c.shown)
			}
		}
	}
}

// The defaults and the auth header are worked out once per definition:
// what one request's caller does to its header must not reach the next
// request.
func TestBuildSharesNothingWritable(t *testing.T) {
	comp, err := Compile(hookline.WebhookDefinition{Name: "s", Method: "POST", URL: "https://example.com/", Body: `{}`,
		Auth: hookline.Auth{Type: hookline.AuthBearer, Token: "tok-123456"},
		Headers: []hookline.KeyValue{
			{Key: "X-Multi", Value: "one"}, {Key: "X-Multi", Value: "two"}, {Key: "X-Single", Value: "s"},
			{Key: "Content-Type", Value: "{{ ct }}"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{"X-Multi": {"one", "two"}, "X-Single": {"s"}, "Content-Type": {"application/json"},
		"Accept": {"application/json"}, "Authorization": {"Bearer tok-123456"}, "User-Agent": {egress.DefaultUserAgent}}
	for range 2 {
		req, err := comp.Build(context.Background(), map[string]any{"ct": ""}, egress.DefaultUserAgent)
		if err != nil {
			t.Fatal(err)
		}
		if h := req.Egress.Header; !reflect.DeepEqual(h, want) {
			t.Fatalf("header %v, want %v", h, want)
		}
		for k := range req.Egress.Header {
			req.Egress.Header[k][0] = "changed"
			req.Egress.Header.Add(k, "added")
		}
	}
}

// TestRunsShareNothingWritable: the parts every request of a definition
// shares are never handed out, so changing one result or built request
// changes nothing that a later run sends or shows.
func TestRunsShareNothingWritable(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, seedTicket))
	c, data := benchCompiled(t, rc.URL+"/tickets")
	e := NewExecutor(testClient())
	ctx := context.Background()
	first := e.Run(ctx, c, data)
	if first.Error != nil {
		t.Fatal(first.Error)
	}
	sent := rc.last(t).header.Clone()
	shown := maps.Clone(first.Request.Headers)
	for k := range first.Request.Headers {
		first.Request.Headers[k] = "changed"
	}
	first.Request.Headers["X-Added"] = "added"
	built, err := c.Build(ctx, data, egress.DefaultUserAgent)
	if err != nil {
		t.Fatal(err)
	}
	for _, vs := range built.Egress.Header {
		vs[0] = "changed"
	}
	built.Egress.Header["X-Added"] = []string{"added"}

	second := e.Run(ctx, c, data)
	if second.Error != nil {
		t.Fatal(second.Error)
	}
	if !maps.Equal(second.Request.Headers, shown) {
		t.Errorf("second run shows %v, want %v", second.Request.Headers, shown)
	}
	if got := rc.last(t).header; !maps.EqualFunc(got, sent, slices.Equal) {
		t.Errorf("second run sent %v, want %v", got, sent)
	}
	if string(second.Variables["ticket_status"]) != `"open"` || string(second.Variables["ticket_id"]) != "388" ||
		string(second.Variables["ticket_summary"]) != `"Ticket 388 is open (low)"` {
		t.Errorf("variables %s", marshal(t, second.Variables))
	}
}

// TestParseXMLDepth accepts nesting up to the limit and refuses deeper
// responses with the line of the element that goes too deep.
func TestParseXMLDepth(t *testing.T) {
	nested := func(n int) []byte {
		return []byte(strings.Repeat("<a>", n) + "x" + strings.Repeat("</a>", n))
	}
	if _, err := ParseXML(nested(maxXMLDepth)); err != nil {
		t.Fatalf("%d levels: %v", maxXMLDepth, err)
	}
	_, err := ParseXML(nested(maxXMLDepth + 1))
	if err == nil || !strings.Contains(err.Error(), "nested deeper than 1000 levels") || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("%d levels: %v, want an error naming the limit and the line", maxXMLDepth+1, err)
	}
	if _, err := ParseXML(nested(200000)); err == nil {
		t.Fatal("200000 levels parsed")
	}
}

// TestRunSendsWhatBuildBuilds: Run sends the request Build returns, byte
// for byte, so that tests of Build test what a run sends.
func TestRunSendsWhatBuildBuilds(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, seedTicket))
	def := benchDef(rc.URL + "/tickets?q=1")
	def.Headers = []hookline.KeyValue{{Key: "x-module", Value: "{{ certainly.moduleId }}"}}
	def.Params = []hookline.KeyValue{{Key: "session", Value: "certainly.sessionId", Type: hookline.ValueVariable}}
	c, err := Compile(def)
	if err != nil {
		t.Fatal(err)
	}
	conv := SampleConversation()
	data, err := ConversationData(&conv)
	if err != nil {
		t.Fatal(err)
	}
	client := testClient()
	res := NewExecutor(client).Run(context.Background(), c, data)
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	built, err := c.Build(context.Background(), data, client.UserAgent())
	if err != nil {
		t.Fatal(err)
	}
	got := rc.last(t)
	if got.method != built.Egress.Method || rc.URL+got.url != built.Egress.URL || string(got.body) != string(built.Egress.Body) {
		t.Errorf("sent %s %s %s\nbuilt %s %s %s", got.method, rc.URL+got.url, got.body, built.Egress.Method, built.Egress.URL, built.Egress.Body)
	}
	sent := got.header.Clone()
	delete(sent, "Accept-Encoding") // added by the transport, which decompresses
	delete(sent, "Content-Length")
	if !maps.EqualFunc(sent, built.Egress.Header, slices.Equal) {
		t.Errorf("sent header %v\nbuilt %v", sent, built.Egress.Header)
	}
	if !reflect.DeepEqual(res.Request, built.Shown) {
		t.Errorf("run shows %+v\nbuilt %+v", res.Request, built.Shown)
	}
}

// TestEveryEgressKindIsMapped: each kind of failure egress declares has
// its own webhook error kind, one that hookline declares, so that no
// failure falls through to the fallback.
func TestEveryEgressKindIsMapped(t *testing.T) {
	known := constValues(t, "..", "WebhookErrorKind")
	kinds := constValues(t, "../egress", "Kind")
	if len(kinds) < 7 || len(known) < 8 {
		t.Fatalf("found %d egress kinds and %d webhook error kinds; the source scan is broken", len(kinds), len(known))
	}
	for _, k := range kinds {
		got, ok := webhookErrorKind(egress.Kind(k))
		if !ok || !slices.Contains(known, string(got)) {
			t.Errorf("egress kind %q maps to %q (mapped: %v), not a hookline.WebhookErrorKind", k, got, ok)
		}
	}
	if _, ok := webhookErrorKind("no such kind"); ok {
		t.Error("an unknown kind is reported as mapped")
	}
}

// constValues lists the values of the string constants of type typeName
// declared in the non-test Go files of dir.
func constValues(t *testing.T, dir, typeName string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typeName {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: a %s constant that is not a string literal", name, typeName)
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					values = append(values, s)
				}
			}
		}
	}
	return values
}
