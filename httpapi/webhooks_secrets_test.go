package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hookline/hookline"
)

// The secret header and param values of the tests below: none may show in
// a response or a log line.
const (
	testHeaderSecret = "hdr-secret-71b0c4e9d2"
	testCustomSecret = "custom-secret-3a5f8e06"
	testParamSecret  = "param-secret-c2d94f17"
)

// echoReceiver answers each request with what it received: its
// Authorization, X-Custom and Cookie headers and its query, as a receiver
// that echoes requests (httpbin, say) would.
type echoReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newEchoReceiver(t *testing.T, next http.Handler) *echoReceiver {
	rc := &echoReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, r.Clone(r.Context()))
		rc.mu.Unlock()
		if next != nil {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"authorization": r.Header.Get("Authorization"), "custom": r.Header.Get("X-Custom"),
			"cookie": r.Header.Get("Cookie"), "query": r.URL.RawQuery, "status": "open",
		})
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *echoReceiver) last(t *testing.T) *http.Request {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) == 0 {
		t.Fatal("the receiver got no request")
	}
	return rc.reqs[len(rc.reqs)-1]
}

func (rc *echoReceiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

// noItemSecret fails when a secret header or param value shows in a
// response body or a log line.
func (e *testEnv) noItemSecret(t *testing.T, bodies ...[]byte) {
	t.Helper()
	for _, secret := range []string{testHeaderSecret, testCustomSecret, testParamSecret, testToken} {
		for _, b := range bodies {
			if strings.Contains(string(b), secret) {
				t.Fatalf("the secret %q shows in a response: %s", secret, b)
			}
		}
		if strings.Contains(e.logs.String(), secret) {
			t.Fatalf("the secret %q reached the log", secret)
		}
	}
}

// secretItemsWebhook has a secret header by its name (Authorization), one
// marked secret (X-Custom), one whose name looks secret but is marked not
// to be (X-Token-Hint), a variable item and a secret param by its name.
func secretItemsWebhook(url string) map[string]any {
	return map[string]any{
		"name": "Secret items", "method": "GET", "url": url,
		"headers": []any{
			map[string]any{"key": "Authorization", "value": "Bearer " + testHeaderSecret},
			map[string]any{"key": "X-Custom", "value": testCustomSecret, "secret": true},
			map[string]any{"key": "X-Token-Hint", "value": "shown-hint", "secret": false},
			map[string]any{"key": "X-Session", "value": "certainly.sessionId", "type": "variable"},
		},
		"params":           []any{map[string]any{"key": "api_key", "value": testParamSecret}},
		"custom_variables": []any{map[string]any{"name": "echoed", "mapper": "{{custom}}"}},
	}
}

func TestWebhookSecretItems(t *testing.T) {
	e, key, _ := companyEnv(t)
	rc := newEchoReceiver(t, nil)
	var shown [][]byte

	created := want(t, e.do("POST", "/api/v1/webhooks", key, secretItemsWebhook(rc.URL+"/echo")), http.StatusCreated)
	shown = append(shown, created.raw)
	var wh struct {
		ID      int64
		Headers []hookline.KeyValue
		Params  []hookline.KeyValue
	}
	if err := json.Unmarshal(created.raw, &wh); err != nil {
		t.Fatal(err)
	}
	wantItems := []struct {
		value  string
		secret bool
	}{{hookline.SecretMask, true}, {hookline.SecretMask, true}, {"shown-hint", false}, {"certainly.sessionId", false}, {hookline.SecretMask, true}}
	for i, kv := range append(wh.Headers, wh.Params...) {
		if kv.Value != wantItems[i].value || kv.Secret == nil || *kv.Secret != wantItems[i].secret {
			t.Errorf("item %d shown as %+v, want %+v", i, kv, wantItems[i])
		}
	}
	path := fmt.Sprintf("/api/v1/webhooks/%d", wh.ID)
	shown = append(shown, want(t, e.do("GET", path, key, nil), http.StatusOK).raw)
	shown = append(shown, want(t, e.do("GET", "/api/v1/webhooks", key, nil), http.StatusOK).raw)

	t.Run("Run", func(t *testing.T) {
		r := want(t, e.do("POST", path+"/run", key, nil), http.StatusOK)
		shown = append(shown, r.raw)
		got := rc.last(t)
		if got.Header.Get("Authorization") != "Bearer "+testHeaderSecret || got.Header.Get("X-Custom") != testCustomSecret ||
			got.URL.Query().Get("api_key") != testParamSecret || got.Header.Get("X-Token-Hint") != "shown-hint" {
			t.Fatalf("the receiver got %v %s", got.Header, got.URL.RawQuery)
		}
		var res struct {
			Request struct {
				URL     string
				Headers map[string]string
			}
			Response  struct{ Body string }
			Variables map[string]json.RawMessage
		}
		if err := json.Unmarshal(r.raw, &res); err != nil {
			t.Fatal(err)
		}
		if h := res.Request.Headers; h["Authorization"] != "Bearer "+hookline.SecretMask || h["X-Custom"] != hookline.SecretMask || h["X-Token-Hint"] != "shown-hint" {
			t.Errorf("request headers shown as %v", h)
		}
		if !strings.HasSuffix(res.Request.URL, "/echo?api_key="+hookline.SecretMask) {
			t.Errorf("request URL shown as %s", res.Request.URL)
		}
		// The receiver echoed every secret; the result masks them all,
		// the variable mapped from one included.
		if string(res.Variables["echoed"]) != `"`+hookline.SecretMask+`"` || !strings.Contains(res.Response.Body, `"custom":"`+hookline.SecretMask+`"`) {
			t.Errorf("echoed secrets: %s / %s", res.Variables["echoed"], res.Response.Body)
		}
	})

	t.Run("ReplaceKeepsMaskedItems", func(t *testing.T) {
		fetched := want(t, e.do("GET", path, key, nil), http.StatusOK).json(t)
		// Another header before them moves them: they are matched by name.
		headers := fetched["headers"].([]any)
		fetched["headers"] = append([]any{map[string]any{"key": "X-First", "value": "1"}}, headers...)
		shown = append(shown, want(t, e.do("PUT", path, key, fetched), http.StatusOK).raw)
		want(t, e.do("POST", path+"/run", key, nil), http.StatusOK)
		if got := rc.last(t); got.Header.Get("X-Custom") != testCustomSecret || got.Header.Get("Authorization") != "Bearer "+testHeaderSecret || got.URL.Query().Get("api_key") != testParamSecret {
			t.Fatalf("after the PUT the receiver got %v %s", got.Header, got.URL.RawQuery)
		}
		// A mask with no secret of that name behind it is a 400, and so
		// is a mask on an item turned not secret, which would show the
		// stored value.
		noSecret := with(secretItemsWebhook(rc.URL+"/echo"), "headers", []any{map[string]any{"key": "X-New-Token", "value": hookline.SecretMask}})
		wantField(t, e.do("PUT", path, key, noSecret), http.StatusBadRequest, "headers[0].value")
		unmarked := with(secretItemsWebhook(rc.URL+"/echo"), "headers", []any{map[string]any{"key": "X-Custom", "value": hookline.SecretMask, "secret": false}})
		wantField(t, e.do("PUT", path, key, unmarked), http.StatusBadRequest, "headers[0].value")
		wantField(t, e.do("PATCH", path, key, `{"params": [{"key": "other_key", "value": "********"}]}`), http.StatusBadRequest, "params[0].value")
		// A variable item is a path, never a secret.
		variable := with(secretItemsWebhook(rc.URL+"/echo"), "headers", []any{map[string]any{"key": "X-Id", "value": "certainly.sessionId", "type": "variable", "secret": true}})
		wantField(t, e.do("PUT", path, key, variable), http.StatusBadRequest, "headers[0].secret")
	})

	t.Run("TemplateBlanksSecretItems", func(t *testing.T) {
		r := want(t, e.do("POST", "/api/v1/webhook-templates", key, map[string]any{"from_webhook_id": wh.ID}), http.StatusCreated)
		shown = append(shown, r.raw)
		var tmpl struct {
			Webhook struct{ Headers, Params []hookline.KeyValue }
			Blanks  []hookline.TemplateBlank
		}
		if err := json.Unmarshal(r.raw, &tmpl); err != nil {
			t.Fatal(err)
		}
		targets := map[string]bool{}
		for _, b := range tmpl.Blanks {
			if b.Secret {
				targets[b.Target] = true
			}
		}
		if !targets["headers.Authorization"] || !targets["headers.X-Custom"] || !targets["params.api_key"] || targets["headers.X-Token-Hint"] {
			t.Fatalf("secret blanks: %+v", tmpl.Blanks)
		}
		// A webhook made from it gets the secrets as secrets, X-Custom
		// included, whose name does not say so.
		var tmplID struct{ ID int64 }
		json.Unmarshal(r.raw, &tmplID)
		made := want(t, e.do("POST", "/api/v1/webhooks", key, map[string]any{"template_id": tmplID.ID, "name": "Made", "values": map[string]any{
			"authorization": "Bearer " + testHeaderSecret, "x_custom": testCustomSecret, "api_key": testParamSecret}}), http.StatusCreated)
		shown = append(shown, made.raw)
		var m struct{ Headers []hookline.KeyValue }
		if err := json.Unmarshal(made.raw, &m); err != nil {
			t.Fatal(err)
		}
		for _, kv := range m.Headers {
			if kv.Key == "X-Custom" && (kv.Value != hookline.SecretMask || kv.Secret == nil || !*kv.Secret) {
				t.Fatalf("made from the template: %+v", m.Headers)
			}
		}
		// A template never holds a secret value.
		bad := ticketTemplate(rc.URL)
		bad["name"] = "With a cookie"
		bad["webhook"].(map[string]any)["headers"] = []any{map[string]any{"key": "Cookie", "value": "session=abcdef"}}
		wantField(t, e.do("POST", "/api/v1/webhook-templates", key, bad), http.StatusBadRequest, "webhook.headers[0].value")
	})
	e.noItemSecret(t, shown...)
}

// TestWebhookOriginRule: the secrets of a webhook go to the origin they
// were entered for, and only there.
func TestWebhookOriginRule(t *testing.T) {
	e, key, _ := companyEnv(t)
	second := newEchoReceiver(t, nil)
	// The first receiver sends every /away request to the second, on
	// another port: another origin. Its other paths echo.
	var first *echoReceiver
	first = newEchoReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, second.URL+"/landed?"+r.URL.RawQuery, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status": "open"}`)
	}))
	var shown [][]byte
	def := with(secretItemsWebhook(first.URL+"/tickets"), "auth", map[string]any{"type": "bearer", "token": testToken},
		"headers", []any{map[string]any{"key": "X-Custom", "value": testCustomSecret, "secret": true}, map[string]any{"key": "X-Trace", "value": "t-1"}})
	created := want(t, e.do("POST", "/api/v1/webhooks", key, def), http.StatusCreated).json(t)
	path := fmt.Sprintf("/api/v1/webhooks/%v", created["id"])

	t.Run("RedirectToAnotherPort", func(t *testing.T) {
		moved := want(t, e.do("PUT", path, key, with(def, "url", first.URL+"/away")), http.StatusOK)
		shown = append(shown, moved.raw)
		r := want(t, e.do("POST", path+"/run", key, nil), http.StatusOK)
		shown = append(shown, r.raw)
		if v := r.json(t); v["error"] != nil {
			t.Fatalf("run: %s", r.raw)
		}
		if got := first.last(t); got.Header.Get("Authorization") != "Bearer "+testToken || got.Header.Get("X-Custom") != testCustomSecret {
			t.Fatalf("the origin got %v", got.Header)
		}
		got := second.last(t)
		if got.URL.Path != "/landed" || got.Header.Get("Authorization") != "" || got.Header.Get("X-Custom") != "" ||
			got.URL.Query().Has("api_key") || got.Header.Get("X-Trace") != "t-1" {
			t.Fatalf("the other origin got %s %v", got.URL, got.Header)
		}
	})

	t.Run("ChangedOriginNeedsTheSecrets", func(t *testing.T) {
		fetched := want(t, e.do("GET", path, key, nil), http.StatusOK).json(t)
		fetched["url"] = second.URL + "/tickets"
		d := wantField(t, e.do("PUT", path, key, fetched), http.StatusBadRequest, "auth.token")
		if !strings.Contains(d.Message, "re-enter the secret for the new host") || !strings.Contains(d.Message, "headers[0].value") || !strings.Contains(d.Message, "params[0].value") {
			t.Fatalf("message: %s", d.Message)
		}
		wantField(t, e.do("PATCH", path, key, map[string]any{"url": second.URL + "/tickets"}), http.StatusBadRequest, "auth.token")
		// The token alone sent again is not enough: the header and param
		// were kept too.
		wantField(t, e.do("PATCH", path, key, map[string]any{"url": second.URL + "/tickets", "auth": map[string]any{"type": "bearer", "token": testToken}}), http.StatusBadRequest, "headers[0].value")
		// Within the origin, masks keep the secrets.
		fetched["url"] = first.URL + "/other/path"
		want(t, e.do("PUT", path, key, fetched), http.StatusOK)
		// Every secret sent again moves them.
		moved := with(def, "url", second.URL+"/tickets")
		shown = append(shown, want(t, e.do("PUT", path, key, moved), http.StatusOK).raw)
		n := second.count()
		want(t, e.do("POST", path+"/run", key, nil), http.StatusOK)
		if second.count() != n+1 || second.last(t).Header.Get("Authorization") != "Bearer "+testToken {
			t.Fatalf("after the move the receiver got %v", second.last(t).Header)
		}
	})

	t.Run("ContextValueInTheHost", func(t *testing.T) {
		port := strings.TrimPrefix(first.URL, "http://127.0.0.1:")
		byHost := with(def, "name", "By host", "url", "http://{{host}}:"+port+"/tickets", "context_values", map[string]any{"host": "127.0.0.1"})
		created := want(t, e.do("POST", "/api/v1/webhooks", key, byHost), http.StatusCreated).json(t)
		path := fmt.Sprintf("/api/v1/webhooks/%v", created["id"])
		wantField(t, e.do("PATCH", path, key, `{"context_values": {"host": "localhost"}}`), http.StatusBadRequest, "auth.token")
		want(t, e.do("PATCH", path, key, `{"name": "By host, renamed"}`), http.StatusOK)
		// A Run context that defines the name itself cannot move the
		// secrets either.
		n := first.count()
		r := want(t, e.do("POST", path+"/run", key, map[string]any{"context": map[string]any{"host": "127.0.0.2"}}), http.StatusOK)
		if errv, _ := r.json(t)["error"].(map[string]any); errv["kind"] != "render" || !strings.Contains(errv["message"].(string), "entered for http://127.0.0.1:"+port) || first.count() != n {
			t.Fatalf("run with another host: %s", r.raw)
		}
	})

	t.Run("HostFromTheConversation", func(t *testing.T) {
		fromConversation := with(def, "name", "Chosen", "url", "https://{{certainly.extractedData.domain}}/x")
		d := wantField(t, e.do("POST", "/api/v1/webhooks", key, fromConversation), http.StatusBadRequest, "url")
		if !strings.Contains(d.Message, "conversation") {
			t.Fatalf("message: %s", d.Message)
		}
		viaValue := with(def, "name", "Chosen", "url", "https://api.{{d}}/x", "context_values", map[string]any{"d": "{{ certainly.extractedData.domain }}"})
		wantField(t, e.do("POST", "/api/v1/webhooks", key, viaValue), http.StatusBadRequest, "url")
		// A secret header alone is enough to refuse it.
		headerOnly := with(fromConversation, "auth", map[string]any{"type": "none"}, "params", []any{})
		wantField(t, e.do("POST", "/api/v1/webhooks", key, headerOnly), http.StatusBadRequest, "url")
		// Without secrets the conversation may choose the host, and may
		// always choose the path.
		plain := with(fromConversation, "auth", map[string]any{"type": "none"}, "params", []any{}, "headers", []any{})
		want(t, e.do("POST", "/api/v1/webhooks", key, plain), http.StatusCreated)
		inPath := with(def, "name", "Path", "url", "https://api.example.com/{{certainly.extractedData.domain}}/{{d}}", "context_values", map[string]any{"d": "{{ certainly.reply }}"})
		want(t, e.do("POST", "/api/v1/webhooks", key, inPath), http.StatusCreated)
	})
	e.noItemSecret(t, shown...)
}

