package webhook

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
)

// Compiled is a validated definition with its templates compiled. It is
// immutable and safe for concurrent use.
type Compiled struct {
	def      hookline.Webhook
	url      *jinja.Template
	urlNames []string // context values the URL needs
	values   []compiledValue
	headers  []compiledKV
	params   []compiledKV
	body     *jinja.Template // nil: no body
	mappers  []compiledMapper
	secrets  []string
	limits   jinja.Limits
}

type compiledValue struct {
	name    string
	literal string
	tmpl    *jinja.Template // nil when the value has no template tags
}

type compiledKV struct {
	field string // JSON path, for errors
	key   string
	tmpl  *jinja.Template
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

// Compile validates def (filling its defaults, see hookline.Webhook.Validate)
// and compiles every template in it. An error is a CodeInvalid
// *hookline.Error whose Field is the JSON path of the template at fault
// ("body", "headers[0].value", "custom_variables[1].mapper") and whose
// message gives the line and column.
func Compile(def hookline.Webhook) (*Compiled, error) {
	def = def.Clone()
	if err := def.Validate(); err != nil {
		return nil, err
	}
	c := &Compiled{def: def, limits: jinja.DefaultLimits(), secrets: def.Secrets()}

	var err error
	if c.url, err = compileField("url", def.URL, jinja.ModeURL); err != nil {
		return nil, err
	}
	c.urlNames = contextNames(c.url, def.Params)

	for _, name := range sortedKeys(def.ContextValues) {
		v := def.ContextValues[name]
		cv := compiledValue{name: name, literal: v}
		if hasTags(v) {
			if cv.tmpl, err = compileField("context_values."+name, v, jinja.ModeText); err != nil {
				return nil, err
			}
		}
		c.values = append(c.values, cv)
	}

	if c.headers, err = compileKVs("headers", def.Headers, jinja.ModeHeader); err != nil {
		return nil, err
	}
	// Param values are percent-encoded after rendering, so any text,
	// line breaks included, is fine in them.
	if c.params, err = compileKVs("params", def.Params, jinja.ModeText); err != nil {
		return nil, err
	}
	if strings.TrimSpace(def.Body) != "" {
		if c.body, err = compileField("body", def.Body, jinja.ModeJSON); err != nil {
			return nil, err
		}
	}
	for i, v := range def.CustomVariables {
		field := fmt.Sprintf("custom_variables[%d].mapper", i)
		t, err := compileField(field, v.Mapper, jinja.ModeText)
		if err != nil {
			return nil, err
		}
		c.mappers = append(c.mappers, compiledMapper{field: field, name: v.Name, tmpl: t, expr: t.IsExpression()})
	}
	return c, nil
}

// Check validates def for saving: Compile, and every context value the URL
// needs is set. Defaults are filled into def.
func Check(def *hookline.Webhook) error {
	c, err := Compile(*def)
	if err != nil {
		return err
	}
	for _, name := range c.urlNames {
		if _, ok := c.def.ContextValues[name]; !ok {
			return hookline.Invalid("context_values."+name, "the URL uses {{%s}}: set a value for it", name)
		}
	}
	*def = c.def
	return nil
}

// ContextNames lists the context values def's URL needs: the names it
// reads other than the conversation roots (certainly, conversation, fb,
// context), Jinja's globals and the param keys, in order of first use.
func ContextNames(def hookline.Webhook) ([]string, error) {
	t, err := compileField("url", def.URL, jinja.ModeURL)
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

// Webhook returns the definition as validated, defaults filled in.
func (c *Compiled) Webhook() hookline.Webhook { return c.def.Clone() }

// ContextNames lists the context values the URL needs.
func (c *Compiled) ContextNames() []string { return slices.Clone(c.urlNames) }

func compileKVs(list string, kvs []hookline.KeyValue, mode jinja.Mode) ([]compiledKV, error) {
	out := make([]compiledKV, 0, len(kvs))
	for i, kv := range kvs {
		field := fmt.Sprintf("%s[%d].value", list, i)
		src := kv.Value
		if kv.Type == hookline.ValueVariable {
			src = "{{ " + kv.Value + " }}"
		}
		t, err := compileField(field, src, mode)
		if err != nil {
			return nil, err
		}
		out = append(out, compiledKV{field: field, key: kv.Key, tmpl: t})
	}
	return out, nil
}

func compileField(field, src string, mode jinja.Mode) (*jinja.Template, error) {
	t, err := jinja.Compile(src, jinja.Options{Mode: mode})
	if err != nil {
		// The message is complete (line, column, what is wrong); the
		// engine's error is not kept, so that it is not repeated in logs.
		return nil, &hookline.Error{Code: hookline.CodeInvalid, Field: field, Message: templateMessage(err)}
	}
	return t, nil
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
