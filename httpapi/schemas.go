package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// The OpenAPI schemas are generated from the Go types the handlers decode
// and encode, so that the document and the wire cannot drift apart. A
// field's description is its `doc` tag (a missing one fails the build of
// the document, and so every test); `required:"true"` marks a required
// input field; `nullable:"true"` a field that may be null; `enum:"a,b"` the
// values of a plain string field. Named string types take their values
// from enumValues.

// enumValues lists the values of the API's named string types.
var enumValues = map[reflect.Type][]string{
	reflect.TypeFor[hookline.TenantKind]():    {string(hookline.KindAgency), string(hookline.KindCompany)},
	reflect.TypeFor[hookline.ResponseType]():  {string(hookline.ResponseJSON), string(hookline.ResponseXML), string(hookline.ResponseText)},
	reflect.TypeFor[hookline.Execution]():     {string(hookline.ExecutionSync), string(hookline.ExecutionAsync)},
	reflect.TypeFor[hookline.AuthType]():      {string(hookline.AuthNone), string(hookline.AuthBasic), string(hookline.AuthBearer), string(hookline.AuthAPIKey)},
	reflect.TypeFor[hookline.ValueType]():     {string(hookline.ValueText), string(hookline.ValueVariable)},
	reflect.TypeFor[hookline.ChannelMode]():   {string(hookline.ChannelSync), string(hookline.ChannelAsync)},
	reflect.TypeFor[hookline.TemplateScope](): {string(hookline.TemplateBuiltin), string(hookline.TemplateAgency), string(hookline.TemplateCompany)},
	reflect.TypeFor[hookline.ModuleType]():    {string(hookline.ModuleMessage), string(hookline.ModuleCollector), string(hookline.ModuleEnd)},
	reflect.TypeFor[hookline.ValidationType](): {string(hookline.ValidateText), string(hookline.ValidateNumber), string(hookline.ValidateEmail),
		string(hookline.ValidatePhone), string(hookline.ValidateDate), string(hookline.ValidateRegex), string(hookline.ValidateOptions)},
	reflect.TypeFor[hookline.BotSessionState](): {string(hookline.SessionOpen), string(hookline.SessionEnded)},
	reflect.TypeFor[hookline.WebhookErrorKind](): {string(hookline.ErrTimeout), string(hookline.ErrConnection), string(hookline.ErrDNS),
		string(hookline.ErrTLS), string(hookline.ErrBlockedAddress), string(hookline.ErrHTTPStatus), string(hookline.ErrInvalidResponse), string(hookline.ErrRender)},
}

// fixedSchemas are the schemas of types whose JSON is not their Go
// fields: a webhook reference is a number or a string; a channel of a
// bot document has the root's contract type, without doc tags.
var fixedSchemas = map[reflect.Type]map[string]any{
	reflect.TypeFor[hookline.BotWebhookRef](): {
		"oneOf":       []any{map[string]any{"type": "integer", "minimum": 1}, map[string]any{"type": "string"}},
		"description": "a webhook of the bot's company: its id, or its name",
	},
	reflect.TypeFor[hookline.BotChannelDoc](): object([]string{"name", "type", "mode"}, map[string]any{
		"name":     typed("string", "the channel's name, unique in the bot"),
		"type":     enum("the channel type", "webhook"),
		"mode":     enum("sync: the answer is in the HTTP response; async: it is POSTed to post_url", "sync", "async"),
		"post_url": typed("string", "async: where answers are POSTed"),
	}),
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// documenter is a type whose JSON document is another type's: MarshalJSON
// encodes what Document returns.
type documenter interface{ Document() any }

// schemaGen builds component schemas from Go types, each named type once.
type schemaGen struct {
	components map[string]any
	err        error
}

func newSchemaGen() *schemaGen { return &schemaGen{components: map[string]any{}} }

func (g *schemaGen) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf(format, args...)
	}
}

// body returns the schema of a request or response body: a value of its Go
// type, or a list.
func (g *schemaGen) body(v any) map[string]any {
	if l, ok := v.(list); ok {
		item := g.of(reflect.TypeOf(l.item))
		name := reflect.TypeOf(l.item).Name() + "List"
		items := arrayOf(item)
		items["description"] = "one page, ordered as the route says"
		g.components[name] = object([]string{l.key, "next_cursor"}, map[string]any{
			l.key: items,
			"next_cursor": map[string]any{"type": []string{"string", "null"},
				"description": "the cursor of the next page, null on the last; send it as ?cursor="},
		})
		return ref(name)
	}
	return g.of(reflect.TypeOf(v))
}

// of returns the schema of t: a $ref for a named struct, which it defines
// among the components once.
func (g *schemaGen) of(t reflect.Type) map[string]any {
	if values, ok := enumValues[t]; ok {
		return map[string]any{"type": "string", "enum": values}
	}
	if schema, ok := fixedSchemas[t]; ok {
		return schema
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType:
		return map[string]any{}
	case t.Implements(reflect.TypeFor[documenter]()):
		name := t.Name()
		if _, done := g.components[name]; !done {
			g.components[name] = nil // a recursive type refers to itself
			doc := reflect.Zero(t).Interface().(documenter).Document()
			g.components[name] = g.object(reflect.TypeOf(doc))
		}
		return ref(name)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return arrayOf(g.of(t.Elem()))
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		// Unexported body types of this package name their schema too.
		name := strings.ToUpper(t.Name()[:1]) + t.Name()[1:]
		if _, done := g.components[name]; !done {
			g.components[name] = nil
			g.components[name] = g.object(t)
		}
		return ref(name)
	}
	g.fail("no schema for Go type %s", t)
	return map[string]any{}
}

// object is the schema of a struct's JSON object: embedded structs
// without a JSON name are inlined, as encoding/json does.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	return object(required, props)
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		doc := f.Tag.Get("doc")
		if doc == "" {
			g.fail("field %s.%s (%q) has no doc tag", t.Name(), f.Name, name)
		}
		schema := map[string]any{}
		for k, v := range g.of(f.Type) {
			schema[k] = v
		}
		schema["description"] = doc
		if values := f.Tag.Get("enum"); values != "" {
			schema["enum"] = strings.Split(values, ",")
		}
		if f.Tag.Get("nullable") == "true" {
			inner := g.of(f.Type)
			schema = map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}, "description": doc}
		}
		props[name] = schema
		if f.Tag.Get("required") == "true" {
			*required = append(*required, name)
		}
	}
}
