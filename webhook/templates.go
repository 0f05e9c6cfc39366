package webhook

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/hookline/hookline"
)

// templateFiles holds the built-in templates, one JSON file each.
//
//go:embed templates/*.json
var templateFiles embed.FS

// LoadBuiltinTemplates parses and checks the templates that ship with the
// binary, ordered by ID (-1, -2, ...). The service loads them once, at
// start-up, so that a broken one fails the start rather than a user.
func LoadBuiltinTemplates() ([]hookline.WebhookTemplate, error) {
	paths, err := fs.Glob(templateFiles, "templates/*.json")
	if err != nil {
		return nil, err
	}
	out := make([]hookline.WebhookTemplate, 0, len(paths))
	ids := map[int64]string{}
	for _, p := range paths {
		b, err := templateFiles.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var t hookline.WebhookTemplate
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("built-in template %s: %w", p, err)
		}
		t.Scope, t.OwnerID = hookline.TemplateBuiltin, 0
		if t.ID >= 0 {
			return nil, fmt.Errorf("built-in template %s: id %d must be negative", p, t.ID)
		}
		if other, dup := ids[t.ID]; dup {
			return nil, fmt.Errorf("built-in template %s: id %d is also used by %s", p, t.ID, other)
		}
		ids[t.ID] = p
		if err := CheckTemplate(&t); err != nil {
			return nil, fmt.Errorf("built-in template %s: %w", p, err)
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b hookline.WebhookTemplate) int { return int(b.ID - a.ID) })
	return out, nil
}

// CheckTemplate validates a template (its own rules, see
// hookline.WebhookTemplate.Validate) and compiles its definition with
// every blank filled with a sample value, so that a template that cannot
// produce a working webhook is refused when it is saved. Fields of
// definition errors are prefixed with "webhook.".
func CheckTemplate(t *hookline.WebhookTemplate) error {
	if err := t.Validate(); err != nil {
		return err
	}
	w, err := sampleDefinition(t)
	if err != nil {
		return err
	}
	if err := Check(&w); err != nil {
		return inTemplate(err)
	}
	// The template shows the defaults its webhooks get, as a webhook shows
	// its own; no blank fills these fields.
	t.Webhook.Method, t.Webhook.ResponseType, t.Webhook.Execution, t.Webhook.TimeoutMS = w.Method, w.ResponseType, w.Execution, w.TimeoutMS
	if t.Webhook.Auth.Type == "" {
		t.Webhook.Auth.Type = w.Auth.Type
	}
	return nil
}

// FillTemplate creates a webhook definition from a template: each blank's
// target is set from values (by blank name) or the blank's default. The
// error names every required blank that is missing ("values.subdomain is
// required") and every value that matches no blank; a definition that
// then does not compile is an error too, naming the blank's value when a
// blank filled the field at fault.
func FillTemplate(t *hookline.WebhookTemplate, values map[string]string) (hookline.WebhookDefinition, error) {
	w, err := fill(t, values)
	if err != nil {
		return hookline.WebhookDefinition{}, err
	}
	if err := Check(&w); err != nil {
		return hookline.WebhookDefinition{}, blankField(err, t)
	}
	return w, nil
}

// blankField names the value the user gave when a filled template fails
// on a field a blank filled: values.<blank> rather than the webhook's field.
func blankField(err error, t *hookline.WebhookTemplate) error {
	field := hookline.ErrorField(err)
	for _, b := range t.Blanks {
		if field != "" && field == b.Target {
			return &hookline.Error{Code: hookline.ErrorCode(err), Message: hookline.ErrorMessage(err), Field: "values." + b.Name, Err: err}
		}
	}
	return err
}

// TemplateFromWebhook makes a template from an existing webhook. Its
// secrets, secret headers and params included, become required secret
// blanks and are never copied; the basic
// auth username and each literal context value become blanks whose default
// is the webhook's value. Context values that are templates (reading the
// conversation) stay in the definition. The caller sets Scope, OwnerID and,
// if it wants others than the webhook's, Name and Description.
func TemplateFromWebhook(w hookline.WebhookDefinition) hookline.WebhookTemplate {
	def := w.Clone()
	t := hookline.WebhookTemplate{
		Name:        w.Name,
		Description: fmt.Sprintf("Made from the webhook %q.", w.Name),
		Webhook:     def,
	}
	used := map[string]bool{}
	blankName := func(base string) string {
		name := base
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		used[name] = true
		return name
	}

	for _, name := range slices.Sorted(maps.Keys(t.Webhook.ContextValues)) {
		v := t.Webhook.ContextValues[name]
		if hasTags(v) {
			continue
		}
		delete(t.Webhook.ContextValues, name)
		t.Blanks = append(t.Blanks, hookline.TemplateBlank{
			Name: blankName(name), Label: name, Target: "context_values." + name, Required: true, Default: v,
		})
	}
	a := &t.Webhook.Auth
	switch a.Type {
	case hookline.AuthBasic:
		t.Blanks = append(t.Blanks,
			hookline.TemplateBlank{Name: blankName("username"), Label: "Username", Target: "auth.username", Required: true, Default: a.Username},
			hookline.TemplateBlank{Name: blankName("password"), Label: "Password", Target: "auth.password", Required: true, Secret: true})
		a.Username, a.Password = "", ""
	case hookline.AuthBearer:
		t.Blanks = append(t.Blanks, hookline.TemplateBlank{Name: blankName("token"), Label: "Bearer token", Target: "auth.token", Required: true, Secret: true})
		a.Token = ""
	case hookline.AuthAPIKey:
		t.Blanks = append(t.Blanks, hookline.TemplateBlank{Name: blankName("api_key"), Label: "API key (" + a.Name + ")", Target: "auth.value", Required: true, Secret: true})
		a.Value = ""
	}
	// Secret headers and params (see hookline.KeyValue.IsSecret) become
	// secret blanks as the auth secrets do, whatever their value holds.
	for _, list := range []struct {
		name  string
		items []hookline.KeyValue
	}{{"headers", t.Webhook.Headers}, {"params", t.Webhook.Params}} {
		for i := range list.items {
			kv := &list.items[i]
			if kv.IsSecret() && kv.Value != "" {
				t.Blanks = append(t.Blanks, hookline.TemplateBlank{Name: blankName(identifier(kv.Key)), Label: kv.Key, Target: list.name + "." + kv.Key, Required: true, Secret: true})
				kv.Value = ""
			}
		}
	}
	if strings.TrimSpace(t.Webhook.Name) == "" {
		t.Webhook.Name = t.Name
	}
	return t
}

// identifier turns a header or param name into a blank name.
func identifier(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || '0' <= b[0] && b[0] <= '9' {
		b = append([]byte("v_"), b...)
	}
	return string(b)
}
