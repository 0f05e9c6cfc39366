package jinja

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unsafe"
)

type kwArg struct {
	name string
	v    Value
}

type filterFunc func(r *renderer, v Value, args []Value, kw []kwArg) Value
type testFunc func(r *renderer, v Value, args []Value, kw []kwArg) bool

// renderer is the state of one render. It is pooled; nothing in it outlives the render.
type renderer struct {
	t        *Template
	ctx      context.Context
	lim      Limits
	steps    int64
	deadline time.Time
	data     Data
	top      scope
	sc       *scope
	depth    int
	pos      int
	src      string

	out       []byte   // the final output
	caps      [][]byte // capture buffers ({% set %} blocks, macros, filter blocks)
	tmp       []byte
	argStack  []Value
	kwStack   []kwArg
	printing  []any // containers being printed, to spot cycles as Python's repr does
	reprDepth int
	folding   bool  // evaluating as Jinja's compile-time optimizer
	allocated int64 // bytes and elements built so far, against a multiple of ValueBytes

	jstate uint8 // ModeJSON: lexical state of the output so far

	// ModeJSON: the output's recognizer and how much of the output it has read.
	jv    jsonStream
	jvPos int
	// jsonNonFinite is set when appendJSON writes Infinity or NaN, as Python's json
	// does, which are not JSON.
	jsonNonFinite bool
	// keySpans and keyLevels are duplicateKey's scratch space, kept between renders.
	keySpans  []keySpan
	keyLevels []keyLevel
	// keyPath lists the template texts written to the output, in order, and
	// keysUnproven is set when anything else may have written a key: see
	// keysProven.
	keyPath      []int32
	keysUnproven bool

	// dataHits remembers the top-level names this render has read from data, which
	// never changes during a render: templates read the same few names over and
	// over (certainly.x, ticket.y), and scanning a handful is cheaper than the map.
	dataHits []dataHit

	// lastObj and lastKey are where getattr last found a key in a JSON object
	// this render, the first place it looks next time.
	lastObj *Object
	lastKey int
}

type dataHit struct {
	name string
	v    Value
	ok   bool // name is in data
}

// maxDataHits bounds the scan; names beyond it are looked up in the map each time.
const maxDataHits = 8

// renderFail unwinds a render; Render recovers it.
type renderFail struct{ err *Error }

func (r *renderer) fail(kind, msg string) {
	e := &Error{Kind: kind, Msg: msg}
	if r.src != "" || r.pos > 0 {
		e.Line, e.Col = lineCol(r.src, r.pos)
	}
	panic(renderFail{e})
}

func (r *renderer) failf(kind, format string, args ...any) {
	r.fail(kind, fmt.Sprintf(format, args...))
}

func (r *renderer) failBudget(budget, msg string) {
	e := &Error{Kind: kindBudget, Budget: budget, Msg: msg}
	e.Line, e.Col = lineCol(r.src, r.pos)
	panic(renderFail{e})
}

func (r *renderer) failUndef(v Value) {
	r.fail(kindUndefined, v.undefMessage())
}

func (r *renderer) step() {
	r.steps++
	// Small enough to inline: every expression node takes a step.
	if r.steps > r.lim.Steps || r.steps&1023 == 0 {
		r.stepCheck()
	}
}

func (r *renderer) stepCheck() {
	if r.steps > r.lim.Steps {
		r.failBudget("steps", "step budget exceeded ("+strconv.FormatInt(r.lim.Steps, 10)+" steps)")
	}
	if r.steps&1023 == 0 {
		r.checkDeadline()
	}
}

// work charges an operation proportional to n (bytes or elements scanned) to the step
// budget, one step per workBytesPerStep, so that long linear operations, alone or
// repeated in a loop, end within the budget's time.
func (r *renderer) work(n int) {
	if n < workBytesPerStep {
		return
	}
	r.charge(n / workBytesPerStep)
}

// chargePieces charges an operation that cuts a string into about n pieces (a
// split, lines, words), before it cuts: each piece is a string and a Value, built
// at about the cost of binding a name, and a 1 MB string can give half a million.
func (r *renderer) chargePieces(n int) { r.charge(n * bindSteps) }

// countBreaks counts the bytes of s that end a line for Python's splitlines (the
// rare multi-byte separators aside) or, with spaces, also the whitespace that
// separates words: an upper bound of the pieces a split makes, read at memory
// speed.
func countBreaks(s string, spaces bool) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e:
			n++
		case ' ', '\t':
			if spaces {
				n++
			}
		}
	}
	return n
}

// bindSteps is what binding one name (or storing one dict entry) costs: hashing
// it into a map takes about four times a simple step.
const bindSteps = 4

// workBytesPerStep is how many bytes an operation reads or writes for one step. A
// step of the simplest loop takes about 15 ns; copying or case-mapping 8 bytes
// takes about as long, so that the step budget bounds time whatever it is spent on.
const workBytesPerStep = 8

