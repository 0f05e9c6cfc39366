package hookline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func validWebhook() WebhookDefinition {
	return WebhookDefinition{
		Name:   "Ticket lookup",
		Method: "get",
		URL:    "https://{{subdomain}}.example.com/api/tickets/{{ticket_id}}.json",
		Auth:   Auth{Type: AuthBearer, Token: "tok-123"},
		Headers: []KeyValue{
			{Key: "X-Session", Value: "certainly.sessionId", Type: ValueVariable},
			{Key: "Accept-Language", Value: "en"},
		},
		Params:          []KeyValue{{Key: "q", Value: "{{certainly.reply}}"}},
		ContextValues:   map[string]string{"subdomain": "acme", "ticket_id": "{{certainly.extractedData.ticket_id}}"},
		CustomVariables: []CustomVariable{{Name: "ticket_status", Mapper: "{{ticket.status}}"}},
	}
}

func TestWebhookValidateDefaults(t *testing.T) {
	w := validWebhook()
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	if w.Method != "GET" || w.ResponseType != ResponseJSON || w.Execution != ExecutionSync || w.TimeoutMS != 5000 {
		t.Fatalf("defaults not filled: %+v", w)
	}
	if w.Headers[1].Type != ValueText || w.Params[0].Type != ValueText {
		t.Fatalf("value type default not filled: %+v %+v", w.Headers, w.Params)
	}
	none := validWebhook()
	none.Auth = Auth{Token: "left over"}
	if err := none.Validate(); err != nil || none.Auth != (Auth{Type: AuthNone}) {
		t.Fatalf("auth none: %v %+v (stray secrets must be dropped)", err, none.Auth)
	}
	k := validWebhook()
	k.Auth = Auth{Type: "api_key", Name: "X-Api-Key", Value: "v", Token: "stray"}
	if err := k.Validate(); err != nil || k.Auth.In != "header" || k.Auth.Token != "" {
		t.Fatalf("api_key defaults: %v %+v", err, k.Auth)
	}
}

func TestWebhookValidateFields(t *testing.T) {
	cases := []struct {
		field  string
		change func(w *WebhookDefinition)
	}{
		{"name", func(w *WebhookDefinition) { w.Name = "  " }},
		{"method", func(w *WebhookDefinition) { w.Method = "FETCH" }},
		{"url", func(w *WebhookDefinition) { w.URL = "" }},
		{"url", func(w *WebhookDefinition) { w.URL = "ftp://example.com/x" }},
		{"url", func(w *WebhookDefinition) { w.URL = "/relative/path" }},
		{"url", func(w *WebhookDefinition) { w.URL = "gopher://{{host}}/" }},
		{"url", func(w *WebhookDefinition) { w.URL = "https://user:pw@example.com/" }},
		{"response_type", func(w *WebhookDefinition) { w.ResponseType = "yaml" }},
		{"execution", func(w *WebhookDefinition) { w.Execution = "later" }},
		{"timeout_ms", func(w *WebhookDefinition) { w.TimeoutMS = 99 }},
		{"timeout_ms", func(w *WebhookDefinition) { w.TimeoutMS = 30001 }},
		{"auth.type", func(w *WebhookDefinition) { w.Auth = Auth{Type: "oauth"} }},
		{"auth.token", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthBearer} }},
		{"auth.token", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthBearer, Token: "a\nb"} }},
		{"auth.username", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthBasic, Password: "p"} }},
		{"auth.username", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthBasic, Username: "a:b"} }},
		{"auth.name", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthAPIKey, Value: "v"} }},
		{"auth.name", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthAPIKey, Name: "bad name", Value: "v"} }},
		{"auth.value", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthAPIKey, Name: "key"} }},
		{"auth.in", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthAPIKey, Name: "key", Value: "v", In: "cookie"} }},
		{"headers[1].key", func(w *WebhookDefinition) { w.Headers[1].Key = "Bad Header" }},
		{"headers[1].key", func(w *WebhookDefinition) { w.Headers[1].Key = "" }},
		{"headers[1].key", func(w *WebhookDefinition) { w.Headers[1].Key = "Content-Length" }},
		{"headers[1].type", func(w *WebhookDefinition) { w.Headers[1].Type = "secret" }},
		{"params[0].key", func(w *WebhookDefinition) { w.Params[0].Key = " " }},
		{"context_values.certainly", func(w *WebhookDefinition) { w.ContextValues["certainly"] = "x" }},
		{"context_values.2x", func(w *WebhookDefinition) { w.ContextValues["2x"] = "x" }},
		{"custom_variables[0].name", func(w *WebhookDefinition) { w.CustomVariables[0].Name = "ticket-status" }},
		{"custom_variables[0].mapper", func(w *WebhookDefinition) { w.CustomVariables[0].Mapper = " " }},
		{"custom_variables[1].name", func(w *WebhookDefinition) {
			w.CustomVariables = append(w.CustomVariables, CustomVariable{Name: "ticket_status", Mapper: "{{x}}"})
		}},
	}
	for _, c := range cases {
		w := validWebhook()
		c.change(&w)
		err := w.Validate()
		if ErrorCode(err) != CodeInvalid || ErrorField(err) != c.field {
			t.Errorf("%s: got %v (field %q)", c.field, err, ErrorField(err))
		}
	}
}

