package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
)

// Compiled is a validated definition with its templates compiled. It is
// immutable and safe for concurrent use.
type Compiled struct {
	def      hookline.WebhookDefinition
	url      *jinja.Template
	urlNames []string // context values the URL needs
	values   []compiledValue
	headers  []compiledKV
	params   []compiledKV
	body     *jinja.Template // nil: no body
	mappers  []compiledMapper
	// secrets are the forms of the definition's secrets that scrub masks
	// in response text (see echoForms), basic auth's encoded credentials
	// included.
	// plainErr is the first plain-text field that does not render (see
	// checkPlainText); nil when they all do.
	plainErr error
	secrets  []string
	limits   jinja.Limits

	// What every request of this definition shares, worked out once from
	// the definition.

	// fixed are the headers Build sets after the definition's own, in
	// order: the default Content-Type and Accept, then the auth header.
	fixed []fixedHeader
	auth  authHeader
	// secretHeaders names the API key header and the secret headers, and
	// secretParams the API key and secret query parameters, which egress
	// must not carry to another origin on a redirect; shared by every
	// request, never written to.
	secretHeaders []string
	secretParams  []string
	// origin is where the secrets may go (see EndpointOrigin): "" when the
	// definition has none, or when its origin cannot be told before a run.
	origin string
	// basicCred is the base64 user:password of basic auth.
	basicCred string
}

// fixedHeader is a header whose value is known at compile time.
type fixedHeader struct {
	key   string
	value string
	// ifUnset: a default, set only when the definition's headers left the
	// header unset or empty; else it replaces them.
	ifUnset bool
}

// authHeader is the header the auth adds, if any.
type authHeader struct {
	key, value string
}

type compiledValue struct {
	name    string
	literal string
	tmpl    *jinja.Template // nil when the value has no template tags
}

type compiledKV struct {
	field  string // JSON path, for errors
	key    string // canonical for headers
	tmpl   *jinja.Template
	secret bool // see hookline.KeyValue.IsSecret
	// plain: the value has no template tags, so it renders as written.
	plain bool
}

type compiledMapper struct {
	field string
	name  string
	tmpl  *jinja.Template
	expr  bool // exactly one {{ expression }}: keeps the JSON type
}

// builtinNames are Jinja's global functions: a URL using them needs no
// context value.
var builtinNames = []string{"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop", "true", "false", "none", "True", "False", "None"}

// Compile validates def (filling its defaults, see hookline.WebhookDefinition.Validate)
// and compiles every template in it. An error is a CodeInvalid
// *hookline.Error whose Field is the JSON path of the template at fault
// ("body", "headers[0].value", "custom_variables[1].mapper") and whose
// message gives the line and column.
//
// An unknown filter or test in a branch that is not taken fails only when
// reached, as in Python's Jinja2: a definition saved before a filter was
// removed still runs its other branches. Saving refuses one anywhere (see
// Check).
func Compile(def hookline.WebhookDefinition) (*Compiled, error) {
	return compile(def, false)
}

// compile is Compile; strict refuses an unknown filter or test anywhere,
// as saving does.
func compile(def hookline.WebhookDefinition, strict bool) (*Compiled, error) {
	def = def.Clone()
	if err := def.Validate(); err != nil {
		return nil, err
	}
	c := &Compiled{def: def, limits: jinja.DefaultLimits()}

	var err error
	if c.url, err = compileField("url", def.URL, jinja.ModeURL, strict); err != nil {
		return nil, err
	}
	c.urlNames = contextNames(c.url, def.Params)

	for _, name := range slices.Sorted(maps.Keys(def.ContextValues)) {
		v := def.ContextValues[name]
		cv := compiledValue{name: name, literal: v}
		if hasTags(v) {
			if cv.tmpl, err = compileField("context_values."+name, v, jinja.ModeText, strict); err != nil {
				return nil, err
			}
		}
		c.values = append(c.values, cv)
	}

	if c.headers, err = compileKVs("headers", def.Headers, jinja.ModeHeader, strict); err != nil {
		return nil, err
	}
	// Param values are percent-encoded after rendering, so any text,
	// line breaks included, is fine in them.
	if c.params, err = compileKVs("params", def.Params, jinja.ModeText, strict); err != nil {
		return nil, err
	}
	if strings.TrimSpace(def.Body) != "" {
		if c.body, err = compileField("body", def.Body, jinja.ModeJSON, strict); err != nil {
			return nil, err
		}
	}
	for i, v := range def.CustomVariables {
		field := fmt.Sprintf("custom_variables[%d].mapper", i)
		t, err := compileField(field, v.Mapper, jinja.ModeText, strict)
		if err != nil {
			return nil, err
		}
		c.mappers = append(c.mappers, compiledMapper{field: field, name: v.Name, tmpl: t, expr: t.IsExpression()})
	}
	c.prepare()
	c.secrets = echoForms(append(def.Secrets(), c.basicCred)...)
	if len(secretFields(&c.def)) > 0 {
		// An origin that cannot be told now is left to the save-time
		// checks (see CheckCredentialOrigin); a run does not refuse it.
		c.origin, _, _ = EndpointOrigin(endpointOf(&c.def))
	}
	return c, nil
}