// charge counts n steps at once, for an operation whose work is proportional to n
// (names assigned, elements built, bytes copied), and checks the deadline each
// time the count passes a multiple of 1024, as step does.
func (r *renderer) charge(n int) {
	before := r.steps
	r.steps += int64(n)
	if r.steps > r.lim.Steps {
		r.failBudget("steps", "step budget exceeded ("+strconv.FormatInt(r.lim.Steps, 10)+" steps)")
	}
	if r.steps>>10 != before>>10 {
		r.checkDeadline()
	}
}

func (r *renderer) checkDeadline() {
	if r.ctx.Err() != nil {
		r.failBudget("deadline", "render deadline exceeded")
	}
	now := time.Now()
	if r.deadline.IsZero() {
		// The clock is first read here, not when the render starts: most renders
		// end long before their first check (1024 steps, or the first operation
		// on a KiB of data), and the time before it is that short.
		r.deadline = now.Add(r.lim.Timeout)
		if d, ok := r.ctx.Deadline(); ok && d.Before(r.deadline) {
			r.deadline = d
		}
	}
	if now.After(r.deadline) {
		r.failBudget("deadline", "render deadline exceeded")
	}
}

// checkSize fails before a string of n bytes or a container of n elements is built.
// checkSize and checkOutput run on every value built and every write: the
// failures are calls of their own so that the checks inline.
func (r *renderer) checkSize(n int) {
	if n > r.lim.ValueBytes || n < 0 {
		r.valueTooLarge()
	}
}

func (r *renderer) valueTooLarge() {
	r.failBudget("value", "value too large (limit "+strconv.Itoa(r.lim.ValueBytes)+")")
}

// alloc charges a string of n bytes about to be built: each value stays under
// ValueBytes and the render as a whole under allocFactor times that.
func (r *renderer) alloc(n int) {
	if r.lim.ValueBytes == 0 {
		return // the scratch renderer of valuesEqual, which builds nothing lasting
	}
	r.checkSize(n)
	r.work(n)
	r.allocated += int64(n)
	if r.allocated > allocFactor*int64(r.lim.ValueBytes) {
		r.failBudget("value", "render built too much data (limit "+strconv.FormatInt(allocFactor*int64(r.lim.ValueBytes), 10)+" bytes in all)")
	}
}

const allocFactor = 64

// valueSize is what one list element costs in memory.
const valueSize = int(unsafe.Sizeof(Value{}))

// allocElems charges a list or tuple of n elements: n against ValueBytes, and the
// memory it takes against the render's total.
func (r *renderer) allocElems(n int) {
	if r.lim.ValueBytes == 0 {
		return
	}
	r.checkSize(n)
	r.work(n * valueSize)
	r.allocated += int64(n) * int64(valueSize)
	if r.allocated > allocFactor*int64(r.lim.ValueBytes) {
		r.failBudget("value", "render built too much data (limit "+strconv.FormatInt(allocFactor*int64(r.lim.ValueBytes), 10)+" bytes in all)")
	}
}

func (r *renderer) checkSize64(n int64) {
	if n > int64(r.lim.ValueBytes) || n < 0 {
		r.valueTooLarge()
	}
}

// ---- output ----

func (r *renderer) capturing() bool { return len(r.caps) > 0 }

func (r *renderer) beginCapture() {
	r.caps = append(r.caps, nil)
}

func (r *renderer) endCapture() string {
	b := r.caps[len(r.caps)-1]
	r.caps = r.caps[:len(r.caps)-1]
	r.alloc(len(b))
	return string(b)
}

func (r *renderer) writeCapture(s string) {
	i := len(r.caps) - 1
	r.checkSize(len(r.caps[i]) + len(s))
	r.caps[i] = append(r.caps[i], s...)
}

func (r *renderer) checkOutput() {
	if len(r.out) > r.lim.OutputBytes {
		r.outputExceeded()
	}
}

func (r *renderer) outputExceeded() {
	r.failBudget("output", "output budget exceeded ("+strconv.Itoa(r.lim.OutputBytes)+" bytes)")
}

// ---- statements ----

func (r *renderer) execBody(body []stmt) {
	for _, s := range body {
		s.exec(r)
	}
}

func (s *textStmt) exec(r *renderer) {
	r.step()
	if r.capturing() {
		r.writeCapture(s.s)
		return
	}
	r.emitText(s)
}

