package hookline

import (
	"encoding/json"
	"testing"
)

func validBot() BotDefinition {
	return BotDefinition{
		Name:  "Support",
		Start: 1,
		Modules: []BotModule{
			{ID: 1, Type: ModuleCollector, Key: "email", Prompt: json.RawMessage(`"Your e-mail?"`),
				Validate:    &BotValidation{Type: ValidateEmail},
				Connections: []BotConnection{{Webhooks: []BotWebhookRef{{ID: 4}}, OnFailure: 3, To: 2}}},
			{ID: 2, Type: ModuleMessage, Text: json.RawMessage(`{"type": "buttons", "text": "Thanks {{certainly.extractedData.email}}"}`),
				Connections: []BotConnection{{Condition: "certainly.reply == 'again'", To: 1}}},
			{ID: 3, Type: ModuleEnd, Text: json.RawMessage(`"Bye"`)},
		},
		GlobalConnections: []BotConnection{{Condition: "certainly.reply == 'restart'", To: 1}},
	}
}

func TestBotValidateDefaults(t *testing.T) {
	d := validBot()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Settings.IdleTimeout != "30m0s" || d.Settings.MaxSteps != 50 || d.Settings.ErrorMessage != DefaultBotErrorMessage {
		t.Fatalf("settings = %+v", d.Settings)
	}
	if d.Settings.IdleTimeoutDuration().Minutes() != 30 {
		t.Fatalf("idle = %v", d.Settings.IdleTimeoutDuration())
	}
	if got := d.WebhookIDs(); len(got) != 1 || got[0] != 4 {
		t.Fatalf("webhook ids = %v", got)
	}
	if refs := d.WebhookRefs(); len(refs) != 1 || refs[0].Path != "modules[0].connections[0].webhooks[0]" {
		t.Fatalf("refs = %+v", refs)
	}
}

// TestBotValidatePaths: every rule names the path at fault.
func TestBotValidatePaths(t *testing.T) {
	cases := []struct {
		field, message string
		change         func(d *BotDefinition)
	}{
		{"name", "must not be empty", func(d *BotDefinition) { d.Name = " " }},
		{"modules", "a bot needs at least one module", func(d *BotDefinition) { d.Modules = nil }},
		{"start", "no module 9", func(d *BotDefinition) { d.Start = 9 }},
		{"modules[1].id", "1 is already the id of modules[0]", func(d *BotDefinition) { d.Modules[1].ID = 1 }},
		{"modules[2].id", "must be a positive number, not -3", func(d *BotDefinition) { d.Modules[2].ID = -3 }},
		{"modules[1].connections[0].to", "no module 7", func(d *BotDefinition) { d.Modules[1].Connections[0].To = 7 }},
		{"modules[0].connections[0].on_failure", "no module 8", func(d *BotDefinition) { d.Modules[0].Connections[0].OnFailure = 8 }},
		{"global_connections[0].to", "no module 5", func(d *BotDefinition) { d.GlobalConnections[0].To = 5 }},
		{"modules[2].connections", "an end module ends the session; it has no connections", func(d *BotDefinition) {
			d.Modules[2].Connections = []BotConnection{{To: 1}}
		}},
		{"modules[0].key", `"e-mail" is not a valid name: use letters, digits and underscores, not starting with a digit`, func(d *BotDefinition) { d.Modules[0].Key = "e-mail" }},
		{"modules[0].validate.type", `"colour" is not a validation type; use text, number, email, phone, date, regex or options`, func(d *BotDefinition) {
			d.Modules[0].Validate.Type = "colour"
		}},
		{"modules[0].validate.pattern", "does not compile: missing closing ): `(a`", func(d *BotDefinition) {
			d.Modules[0].Validate = &BotValidation{Type: ValidateRegex, Pattern: "(a"}
		}},
		{"modules[0].validate.options", `missing required field "options": the answers accepted`, func(d *BotDefinition) {
			d.Modules[0].Validate = &BotValidation{Type: ValidateOptions}
		}},
		{"modules[0].validate.options[1]", `"YES" is already options[0]`, func(d *BotDefinition) {
			d.Modules[0].Validate = &BotValidation{Type: ValidateOptions, Options: []string{"yes", "YES"}}
		}},
		{"modules[1].text", "must be a string, or a JSON object (a template message) whose string values are templates", func(d *BotDefinition) {
			d.Modules[1].Text = json.RawMessage(`[1]`)
		}},
		{"modules[1].key", "only collector modules have key", func(d *BotDefinition) { d.Modules[1].Key = "x" }},
		{"modules[0].text", "only message and end modules have text", func(d *BotDefinition) { d.Modules[0].Text = json.RawMessage(`"x"`) }},
		{"modules[1].type", `"menu" is not a module type; use message, collector or end`, func(d *BotDefinition) { d.Modules[1].Type = "menu" }},
		{"modules[1].overrides.sms", "must be a string, or a JSON object (a template message) whose string values are templates", func(d *BotDefinition) {
			d.Modules[1].Overrides = map[string]json.RawMessage{"sms": json.RawMessage(`3`)}
		}},
		{"modules[1].connections[0].on_failure", "is taken when a webhook of the connection fails, and it has none", func(d *BotDefinition) {
			d.Modules[1].Connections[0].OnFailure = 3
		}},
		{"modules[0].connections[0].webhooks[0]", "must not be empty: a webhook id or name", func(d *BotDefinition) {
			d.Modules[0].Connections[0].Webhooks[0] = BotWebhookRef{Name: " "}
		}},
		{"settings.idle_timeout", `"soon" is not a duration; write it like 30m, 2h or 1h30m`, func(d *BotDefinition) { d.Settings.IdleTimeout = "soon" }},
		{"settings.idle_timeout", "must be between 1m and 720h, got 5s", func(d *BotDefinition) { d.Settings.IdleTimeout = "5s" }},
		{"settings.max_steps", "must be between 1 and 1000, got 5000", func(d *BotDefinition) { d.Settings.MaxSteps = 5000 }},
		{"modules[1].connections[9].webhooks[19]", "a bot may use at most 200 different webhooks", func(d *BotDefinition) {
			d.Modules[1].Connections = nil
			for i := range 11 {
				c := BotConnection{To: 1}
				for j := range 20 {
					c.Webhooks = append(c.Webhooks, BotWebhookRef{ID: int64(100 + i*20 + j)})
				}
				d.Modules[1].Connections = append(d.Modules[1].Connections, c)
			}
		}},
	}
	for _, c := range cases {
		d := validBot()
		c.change(&d)
		err := d.Validate()
		if ErrorCode(err) != CodeInvalid || ErrorField(err) != c.field || ErrorMessage(err) != c.message {
			t.Errorf("got %v (field %q, message %q); want field %q, message %q", err, ErrorField(err), ErrorMessage(err), c.field, c.message)
		}
	}
}

