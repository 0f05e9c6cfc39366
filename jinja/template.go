package jinja

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure Compile.
type Options struct {
	Mode Mode
	// Templates: in-memory templates that {% include %}/{% import %}/{% from %} may name.
	// nil: those tags fail at compile time with "unsupported: include" etc. Never any file access.
	Templates map[string]string
	// RefuseUnknownNames makes Compile fail on an unknown filter or test wherever it is.
	// Without it the engine does as Jinja2 3.1: an unknown name inside an if statement or
	// a conditional expression compiles, and fails the render only if reached. Saving a
	// webhook sets it, so that a definition never names a filter the engine lacks.
	RefuseUnknownNames bool
}

// Limits bound one render; zero fields take DefaultLimits' values.
type Limits struct {
	Steps       int64         // evaluation steps (default 1_000_000)
	OutputBytes int           // bytes written (default 1 << 20)
	ValueBytes  int           // largest string (bytes) or list/dict (elements) any operation may build (default 1 << 20)
	Depth       int           // macro/call recursion depth (default 64)
	Timeout     time.Duration // wall-clock per render, on top of ctx's deadline (default 1 s)
}

// The values of DefaultLimits, as constants for fillDefaults.
const (
	defaultSteps       = 1_000_000
	defaultOutputBytes = 1 << 20
	defaultValueBytes  = 1 << 20
	defaultDepth       = 64
	defaultTimeout     = time.Second
)

// DefaultLimits returns the limits a zero Limits stands for.
func DefaultLimits() Limits {
	return Limits{Steps: defaultSteps, OutputBytes: defaultOutputBytes, ValueBytes: defaultValueBytes, Depth: defaultDepth, Timeout: defaultTimeout}
}

// fillDefaults sets zero (or negative) fields to DefaultLimits' values in place.
func (l *Limits) fillDefaults() {
	if l.Steps <= 0 {
		l.Steps = defaultSteps
	}
	if l.OutputBytes <= 0 {
		l.OutputBytes = defaultOutputBytes
	}
	if l.ValueBytes <= 0 {
		l.ValueBytes = defaultValueBytes
	}
	if l.Depth <= 0 {
		l.Depth = defaultDepth
	}
	if l.Timeout <= 0 {
		l.Timeout = defaultTimeout
	}
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
	pos   int  // the position of expr's {{ in the source, for errors

	// attrName and attrKey are set when expr is name.key (no dict method of that
	// name, no variables of the template's own): see evalAttr.
	attrName, attrKey string

	// keyPaths are the sequences of template texts (renderer.keyPath) whose
	// output was found free of duplicate keys: see keysProven.
	keyPaths keyPathMemos

	// spare holds one released renderer for the next call on this template. A
	// webhook renders the same few templates over and over, and an atomic swap
	// costs a fraction of sync.Pool's Get and Put; concurrent calls that find it
	// empty fall back to the pool. It holds no state of any render: release
	// clears the renderer before it is stored.
	spare atomic.Pointer[renderer]
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
	p.checkUnknown()
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
		var ids int32
		precomputeJSON(main.body, &ids)
		if err := checkSideBySide(main.src, main.body); err != nil {
			return nil, err
		}
		for _, c := range t.subs {
			precomputeJSON(c.body, &ids)
		}
	}
	if o := singleExpression(main.body); o != nil {
		t.expr, t.pos = o.e, o.pos
		if ga, ok := o.e.(*getattrExpr); ok && !ga.dictMethod && len(main.frame.undefInit) == 0 {
			if n, ok := ga.obj.(*nameExpr); ok {
				t.attrName, t.attrKey = n.name, ga.name
			}
		}
	}
	t.names = undeclaredNames(main.body, &main.frame)
	return t, nil
}

func (t *Template) subTemplate(name string) (*compiled, *Error) {
	if err, ok := t.serrs[name]; ok {
		return nil, err
	}
	return t.subs[name], nil
}