func (s *outputStmt) exec(r *renderer) {
	r.step()
	r.pos = s.pos
	if !r.capturing() {
		// {{ x|tojson }} is encoded straight into the output, without a Markup string.
		if f, ok := s.e.(*filterExpr); ok && f.name == "tojson" && f.args == nil && f.kw == nil && f.dynArg == nil && f.dynKw == nil {
			v := f.input.eval(r)
			r.step()
			r.chargeLinear(v)
			r.jsonNonFinite = false
			r.tmp = r.appendJSON(r.tmp[:0], v, jsonIndent{}, 0)
			r.pos = s.pos
			if r.t.mode == ModeJSON && r.jstate == jsOut {
				r.emitJSONValue(r.tmp, !r.jsonNonFinite)
				return
			}
			// appendJSON closes every string it opens.
			r.emitPrinted(r.tmp, true)
			return
		}
	}
	var v Value
	folded := false
	if s.fold {
		v, folded = r.fold(s.e)
	}
	if !folded {
		v = s.e.eval(r)
	}
	if r.capturing() {
		r.writeCapture(r.str(v))
		return
	}
	// Evaluating a macro call moves r.pos into the macro: an error about what is
	// printed names this tag.
	r.pos = s.pos
	r.emitValue(v)
}

// foldImpossible unwinds a compile-time evaluation that needs the context.
type foldImpossible struct{}

// fold evaluates e as Jinja's optimizer would at compile time, for printed expressions
// that slice (the only case where the result differs). It fails for anything that
// needs the context: names, calls, context filters, or an error.
func (r *renderer) fold(e expr) (v Value, ok bool) {
	if r.folding {
		return Value{}, false
	}
	r.folding = true
	defer func() {
		r.folding = false
		if x := recover(); x != nil {
			switch x.(type) {
			case foldImpossible, renderFail:
				v, ok = Value{}, false
			default:
				panic(x)
			}
		}
	}()
	return e.eval(r), true
}

func (s *ifStmt) exec(r *renderer) {
	r.step()
	for i, c := range s.conds {
		// A test ({% if x is defined %}) decides without a Value in between.
		var ok bool
		if t, isTest := c.(*testExpr); isTest {
			ok = t.test(r)
		} else {
			ok = truthy(c.eval(r))
		}
		if ok {
			r.execBody(s.bodies[i])
			return
		}
	}
	r.execBody(s.els)
}

func (s *setStmt) exec(r *renderer) {
	r.step()
	r.pos = s.pos
	r.assign(s.target, s.value.eval(r))
}

// execScoped runs body in a child scope: assignments inside stay inside, as in Jinja's
// {% set %} and {% filter %} blocks.
func (r *renderer) execScoped(body []stmt, f *frameInfo) {
	saved := r.sc
	r.sc = &scope{parent: saved}
	r.initFrame(r.sc, f)
	r.execBody(body)
	r.sc = saved
}

func (s *setBlockStmt) exec(r *renderer) {
	r.step()
	r.beginCapture()
	r.execScoped(s.body, &s.frame)
	v := strVal(r.endCapture())
	r.pos = s.pos
	if s.filter != nil {
		v = r.applyFilterChain(s.filter, v)
	}
	r.assign(s.target, v)
}

// applyFilterChain applies a parsed filter chain whose innermost input is nil to v.
func (r *renderer) applyFilterChain(e expr, v Value) Value {
	f := e.(*filterExpr)
	in := v
	if f.input != nil {
		in = r.applyFilterChain(f.input, v)
	}
	return r.callFilter(f, in)
}

func (r *renderer) assign(t target, v Value) {
	switch t := t.(type) {
	case nameTarget:
		r.sc.set(t.name, v)
	case nsTarget:
		ns, _ := r.lookup(t.name)
		if ns.k != kNamespace {
			r.pos = t.pos
			r.fail(kindType, "cannot assign attribute on non-namespace object")
		}
		ns.p.(*dictVal).set(strVal(t.attr), v)
	case tupleTarget:
		// Each name is an assignment of its own.
		r.charge(len(t.items) * bindSteps)
		items := r.unpack(v, len(t.items))
		for i, it := range t.items {
			r.assign(it, items[i])
		}
	}
}

func (r *renderer) unpack(v Value, n int) []Value {
	if !isIterable(v) {
		r.failf(kindType, "cannot unpack non-iterable %s object", typeName(v))
	}
	items := r.iterate(v)
	if len(items) < n {
		r.failf(kindType, "not enough values to unpack (expected %d, got %d)", n, len(items))
	}
	if len(items) > n {
		r.failf(kindType, "too many values to unpack (expected %d)", n)
	}
	return items
}

func (s *withStmt) exec(r *renderer) {
	r.step()
	sc := &scope{parent: r.sc}
	vals := make([]Value, len(s.values))
	for i, e := range s.values {
		vals[i] = e.eval(r)
	}
	saved := r.sc
	r.sc = sc
	for i, t := range s.targets {
		r.assign(t, vals[i])
	}
	r.initFrame(sc, &s.frame)
	r.execBody(s.body)
	r.sc = saved
}

func (s *macroStmt) exec(r *renderer) {
	r.step()
	r.sc.set(s.m.name, Value{k: kMacro, p: &macroVal{def: s.m, closure: r.sc}})
}