func TestBotWebhookRefJSON(t *testing.T) {
	var refs []BotWebhookRef
	if err := json.Unmarshal([]byte(`[3, "CRM lookup"]`), &refs); err != nil {
		t.Fatal(err)
	}
	if refs[0].ID != 3 || refs[1].Name != "CRM lookup" {
		t.Fatalf("refs = %+v", refs)
	}
	b, _ := json.Marshal(refs)
	if string(b) != `[3,"CRM lookup"]` {
		t.Fatalf("marshal = %s", b)
	}
	for _, bad := range []string{`0`, `-1`, `1.5`, `true`, `{}`} {
		var r BotWebhookRef
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s: accepted as %+v", bad, r)
		}
	}
}

func TestValidateChannelDocs(t *testing.T) {
	ok := []BotChannelDoc{{Name: "web", Type: "webhook", Mode: "async", PostURL: "https://example.com/x"}}
	if err := ValidateChannelDocs(ok); err != nil {
		t.Fatal(err)
	}
	bad := []BotChannelDoc{{Name: "web", Type: "webhook", Mode: "sync"}, {Name: "web", Type: "webhook", Mode: "sync"}}
	if err := ValidateChannelDocs(bad); ErrorField(err) != "channels[1].name" {
		t.Fatalf("duplicate: %v", err)
	}
	if err := ValidateChannelDocs([]BotChannelDoc{{Name: "x", Type: "sms", Mode: "sync"}}); ErrorField(err) != "channels[0].type" {
		t.Fatalf("type: %v", err)
	}
	if err := ValidateChannelDocs([]BotChannelDoc{{Name: "x", Mode: "async"}}); ErrorField(err) != "channels[0].post_url" {
		t.Fatalf("async without post_url: %v", err)
	}
	if err := ValidateChannelDocs([]BotChannelDoc{{Name: "x"}}); err != nil {
		t.Fatalf("type and mode left to their defaults: %v", err)
	}
}
