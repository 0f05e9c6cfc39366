package webhook

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// TestBodyInjectionSendsNothing runs JSON bodies whose printed values would change
// the body's structure: each Run fails with a render error naming the body, its
// line and column, and the receiver gets no request.
func TestBodyInjectionSendsNothing(t *testing.T) {
	rc := newReceiver(t, jsonReply(200, `{}`))
	cases := []struct {
		name, body string
		certainly  map[string]any
		want       []string
	}{
		{"a number that adds a key", "{\"admin\": false,\n \"id\": {{certainly.sessionId}}}",
			map[string]any{"sessionId": `1, "admin": true`}, []string{"line 2, column 8", `printed '1, "admin": true'`}},
		{"a value that closes the object", `{"id": {{certainly.sessionId}}, "admin": false}`,
			map[string]any{"sessionId": `1}, "x": {"y": 1`}, []string{"line 1, column 8", "one complete JSON value"}},
		{"an undefined value", `{"moduleId": {{certainly.moduleId}}, "b": 1}`,
			map[string]any{}, []string{"line 1, column 14", "{{certainly.moduleId}} printed nothing", "'moduleId'"}},
		{"a repeated key", `{"{{certainly.key}}": 1, "admin": false}`,
			map[string]any{"key": "admin"}, []string{"the rendered body (JSON) is invalid at line 1, column 14", "duplicate key 'admin'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, testClient(), hookline.WebhookDefinition{Name: "inject", Method: "POST", URL: rc.URL, Body: c.body},
				map[string]any{"certainly": c.certainly})
			if res.Error == nil || res.Error.Kind != hookline.ErrRender || res.Error.Field != "body" {
				t.Fatalf("error = %+v, want a render error of the body", res.Error)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Error.Message, w) {
					t.Errorf("message %q does not contain %q", res.Error.Message, w)
				}
			}
			if res.Response != nil {
				t.Error("a response was recorded")
			}
		})
	}
	if n := rc.count(); n != 0 {
		t.Fatalf("%d requests reached the receiver", n)
	}
}

// TestBodySideBySideRefusedAtSave checks that two values printed side by side
// outside a string literal are refused when the webhook is compiled.
func TestBodySideBySideRefusedAtSave(t *testing.T) {
	_, err := Compile(hookline.WebhookDefinition{Name: "x", Method: "POST", URL: "http://example.com/",
		Body: "{\"ids\": [{{a}}{{b}}]}"})
	var he *hookline.Error
	if !errors.As(err, &he) || he.Code != hookline.CodeInvalid || he.Field != "body" || !strings.Contains(he.Message, "line 1, column 15") {
		t.Fatalf("error = %v, want an invalid body at line 1, column 15", err)
	}
}