func (s *callStmt) exec(r *renderer) {
	r.step()
	r.pos = s.pos
	caller := Value{k: kMacro, p: &macroVal{def: s.caller, closure: r.sc}}
	fn := s.call.fn.eval(r)
	args, kw, base, kbase := r.evalArgs(&s.call.callArgsExpr)
	kw = append(kw, kwArg{name: "caller", v: caller})
	v := r.call(fn, args, kw)
	r.popArgs(base, kbase)
	if r.capturing() {
		r.writeCapture(r.str(v))
		return
	}
	r.pos = s.pos
	r.emitValue(v)
}

func (s *filterStmt) exec(r *renderer) {
	r.step()
	r.beginCapture()
	r.execScoped(s.body, &s.frame)
	v := strVal(r.endCapture())
	r.pos = s.pos
	v = r.applyFilterChain(s.filter, v)
	if r.capturing() {
		r.writeCapture(r.str(v))
		return
	}
	r.emitValue(v)
}

type loopState struct {
	index0  int
	length  int
	depth0  int
	seq     Value
	items   []Value // when the sequence was materialized
	stmt    *forStmt
	changed []Value
	hasLast bool
}

func (l *loopState) at(r *renderer, i int) Value {
	if l.items != nil {
		return l.items[i]
	}
	return r.seqAt(l.seq, i)
}

func (s *forStmt) exec(r *renderer) {
	r.step()
	r.pos = s.pos
	it := s.iter.eval(r)
	r.runLoop(s, it, 0)
}

func (r *renderer) runLoop(s *forStmt, it Value, depth int) {
	ls := &loopState{stmt: s, depth0: depth}
	if it.k == kUndef {
		r.execBody(s.els)
		return
	}
	n, direct := seqLen(it)
	if direct && s.cond == nil {
		ls.seq = it
		ls.length = n
	} else {
		if !isIterable(it) {
			r.failf(kindType, "'%s' object is not iterable", typeName(it))
		}
		items := r.iterate(it)
		if s.cond != nil {
			filtered := items[:0:0]
			sc := &scope{parent: r.sc}
			saved := r.sc
			r.sc = sc
			for _, item := range items {
				r.step()
				sc.reset()
				r.assign(s.target, item)
				if truthy(s.cond.eval(r)) {
					filtered = append(filtered, item)
				}
			}
			r.sc = saved
			items = filtered
		}
		if items == nil {
			items = []Value{}
		}
		ls.items = items
		ls.length = len(items)
	}
	if ls.length == 0 {
		r.execBody(s.els)
		return
	}
	sc := &scope{parent: r.sc}
	saved := r.sc
	r.sc = sc
	loopV := Value{k: kLoop, p: ls}
	nt, simple := s.target.(nameTarget)
	simple = simple && nt.name != "loop"
	for i := 0; i < ls.length; i++ {
		r.step()
		ls.index0 = i
		// Each iteration starts from a fresh scope holding loop and the target; the
		// slots of the first iteration are reused.
		if i == 0 || !simple {
			sc.reset()
			sc.set("loop", loopV)
			r.assign(s.target, ls.at(r, i))
		} else {
			sc.truncate(2)
			sc.vals[0] = loopV
			sc.vals[1] = ls.at(r, i)
		}
		r.initFrame(sc, &s.frame)
		r.execBody(s.body)
	}
	r.sc = saved
}

func (s *includeStmt) exec(r *renderer) {
	r.step()
	r.pos = s.pos
	nameV := s.name.eval(r)
	var sub *compiled
	var names []Value
	if nameV.k == kList || nameV.k == kTuple || nameV.k == kDataList {
		names = r.iterate(nameV)
	} else {
		names = []Value{nameV}
	}
	for _, n := range names {
		if c, err := r.t.subTemplate(r.str(n)); c != nil || err != nil {
			if err != nil {
				panic(renderFail{err})
			}
			sub = c
			break
		}
	}
	if sub == nil {
		if s.ignoreMissing {
			return
		}
		r.failf(kindRender, "template %s not found", pyRepr(r.str(nameV)))
	}
	r.depth++
	if r.depth > r.lim.Depth {
		r.failBudget("depth", "include depth exceeded")
	}
	saved := r.sc
	if s.withContext {
		r.sc = &scope{parent: r.sc}
	} else {
		r.sc = &scope{}
	}
	r.initFrame(r.sc, &sub.frame)
	r.execBody(sub.body)
	r.sc = saved
	r.depth--
}

// module renders a template for import and returns its exported names.
func (r *renderer) module(nameV Value, withContext bool) *dictVal {
	name := r.str(nameV)
	c, err := r.t.subTemplate(name)
	if err != nil {
		panic(renderFail{err})
	}
	if c == nil {
		r.failf(kindRender, "template %s not found", pyRepr(name))
	}
	r.depth++
	if r.depth > r.lim.Depth {
		r.failBudget("depth", "import depth exceeded")
	}
	saved := r.sc
	sc := &scope{}
	if withContext {
		sc.parent = r.sc
	}
	r.sc = sc
	r.initFrame(sc, &c.frame)
	r.beginCapture()
	r.execBody(c.body)
	r.endCapture()
	r.sc = saved
	r.depth--
	d := newDict(len(sc.names))
	for i, n := range sc.names {
		if len(n) > 0 && n[0] != '_' {
			d.set(strVal(n), sc.vals[i])
		}
	}
	return d
}