// prepare works out what every request shares: the canonical header
// names, the default and auth headers. A plain-text URL or header value
// that does not render is noted for Check (see plainErr); Build reports it
// on each run.
func (c *Compiled) prepare() {
	def := &c.def
	if !hasTags(def.URL) {
		if _, err := c.renderStatic(c.url); err != nil {
			c.notPlain("url", err)
		}
	}
	for i := range c.headers {
		kv := &c.headers[i]
		kv.key = http.CanonicalHeaderKey(kv.key)
		if kv.secret && !slices.Contains(c.secretHeaders, kv.key) {
			c.secretHeaders = append(c.secretHeaders, kv.key)
		}
		if !hasTags(def.Headers[i].Value) && def.Headers[i].Type != hookline.ValueVariable {
			if _, err := c.renderStatic(kv.tmpl); err != nil {
				c.notPlain(kv.field, err)
			}
		}
	}

	if c.body != nil {
		c.fixed = append(c.fixed, fixedHeader{"Content-Type", "application/json", true})
	}
	switch def.ResponseType {
	case hookline.ResponseJSON:
		c.fixed = append(c.fixed, fixedHeader{"Accept", "application/json", true})
	case hookline.ResponseXML:
		c.fixed = append(c.fixed, fixedHeader{"Accept", "application/xml, text/xml;q=0.9", true})
	}
	switch a := def.Auth; a.Type {
	case hookline.AuthBasic:
		c.basicCred = base64.StdEncoding.EncodeToString([]byte(a.Username + ":" + a.Password))
		c.auth = authHeader{key: "Authorization", value: "Basic " + c.basicCred}
	case hookline.AuthBearer:
		c.auth = authHeader{key: "Authorization", value: "Bearer " + a.Token}
	case hookline.AuthAPIKey:
		if a.In == hookline.APIKeyInHeader {
			c.auth = authHeader{key: http.CanonicalHeaderKey(a.Name), value: a.Value}
			c.secretHeaders = append(c.secretHeaders, c.auth.key)
		} else {
			c.secretParams = append(c.secretParams, a.Name)
		}
	}
	if c.auth.key != "" {
		c.fixed = append(c.fixed, fixedHeader{c.auth.key, c.auth.value, false})
	}
	for _, p := range c.params {
		if p.secret && !slices.Contains(c.secretParams, p.key) {
			c.secretParams = append(c.secretParams, p.key)
		}
	}
}

// renderStatic renders a template without template tags, which needs no
// data and always gives the same text.
func (c *Compiled) renderStatic(t *jinja.Template) (string, error) {
	return t.Render(context.Background(), nil, c.limits)
}

// notPlain records that the plain-text field does not render, unless an
// earlier field already did not.
func (c *Compiled) notPlain(field string, err error) {
	if c.plainErr == nil {
		e := hookline.Invalid(field, "%s", renderMessage(field, err))
		// Text without tags renders as itself: a position in the output
		// is one in the source.
		var je *jinja.Error
		if errors.As(err, &je) {
			e.Line, e.Column = je.Line, je.Col
		}
		c.plainErr = e
	}
}

// Check validates def for saving: Compile, every context value the URL
// needs is set, and what would fail on every run fails now: plain text
// that does not render (see checkPlainText), context values that cannot
// form the URL's host (see EndpointOrigin) and a body over a render budget
// with the sample conversation (see checkSampleBody). Defaults are filled
// into def.
func Check(def *hookline.WebhookDefinition) error {
	c, err := compile(*def, true)
	if err != nil {
		return err
	}
	for _, name := range c.urlNames {
		if _, ok := c.def.ContextValues[name]; !ok {
			return hookline.Invalid("context_values."+name, "the URL uses {{%s}}: set a value for it", name)
		}
	}
	if err := c.checkPlainText(); err != nil {
		return err
	}
	if _, _, err := EndpointOrigin(endpointOf(&c.def)); err != nil {
		return err
	}
	if err := c.checkSampleBody(); err != nil {
		return err
	}
	*def = c.def
	return nil
}

