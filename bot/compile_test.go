package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
)

func compiledSample(t *testing.T) *Compiled {
	t.Helper()
	in, err := ParseDocument(hookline.BotSource{Data: []byte(sampleJSON)})
	if err != nil {
		t.Fatal(err)
	}
	in.Modules[0].Connections[0].Webhooks[1] = hookline.BotWebhookRef{ID: 4}
	c, err := Compile(in.BotDefinition)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCompileErrorsNamePaths: every template of the document is compiled
// at save, and an error names its path with the line and column in what
// the designer wrote.
func TestCompileErrorsNamePaths(t *testing.T) {
	cases := []struct {
		change        func(d *hookline.BotDefinition)
		field, inText string
	}{
		{func(d *hookline.BotDefinition) { d.Modules[2].Text = json.RawMessage(`"Bye {{ name "`) }, "modules[2].text", "line 1"},
		{func(d *hookline.BotDefinition) { d.Modules[0].Prompt = json.RawMessage(`"{% for %}"`) }, "modules[0].prompt", "line 1"},
		{func(d *hookline.BotDefinition) {
			d.Modules[0].RetryPrompt = json.RawMessage(`"{{ x | nosuchfilter }}"`)
		}, "modules[0].retry_prompt", "nosuchfilter"},
		{func(d *hookline.BotDefinition) {
			d.Modules[1].Text = json.RawMessage(`{"buttons": [{"title": "ok"}, {"title": "{{ 1 + }}"}]}`)
		}, "modules[1].text.buttons[1].title", "line 1"},
		{func(d *hookline.BotDefinition) {
			d.Modules[1].Overrides = map[string]json.RawMessage{"sms": json.RawMessage(`"{% if x %}"`)}
		}, "modules[1].overrides.sms", "line 1"},
		{func(d *hookline.BotDefinition) { d.GlobalConnections[0].Condition = "certainly.reply ==" }, "global_connections[0].condition", "line 1, column 20: unexpected"},
		{func(d *hookline.BotDefinition) { d.GlobalConnections[0].Condition = "a }}{{ b" }, "global_connections[0].condition", "must be one expression"},
		{func(d *hookline.BotDefinition) { d.Modules[1].Connections[0].Condition = "x is nosuchtest" }, "modules[1].connections[0].condition", "nosuchtest"},
		{func(d *hookline.BotDefinition) { d.Settings.ErrorMessage = "{{" }, "settings.error_message", "line 1"},
		{func(d *hookline.BotDefinition) {
			d.Modules[0].Connections[0].Webhooks[0] = hookline.BotWebhookRef{Name: "CRM"}
		}, "modules[0].connections[0].webhooks[0]", "not resolved"},
	}
	for i, c := range cases {
		in, err := ParseDocument(hookline.BotSource{Data: []byte(sampleJSON)})
		if err != nil {
			t.Fatal(err)
		}
		in.Modules[0].Connections[0].Webhooks[1] = hookline.BotWebhookRef{ID: 4}
		c.change(&in.BotDefinition)
		_, err = Compile(in.BotDefinition)
		if hookline.ErrorCode(err) != hookline.CodeInvalid || hookline.ErrorField(err) != c.field || !strings.Contains(hookline.ErrorMessage(err), c.inText) {
			t.Errorf("case %d: got %v (field %q); want field %q and %q", i, err, hookline.ErrorField(err), c.field, c.inText)
		}
	}
}

func TestConditionTruthiness(t *testing.T) {
	data := map[string]any{"n": int64(0), "s": "", "l": []any{}, "o": jinja.NewObject(), "yes": "y", "three": int64(3)}
	cases := map[string]bool{
		"n": false, "s": false, "l": false, "o": false, "undefined_name": false, "none": false, "None": false,
		"yes": true, "three": true, "three > 2": true, "three > 5": false, "yes == 'y' and three": true,
		"[0]": true, "'0'": true, "0.0": false,
	}
	for src, want := range cases {
		cond, err := compileCondition("c", src, true)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := truthy(context.Background(), cond, data)
		if err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", src, got, err, want)
		}
	}
}