func (s *importStmt) exec(r *renderer) {
	r.step()
	r.pos = s.pos
	d := r.module(s.name.eval(r), s.withContext)
	r.sc.set(s.alias, Value{k: kNamespace, p: d, s: "module"})
}

func (s *fromStmt) exec(r *renderer) {
	r.step()
	r.pos = s.pos
	d := r.module(s.name.eval(r), s.withContext)
	for i, n := range s.names {
		v, ok := d.getStr(n)
		if !ok {
			v = undefMsg("the template " + pyRepr(r.str(s.name.eval(r))) + " does not export the requested name " + pyRepr(n))
		}
		r.sc.set(s.aliases[i], v)
	}
}

// ---- expressions ----

func (e *constExpr) eval(r *renderer) Value { return e.v }

func (r *renderer) lookup(name string) (Value, bool) {
	if v, ok := r.sc.get(name); ok {
		return v, true
	}
	if v, ok := r.dataLookup(name); ok {
		return v, true
	}
	if v, ok := builtinGlobal(name); ok {
		return v, true
	}
	return undefName(name), false
}

// lookupRef returns where the value of a name set in a scope or already read from
// the data this render is stored, or nil: lookup then finds it (or not) the long
// way. The pointer is only good until the next lookup or assignment.
func (r *renderer) lookupRef(name string) *Value {
	for s := r.sc; s != nil; s = s.parent {
		if i := s.find(name); i >= 0 {
			return &s.vals[i]
		}
	}
	for i := range r.dataHits {
		if h := &r.dataHits[i]; h.name == name {
			if h.ok {
				return &h.v
			}
			return nil
		}
	}
	return nil
}

// dataLookup returns the render data's value of a top-level name.
func (r *renderer) dataLookup(name string) (Value, bool) {
	for i := range r.dataHits {
		// The parser interns names, so this is usually a pointer comparison.
		if h := &r.dataHits[i]; h.name == name {
			return h.v, h.ok
		}
	}
	x, ok := r.data.Lookup(name)
	var v Value
	if ok {
		v = r.fromData(x)
	}
	if len(r.dataHits) < maxDataHits {
		r.dataHits = append(r.dataHits, dataHit{name: name, v: v, ok: ok})
	}
	return v, ok
}

func (e *nameExpr) eval(r *renderer) Value {
	if r.folding {
		panic(foldImpossible{})
	}
	r.step()
	v, _ := r.lookup(e.name)
	return v
}

func (e *getattrExpr) eval(r *renderer) Value {
	// name.attr on a JSON object (certainly.reply, ticket.id) is most of what
	// templates print. When the name's value is already at hand, read the key
	// through a pointer to where it is stored rather than copying the Value out
	// through three calls; the steps are those the general path takes.
	if n, ok := e.obj.(*nameExpr); ok && !r.folding && !e.dictMethod {
		if p := r.lookupRef(n.name); p != nil && p.k == kDataObj {
			r.step()
			r.step()
			o := p.p.(*Object)
			// Templates tend to read an object's keys in order, or one key twice
			// (x is defined, then x): try the key found last in this object and
			// the one after it before scanning. Only a guess: the key is compared.
			i := -1
			if o == r.lastObj {
				if j := r.lastKey; j < len(o.keys) && o.keys[j] == e.name {
					i = j
				} else if j+1 < len(o.keys) && o.keys[j+1] == e.name {
					i = j + 1
				}
			}
			if i < 0 {
				i = o.find(e.name)
			}
			if i >= 0 {
				r.lastObj, r.lastKey = o, i
				if s, ok := o.vals[i].(string); ok {
					return Value{k: kStr, s: s}
				}
				return r.fromData(o.vals[i])
			}
			return r.getattr(*p, e.name)
		}
	}
	obj, x, ok := e.objectKey(r)
	if ok {
		return r.fromData(x)
	}
	return r.getattr(obj, e.name)
}

// objectKey evaluates the object and, when the attribute is read straight
// from a JSON object (the common case, response.ticket.id: no dict method of
// that name comes first) and the object has the key, returns its value with
// ok set. An undefined object fails the render.
func (e *getattrExpr) objectKey(r *renderer) (obj Value, x any, ok bool) {
	obj = e.obj.eval(r)
	r.step()
	if obj.k == kUndef {
		r.pos = e.pos
		r.failUndef(obj)
	}
	if obj.k == kDataObj && !e.dictMethod {
		x, ok = obj.p.(*Object).Get(e.name)
	}
	return obj, x, ok
}