// checkSampleBody renders a body that has tags against the sample
// conversation (SampleConversation). A body over a render budget there
// (steps, output, memory) is refused: real conversations are no smaller,
// so every run would fail too. Other failures are left to the run, where
// the real conversation may well define what the sample does not.
func (c *Compiled) checkSampleBody() error {
	if c.body == nil || !hasTags(c.def.Body) {
		return nil
	}
	conv := SampleConversation()
	data, err := ConversationData(&conv)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if data, err = c.withContextValues(ctx, data); err != nil {
		return nil
	}
	_, err = c.body.Render(ctx, data, c.limits)
	var je *jinja.Error
	if errors.As(err, &je) && je.Kind == "budget" {
		return hookline.Invalid("body", "rendered with the sample conversation, the body exceeds the %s budget, so no run could send it: %s", je.Budget, templateMessage(err))
	}
	return nil
}

// checkPlainText reports a field without template tags that does not
// render, which every run would render the same way: one that fails (a URL
// with a space, a header value with a line break, a body that is not JSON)
// could never be sent, so it is refused when the definition is saved rather
// than on each run. prepare rendered the URL and header values already;
// only the body is rendered here.
func (c *Compiled) checkPlainText() error {
	if c.plainErr == nil && c.body != nil && !hasTags(c.def.Body) {
		if _, err := c.renderStatic(c.body); err != nil {
			c.notPlain("body", err)
		}
	}
	return c.plainErr
}

// ContextNames lists the context values def's URL needs: the names it
// reads other than the conversation roots (certainly, conversation, fb,
// context), Jinja's globals and the param keys, in order of first use.
func ContextNames(def hookline.WebhookDefinition) ([]string, error) {
	t, err := compileField("url", def.URL, jinja.ModeURL, false)
	if err != nil {
		return nil, err
	}
	return contextNames(t, def.Params), nil
}

func contextNames(t *jinja.Template, params []hookline.KeyValue) []string {
	var names []string
	for _, n := range t.Names() {
		if slices.Contains(hookline.ContextRoots, n) || slices.Contains(builtinNames, n) ||
			slices.ContainsFunc(params, func(p hookline.KeyValue) bool { return p.Key == n }) {
			continue
		}
		names = append(names, n)
	}
	return names
}

// Definition returns the definition as validated, defaults filled in.
func (c *Compiled) Definition() hookline.WebhookDefinition { return c.def.Clone() }

// ContextNames lists the context values the URL needs.
func (c *Compiled) ContextNames() []string { return slices.Clone(c.urlNames) }

func compileKVs(list string, kvs []hookline.KeyValue, mode jinja.Mode, strict bool) ([]compiledKV, error) {
	out := make([]compiledKV, 0, len(kvs))
	for i, kv := range kvs {
		field := fmt.Sprintf("%s[%d].value", list, i)
		src := kv.Value
		if kv.Type == hookline.ValueVariable {
			if err := CheckContextPath(kv.Value); err != nil {
				return nil, hookline.Invalid(field, "%v", err)
			}
			src = "{{ " + kv.Value + " }}"
		}
		t, err := compileField(field, src, mode, strict)
		if err != nil {
			return nil, err
		}
		out = append(out, compiledKV{field: field, key: kv.Key, tmpl: t, secret: kv.IsSecret(), plain: !hasTags(src)})
	}
	return out, nil
}

// compileField compiles one template of a definition. With strict, as on
// save, an unknown filter or test is refused anywhere, even in a branch
// that Jinja2 would only fail when reached (DESIGN.md's save-time rule).
func compileField(field, src string, mode jinja.Mode, strict bool) (*jinja.Template, error) {
	t, err := jinja.Compile(src, jinja.Options{Mode: mode, RefuseUnknownNames: strict})
	if err != nil {
		// The message is complete (line, column, what is wrong); the
		// engine's error is not kept, so that it is not repeated in logs.
		e := &hookline.Error{Code: hookline.CodeInvalid, Field: field, Message: templateMessage(err)}
		e.Line, e.Column = sourcePosition(err)
		return nil, e
	}
	return t, nil
}

// sourcePosition is where in the template's source a template error lies,
// 0, 0 when unknown or when the error lies in the rendered text instead.
func sourcePosition(err error) (line, column int) {
	var je *jinja.Error
	if !errors.As(err, &je) || je.Kind == "output" {
		return 0, 0
	}
	return je.Line, je.Col
}

// templateMessage words a template error for the person who wrote the
// template: the engine's message already starts with the line and column.
func templateMessage(err error) string {
	var je *jinja.Error
	if errors.As(err, &je) {
		return je.Error()
	}
	return err.Error()
}

func hasTags(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}
