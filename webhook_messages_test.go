package hookline

import "testing"

// TestWebhookValidateMessages checks the wording of the mistakes new
// users make most: a missing credential names the authentication and the
// credential, and a URL without a scheme says so and shows the URL up to
// its query.
func TestWebhookValidateMessages(t *testing.T) {
	cases := []struct {
		field, message string
		change         func(w *WebhookDefinition)
	}{
		{"auth.token", "bearer authentication: token is required", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthBearer} }},
		{"auth.username", "basic authentication: username is required", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthBasic, Password: "pw"} }},
		{"auth.value", "API key authentication: value is required", func(w *WebhookDefinition) { w.Auth = Auth{Type: AuthAPIKey, Name: "X-Api-Key"} }},
		{"auth.name", "API key authentication: name (the header or query parameter that carries the key) is required", func(w *WebhookDefinition) {
			w.Auth = Auth{Type: AuthAPIKey, Value: "k"}
		}},
		{"url", `"example.com/x" has no scheme; start it with https://`, func(w *WebhookDefinition) { w.URL = "example.com/x" }},
		{"url", `"example.com:8080/x" has no scheme; start it with https://`, func(w *WebhookDefinition) { w.URL = "example.com:8080/x" }},
		{"url", `"localhost:8080/x..." has no scheme; start it with https://`, func(w *WebhookDefinition) { w.URL = "localhost:8080/x?key=secret" }},
		{"url", `"example.com/{{ticket}}" has no scheme; start it with https://`, func(w *WebhookDefinition) { w.URL = "example.com/{{ticket}}" }},
		{"url", `scheme "ftp" is not supported; use http or https`, func(w *WebhookDefinition) { w.URL = "ftp://example.com/x" }},
	}
	for _, c := range cases {
		w := validWebhook()
		c.change(&w)
		err := w.Validate()
		if ErrorField(err) != c.field || ErrorMessage(err) != c.message {
			t.Errorf("got field %q, message %q; want %q, %q", ErrorField(err), ErrorMessage(err), c.field, c.message)
		}
	}
}