func singleExpression(body []stmt) *outputStmt {
	var e *outputStmt
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
			e = s
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

// Data is render data given as a lookup rather than a map, for callers that would
// otherwise build a map per render: Lookup returns the value of a top-level name (one of
// the render data types, see Render) and whether it is set. It is asked only for names
// the template reads (Names, and Jinja's globals, which data may shadow), and must
// answer the same for a name throughout a render.
type Data interface {
	Lookup(name string) (any, bool)
}

// mapData is a map as Data. A map is a pointer, so it becomes a Data without an
// allocation.
type mapData map[string]any

func (m mapData) Lookup(name string) (any, bool) {
	x, ok := m[name]
	return x, ok
}

var rendererPool = sync.Pool{New: func() any { return &renderer{} }}

func (t *Template) newRenderer(ctx context.Context, data Data, lim Limits) *renderer {
	r := t.spare.Swap(nil)
	if r == nil {
		r = rendererPool.Get().(*renderer)
	}
	r.t = t
	r.ctx = ctx
	r.lim = lim
	r.lim.fillDefaults()
	r.data = data
	r.src = t.main.src
	r.sc = &r.top
	return r
}

// release clears the renderer of everything the render put in it and keeps it for
// the next render. Fields a render that did not touch them leaves as they were are
// tested before they are cleared: most renders use none of them.
func (r *renderer) release() {
	t := r.t
	r.t = nil
	r.ctx = nil
	r.data = nil
	r.steps = 0
	r.depth = 0
	r.reprDepth = 0
	r.allocated = 0
	r.pos = 0
	r.jstate = 0
	r.jv = jsonStream{}
	r.jvPos = 0
	r.keyPath = r.keyPath[:0]
	r.keysUnproven = false
	r.deadline = time.Time{}
	// Only the pointers need clearing, so that the pool keeps no data alive;
	// three stores per hit are cheaper than clear's bulk pointer clearing.
	for i := range r.dataHits {
		h := &r.dataHits[i]
		h.name, h.v.s, h.v.p = "", "", nil
	}
	r.dataHits = r.dataHits[:0]
	if len(r.top.names) > 0 {
		r.top.reset()
	}
	r.top.parent = nil
	r.sc = nil
	r.lastObj, r.lastKey = nil, 0
	if len(r.caps) > 0 {
		clear(r.caps)
		r.caps = r.caps[:0]
	}
	r.folding = false
	r.printing = r.printing[:0]
	if len(r.argStack) > 0 {
		clear(r.argStack)
		r.argStack = r.argStack[:0]
	}
	if len(r.kwStack) > 0 {
		clear(r.kwStack)
		r.kwStack = r.kwStack[:0]
	}
	if cap(r.out) > 1<<16 {
		r.out = nil
	}
	if cap(r.tmp) > 1<<16 {
		r.tmp = nil
	}
	r.out = r.out[:0]
	r.tmp = r.tmp[:0]
	if !t.spare.CompareAndSwap(nil, r) {
		rendererPool.Put(r)
	}
}

// recoverFail, deferred, turns the render's unwinding and any unexpected panic
// into *err.
func (r *renderer) recoverFail(err **Error) {
	if x := recover(); x != nil {
		switch x := x.(type) {
		case renderFail:
			*err = x.err
		default:
			l, c := lineCol(r.src, r.pos)
			*err = &Error{Kind: kindRender, Line: l, Col: c, Msg: fmt.Sprintf("internal error: %v", x)}
		}
	}
}

// runBody executes the main body; a failed render returns its error.
func (r *renderer) runBody(body []stmt) (err *Error) {
	defer r.recoverFail(&err)
	if r.ctx.Err() != nil {
		r.failBudget("deadline", "render deadline exceeded")
	}
	r.initFrame(&r.top, &r.t.main.frame)
	r.execBody(body)
	return nil
}

// runExpr evaluates the single expression of t as data.
func (r *renderer) runExpr(t *Template) (out any, err *Error) {
	defer r.recoverFail(&err)
	if r.ctx.Err() != nil {
		r.failBudget("deadline", "render deadline exceeded")
	}
	r.initFrame(&r.top, &t.main.frame)
	r.pos = t.pos
	return r.evalData(t.expr), nil
}

// evalAttr is Eval for the most common Response Mapper, {{ name.key }} reading a
// scalar from a JSON object in the data: the lookups the renderer would make,
// with its checks (the context, two steps), without setting one up. ok is false
// whenever anything else could happen (not an object, no such key, a container
// or other value to convert, a step budget under two, a done context); the
// renderer then does the work and reports what there is to report.
func (t *Template) evalAttr(ctx context.Context, data Data, lim Limits) (any, bool) {
	if lim.Steps > 0 && lim.Steps < 2 || ctx.Err() != nil {
		return nil, false
	}
	x, _ := data.Lookup(t.attrName)
	o, ok := x.(*Object)
	if !ok || o == nil {
		return nil, false
	}
	i := o.find(t.attrKey)
	if i < 0 {
		return nil, false
	}
	switch x := o.vals[i]; x.(type) {
	case string, int64, float64, bool, nil:
		return x, true
	}
	return nil, false
}

// Render renders the template with data under the given limits.
func (t *Template) Render(ctx context.Context, data map[string]any, lim Limits) (string, error) {
	return t.RenderData(ctx, mapData(data), lim)
}

// RenderData is Render with the data given as a lookup.
func (t *Template) RenderData(ctx context.Context, data Data, lim Limits) (string, error) {
	r := t.newRenderer(ctx, data, lim)
	if err := r.runBody(t.main.body); err != nil {
		r.release()
		return "", err
	}
	if err := r.finish(); err != nil {
		r.release()
		return "", err
	}
	out := string(r.out)
	r.release()
	return out, nil
}

// Eval evaluates a template for which IsExpression is true and returns the value as data:
// nil, bool, int64, float64, string, []any, *Object, or Undefined{} when undefined.
// Other internal values (macros, cyclers, ...) come back as their printed string.
func (t *Template) Eval(ctx context.Context, data map[string]any, lim Limits) (any, error) {
	return t.EvalData(ctx, mapData(data), lim)
}

// EvalData is Eval with the data given as a lookup.
func (t *Template) EvalData(ctx context.Context, data Data, lim Limits) (any, error) {
	if t.expr == nil {
		return nil, &Error{Kind: kindRender, Msg: "template is not a single {{ expression }}"}
	}
	if t.attrName != "" {
		if x, ok := t.evalAttr(ctx, data, lim); ok {
			return x, nil
		}
	}
	r := t.newRenderer(ctx, data, lim)
	out, err := r.runExpr(t)
	r.release()
	if err != nil {
		return nil, err
	}
	return out, nil
}
