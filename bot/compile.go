package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
)

// Compiled is a validated bot definition with every template compiled:
// texts, prompts, retry prompts, overrides (each string value of a JSON
// object text), conditions and the error message. It is immutable and
// safe for concurrent use; the runtime keeps one per bot version.
type Compiled struct {
	def      hookline.BotDefinition
	modules  map[int64]*module
	global   []*connection
	start    int64
	idle     time.Duration
	maxSteps int
	errorMsg *text
}

type module struct {
	id          int64
	typ         hookline.ModuleType
	key         string
	text        *text // message and end: the text; collector: the prompt
	retry       *text // collector: the retry prompt; nil: the prompt again
	overrides   map[string]*text
	check       *answerCheck
	connections []*connection
}

type connection struct {
	path      string // "modules[2].connections[0]", for outcomes and notes
	cond      *jinja.Template
	webhooks  []int64
	onFailure int64
	to        int64
}

// text is a compiled text: a template string, or a JSON object whose
// string values are templates (leaves maps each such string node to its
// template; strings without tags are kept as written).
type text struct {
	tmpl   *jinja.Template
	obj    *node
	leaves map[*node]*jinja.Template
}

// Compile validates def (filling its defaults, see
// hookline.BotDefinition.Validate) and compiles every template in it.
// Webhook references must be ids by then (the service resolves names).
// An error is a CodeInvalid *hookline.Error whose Field is the path of the
// template at fault ("modules[2].text.buttons[0].title",
// "global_connections[0].condition") and whose message gives the line and
// column. An unknown filter or test anywhere is refused, as when a webhook
// is saved.
func Compile(def hookline.BotDefinition) (*Compiled, error) {
	return compile(def, true)
}

// compile is Compile; strict refuses unknown filters and tests anywhere.
// The runtime compiles stored bots leniently, as Jinja2 would, so that a
// bot saved before a filter was removed still runs its other branches.
func compile(def hookline.BotDefinition, strict bool) (*Compiled, error) {
	def = def.Clone()
	if err := def.Validate(); err != nil {
		return nil, err
	}
	for _, r := range def.WebhookRefs() {
		if r.Ref.ID == 0 {
			return nil, hookline.Invalid(r.Path, "webhook %q is not resolved to an id", r.Ref.Name)
		}
	}
	c := &Compiled{
		def: def, modules: make(map[int64]*module, len(def.Modules)), start: def.Start,
		idle: def.Settings.IdleTimeoutDuration(), maxSteps: def.Settings.MaxSteps,
	}
	var err error
	if c.errorMsg, err = compileString("settings.error_message", def.Settings.ErrorMessage, strict); err != nil {
		return nil, err
	}
	for i := range def.Modules {
		m := &def.Modules[i]
		at := fmt.Sprintf("modules[%d]", i)
		cm := &module{id: m.ID, typ: m.Type, key: m.Key}
		switch m.Type {
		case hookline.ModuleCollector:
			if cm.text, err = compileText(at+".prompt", m.Prompt, strict); err != nil {
				return nil, err
			}
			if len(m.RetryPrompt) > 0 {
				if cm.retry, err = compileText(at+".retry_prompt", m.RetryPrompt, strict); err != nil {
					return nil, err
				}
			}
			if cm.check, err = newAnswerCheck(m.Validate); err != nil {
				return nil, hookline.Invalid(at+".validate.pattern", "%v", err)
			}
		default:
			if cm.text, err = compileText(at+".text", m.Text, strict); err != nil {
				return nil, err
			}
		}
		for _, name := range sortedNames(m.Overrides) {
			if cm.overrides == nil {
				cm.overrides = map[string]*text{}
			}
			if cm.overrides[name], err = compileText(at+".overrides."+name, m.Overrides[name], strict); err != nil {
				return nil, err
			}
		}
		if cm.connections, err = compileConnections(at+".connections", m.Connections, strict); err != nil {
			return nil, err
		}
		c.modules[m.ID] = cm
	}
	if c.global, err = compileConnections("global_connections", def.GlobalConnections, strict); err != nil {
		return nil, err
	}
	return c, nil
}

// Definition returns the definition as validated, defaults filled in.
func (c *Compiled) Definition() hookline.BotDefinition { return c.def.Clone() }

func compileConnections(at string, cs []hookline.BotConnection, strict bool) ([]*connection, error) {
	out := make([]*connection, len(cs))
	for i, def := range cs {
		path := fmt.Sprintf("%s[%d]", at, i)
		cc := &connection{path: path, onFailure: def.OnFailure, to: def.To}
		for _, r := range def.Webhooks {
			cc.webhooks = append(cc.webhooks, r.ID)
		}
		if def.Condition != "" {
			var err error
			if cc.cond, err = compileCondition(path+".condition", def.Condition, strict); err != nil {
				return nil, err
			}
		}
		out[i] = cc
	}
	return out, nil
}