// evalData evaluates a printed expression for Eval. A scalar read straight from a
// JSON object comes back as the data value it already is, without boxing a copy.
func (r *renderer) evalData(e expr) any {
	if ga, ok := e.(*getattrExpr); ok {
		obj, x, ok := ga.objectKey(r)
		if !ok {
			return r.toData(r.getattr(obj, ga.name), 0)
		}
		switch x.(type) {
		case string, int64, float64, bool, nil:
			return x
		}
		return r.toData(r.fromData(x), 0)
	}
	return r.toData(e.eval(r), 0)
}

func (e *getitemExpr) eval(r *renderer) Value {
	obj := e.obj.eval(r)
	key := e.key.eval(r)
	r.step()
	if obj.k == kUndef {
		r.pos = e.pos
		r.failUndef(obj)
	}
	return r.getitem(obj, key)
}

func (e *sliceExpr) eval(r *renderer) Value {
	obj := e.obj.eval(r)
	r.step()
	if obj.k == kUndef {
		r.pos = e.pos
		r.failUndef(obj)
	}
	var parts [3]Value
	for i, x := range []expr{e.start, e.stop, e.step} {
		if x == nil {
			parts[i] = noneVal
		} else {
			parts[i] = x.eval(r)
		}
	}
	if r.folding && !sliceable(obj, parts) {
		return undefMsg(objectTypeRepr(obj) + " has no element " + r.repr(r.tupleOf(parts[:])))
	}
	return r.slice(obj, parts[0], parts[1], parts[2])
}

func sliceable(obj Value, parts [3]Value) bool {
	switch obj.k {
	case kList, kTuple, kDataList, kRange, kStr, kMarkup:
	default:
		return false
	}
	for _, p := range parts {
		if p.k != kNone && !isIntegral(p) {
			return false
		}
	}
	return true
}

// evalArgs evaluates call arguments onto the renderer's stacks. The caller pops them.
func (r *renderer) evalArgs(c *callArgsExpr) ([]Value, []kwArg, int, int) {
	base, kbase := len(r.argStack), len(r.kwStack)
	for _, a := range c.args {
		v := a.eval(r)
		r.argStack = append(r.argStack, v)
	}
	if c.dynArg != nil {
		v := c.dynArg.eval(r)
		if !isIterable(v) {
			r.failf(kindType, "argument after * must be an iterable, not %s", typeName(v))
		}
		r.argStack = append(r.argStack, r.iterate(v)...)
	}
	for _, k := range c.kw {
		v := k.v.eval(r)
		r.kwStack = append(r.kwStack, kwArg{name: k.name, v: v})
	}
	if c.dynKw != nil {
		v := c.dynKw.eval(r)
		if !isMapping(v) {
			r.failf(kindType, "argument after ** must be a mapping, not %s", typeName(v))
		}
		ks, vs := r.mapItems(v)
		for i, k := range ks {
			r.kwStack = append(r.kwStack, kwArg{name: r.str(k), v: vs[i]})
		}
	}
	args := r.argStack[base:len(r.argStack):len(r.argStack)]
	kw := r.kwStack[kbase:len(r.kwStack):len(r.kwStack)]
	if len(args) == 0 {
		args = nil
	}
	if len(kw) == 0 {
		kw = nil
	}
	return args, kw, base, kbase
}

func (r *renderer) popArgs(base, kbase int) {
	clear(r.argStack[base:])
	r.argStack = r.argStack[:base]
	clear(r.kwStack[kbase:])
	r.kwStack = r.kwStack[:kbase]
}

func (e *callExpr) eval(r *renderer) Value {
	if r.folding {
		panic(foldImpossible{})
	}
	r.step()
	if ga, ok := e.fn.(*getattrExpr); ok {
		obj := ga.obj.eval(r)
		if obj.k == kUndef {
			r.pos = ga.pos
			r.failUndef(obj)
		}
		if m := lookupMethod(obj, ga.name); m != nil {
			r.chargeLinear(obj)
			args, kw, base, kbase := r.evalArgs(&e.callArgsExpr)
			r.pos = e.pos
			v := m(r, obj, args, kw)
			r.popArgs(base, kbase)
			return v
		}
		fn := r.getattr(obj, ga.name)
		return r.callWith(fn, e)
	}
	fn := e.fn.eval(r)
	return r.callWith(fn, e)
}

func (r *renderer) callWith(fn Value, e *callExpr) Value {
	args, kw, base, kbase := r.evalArgs(&e.callArgsExpr)
	r.pos = e.pos
	v := r.call(fn, args, kw)
	r.popArgs(base, kbase)
	return v
}