func TestRenderObjectText(t *testing.T) {
	tx, err := compileText("text", json.RawMessage(`{"type": "buttons", "text": "Hi {{ name }}", "n": 2, "buttons": [{"title": "{{ name|upper }}"}, null, true]}`), true)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tx.render(context.Background(), map[string]any{"name": `Ada "<x>"`})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"buttons","text":"Hi Ada \"<x>\"","n":2,"buttons":[{"title":"ADA \"<X>\""},null,true]}`
	if string(out) != want {
		t.Fatalf("render = %s\nwant     %s", out, want)
	}
	s, _ := compileText("text", json.RawMessage(`"line\n{{ 1 + 1 }}"`), true)
	out, _ = s.render(context.Background(), nil)
	if string(out) != `"line\n2"` {
		t.Fatalf("string render = %s", out)
	}
}

func TestAnswerChecks(t *testing.T) {
	cases := []struct {
		v      hookline.BotValidation
		answer string
		want   string // stored JSON; "" for invalid
	}{
		{hookline.BotValidation{Type: hookline.ValidateText}, "  hello ", `"hello"`},
		{hookline.BotValidation{Type: hookline.ValidateText}, "   ", ""},
		{hookline.BotValidation{Type: hookline.ValidateNumber}, "42", `42`},
		{hookline.BotValidation{Type: hookline.ValidateNumber}, "-3.5", `-3.5`},
		{hookline.BotValidation{Type: hookline.ValidateNumber}, "3,25", `3.25`},
		{hookline.BotValidation{Type: hookline.ValidateNumber}, "1e400", ""},
		{hookline.BotValidation{Type: hookline.ValidateNumber}, "NaN", ""},
		{hookline.BotValidation{Type: hookline.ValidateNumber}, "0x10", ""},
		{hookline.BotValidation{Type: hookline.ValidateNumber}, "twelve", ""},
		{hookline.BotValidation{Type: hookline.ValidateEmail}, "ada@example.com", `"ada@example.com"`},
		{hookline.BotValidation{Type: hookline.ValidateEmail}, "Ada <ada@example.com>", ""},
		{hookline.BotValidation{Type: hookline.ValidateEmail}, "ada@localhost", ""},
		{hookline.BotValidation{Type: hookline.ValidateEmail}, "not an email", ""},
		{hookline.BotValidation{Type: hookline.ValidatePhone}, "+45 12 34-56 78", `"+4512345678"`},
		{hookline.BotValidation{Type: hookline.ValidatePhone}, "(555) 123.4567", `"5551234567"`},
		{hookline.BotValidation{Type: hookline.ValidatePhone}, "12345", ""},
		{hookline.BotValidation{Type: hookline.ValidatePhone}, "555-CALL-NOW", ""},
		{hookline.BotValidation{Type: hookline.ValidateDate}, "2024-02-29", `"2024-02-29"`},
		{hookline.BotValidation{Type: hookline.ValidateDate}, "3/4/2024", `"2024-04-03"`},
		{hookline.BotValidation{Type: hookline.ValidateDate}, "31.12.1999", `"1999-12-31"`},
		{hookline.BotValidation{Type: hookline.ValidateDate}, "2023-02-29", ""},
		{hookline.BotValidation{Type: hookline.ValidateRegex, Pattern: `[A-Z]-\d{4}`}, "A-1042", `"A-1042"`},
		{hookline.BotValidation{Type: hookline.ValidateRegex, Pattern: `[A-Z]-\d{4}`}, "xA-1042", ""},
		{hookline.BotValidation{Type: hookline.ValidateRegex, Pattern: `a|b`}, "ab", ""},
		{hookline.BotValidation{Type: hookline.ValidateOptions, Options: []string{"Yes", "No"}}, " yes ", `"Yes"`},
		{hookline.BotValidation{Type: hookline.ValidateOptions, Options: []string{"Yes", "No"}}, "maybe", ""},
	}
	for _, c := range cases {
		check, err := newAnswerCheck(&c.v)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := check.check(c.answer)
		if (c.want == "") == ok || string(got) != c.want {
			t.Errorf("%s %q: %s, %v; want %s", c.v.Type, c.answer, got, ok, c.want)
		}
	}
}

func TestCompiledSample(t *testing.T) {
	c := compiledSample(t)
	if c.start != 1 || c.maxSteps != 20 || c.idle.Hours() != 1 || len(c.global) != 1 || c.modules[1].check == nil {
		t.Fatalf("compiled: %+v", c)
	}
	if got := c.modules[1].connections[0].webhooks; len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Fatalf("webhooks = %v", got)
	}
}

func TestRetryDelay(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for i, w := range want {
		if got := retryDelay(i + 1); got != w {
			t.Errorf("retryDelay(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := retryDelay(100); got != maxRetryDelay {
		t.Errorf("retryDelay(100) = %v", got)
	}
}
