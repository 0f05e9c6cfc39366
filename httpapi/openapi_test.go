package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
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