func (r *renderer) call(fn Value, args []Value, kw []kwArg) Value {
	switch fn.k {
	case kMacro:
		return r.callMacro(fn.p.(*macroVal), args, kw)
	case kFunc:
		f := fn.p.(*funcVal)
		return f.fn(r, f.self, args, kw)
	case kLoop:
		ls := fn.p.(*loopState)
		if !ls.stmt.recursive {
			r.fail(kindType, "'LoopContext' object is not callable")
		}
		if len(args) != 1 {
			r.fail(kindType, "loop() takes exactly one argument")
		}
		r.depth++
		if r.depth > r.lim.Depth {
			r.failBudget("depth", "recursion depth exceeded (limit "+strconv.Itoa(r.lim.Depth)+")")
		}
		r.beginCapture()
		r.runLoop(ls.stmt, args[0], ls.depth0+1)
		r.depth--
		return strVal(r.endCapture())
	case kJoiner:
		return joinerCall(r, fn, args, kw)
	case kUndef:
		r.failUndef(fn)
	}
	r.failf(kindType, "'%s' object is not callable", typeName(fn))
	return Value{}
}

type macroVal struct {
	def     *macroDef
	closure *scope
}

func (r *renderer) callMacro(m *macroVal, args []Value, kw []kwArg) Value {
	d := m.def
	r.depth++
	if r.depth > r.lim.Depth {
		r.failBudget("depth", "recursion depth exceeded (limit "+strconv.Itoa(r.lim.Depth)+")")
	}
	sc := &scope{parent: m.closure}
	np := len(d.params)
	// Binding each parameter and argument is an assignment of its own.
	r.charge((np + len(args) + len(kw)) * bindSteps)
	var extra []Value
	if len(args) > np {
		if !d.usesVarargs {
			r.failf(kindType, "macro '%s' takes not more than %d argument(s)", d.name, np)
		}
		extra = append([]Value(nil), args[np:]...)
		args = args[:np]
	}
	bound := make([]bool, np)
	vals := make([]Value, np)
	for i, a := range args {
		vals[i] = a
		bound[i] = true
	}
	var extraKw *dictVal
	var caller Value
	hasCaller := false
	// Many keyword arguments are matched through a map of the parameters, so that
	// the binding stays linear.
	var paramIndex map[string]int
	if len(kw) > scopeIndexMin && np > scopeIndexMin {
		paramIndex = make(map[string]int, np)
		for i, p := range d.params {
			if _, dup := paramIndex[p]; !dup {
				paramIndex[p] = i
			}
		}
	}
	for _, k := range kw {
		i := -1
		if paramIndex != nil {
			if j, ok := paramIndex[k.name]; ok {
				i = j
			}
		} else {
			i = slices.Index(d.params, k.name)
		}
		if i >= 0 {
			if bound[i] {
				r.failf(kindType, "macro '%s' got multiple values for argument '%s'", d.name, k.name)
			}
			vals[i] = k.v
			bound[i] = true
			continue
		}
		if k.name == "caller" && d.usesCaller && !d.callerParam {
			caller = k.v
			hasCaller = true
			continue
		}
		if !d.usesKwargs {
			if k.name == "caller" {
				r.failf(kindType, "macro '%s' was invoked with two values for the special caller argument. This is most likely a bug.", d.name)
			}
			r.failf(kindType, "macro '%s' takes no keyword argument '%s'", d.name, k.name)
		}
		if extraKw == nil {
			extraKw = newDict(4)
		}
		extraKw.set(strVal(k.name), k.v)
	}
	saved := r.sc
	r.sc = sc
	preset := false
	for i, p := range d.params {
		if !bound[i] {
			if d.defaults[i] != nil && !preset {
				// A default sees every parameter as the macro's own name: the ones
				// passed or already defaulted with their values, the later ones
				// undefined, as Jinja2 evaluates defaults inside the macro.
				for j, q := range d.params {
					if bound[j] || j < i {
						sc.set(q, vals[j])
					} else {
						sc.set(q, undefName(q))
					}
				}
				preset = true
			}
			if d.defaults[i] != nil {
				vals[i] = d.defaults[i].eval(r)
			} else {
				vals[i] = undefMsg("parameter '" + p + "' was not provided")
			}
		}
		sc.set(p, vals[i])
	}
	if d.usesVarargs {
		if extra == nil {
			extra = []Value{}
		}
		sc.set("varargs", r.tupleOf(extra))
	}
	if d.usesKwargs {
		if extraKw == nil {
			extraKw = newDict(0)
		}
		sc.set("kwargs", Value{k: kDict, p: extraKw})
	}
	if d.usesCaller && !d.callerParam {
		if !hasCaller {
			caller = undefMsg("No caller defined")
		}
		sc.set("caller", caller)
	}
	r.initFrame(sc, &d.frame)
	r.beginCapture()
	r.execBody(d.body)
	out := r.endCapture()
	r.sc = saved
	r.depth--
	return strVal(out)
}

func (e *filterExpr) eval(r *renderer) Value {
	in := e.input.eval(r)
	return r.callFilter(e, in)
}

// chargeLinear charges an operation that may scan all of v.
func (r *renderer) chargeLinear(v Value) {
	switch v.k {
	case kStr, kMarkup:
		r.work(len(v.s))
	case kList, kTuple, kDataList:
		n, _ := seqLen(v)
		r.work(n * 16)
	case kDict, kDataObj, kDataMap, kNamespace:
		r.work(r.mapLen(v) * 32) // a key and a value each
	}
}