func TestMasked(t *testing.T) {
	stored := validWebhook()
	stored.Auth = Auth{Type: AuthBasic, Username: "agent", Password: "pw-secret"}
	if err := stored.Validate(); err != nil {
		t.Fatal(err)
	}
	shown := stored.Masked()
	b, _ := json.Marshal(shown)
	if strings.Contains(string(b), "pw-secret") || shown.Auth.Password != SecretMask || shown.Auth.Username != "agent" {
		t.Fatalf("masked: %s", b)
	}
	if stored.Auth.Password != "pw-secret" {
		t.Fatal("Masked changed the original")
	}
	shown.Headers[0].Value = "changed"
	shown.ContextValues["subdomain"] = "changed"
	if stored.Headers[0].Value == "changed" || stored.ContextValues["subdomain"] == "changed" {
		t.Fatal("Masked shares a list or map with the original")
	}
	if got := stored.Secrets(); len(got) != 1 || got[0] != "pw-secret" {
		t.Fatalf("Secrets() = %q", got)
	}
	if got := shown.Secrets(); len(got) != 0 {
		t.Fatalf("a mask is not a secret: %q", got)
	}
}

func testTemplate() WebhookTemplate {
	return WebhookTemplate{
		ID: -1, Scope: TemplateBuiltin, Name: "Ticket lookup",
		Webhook: WebhookDefinition{
			Method: "GET",
			URL:    "https://{{subdomain}}.example.com/tickets/{{ticket_id}}",
			Auth:   Auth{Type: AuthBearer},
			ContextValues: map[string]string{
				"ticket_id": "{{certainly.extractedData.ticket_id}}",
			},
		},
		Blanks: []TemplateBlank{
			{Name: "subdomain", Label: "Subdomain", Target: "context_values.subdomain", Required: true},
			{Name: "token", Label: "API token", Target: "auth.token", Secret: true, Required: true},
			{Name: "lang", Label: "Language", Target: "headers.Accept-Language", Default: "en"},
		},
	}
}

