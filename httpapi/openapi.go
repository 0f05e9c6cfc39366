package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// operation documents one route in the OpenAPI document.
type operation struct {
	summary     string
	description string
	// request is a value of the Go type the JSON request body decodes
	// into; nil for none. Its schema is generated from the type.
	request      any
	optionalBody bool
	// status is the success status; response a value of the Go type of its
	// body (or a list of one), nil for an empty body.
	status   int
	response any
	query    []param
	// errors lists the error statuses the route answers besides those every
	// route of its kind answers (401 and 500; 400 and 413 with a body).
	errors []int
	// pathSchemas overrides the schema of path parameters, which are
	// integer ids by default.
	pathSchemas map[string]map[string]any
}

// Schema builders for the resources' component schemas.

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func object(required []string, props map[string]any) map[string]any {
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func typed(typ, description string) map[string]any {
	return map[string]any{"type": typ, "description": description}
}

func arrayOf(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}

func enum(description string, values ...string) map[string]any {
	return map[string]any{"type": "string", "enum": values, "description": description}
}

// errorSchema is the one error body of the API.
func errorSchema() map[string]any {
	return object([]string{"error"}, map[string]any{
		"error": object([]string{"code", "message"}, map[string]any{
			"code": enum("what went wrong, one of a fixed set",
				string(hookline.CodeInvalid), string(hookline.CodeUnauthorized), string(hookline.CodeForbidden),
				string(hookline.CodeNotFound), string(hookline.CodeConflict), string(hookline.CodeTooLarge),
				string(hookline.CodeUnavailable), string(hookline.CodeInternal), codeMethodNotAllowed),
			"message": typed("string", "for people; internal errors show only the request id"),
			"field":   typed("string", "the request field at fault, as a JSON path, when there is one"),
		}),
	})
}

type param struct {
	name, description string
	schema            map[string]any
}

// list is the body of a listing: one page of items under key, and the
// cursor of the next page.
type list struct {
	key  string
	item any
}

var errorDescriptions = map[int]string{
	http.StatusBadRequest:            "invalid input; field names the culprit",
	http.StatusUnauthorized:          "missing, invalid or revoked API key",
	http.StatusForbidden:             "the key may not do this",
	http.StatusNotFound:              "no such resource in the caller's scope",
	http.StatusConflict:              "clashes with stored state",
	http.StatusRequestEntityTooLarge: "request body over the limit",
	http.StatusServiceUnavailable:    "the store does not answer",
	http.StatusInternalServerError:   "a fault of the server; the message carries the request id",
}

// openAPI builds the OpenAPI 3.1 document of every route in s.resources,
// with the schemas of their bodies generated from the Go types the
// handlers decode and encode (see schemas.go). Routes without doc are left
// out, which TestOpenAPIComplete catches.
func (s *Server) openAPI() ([]byte, error) {
	paths := map[string]map[string]any{}
	gen := newSchemaGen()
	gen.components["Error"] = errorSchema()
	var tags []map[string]any
	for _, res := range s.resources {
		tags = append(tags, map[string]any{"name": res.tag})
		for _, rt := range res.routes {
			if rt.doc == nil {
				continue
			}
			method, path, ok := strings.Cut(rt.pattern, " ")
			if !ok {
				return nil, fmt.Errorf("openapi: route %q has no method", rt.pattern)
			}
			if paths[path] == nil {
				paths[path] = map[string]any{}
			}
			op, err := rt.doc.build(gen, res.tag, rt, path)
			if err != nil {
				return nil, fmt.Errorf("openapi: route %q: %w", rt.pattern, err)
			}
			paths[path][strings.ToLower(method)] = op
		}
	}
	if gen.err != nil {
		return nil, fmt.Errorf("openapi: %w", gen.err)
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "hookline API",
			"version":     "1",
			"description": "The webhook layer of a conversational platform. Every call except the health checks and this document needs Authorization: Bearer <API key>. Resources outside the caller's tenant scope answer 404 exactly as if they did not exist. Lists come one page at a time: {\"<items>\": [...], \"next_cursor\": \"...\" or null}; the next page is ?cursor=<next_cursor>.",
		},
		"tags":     tags,
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"schemas": gen.components,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "an API key: hl_ followed by 43 characters"},
			},
		},
	}
	if s.publicURL != "" {
		doc["servers"] = []any{map[string]any{"url": s.publicURL}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return buf.Bytes(), nil
}

func (op *operation) build(gen *schemaGen, tag string, rt route, path string) (map[string]any, error) {
	out := map[string]any{
		"summary":     op.summary,
		"tags":        []string{tag},
		"operationId": operationID(rt.pattern),
	}
	if op.description != "" {
		out["description"] = op.description
	}
	if rt.public {
		out["security"] = []any{}
	}
	var params []any
	for _, name := range pathParams(path) {
		schema := map[string]any{"type": "integer", "format": "int64"}
		if sc, ok := op.pathSchemas[name]; ok {
			schema = sc
		}
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": schema})
	}
	for _, q := range op.query {
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.description, "schema": q.schema})
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	if op.request != nil {
		out["requestBody"] = map[string]any{
			"required": !op.optionalBody,
			"content":  map[string]any{"application/json": map[string]any{"schema": gen.body(op.request)}},
		}
	}
	responses := map[string]any{}
	success := map[string]any{"description": http.StatusText(op.status)}
	if op.response != nil {
		success["content"] = map[string]any{"application/json": map[string]any{"schema": gen.body(op.response)}}
	}
	responses[strconv.Itoa(op.status)] = success
	errs := append([]int{http.StatusInternalServerError}, op.errors...)
	if !rt.public {
		errs = append(errs, http.StatusUnauthorized)
	}
	if op.request != nil {
		errs = append(errs, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
	}
	for _, st := range errs {
		responses[strconv.Itoa(st)] = map[string]any{
			"description": errorDescriptions[st],
			"content":     map[string]any{"application/json": map[string]any{"schema": ref("Error")}},
		}
	}
	out["responses"] = responses
	return out, gen.err
}

// pathParams lists the {names} of a path pattern.
func pathParams(path string) []string {
	var names []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
		}
	}
	return names
}

// operationID derives a stable id such as "post_api_v1_tenants_id_keys".
func operationID(pattern string) string {
	f := func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}
	id := strings.Map(f, pattern)
	for strings.Contains(id, "__") {
		id = strings.ReplaceAll(id, "__", "_")
	}
	return strings.Trim(id, "_")
}