func (r *renderer) callFilter(e *filterExpr, in Value) Value {
	if r.folding {
		switch e.name {
		case "map", "select", "reject", "selectattr", "rejectattr":
			panic(foldImpossible{}) // they take the context
		}
	}
	r.step()
	r.chargeLinear(in)
	args, kw, base, kbase := r.evalArgs(&e.callArgsExpr)
	r.pos = e.pos
	v := e.fn(r, in, args, kw)
	r.popArgs(base, kbase)
	return v
}

func (e *testExpr) eval(r *renderer) Value { return boolVal(e.test(r)) }

// test evaluates the test to its outcome.
func (e *testExpr) test(r *renderer) bool {
	in := e.input.eval(r)
	r.step()
	if len(e.args) == 0 && len(e.kw) == 0 && e.dynArg == nil && e.dynKw == nil {
		// Most tests take no arguments (x is defined): nothing to evaluate or pop.
		r.pos = e.pos
		return e.fn(r, in, nil, nil) != e.negated
	}
	args, kw, base, kbase := r.evalArgs(&e.callArgsExpr)
	r.pos = e.pos
	ok := e.fn(r, in, args, kw)
	r.popArgs(base, kbase)
	return ok != e.negated
}

func (e *binExpr) eval(r *renderer) Value {
	l := e.l.eval(r)
	rv := e.r.eval(r)
	r.step()
	r.pos = e.pos
	return r.binop(e.op, l, rv)
}

func (e *unaryExpr) eval(r *renderer) Value {
	x := e.x.eval(r)
	r.step()
	r.pos = e.pos
	switch x.k {
	case kInt, kBool:
		if e.op == "-" {
			if x.n == -1<<63 {
				return r.bigOp("-", intVal(0), x)
			}
			return intVal(-x.n)
		}
		return intVal(x.n)
	case kBig:
		if e.op == "-" {
			return r.bigOp("-", intVal(0), x)
		}
		return x
	case kFloat:
		if e.op == "-" {
			return floatVal(-x.f())
		}
		return x
	case kUndef:
		r.failUndef(x)
	}
	r.failf(kindType, "bad operand type for unary %s: '%s'", e.op, typeName(x))
	return Value{}
}

func (e *andExpr) eval(r *renderer) Value {
	l := e.l.eval(r)
	if !truthy(l) {
		return l
	}
	return e.r.eval(r)
}

func (e *orExpr) eval(r *renderer) Value {
	l := e.l.eval(r)
	if truthy(l) {
		return l
	}
	return e.r.eval(r)
}

func (e *notExpr) eval(r *renderer) Value { return boolVal(!truthy(e.x.eval(r))) }

func (e *compareExpr) eval(r *renderer) Value {
	l := e.first.eval(r)
	for i, op := range e.ops {
		rv := e.rest[i].eval(r)
		r.step()
		r.pos = e.pos
		if !r.compare(op, l, rv) {
			return falseVal
		}
		l = rv
	}
	return trueVal
}

func (e *condExpr) eval(r *renderer) Value {
	if truthy(e.test.eval(r)) {
		return e.then.eval(r)
	}
	if e.els == nil {
		return undefMsg(inlineIfUndefined)
	}
	return e.els.eval(r)
}

func (e *listExpr) eval(r *renderer) Value { return r.listOf(r.evalItems(e.items)) }

func (e *tupleExpr) eval(r *renderer) Value { return r.tupleOf(r.evalItems(e.items)) }

// evalItems evaluates the items of a list or tuple literal, in order.
func (r *renderer) evalItems(exprs []expr) []Value {
	r.step()
	items := make([]Value, len(exprs))
	for i, x := range exprs {
		items[i] = x.eval(r)
	}
	return items
}

func (e *dictExpr) eval(r *renderer) Value {
	r.step()
	// Each entry is hashed and stored like a name bound, beside its expressions'
	// steps.
	r.charge(len(e.keys) * bindSteps)
	d := newDict(len(e.keys))
	for i, k := range e.keys {
		kv := k.eval(r)
		if _, ok := hashKey(kv); !ok {
			r.failf(kindType, "unhashable type: '%s'", typeName(kv))
		}
		d.set(kv, e.vals[i].eval(r))
	}
	return Value{k: kDict, p: d}
}

func (e *concatExpr) eval(r *renderer) Value {
	r.step()
	if len(e.items) == 2 {
		a := r.str(e.items[0].eval(r))
		b := r.str(e.items[1].eval(r))
		r.alloc(len(a) + len(b))
		return strVal(a + b)
	}
	var buf []byte
	for _, x := range e.items {
		s := r.str(x.eval(r))
		r.checkSize(len(buf) + len(s))
		buf = append(buf, s...)
	}
	r.alloc(len(buf))
	return strVal(string(buf))
}
