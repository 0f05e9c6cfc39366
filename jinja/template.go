package jinja

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Options configure Compile.
type Options struct {
	Mode Mode
	// Templates: in-memory templates that {% include %}/{% import %}/{% from %} may name.
	// nil: those tags fail at compile time with "unsupported: include" etc. Never any file access.
	Templates map[string]string
}

// Limits bound one render; zero fields take DefaultLimits' values.
type Limits struct {
	Steps       int64         // evaluation steps (default 1_000_000)
	OutputBytes int           // bytes written (default 1 << 20)
	ValueBytes  int           // largest string (bytes) or list/dict (elements) any operation may build (default 1 << 20)
	Depth       int           // macro/call recursion depth (default 64)
	Timeout     time.Duration // wall-clock per render, on top of ctx's deadline (default 1 s)
}

// DefaultLimits returns the limits a zero Limits stands for.
func DefaultLimits() Limits {
	return Limits{Steps: 1_000_000, OutputBytes: 1 << 20, ValueBytes: 1 << 20, Depth: 64, Timeout: time.Second}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Steps <= 0 {
		l.Steps = d.Steps
	}
	if l.OutputBytes <= 0 {
		l.OutputBytes = d.OutputBytes
	}
	if l.ValueBytes <= 0 {
		l.ValueBytes = d.ValueBytes
	}
	if l.Depth <= 0 {
		l.Depth = d.Depth
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// compiled is one parsed template source.
type compiled struct {
	src   string
	body  []stmt
	frame frameInfo
}

// Template is immutable after Compile and safe for concurrent Render calls.
type Template struct {
	mode  Mode
	main  *compiled
	subs  map[string]*compiled
	serrs map[string]*Error
	names []string
	expr  expr // non-nil when the source is exactly one {{ expression }}
}

func parseSource(src string, opts *Options) (c *compiled, err *Error) {
	src = normalizeSource(src)
	toks, lerr := tokenize(src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{src: src, toks: toks, opts: opts}
	defer func() {
		if x := recover(); x != nil {
			if pe, ok := x.(parseError); ok {
				c, err = nil, pe.err
				return
			}
			c, err = nil, &Error{Kind: kindRender, Msg: fmt.Sprintf("internal error while compiling: %v", x)}
		}
	}()
	body := p.parseTemplate()
	c = &compiled{src: src, body: body}
	analyzeFrame(body, nil, nil, &c.frame)
	return c, nil
}

// Compile parses a template. The error is a *Error with Kind "syntax" or "unsupported".
func Compile(src string, opts Options) (t *Template, err error) {
	defer func() {
		if x := recover(); x != nil {
			t, err = nil, &Error{Kind: kindRender, Msg: fmt.Sprintf("internal error while compiling: %v", x)}
		}
	}()
	return compile(src, opts)
}

func compile(src string, opts Options) (*Template, error) {
	main, err := parseSource(src, &opts)
	if err != nil {
		return nil, err
	}
	t := &Template{mode: opts.Mode, main: main}
	if opts.Templates != nil {
		t.subs = map[string]*compiled{}
		t.serrs = map[string]*Error{}
		for name, s := range opts.Templates {
			c, err := parseSource(s, &opts)
			if err != nil {
				err.Msg = "in template " + pyRepr(name) + ": " + err.Msg
				t.serrs[name] = err
				continue
			}
			t.subs[name] = c
		}
	}
	if opts.Mode == ModeJSON {
		precomputeJSON(main.body)
		for _, c := range t.subs {
			precomputeJSON(c.body)
		}
	}
	t.expr = singleExpression(main.body)
	t.names = undeclaredNames(main.body, &main.frame)
	return t, nil
}

func (t *Template) subTemplate(name string) (*compiled, *Error) {
	if err, ok := t.serrs[name]; ok {
		return nil, err
	}
	return t.subs[name], nil
}

func singleExpression(body []stmt) expr {
	var e expr
	for _, s := range body {
		switch s := s.(type) {
		case *textStmt:
			if strings.TrimSpace(s.s) != "" {
				return nil
			}
		case *outputStmt:
			if e != nil {
				return nil
			}
			e = s.e
		default:
			return nil
		}
	}
	return e
}

// IsExpression reports whether the source is exactly one {{ expression }}, optionally with
// surrounding whitespace: a Response Mapper of that form keeps the value's JSON type.
func (t *Template) IsExpression() bool { return t.expr != nil }

// Names lists the undeclared top-level variable names the template reads, in order of
// first appearance (like jinja2.meta.find_undeclared_variables).
func (t *Template) Names() []string { return append([]string(nil), t.names...) }

var rendererPool = sync.Pool{New: func() any { return &renderer{} }}

func (t *Template) newRenderer(ctx context.Context, data map[string]any, lim Limits) *renderer {
	r := rendererPool.Get().(*renderer)
	r.t = t
	r.ctx = ctx
	r.lim = lim.withDefaults()
	r.data = data
	r.src = t.main.src
	r.sc = &r.top
	initFrame(&r.top, &t.main.frame)
	return r
}

func (r *renderer) release() {
	r.t = nil
	r.ctx = nil
	r.data = nil
	r.steps = 0
	r.depth = 0
	r.reprDepth = 0
	r.allocated = 0
	r.pos = 0
	r.jstate = 0
	r.deadline = time.Time{}
	clear(r.dataHits)
	r.dataHits = r.dataHits[:0]
	r.top.reset()
	r.top.parent = nil
	r.sc = nil
	clear(r.caps)
	r.caps = r.caps[:0]
	r.folding = false
	r.printing = r.printing[:0]
	clear(r.argStack)
	r.argStack = r.argStack[:0]
	clear(r.kwStack)
	r.kwStack = r.kwStack[:0]
	if cap(r.out) > 1<<16 {
		r.out = nil
	}
	if cap(r.tmp) > 1<<16 {
		r.tmp = nil
	}
	r.out = r.out[:0]
	r.tmp = r.tmp[:0]
	rendererPool.Put(r)
}

// run executes f, turning the render's unwinding and any unexpected panic into an error.
func (r *renderer) run(f func()) (err *Error) {
	defer func() {
		if x := recover(); x != nil {
			switch x := x.(type) {
			case renderFail:
				err = x.err
			default:
				l, c := lineCol(r.src, r.pos)
				err = &Error{Kind: kindRender, Line: l, Col: c, Msg: fmt.Sprintf("internal error: %v", x)}
			}
		}
	}()
	if r.ctx.Err() != nil {
		r.failBudget("deadline", "render deadline exceeded")
	}
	f()
	return nil
}

// Render renders the template with data under the given limits.
func (t *Template) Render(ctx context.Context, data map[string]any, lim Limits) (string, error) {
	r := t.newRenderer(ctx, data, lim)
	defer r.release()
	if err := r.run(func() { r.execBody(t.main.body) }); err != nil {
		return "", err
	}
	if err := r.finish(); err != nil {
		return "", err
	}
	return string(r.out), nil
}

// Eval evaluates a template for which IsExpression is true and returns the value as data:
// nil, bool, int64, float64, string, []any, *Object, or Undefined{} when undefined.
// Other internal values (macros, cyclers, ...) come back as their printed string.
func (t *Template) Eval(ctx context.Context, data map[string]any, lim Limits) (any, error) {
	if t.expr == nil {
		return nil, &Error{Kind: kindRender, Msg: "template is not a single {{ expression }}"}
	}
	r := t.newRenderer(ctx, data, lim)
	defer r.release()
	var out any
	if err := r.run(func() {
		for _, s := range t.main.body {
			if o, ok := s.(*outputStmt); ok {
				r.pos = o.pos
				out = r.evalData(o.e)
			}
		}
	}); err != nil {
		return nil, err
	}
	return out, nil
}
