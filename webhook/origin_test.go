package webhook

import (
	"testing"

	"github.com/hookline/hookline"
)

func TestEndpointOrigin(t *testing.T) {
	for _, c := range []struct {
		url    string
		values map[string]string
		origin string
		conv   bool
		field  string // of the error, when one is expected
	}{
		{url: "https://api.example.com/x", origin: "https://api.example.com:443"},
		{url: "HTTPS://API.example.com:443/{{certainly.reply}}?q={{x}}", origin: "https://api.example.com:443"},
		{url: "http://127.0.0.1:8001/a", origin: "http://127.0.0.1:8001"},
		{url: "https://{{sub}}.example.com/x", values: map[string]string{"sub": "acme"}, origin: "https://acme.example.com:443"},
		{url: "https://{{sub}}.example.com/x", values: map[string]string{"sub": "{{ 'ac' ~ 'me' }}"}, origin: "https://acme.example.com:443"},
		{url: "https://api.example.com:{{port}}", values: map[string]string{"port": "8443"}, origin: "https://api.example.com:8443"},
		// A '/' inside a tag does not end the host.
		{url: "https://{{ sub ~ '' }}.example.com/{{ 'a/b' }}", values: map[string]string{"sub": "acme"}, origin: "https://acme.example.com:443"},
		{url: "https://{{certainly.extractedData.domain}}/x", conv: true},
		{url: "https://{{fb.firstName}}.example.com", conv: true},
		{url: "https://{{d}}/x", values: map[string]string{"d": "{{ conversation.reply }}"}, conv: true},
		// A tag spanning the authority: the whole URL decides.
		{url: "https://{% if certainly.reply %}a.example.com/x{% else %}b.example.com/y{% endif %}", conv: true},
		// A name without a value: the origin is unknown, and Check says why.
		{url: "https://{{sub}}.example.com/x"},
		{url: "https://{{sub}}.example.com/x", values: map[string]string{"sub": "a b"}, field: "context_values.sub"},
		{url: "https://{{sub}}.{{zone}}/x", values: map[string]string{"sub": "acme", "zone": "bad:zone"}, field: "context_values.zone"},
		{url: "https://{{sub}}.example.com/x", values: map[string]string{"sub": ""}, field: "context_values.sub"},
	} {
		origin, conv, err := EndpointOrigin(Endpoint{URL: c.url, ContextValues: c.values})
		if c.field != "" {
			if hookline.ErrorField(err) != c.field {
				t.Errorf("%s %v: error %v, want one naming %s", c.url, c.values, err, c.field)
			}
			continue
		}
		if err != nil || origin != c.origin || conv != c.conv {
			t.Errorf("%s %v: %q, %v, %v; want %q, %v", c.url, c.values, origin, conv, err, c.origin, c.conv)
		}
	}
}

func TestCheckCredentialOrigin(t *testing.T) {
	stored := &Endpoint{URL: "https://{{sub}}.example.com/x", ContextValues: map[string]string{"sub": "acme"}}
	secrets := []string{"auth.token", "headers[0].value"}
	for _, c := range []struct {
		name  string
		next  Endpoint
		kept  []string
		field string
	}{
		{"same origin, kept", Endpoint{URL: "https://acme.example.com/other"}, secrets, ""},
		{"new origin, sent again", Endpoint{URL: "https://other.example.com/x"}, nil, ""},
		{"new origin, kept", Endpoint{URL: "https://other.example.com/x"}, []string{"headers[0].value"}, "headers[0].value"},
		{"new port, kept", Endpoint{URL: "https://acme.example.com:8443/x"}, secrets, "auth.token"},
		{"new context value, kept", Endpoint{URL: stored.URL, ContextValues: map[string]string{"sub": "evil"}}, secrets, "auth.token"},
		{"conversation host", Endpoint{URL: "https://{{certainly.reply}}/x"}, nil, "url"},
	} {
		err := CheckCredentialOrigin(c.next, secrets, stored, c.kept)
		if hookline.ErrorField(err) != c.field || (c.field == "") != (err == nil) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
	// Without secrets there is nothing to keep anywhere.
	if err := CheckCredentialOrigin(Endpoint{URL: "https://{{certainly.reply}}/x"}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
}
