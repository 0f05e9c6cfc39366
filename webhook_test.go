package hookline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func validWebhook() Webhook {
	return Webhook{
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
	var none Webhook = validWebhook()
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
		change func(w *Webhook)
	}{
		{"name", func(w *Webhook) { w.Name = "  " }},
		{"method", func(w *Webhook) { w.Method = "FETCH" }},
		{"url", func(w *Webhook) { w.URL = "" }},
		{"url", func(w *Webhook) { w.URL = "ftp://example.com/x" }},
		{"url", func(w *Webhook) { w.URL = "/relative/path" }},
		{"url", func(w *Webhook) { w.URL = "gopher://{{host}}/" }},
		{"url", func(w *Webhook) { w.URL = "https://user:pw@example.com/" }},
		{"response_type", func(w *Webhook) { w.ResponseType = "yaml" }},
		{"execution", func(w *Webhook) { w.Execution = "later" }},
		{"timeout_ms", func(w *Webhook) { w.TimeoutMS = 99 }},
		{"timeout_ms", func(w *Webhook) { w.TimeoutMS = 30001 }},
		{"auth.type", func(w *Webhook) { w.Auth = Auth{Type: "oauth"} }},
		{"auth.token", func(w *Webhook) { w.Auth = Auth{Type: AuthBearer} }},
		{"auth.token", func(w *Webhook) { w.Auth = Auth{Type: AuthBearer, Token: "a\nb"} }},
		{"auth.username", func(w *Webhook) { w.Auth = Auth{Type: AuthBasic, Password: "p"} }},
		{"auth.username", func(w *Webhook) { w.Auth = Auth{Type: AuthBasic, Username: "a:b"} }},
		{"auth.name", func(w *Webhook) { w.Auth = Auth{Type: AuthAPIKey, Value: "v"} }},
		{"auth.name", func(w *Webhook) { w.Auth = Auth{Type: AuthAPIKey, Name: "bad name", Value: "v"} }},
		{"auth.value", func(w *Webhook) { w.Auth = Auth{Type: AuthAPIKey, Name: "key"} }},
		{"auth.in", func(w *Webhook) { w.Auth = Auth{Type: AuthAPIKey, Name: "key", Value: "v", In: "cookie"} }},
		{"headers[1].key", func(w *Webhook) { w.Headers[1].Key = "Bad Header" }},
		{"headers[1].key", func(w *Webhook) { w.Headers[1].Key = "" }},
		{"headers[1].key", func(w *Webhook) { w.Headers[1].Key = "Content-Length" }},
		{"headers[0].value", func(w *Webhook) { w.Headers[0].Value = "certainly..sessionId" }},
		{"headers[0].value", func(w *Webhook) { w.Headers[0].Value = "{{certainly.sessionId}}" }},
		{"headers[1].type", func(w *Webhook) { w.Headers[1].Type = "secret" }},
		{"params[0].key", func(w *Webhook) { w.Params[0].Key = " " }},
		{"params[0].value", func(w *Webhook) { w.Params[0] = KeyValue{Key: "a", Value: "a.b[x]", Type: ValueVariable} }},
		{"context_values.certainly", func(w *Webhook) { w.ContextValues["certainly"] = "x" }},
		{"context_values.2x", func(w *Webhook) { w.ContextValues["2x"] = "x" }},
		{"custom_variables[0].name", func(w *Webhook) { w.CustomVariables[0].Name = "ticket-status" }},
		{"custom_variables[0].mapper", func(w *Webhook) { w.CustomVariables[0].Mapper = " " }},
		{"custom_variables[1].name", func(w *Webhook) {
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

func TestContextPath(t *testing.T) {
	for _, p := range []string{"certainly.sessionId", "a.b[0]", "a[0][1].c", `x["e-mail"]`, "x['k']", "_a"} {
		if err := CheckContextPath(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"", "1a", "a.", "a..b", "a[", "a[]", "a[-1]", "a b", "a.b()", "a|upper", `a["x"y"]`} {
		if err := CheckContextPath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestMaskAndKeepSecrets(t *testing.T) {
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
	if stored.Headers[0].Value == "changed" {
		t.Fatal("Masked shares the headers slice with the original")
	}

	// GET, edit something else, PUT: the secret survives.
	var update Webhook
	json.Unmarshal(b, &update)
	update.Name = "Renamed"
	if err := update.KeepSecrets(&stored); err != nil {
		t.Fatal(err)
	}
	if update.Auth.Password != "pw-secret" {
		t.Fatalf("password after round trip: %q", update.Auth.Password)
	}
	// A new secret replaces the stored one.
	update.Auth.Password = "new"
	update.KeepSecrets(&stored)
	if update.Auth.Password != "new" {
		t.Fatal("a new secret was overwritten")
	}
	// A mask with nothing behind it is an error, not a literal password.
	other := Webhook{Auth: Auth{Type: AuthBearer, Token: SecretMask}}
	if err := other.KeepSecrets(&stored); ErrorField(err) != "auth.token" {
		t.Fatalf("mask without stored secret: %v", err)
	}
}

func testTemplate() WebhookTemplate {
	return WebhookTemplate{
		ID: -1, Scope: TemplateBuiltin, Name: "Ticket lookup",
		Webhook: Webhook{
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

func TestTemplateFill(t *testing.T) {
	tp := testTemplate()
	if err := tp.Validate(); err != nil {
		t.Fatal(err)
	}
	w, err := tp.Fill(map[string]string{"subdomain": "acme", "token": "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if w.ContextValues["subdomain"] != "acme" || w.Auth.Token != "tok" || w.TemplateID == nil || *w.TemplateID != -1 ||
		len(w.Headers) != 1 || w.Headers[0].Value != "en" || w.Name != "Ticket lookup" {
		t.Fatalf("filled: %+v", w)
	}
	if _, ok := tp.Webhook.ContextValues["subdomain"]; ok {
		t.Fatal("Fill changed the template")
	}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}

	_, err = tp.Fill(map[string]string{"token": "", "colour": "red"})
	msg := ErrorMessage(err)
	for _, want := range []string{"values.subdomain is required", "values.token is required", "values.colour matches no blank"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in %q", want, msg)
		}
	}

	// An optional token left empty turns auth off.
	tp.Blanks[1].Required = false
	w, err = tp.Fill(map[string]string{"subdomain": "acme"})
	if err != nil || w.Auth.Type != AuthNone {
		t.Fatalf("optional token: %v %+v", err, w.Auth)
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
		{"webhook.method", func(t *WebhookTemplate) { t.Webhook.Method = "BREW" }},
	}
	for _, c := range cases {
		tp := testTemplate()
		c.change(&tp)
		if err := tp.Validate(); ErrorField(err) != c.field {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
}

// prefixSealer stands in for package seal: it only marks values, which is
// enough to see which fields pass through it.
type prefixSealer struct{}

func (prefixSealer) Seal(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	return "sealed:" + p, nil
}

func (prefixSealer) Open(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	p, ok := strings.CutPrefix(s, "sealed:")
	if !ok {
		return "", errors.New("not sealed")
	}
	return p, nil
}

func TestSealSecrets(t *testing.T) {
	for _, a := range []Auth{
		{Type: AuthBasic, Username: "u", Password: "pw"},
		{Type: AuthBearer, Token: "tok"},
		{Type: AuthAPIKey, Name: "X-Key", Value: "v", In: "header"},
	} {
		w := validWebhook()
		w.Auth = a
		sealed, err := w.SealSecrets(prefixSealer{})
		if err != nil {
			t.Fatal(err)
		}
		if w.Auth != a {
			t.Fatal("SealSecrets changed the original")
		}
		for _, s := range []string{sealed.Auth.Password, sealed.Auth.Token, sealed.Auth.Value} {
			if s != "" && !strings.HasPrefix(s, "sealed:") {
				t.Fatalf("%+v: unsealed secret %q", a, s)
			}
		}
		if sealed.Auth.Username != a.Username || sealed.Auth.Name != a.Name {
			t.Fatalf("non-secret fields sealed: %+v", sealed.Auth)
		}
		if err := sealed.OpenSecrets(prefixSealer{}); err != nil || sealed.Auth != a {
			t.Fatalf("open: %v %+v", err, sealed.Auth)
		}
	}
	w := validWebhook()
	w.ID = 3
	w.Auth = Auth{Type: AuthBearer, Token: "not sealed"}
	if err := w.OpenSecrets(prefixSealer{}); err == nil || !strings.Contains(err.Error(), "auth.token of webhook 3") {
		t.Fatalf("open of a bad value: %v", err)
	}
}