// compileCondition compiles a Jinja2 expression. It must be exactly one
// expression (checked by compiling it as {{ expression }}); it is then
// compiled as {% if expression %}1{% endif %}, which renders "1" exactly
// when the value is truthy as Python tells it (an undefined name is
// false, as are 0, "", [], {} and None).
func compileCondition(field, src string, strict bool) (*jinja.Template, error) {
	const open = "{{ "
	probe, err := jinja.Compile(open+src+" }}", jinja.Options{Mode: jinja.ModeText, RefuseUnknownNames: strict})
	if err != nil {
		return nil, templateError(field, err, len(open))
	}
	if !probe.IsExpression() {
		return nil, hookline.Invalid(field, "must be one expression, such as certainly.extractedData.age > 17, without {{ }} or {%% %%}")
	}
	const ifOpen = "{% if "
	t, err := jinja.Compile(ifOpen+src+" %}1{% endif %}", jinja.Options{Mode: jinja.ModeText, RefuseUnknownNames: strict})
	if err != nil {
		return nil, templateError(field, err, len(ifOpen))
	}
	return t, nil
}

// templateError words a compile error for the designer: the field, and
// the line and column in what they wrote (shift is the length of what
// was put before it on the first line).
func templateError(field string, err error, shift int) error {
	var je *jinja.Error
	if errors.As(err, &je) {
		e := *je
		if e.Line == 1 && e.Col > 0 {
			e.Col = max(1, e.Col-shift)
		}
		return &hookline.Error{Code: hookline.CodeInvalid, Field: field, Message: e.Error()}
	}
	return &hookline.Error{Code: hookline.CodeInvalid, Field: field, Message: err.Error()}
}

// compileText compiles a text: a JSON string or a JSON object.
func compileText(field string, raw json.RawMessage, strict bool) (*text, error) {
	root, err := parseJSON(raw)
	if err != nil {
		return nil, hookline.Invalid(field, "%s", hookline.ErrorMessage(err))
	}
	if root.kind == kString {
		return compileString(field, root.text, strict)
	}
	if root.kind != kObject {
		return nil, hookline.Invalid(field, "must be a string, or a JSON object (a template message) whose string values are templates")
	}
	t := &text{obj: root, leaves: map[*node]*jinja.Template{}}
	var walk func(n *node, path string) error
	walk = func(n *node, path string) error {
		switch n.kind {
		case kString:
			if !hasTags(n.text) {
				return nil
			}
			tmpl, err := jinja.Compile(n.text, jinja.Options{Mode: jinja.ModeText, RefuseUnknownNames: strict})
			if err != nil {
				return templateError(path, err, 0)
			}
			t.leaves[n] = tmpl
		case kArray:
			for i, item := range n.items {
				if err := walk(item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		case kObject:
			for i, k := range n.keys {
				if err := walk(n.items[i], path+"."+k); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root, field); err != nil {
		return nil, err
	}
	return t, nil
}

func compileString(field, src string, strict bool) (*text, error) {
	tmpl, err := jinja.Compile(src, jinja.Options{Mode: jinja.ModeText, RefuseUnknownNames: strict})
	if err != nil {
		return nil, templateError(field, err, 0)
	}
	return &text{tmpl: tmpl}, nil
}

func hasTags(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// limits bound each render of a bot's templates: a text is short, so it
// gets a tenth of a webhook body's budget.
var limits = jinja.Limits{Steps: 100_000, OutputBytes: 64 << 10, ValueBytes: 64 << 10, Depth: 32, Timeout: 200 * time.Millisecond}

// render renders a text against the template context: a JSON string, or
// the object with each templated string rendered.
func (t *text) render(ctx context.Context, data map[string]any) (json.RawMessage, error) {
	if t.tmpl != nil {
		s, err := t.tmpl.Render(ctx, data, limits)
		if err != nil {
			return nil, err
		}
		return appendString(nil, s), nil
	}
	var firstErr error
	var write func(b []byte, n *node) []byte
	write = func(b []byte, n *node) []byte {
		switch n.kind {
		case kString:
			if tmpl, ok := t.leaves[n]; ok {
				s, err := tmpl.Render(ctx, data, limits)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				return appendString(b, s)
			}
			return appendString(b, n.text)
		case kArray:
			b = append(b, '[')
			for i, item := range n.items {
				if i > 0 {
					b = append(b, ',')
				}
				b = write(b, item)
			}
			return append(b, ']')
		case kObject:
			b = append(b, '{')
			for i, k := range n.keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(appendString(b, k), ':')
				b = write(b, n.items[i])
			}
			return append(b, '}')
		}
		return appendJSON(b, n)
	}
	out := write(nil, t.obj)
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// truthy evaluates a compiled condition (see compileCondition).
func truthy(ctx context.Context, cond *jinja.Template, data map[string]any) (bool, error) {
	s, err := cond.Render(ctx, data, limits)
	return s == "1", err
}

// answerCheck is a collector's validation, its pattern compiled.
type answerCheck struct {
	typ     hookline.ValidationType
	re      *regexp.Regexp
	options []string
}

func newAnswerCheck(v *hookline.BotValidation) (*answerCheck, error) {
	c := &answerCheck{typ: v.Type, options: v.Options}
	if v.Type == hookline.ValidateRegex {
		re, err := regexp.Compile(`^(?:` + v.Pattern + `)$`)
		if err != nil {
			return nil, err
		}
		c.re = re
	}
	return c, nil
}

func sortedNames[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
