package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
)

func TestContextPath(t *testing.T) {
	for _, p := range []string{"certainly.sessionId", "a.b[0]", "a[0][1].c", `x["e-mail"]`, "x['k']", "_a"} {
		if err := CheckContextPath(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"", "1a", "a.", "a..b", "a[", "a[]", "a[-1]", "a b", "a.b()", "a|upper", `a["x"y"]`, "{{certainly.sessionId}}"} {
		if err := CheckContextPath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
	// A definition's variable items are checked when it compiles.
	def := hookline.WebhookDefinition{Name: "v", Method: "GET", URL: "https://example.com/",
		Headers: []hookline.KeyValue{{Key: "X-A", Value: "certainly..sessionId", Type: hookline.ValueVariable}}}
	if _, err := Compile(def); hookline.ErrorField(err) != "headers[0].value" {
		t.Fatalf("bad variable path: %v", err)
	}
}

func testTemplate() hookline.WebhookTemplate {
	return hookline.WebhookTemplate{
		ID: -1, Scope: hookline.TemplateBuiltin, Name: "Ticket lookup",
		Webhook: hookline.WebhookDefinition{
			Method:        "GET",
			URL:           "https://{{subdomain}}.example.com/tickets/{{ticket_id}}",
			Auth:          hookline.Auth{Type: hookline.AuthBearer},
			ContextValues: map[string]string{"ticket_id": "{{certainly.extractedData.ticket_id}}"},
		},
		Blanks: []hookline.TemplateBlank{
			{Name: "subdomain", Label: "Subdomain", Target: "context_values.subdomain", Required: true},
			{Name: "token", Label: "API token", Target: "auth.token", Secret: true, Required: true},
			{Name: "lang", Label: "Language", Target: "headers.Accept-Language", Default: "en"},
		},
	}
}

func TestFill(t *testing.T) {
	tp := testTemplate()
	if err := CheckTemplate(&tp); err != nil {
		t.Fatal(err)
	}
	w, err := fill(&tp, map[string]string{"subdomain": "acme", "token": "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if w.ContextValues["subdomain"] != "acme" || w.Auth.Token != "tok" || len(w.Headers) != 1 || w.Headers[0].Value != "en" || w.Name != "Ticket lookup" {
		t.Fatalf("filled: %+v", w)
	}
	if _, ok := tp.Webhook.ContextValues["subdomain"]; ok {
		t.Fatal("fill changed the template")
	}
	_, err = fill(&tp, map[string]string{"token": "", "colour": "red"})
	msg := hookline.ErrorMessage(err)
	for _, want := range []string{"values.subdomain is required", "values.token is required", "values.colour matches no blank"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in %q", want, msg)
		}
	}
	// An optional token left empty turns auth off.
	tp.Blanks[1].Required = false
	w, err = fill(&tp, map[string]string{"subdomain": "acme"})
	if err != nil || w.Auth.Type != hookline.AuthNone {
		t.Fatalf("optional token: %v %+v", err, w.Auth)
	}
	// A definition a template cannot fill into a working webhook is
	// refused when the template is saved, naming the field under webhook.
	bad := testTemplate()
	bad.Webhook.Method = "BREW"
	if err := CheckTemplate(&bad); hookline.ErrorField(err) != "webhook.method" {
		t.Fatalf("bad method: %v", err)
	}
}

func TestSecretPolicy(t *testing.T) {
	stored := &hookline.WebhookDefinition{
		Auth: hookline.Auth{Type: hookline.AuthBasic, Username: "agent", Password: "pw-secret"},
		Headers: []hookline.KeyValue{
			{Key: "X-Plain", Value: "p"},
			{Key: "X-Token", Value: "tok-one"},
			{Key: "X-Token", Value: "tok-two"},
		},
		Params: []hookline.KeyValue{{Key: "api_key", Value: "k-secret"}},
	}
	keep := func(def hookline.WebhookDefinition) (hookline.WebhookDefinition, []string, error) {
		kept, err := keepStoredSecrets(&def, stored)
		return def, kept, err
	}
	// GET, edit something else, PUT: the masked secrets survive, each
	// item matched by name and rank even when the items move.
	shown := stored.Masked()
	shown.Headers = []hookline.KeyValue{shown.Headers[2], {Key: "X-New", Value: "n"}, shown.Headers[1]}
	if shown.Headers[0].Value != hookline.SecretMask || shown.Params[0].Value != hookline.SecretMask {
		t.Fatalf("not masked: %+v", shown)
	}
	got, kept, err := keep(shown)
	if err != nil || got.Auth.Password != "pw-secret" || got.Headers[0].Value != "tok-one" || got.Headers[2].Value != "tok-two" || got.Params[0].Value != "k-secret" {
		t.Fatalf("masked: %v %+v", err, got)
	}
	if want := []string{"auth.password", "headers[0].value", "headers[2].value", "params[0].value"}; !slices.Equal(kept, want) {
		t.Fatalf("kept %v, want %v", kept, want)
	}
	// A secret left out while the type stays survives too.
	got, kept, err = keep(hookline.WebhookDefinition{Auth: hookline.Auth{Type: "Basic ", Username: "agent"}})
	if err != nil || got.Auth.Password != "pw-secret" || !slices.Equal(kept, []string{"auth.password"}) {
		t.Fatalf("omitted: %v %+v %v", err, got.Auth, kept)
	}
	// A new secret replaces it, and nothing is kept.
	got, kept, err = keep(hookline.WebhookDefinition{Auth: hookline.Auth{Type: hookline.AuthBasic, Username: "agent", Password: "new"}})
	if err != nil || got.Auth.Password != "new" || len(kept) != 0 {
		t.Fatalf("new secret: %v %+v %v", err, got.Auth, kept)
	}
	// A mask with nothing behind it is an error, not a literal password.
	for field, def := range map[string]hookline.WebhookDefinition{
		"auth.token":       {Auth: hookline.Auth{Type: hookline.AuthBearer, Token: hookline.SecretMask}},
		"headers[0].value": {Headers: []hookline.KeyValue{{Key: "X-Plain", Value: hookline.SecretMask, Secret: ptr(true)}}},
		"headers[1].value": {Headers: []hookline.KeyValue{{Key: "X-Token", Value: "a"}, {Key: "X-Token", Value: hookline.SecretMask}, {Key: "X-Token", Value: hookline.SecretMask}}[:2]},
		"params[0].value":  {Params: []hookline.KeyValue{{Key: "api_key", Value: hookline.SecretMask, Secret: ptr(false)}}},
	} {
		if field == "headers[1].value" {
			// Both stored X-Token values are taken by rank; a third has none.
			def.Headers = []hookline.KeyValue{{Key: "x-token", Value: hookline.SecretMask}, {Key: "X-Token", Value: hookline.SecretMask}, {Key: "X-Token", Value: hookline.SecretMask}}
			field = "headers[2].value"
		}
		if _, _, err := keep(def); hookline.ErrorField(err) != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, err := keepStoredSecrets(&hookline.WebhookDefinition{Auth: hookline.Auth{Type: hookline.AuthBearer, Token: hookline.SecretMask}}, nil); hookline.ErrorField(err) != "auth.token" {
		t.Fatalf("mask on a new definition: %v", err)
	}
	if err := refuseTemplateSecrets(&hookline.WebhookDefinition{Auth: hookline.Auth{Type: hookline.AuthBearer, Token: "t"}}); hookline.ErrorField(err) != "webhook.auth.token" {
		t.Fatalf("template secret: %v", err)
	}
	if err := refuseTemplateSecrets(&hookline.WebhookDefinition{Headers: []hookline.KeyValue{{Key: "Cookie", Value: "s=1"}}}); hookline.ErrorField(err) != "webhook.headers[0].value" {
		t.Fatalf("template secret header: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestServiceSecretsAndValidation runs the service over a real store: a
// webhook is validated and compiled once, shown masked everywhere, keeps
// its secret through a masked round trip, and lists never unseal.
func TestServiceSecretsAndValidation(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	sealer := storetest.Sealer(t)
	store := sqlstore.NewWebhookStore(db, sealer)
	tenants := tenant.NewService(db, db, "")
	s, err := NewService(tenants, store, store, NewExecutor(testClient()))
	if err != nil {
		t.Fatal(err)
	}
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	caller := &hookline.Caller{Tenant: company}
	in := hookline.WebhookInput{WebhookDefinition: hookline.WebhookDefinition{Name: "Lookup", Method: "get",
		URL: "https://api.example.com/{{ path }}", ContextValues: map[string]string{"path": "tickets"},
		Auth: hookline.Auth{Type: hookline.AuthBearer, Token: "tok-7f3a9c"}}}
	w, err := s.CreateWebhook(ctx, caller, in)
	if err != nil {
		t.Fatal(err)
	}
	if w.Method != "GET" || w.Auth.Token != hookline.SecretMask || len(w.ContextNames) != 1 || w.Headers == nil {
		t.Fatalf("created: %+v", w)
	}
	page, err := s.FindWebhooks(ctx, caller, 0, hookline.PageRequest{})
	if err != nil || len(page.Items) != 1 || page.Items[0].Auth.Token != hookline.SecretMask {
		t.Fatalf("list: %+v, %v", page, err)
	}
	// Edit the shown webhook and send it back: the token stays.
	shown, _ := json.Marshal(w)
	var back hookline.WebhookInput
	json.Unmarshal(shown, &back)
	back.Name = "Renamed"
	if _, err := s.ReplaceWebhook(ctx, caller, w.ID, back); err != nil {
		t.Fatal(err)
	}
	stored, _ := store.FindWebhook(ctx, caller.Scope(), w.ID)
	if stored.Auth.Token != "tok-7f3a9c" || stored.Name != "Renamed" {
		t.Fatalf("after a masked round trip: %+v", stored.Auth)
	}
	// An invalid replacement changes nothing.
	back.Method = "BREW"
	if _, err := s.ReplaceWebhook(ctx, caller, w.ID, back); hookline.ErrorField(err) != "method" {
		t.Fatalf("bad method: %v", err)
	}
	if again, _ := store.FindWebhook(ctx, caller.Scope(), w.ID); again.Method != "GET" {
		t.Fatalf("a refused replacement was stored: %+v", again)
	}
	// A new webhook cannot send the mask as its secret.
	in.Name, in.Auth.Token = "Masked", hookline.SecretMask
	if _, err := s.CreateWebhook(ctx, caller, in); hookline.ErrorField(err) != "auth.token" {
		t.Fatalf("masked new secret: %v", err)
	}
}

// TestUnknownFilterRefusedOnSaveNotOnRun: saving refuses an unknown filter
// anywhere, while running a definition (one saved before the filter went,
// say) fails only when the branch that names it is reached, as in Jinja2.
func TestUnknownFilterRefusedOnSaveNotOnRun(t *testing.T) {
	def := hookline.WebhookDefinition{Name: "u", Method: "POST", URL: "https://example.com/",
		Body: `{"a": {% if false %}{{ 1|no_such_filter }}{% else %}1{% endif %}}`}
	check := def
	if err := Check(&check); hookline.ErrorField(err) != "body" || !strings.Contains(hookline.ErrorMessage(err), "no_such_filter") {
		t.Fatalf("save: %v", err)
	}
	if _, err := Compile(def); err != nil {
		t.Fatalf("run-time compile refused an unknown filter in a branch not taken: %v", err)
	}
}

func TestServiceContextNames(t *testing.T) {
	db := storetest.SQLite(t)
	store := sqlstore.NewWebhookStore(db, storetest.Sealer(t))
	s, err := NewService(tenant.NewService(db, db, ""), store, store, NewExecutor(testClient()))
	if err != nil {
		t.Fatal(err)
	}
	names, err := s.ContextNames(hookline.WebhookDefinition{URL: "https://{{subdomain}}.example.com/{{certainly.sessionId}}?q={{ region }}",
		Params: []hookline.KeyValue{{Key: "region", Value: "eu"}}})
	if err != nil || !slices.Equal(names, []string{"subdomain"}) {
		t.Fatalf("names = %q, %v; want subdomain only (region is a param, certainly the conversation)", names, err)
	}
	names, err = s.ContextNames(hookline.WebhookDefinition{URL: "https://example.com/"})
	if err != nil || names == nil || len(names) != 0 {
		t.Fatalf("names of a plain URL = %#v, %v; want an empty list", names, err)
	}
	_, err = s.ContextNames(hookline.WebhookDefinition{URL: "https://example.com/{{ x"})
	if hookline.ErrorField(err) != "url" {
		t.Fatalf("a broken URL template: %v, want an error naming url", err)
	}
	var he *hookline.Error
	if !errors.As(err, &he) || he.Line != 1 || he.Column == 0 {
		t.Fatalf("a broken URL template's error %#v: want its line and column", err)
	}
}

// TestTemplateErrorPosition checks that a template error carries its line
// and column besides naming them, for edges that point at the spot: a
// syntax error in a body with tags, and a plain body that is not JSON.
func TestTemplateErrorPosition(t *testing.T) {
	for _, tc := range []struct {
		name, body   string
		line, column int
	}{
		{"syntax", "{\n  \"a\": {{ certainly.reply }\n}", 2, 0},
		{"plain JSON", "{\n  \"a\": 1,\n  \"b\": ]\n}", 3, 8},
	} {
		def := hookline.WebhookDefinition{Name: "p", Method: "POST", URL: "https://example.com/", Body: tc.body}
		err := Check(&def)
		var he *hookline.Error
		if !errors.As(err, &he) || he.Field != "body" || he.Line != tc.line || (tc.column != 0 && he.Column != tc.column) || he.Column == 0 {
			t.Fatalf("%s: %#v, want body at line %d, column %d", tc.name, err, tc.line, tc.column)
		}
	}
}