// TestWebhookSaveTimeChecks: what could only fail at run fails at save.
func TestWebhookSaveTimeChecks(t *testing.T) {
	e, key, _ := companyEnv(t)
	base := map[string]any{"name": "Checks", "method": "POST", "url": "https://{{sub}}.example.com/x", "context_values": map[string]any{"sub": "acme"}}
	for _, c := range []struct {
		name   string
		change []any
		field  string
		says   string
	}{
		{"a space in the host", []any{"context_values", map[string]any{"sub": "ac me"}}, "context_values.sub", "cannot form a valid host"},
		{"a slash in the host", []any{"context_values", map[string]any{"sub": "acme/evil"}}, "context_values.sub", "cannot form a valid host"},
		{"an empty label", []any{"context_values", map[string]any{"sub": ""}}, "context_values.sub", "empty label"},
		{"a bad port", []any{"url", "https://api.example.com:{{port}}/x", "context_values", map[string]any{"port": "99999"}}, "context_values.port", "65535"},
		{"a body over the step budget", []any{"body", `{"a": "{% for i in range(100000000) %}{% endfor %}"}`}, "body", "sample conversation"},
		{"a body over the output budget", []any{"body", `{"a": "{{ 'x' * 100000000 }}"}`}, "body", "sample conversation"},
	} {
		d := wantField(t, e.do("POST", "/api/v1/webhooks", key, with(base, c.change...)), http.StatusBadRequest, c.field)
		if !strings.Contains(d.Message, c.says) {
			t.Errorf("%s: message %q lacks %q", c.name, d.Message, c.says)
		}
	}
	// A body the sample conversation cannot fill, but a real one may, is
	// left to the run; a host label made of a context value is fine.
	want(t, e.do("POST", "/api/v1/webhooks", key, with(base, "body", `{"id": {{ certainly.extractedData.order.id | tojson }}}`)), http.StatusCreated)
}
