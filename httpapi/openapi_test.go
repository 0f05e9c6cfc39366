package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// TestOpenAPIComplete fails when a registered route is missing from the
// OpenAPI document, or the document refers to a schema it does not define.
func TestOpenAPIComplete(t *testing.T) {
	e := newTestEnv(t, 0)
	r := want(t, e.do("GET", "/api/v1/openapi.json", "", nil), http.StatusOK)
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	if doc.Components.Schemas["Error"] == nil || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Fatal("the document lacks the Error schema or the bearer security scheme")
	}

	patterns := e.api.Patterns()
	if len(patterns) < 14 {
		t.Fatalf("only %d routes registered", len(patterns))
	}
	documented := 0
	for _, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		// The pattern is what the mux really routes by.
		req := httptest.NewRequest(method, strings.NewReplacer("{id}", "1", "{keyId}", "2").Replace(path), nil)
		if _, got := e.api.mux.Handler(req); got != p {
			t.Errorf("route %q: the mux routes %s %s to %q", p, method, req.URL.Path, got)
		}
		op := doc.Paths[path][strings.ToLower(method)]
		if op == nil {
			t.Errorf("route %q is missing from the OpenAPI document", p)
			continue
		}
		documented++
		if op["summary"] == "" || op["responses"] == nil {
			t.Errorf("route %q: no summary or responses", p)
		}
		responses := op["responses"].(map[string]any)
		if !strings.HasPrefix(path, "/api/v1/openapi") && !strings.HasPrefix(path, "/healthz") && !strings.HasPrefix(path, "/readyz") {
			if responses["401"] == nil {
				t.Errorf("route %q: 401 undocumented", p)
			}
		}
		if strings.Contains(path, "{") && responses["404"] == nil {
			t.Errorf("route %q: 404 undocumented", p)
		}
	}
	// Nothing documented that is not routed.
	total := 0
	for _, ops := range doc.Paths {
		total += len(ops)
	}
	if total != documented {
		t.Errorf("the document has %d operations, the mux %d routes", total, documented)
	}
	// Every $ref resolves.
	for _, m := range regexp.MustCompile(`"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(string(r.raw), -1) {
		if doc.Components.Schemas[m[1]] == nil {
			t.Errorf("$ref to undefined schema %q", m[1])
		}
	}
}

// TestOpenAPIMissingRoute proves the completeness check can fail: a route
// without documentation is left out of the document.
func TestOpenAPIMissingRoute(t *testing.T) {
	e := newTestEnv(t, 0)
	e.api.resources = append(e.api.resources, resource{tag: "extra", routes: []route{{pattern: "GET /api/v1/undocumented"}}})
	raw, err := e.api.openAPI()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "/api/v1/undocumented") {
		t.Fatal("an undocumented route appeared in the document")
	}
}

// TestOpenAPIMatchesAnswers checks the generated schemas against what the
// API really answers: every member of every answer is a documented
// property of its schema, with the documented JSON type.
func TestOpenAPIMatchesAnswers(t *testing.T) {
	e := newTestEnv(t, 0)
	var doc map[string]any
	if err := json.Unmarshal(want(t, e.do("GET", "/api/v1/openapi.json", "", nil), http.StatusOK).raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, sc := range schemas {
		props, _ := sc.(map[string]any)["properties"].(map[string]any)
		for p, v := range props {
			if d, _ := v.(map[string]any)["description"].(string); d == "" && name != "Error" {
				t.Errorf("schema %s: property %s has no description", name, p)
			}
		}
	}
	cid := e.createTenant(testAdminToken, "Shop", hookline.KindCompany, 0)
	key, _ := e.createKey(testAdminToken, cid)
	rc := newTicketReceiver(t)
	created := want(t, e.do("POST", "/api/v1/webhooks", key, seedWebhook(rc.URL)), http.StatusCreated)
	id := int64(created.json(t)["id"].(float64))
	answers := []struct {
		schema string
		r      response
	}{
		{"Webhook", created},
		{"WebhookList", want(t, e.do("GET", "/api/v1/webhooks", key, nil), http.StatusOK)},
		{"WebhookResult", want(t, e.do("POST", "/api/v1/webhooks/"+itoa(id)+"/run", key, nil), http.StatusOK)},
		{"WebhookTemplateList", want(t, e.do("GET", "/api/v1/webhook-templates", key, nil), http.StatusOK)},
		{"WebhookTemplate", want(t, e.do("POST", "/api/v1/webhook-templates", key, map[string]any{"name": "Mine", "from_webhook_id": id}), http.StatusCreated)},
		{"Tenant", want(t, e.do("GET", "/api/v1/tenants/"+itoa(cid), key, nil), http.StatusOK)},
		{"TenantList", want(t, e.do("GET", "/api/v1/tenants", testAdminToken, nil), http.StatusOK)},
		{"NewKey", want(t, e.do("POST", "/api/v1/tenants/"+itoa(cid)+"/keys", key, nil), http.StatusCreated)},
		{"APIKeyList", want(t, e.do("GET", "/api/v1/tenants/"+itoa(cid)+"/keys", key, nil), http.StatusOK)},
		{"Error", want(t, e.do("GET", "/api/v1/webhooks/999", key, nil), http.StatusNotFound)},
		{"Status", want(t, e.do("GET", "/readyz", "", nil), http.StatusOK)},
	}
	for _, a := range answers {
		var v any
		if err := json.Unmarshal(a.r.raw, &v); err != nil {
			t.Fatal(err)
		}
		conforms(t, schemas, a.schema, map[string]any{"$ref": "#/components/schemas/" + a.schema}, v)
	}
}

// conforms fails the test where value has a member the schema does not
// document or a JSON type it does not allow.
func conforms(t *testing.T, schemas map[string]any, at string, schema map[string]any, value any) {
	t.Helper()
	if r, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(r, "#/components/schemas/")
		sc, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("%s: $ref to undefined schema %s", at, name)
			return
		}
		schema = sc
	}
	if anyOf, ok := schema["anyOf"].([]any); ok {
		if value == nil {
			return
		}
		conforms(t, schemas, at, anyOf[0].(map[string]any), value)
		return
	}
	types := map[string]bool{}
	switch ty := schema["type"].(type) {
	case string:
		types[ty] = true
	case []any:
		for _, x := range ty {
			types[x.(string)] = true
		}
	case nil:
		return // any JSON value
	}
	var got string
	switch value.(type) {
	case nil:
		got = "null"
	case bool:
		got = "boolean"
	case float64:
		got = "number"
		if types["integer"] && value.(float64) == float64(int64(value.(float64))) {
			got = "integer"
		}
	case string:
		got = "string"
	case []any:
		got = "array"
	case map[string]any:
		got = "object"
	}
	if !types[got] {
		t.Errorf("%s: a %s where the schema says %v", at, got, schema["type"])
		return
	}
	switch v := value.(type) {
	case []any:
		items, _ := schema["items"].(map[string]any)
		for i, x := range v {
			conforms(t, schemas, fmt.Sprintf("%s[%d]", at, i), items, x)
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		extra, _ := schema["additionalProperties"].(map[string]any)
		for k, x := range v {
			if p, ok := props[k].(map[string]any); ok {
				conforms(t, schemas, at+"."+k, p, x)
			} else if extra != nil {
				conforms(t, schemas, at+"."+k, extra, x)
			} else if props != nil || schema["additionalProperties"] == false {
				t.Errorf("%s: member %q is not documented", at, k)
			}
		}
	}
}