func TestTemplateValidate(t *testing.T) {
	cases := []struct {
		field  string
		change func(t *WebhookTemplate)
	}{
		{"name", func(t *WebhookTemplate) { t.Name = "" }},
		{"scope", func(t *WebhookTemplate) { t.Scope = "global" }},
		{"blanks[1].name", func(t *WebhookTemplate) { t.Blanks[1].Name = "subdomain" }},
		{"blanks[0].target", func(t *WebhookTemplate) { t.Blanks[0].Target = "auth.secret" }},
		{"blanks[0].target", func(t *WebhookTemplate) { t.Blanks[0].Target = "cookies.x" }},
		{"blanks[1].target", func(t *WebhookTemplate) { t.Blanks[1].Target = "auth.password" }},
		{"blanks[2].target", func(t *WebhookTemplate) { t.Blanks[2].Target = "context_values.subdomain" }},
		{"blanks[0].secret", func(t *WebhookTemplate) { t.Blanks[0].Secret = true }},
	}
	for _, c := range cases {
		tp := testTemplate()
		c.change(&tp)
		if err := tp.Validate(); ErrorField(err) != c.field {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
	tp := testTemplate()
	if err := tp.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestTemplateJSON checks the template document: its owner is named by the
// field that set it, built-ins show no times, and lists are never null.
func TestTemplateJSON(t *testing.T) {
	tp := testTemplate()
	b, err := json.Marshal(tp)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"scope":"builtin"`, `"headers":[]`, `"custom_variables":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("built-in template lacks %s: %s", want, b)
		}
	}
	for _, not := range []string{"created_at", "agency_id", "company_id", "owner_id"} {
		if strings.Contains(string(b), not) {
			t.Errorf("built-in template shows %s: %s", not, b)
		}
	}
	tp.Scope, tp.OwnerID, tp.CreatedAt, tp.UpdatedAt = TemplateAgency, 7, time.Unix(1, 0).UTC(), time.Unix(2, 0).UTC()
	b, _ = json.Marshal(tp)
	if !strings.Contains(string(b), `"agency_id":7`) || !strings.Contains(string(b), `"created_at":"1970-01-01T00:00:01Z"`) {
		t.Errorf("agency template: %s", b)
	}
}

func TestPageCursor(t *testing.T) {
	items := []int64{3, 5, 8}
	p := PageOf(items, 2, func(v int64) int64 { return v })
	if len(p.Items) != 2 || p.NextCursor == "" {
		t.Fatalf("page of 3 with limit 2: %+v", p)
	}
	after, ok, limit, err := PageRequest{Cursor: p.NextCursor}.Bounds()
	if err != nil || !ok || after != 5 || limit != DefaultPageLimit {
		t.Fatalf("bounds of next page: %d %v %d %v", after, ok, limit, err)
	}
	if p := PageOf(items, 3, func(v int64) int64 { return v }); p.NextCursor != "" || len(p.Items) != 3 {
		t.Fatalf("last page: %+v", p)
	}
	for _, bad := range []PageRequest{{Limit: -1}, {Limit: MaxPageLimit + 1}} {
		if _, _, _, err := bad.Bounds(); ErrorField(err) != "limit" {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	for _, bad := range []string{"x", "aWQ6", EncodeCursor(1) + "="} {
		if _, _, _, err := (PageRequest{Cursor: bad}).Bounds(); ErrorField(err) != "cursor" {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

// FuzzPageCursor: no cursor a client sends makes Bounds panic, and every
// cursor it accepts names the id it was made from.
func FuzzPageCursor(f *testing.F) {
	for _, s := range []string{"", "x", EncodeCursor(1), EncodeCursor(-6), EncodeCursor(1 << 62), "aWQ6", "aWQ6LTE", "%%%", strings.Repeat("A", 5000)} {
		f.Add(s, 50)
	}
	f.Fuzz(func(t *testing.T, cursor string, limit int) {
		after, ok, n, err := PageRequest{Cursor: cursor, Limit: limit}.Bounds()
		if err != nil {
			if f := ErrorField(err); f != "cursor" && f != "limit" {
				t.Fatalf("error without the field at fault: %v", err)
			}
			return
		}
		if n < 1 || n > MaxPageLimit {
			t.Fatalf("limit %d accepted as %d", limit, n)
		}
		if ok && EncodeCursor(after) != cursor {
			// Several spellings may decode alike; the accepted one must
			// name a real id, which re-encodes to a cursor of that id.
			if a2, _, _, err := (PageRequest{Cursor: EncodeCursor(after)}).Bounds(); err != nil || a2 != after {
				t.Fatalf("cursor %q read as %d", cursor, after)
			}
		}
	})
}

func TestKeyValueSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "COOKIE": true, "X-Auth-Token": true,
		"client_secret": true, "Password": true, "X-Api-Key": true, "x-apikey": true, "api_key": true,
		"Accept": false, "X-Session": false, "Set-Cookie-Hint": false, "key": false,
	} {
		if got := SecretByDefault(name); got != want {
			t.Errorf("SecretByDefault(%q) = %v, want %v", name, got, want)
		}
	}
	yes, no := true, false
	def := WebhookDefinition{Name: "n", Method: "GET", URL: "https://example.com/", Headers: []KeyValue{
		{Key: "Authorization", Value: "Bearer t"},
		{Key: "X-Plain", Value: "p", Secret: &yes},
		{Key: "X-Token", Value: "shown", Secret: &no},
		{Key: "X-Token-Path", Value: "certainly.sessionId", Type: ValueVariable},
	}}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, false, false} {
		if kv := def.Headers[i]; kv.Secret == nil || *kv.Secret != want || kv.IsSecret() != want {
			t.Errorf("headers[%d] = %+v, want secret %v", i, kv, want)
		}
	}
	if m := def.Masked(); m.Headers[0].Value != SecretMask || m.Headers[1].Value != SecretMask || m.Headers[2].Value != "shown" || def.Headers[0].Value != "Bearer t" {
		t.Errorf("masked %+v (original %+v)", m.Headers, def.Headers)
	}
	if got := def.Secrets(); len(got) != 2 {
		t.Errorf("Secrets() = %q", got)
	}
	def.Headers[3].Secret = &yes
	if err := def.Validate(); ErrorField(err) != "headers[3].secret" {
		t.Errorf("a secret variable item: %v", err)
	}
}
