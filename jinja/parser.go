package jinja

import (
	"context"
	"math"
	"math/big"
	"strings"
)

const maxNesting = 200

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
	opts  *Options
	// names interns variable names, so that a render compares repeated names by
	// pointer (see renderer.dataLookup).
	names map[string]string
	// soft is true while parsing inside an if statement or a conditional expression of
	// the current frame, where Jinja2 3.1 compiles an unknown filter or test into a
	// runtime error instead of failing the compile (its compiler's "soft frames").
	soft bool
	// withNS is true while parsing a set statement's target, where name.attr is a
	// namespace attribute to assign (Jinja2's with_namespace).
	withNS bool
	// forDepth counts the for statements around the statement being parsed.
	forDepth int
	// unknown lists the unknown filters and tests in source order; checkUnknown decides
	// after parsing which fail the compile and which fail only when reached.
	unknown []unknownName
}

// unknownName is a filter or test the engine does not know, as parsed.
type unknownName struct {
	pos  int
	what string // "filter" or "test"
	name string
	soft bool
}

// newFrame starts a part of the template that Jinja2 compiles into a frame of its own
// (loop and macro bodies, with, filter and set blocks): an if around it does not make
// the names inside soft. The caller restores the returned value with endFrame.
func (p *parser) newFrame() bool {
	old := p.soft
	p.soft = false
	return old
}

func (p *parser) endFrame(old bool) { p.soft = old }

// checkUnknown fails the compile on the first unknown filter or test that Jinja2 would
// refuse at compile time (or on any, with Options.RefuseUnknownNames); the others stay in
// the tree with a function that fails when the render reaches them, as in Python.
func (p *parser) checkUnknown() {
	for _, u := range p.unknown {
		if !u.soft || p.opts.RefuseUnknownNames {
			p.failAt(u.pos, kindUnsupported, "unsupported: "+u.what+" '"+u.name+"'")
		}
	}
}

// missingFilter is what a filter that Jinja2 does not know does when reached.
func missingFilter(name string) filterFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) Value {
		r.fail(kindRender, "No filter named '"+name+"' found.")
		return Value{}
	}
}

// missingTest is what a test that Jinja2 does not know does when reached.
func missingTest(name string) testFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) bool {
		r.fail(kindRender, "No test named '"+name+"' found.")
		return false
	}
}

// parseError unwinds the parser; Compile recovers it.
type parseError struct{ err *Error }

func (p *parser) cur() token { return p.toks[p.i] }

func (p *parser) intern(name string) string {
	if s, ok := p.names[name]; ok {
		return s
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	p.names[name] = name
	return name
}
func (p *parser) look() token {
	if p.i+1 < len(p.toks) {
		return p.toks[p.i+1]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) failAt(pos int, kind, msg string) {
	l, c := lineCol(p.src, pos)
	panic(parseError{&Error{Kind: kind, Line: l, Col: c, Msg: msg}})
}

func (p *parser) fail(msg string) { p.failAt(p.cur().pos, kindSyntax, msg) }

func (p *parser) unsupported(pos int, what string) {
	p.failAt(pos, kindUnsupported, "unsupported: "+what)
}

// isOp and isName look at the current token in place: every precedence level asks
// them, and a copy of the token each time cost a large template's parse a fifth of
// its time.
func (p *parser) isOp(op string) bool {
	t := &p.toks[p.i]
	return t.typ == tOp && t.val == op
}

func (p *parser) isName(n string) bool {
	t := &p.toks[p.i]
	return t.typ == tName && t.val == n
}

// parseItem parses an item of a list or dict literal. A lone number, string or
// name followed by ',' or the closing bracket is read at once rather than through
// every precedence level: literal lists of many thousands of items are the largest
// expressions a template holds. The words that are operators take the long way,
// which reports them as Jinja does.
func (p *parser) parseItem(closing string) expr {
	t := &p.toks[p.i]
	switch t.typ {
	case tName:
		switch t.val {
		case "not", "and", "or", "if", "else", "in", "is":
			return p.parseExpression(true)
		}
		fallthrough
	case tInt, tFloat, tString:
		if next := p.look(); next.typ == tOp && (next.val == "," || next.val == closing) {
			return p.parsePrimary()
		}
	}
	return p.parseExpression(true)
}

func (p *parser) skipOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) skipName(n string) bool {
	if p.isName(n) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) token {
	if !p.isOp(op) {
		p.fail("expected token '" + op + "', got '" + p.cur().describe() + "'")
	}
	return p.next()
}

func (p *parser) expectName() token {
	if p.cur().typ != tName {
		p.fail("expected token 'name', got '" + p.cur().describe() + "'")
	}
	return p.next()
}

func (p *parser) expectNameValue(n string) {
	if !p.isName(n) {
		p.fail("expected token '" + n + "', got '" + p.cur().describe() + "'")
	}
	p.next()
}

func (p *parser) expectBlockEnd() {
	if p.cur().typ != tBlockEnd {
		p.fail("expected token 'end of statement block', got '" + p.cur().describe() + "'")
	}
	p.next()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxNesting {
		p.fail("template nested too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

// parseTemplate parses the whole token stream.
func (p *parser) parseTemplate() []stmt {
	body := p.subparse(nil)
	if p.cur().typ != tEOF {
		p.fail("unexpected '" + p.cur().describe() + "'")
	}
	return body
}

// subparse parses statements until a block tag named in ends (left current) or EOF.
func (p *parser) subparse(ends []string) []stmt {
	p.enter()
	defer p.leave()
	var body []stmt
	for {
		t := p.cur()
		switch t.typ {
		case tData:
			p.next()
			body = append(body, &textStmt{s: t.val})
		case tVarBegin:
			p.next()
			e := p.parseTuple(false, true, nil, false)
			if p.cur().typ != tVarEnd {
				p.fail("expected token 'end of print statement', got '" + p.cur().describe() + "'")
			}
			p.next()
			body = append(body, &outputStmt{pos: t.pos, e: e, fold: hasSlice(e)})
		case tBlockBegin:
			p.next()
			nt := p.cur()
			if nt.typ != tName {
				p.fail("tag name expected")
			}
			for _, e := range ends {
				if nt.val == e {
					return body
				}
			}
			body = append(body, p.parseStatement(ends))
		case tEOF:
			if len(ends) > 0 {
				p.fail("Unexpected end of template. Jinja was looking for the following tags: " + quoteList(ends) + ".")
			}
			return body
		default:
			p.fail("unexpected '" + t.describe() + "'")
		}
	}
}

func quoteList(ends []string) string {
	q := make([]string, len(ends))
	for i, e := range ends {
		q[i] = "'" + e + "'"
	}
	return strings.Join(q, " or ")
}

func (p *parser) parseStatement(ends []string) stmt {
	t := p.cur()
	switch t.val {
	case "for":
		return p.parseFor()
	case "if":
		return p.parseIf()
	case "set":
		return p.parseSet()
	case "with":
		return p.parseWith()
	case "macro":
		return p.parseMacro()
	case "call":
		return p.parseCallBlock()
	case "filter":
		return p.parseFilterBlock()
	case "include":
		return p.parseInclude()
	case "import":
		return p.parseImport()
	case "from":
		return p.parseFrom()
	case "endfor", "endif", "endset", "endwith", "endmacro", "endcall", "endfilter", "else", "elif", "endraw", "endblock":
		msg := "Encountered unknown tag '" + t.val + "'."
		if len(ends) > 0 {
			msg += " Jinja was looking for the following tags: " + quoteList(ends) + "."
		}
		p.fail(msg)
	}
	p.unsupported(t.pos, t.val)
	return nil
}

func (p *parser) parseFor() stmt {
	start := p.next()
	tgt := p.parseAssignTarget(true, []string{"in"}, false)
	p.checkLoopStore(start.pos, tgt, true)
	p.forDepth++
	defer func() { p.forDepth-- }()
	p.expectNameValue("in")
	iter := p.parseTuple(false, false, []string{"recursive"}, false)
	defer p.endFrame(p.newFrame())
	var cond expr
	if p.skipName("if") {
		cond = p.parseExpression(true)
	}
	recursive := p.skipName("recursive")
	p.expectBlockEnd()
	body := p.subparse([]string{"endfor", "else"})
	var els []stmt
	if p.next().val == "else" {
		p.expectBlockEnd()
		els = p.subparse([]string{"endfor"})
		p.next()
	}
	p.expectBlockEnd()
	return &forStmt{pos: start.pos, target: tgt, iter: iter, cond: cond, body: body, els: els, recursive: recursive}
}

func (p *parser) parseIf() stmt {
	p.next()
	old := p.soft
	p.soft = true
	defer func() { p.soft = old }()
	s := &ifStmt{}
	for {
		cond := p.parseTuple(false, false, nil, false)
		p.expectBlockEnd()
		body := p.subparse([]string{"elif", "else", "endif"})
		s.conds = append(s.conds, cond)
		s.bodies = append(s.bodies, body)
		t := p.next()
		if t.val == "elif" {
			continue
		}
		if t.val == "else" {
			p.expectBlockEnd()
			s.els = p.subparse([]string{"endif"})
			p.next()
		}
		break
	}
	p.expectBlockEnd()
	return s
}

func (p *parser) parseSet() stmt {
	start := p.next()
	tgt := p.parseAssignTarget(true, nil, true)
	p.checkLoopStore(start.pos, tgt, false)
	if p.skipOp("=") {
		v := p.parseTuple(false, true, nil, false)
		p.expectBlockEnd()
		return &setStmt{pos: start.pos, target: tgt, value: v}
	}
	defer p.endFrame(p.newFrame())
	var filter expr
	if p.isOp("|") {
		filter = p.parseFilter(nil, false)
	}
	p.expectBlockEnd()
	body := p.subparse([]string{"endset"})
	p.next()
	p.expectBlockEnd()
	return &setBlockStmt{pos: start.pos, target: tgt, body: body, filter: filter}
}

func (p *parser) parseWith() stmt {
	p.next()
	s := &withStmt{}
	for p.cur().typ != tBlockEnd {
		if len(s.targets) > 0 {
			p.expectOp(",")
		}
		tgt := p.parseAssignTarget(false, nil, false)
		p.expectOp("=")
		s.targets = append(s.targets, tgt)
		s.values = append(s.values, p.parseExpression(true))
	}
	p.next()
	defer p.endFrame(p.newFrame())
	s.body = p.subparse([]string{"endwith"})
	p.next()
	p.expectBlockEnd()
	return s
}

func (p *parser) parseSignature(m *macroDef) {
	p.expectOp("(")
	// Whether a default came before: checking the earlier defaults again for each
	// parameter made a signature of many parameters quadratic.
	sawDefault := false
	for !p.isOp(")") {
		if len(m.params) > 0 {
			p.expectOp(",")
		}
		name := p.expectName()
		var def expr
		if p.skipOp("=") {
			def = p.parseExpression(true)
			sawDefault = true
		} else if sawDefault {
			p.fail("non-default argument follows default argument")
		}
		m.params = append(m.params, name.val)
		m.defaults = append(m.defaults, def)
	}
	p.next()
}

func (p *parser) parseMacro() stmt {
	start := p.next()
	name := p.expectName()
	m := &macroDef{pos: start.pos, name: name.val}
	defer p.endFrame(p.newFrame())
	p.parseSignature(m)
	p.expectBlockEnd()
	m.body = p.subparse([]string{"endmacro"})
	p.next()
	p.expectBlockEnd()
	scanMacroUses(m)
	p.checkCallerParam(start.pos, m)
	return &macroStmt{m: m}
}

func (p *parser) parseCallBlock() stmt {
	start := p.next()
	m := &macroDef{pos: start.pos, name: "caller", isCallerBody: true}
	if p.isOp("(") {
		old := p.newFrame()
		p.parseSignature(m)
		p.endFrame(old)
	}
	e := p.parseExpression(true)
	call, ok := e.(*callExpr)
	if !ok {
		p.failAt(start.pos, kindSyntax, "expected call")
	}
	p.expectBlockEnd()
	defer p.endFrame(p.newFrame())
	m.body = p.subparse([]string{"endcall"})
	p.next()
	p.expectBlockEnd()
	scanMacroUses(m)
	p.checkCallerParam(start.pos, m)
	return &callStmt{pos: start.pos, call: call, caller: m}
}

func (p *parser) parseFilterBlock() stmt {
	start := p.next()
	defer p.endFrame(p.newFrame())
	f := p.parseFilter(nil, true)
	p.expectBlockEnd()
	body := p.subparse([]string{"endfilter"})
	p.next()
	p.expectBlockEnd()
	return &filterStmt{pos: start.pos, filter: f, body: body}
}

func (p *parser) needTemplates(t token) {
	if p.opts.Templates == nil {
		p.unsupported(t.pos, t.val)
	}
}

func (p *parser) parseContextMod(def bool) bool {
	if (p.isName("with") || p.isName("without")) && p.look().typ == tName && p.look().val == "context" {
		with := p.next().val == "with"
		p.next()
		return with
	}
	return def
}

func (p *parser) parseInclude() stmt {
	start := p.next()
	p.needTemplates(start)
	s := &includeStmt{pos: start.pos, name: p.parseExpression(true), withContext: true}
	if p.isName("ignore") && p.look().typ == tName && p.look().val == "missing" {
		p.next()
		p.next()
		s.ignoreMissing = true
	}
	s.withContext = p.parseContextMod(true)
	p.expectBlockEnd()
	return s
}

func (p *parser) parseImport() stmt {
	start := p.next()
	p.needTemplates(start)
	s := &importStmt{pos: start.pos, name: p.parseExpression(true)}
	p.expectNameValue("as")
	s.alias = p.expectName().val
	s.withContext = p.parseContextMod(false)
	p.expectBlockEnd()
	return s
}

func (p *parser) parseFrom() stmt {
	start := p.next()
	p.needTemplates(start)
	s := &fromStmt{pos: start.pos, name: p.parseExpression(true)}
	p.expectNameValue("import")
	for {
		if len(s.names) > 0 {
			if !p.skipOp(",") {
				break
			}
		}
		if p.cur().typ != tName {
			break
		}
		if (p.isName("with") || p.isName("without")) && p.look().typ == tName && p.look().val == "context" {
			break
		}
		n := p.next()
		if strings.HasPrefix(n.val, "_") {
			p.failAt(n.pos, kindSyntax, "names starting with an underline can not be imported")
		}
		alias := n.val
		if p.skipName("as") {
			alias = p.expectName().val
		}
		s.names = append(s.names, n.val)
		s.aliases = append(s.aliases, alias)
	}
	if len(s.names) == 0 {
		p.fail("expected name to import")
	}
	s.withContext = p.parseContextMod(false)
	p.expectBlockEnd()
	return s
}

// parseAssignTarget parses a name, a tuple of names, or (with ns) namespace.attr.
func (p *parser) parseAssignTarget(withTuple bool, extraEnd []string, ns bool) target {
	t := p.cur()
	var e expr
	// Jinja2 3.1.5 parses ns.attr anywhere in a set statement's target, a tuple's
	// items included ({% set ns.a, ns.b = 1, 2 %}).
	old := p.withNS
	p.withNS = ns
	if withTuple {
		e = p.parseTuple(true, false, extraEnd, false)
	} else {
		e = p.parsePrimary()
	}
	p.withNS = old
	tg, ok := toTarget(e)
	if !ok {
		p.failAt(t.pos, kindSyntax, "can't assign to "+targetDesc(e))
	}
	return tg
}

func targetDesc(e expr) string {
	switch e.(type) {
	case *constExpr:
		return "'const'"
	case *listExpr:
		return "'list'"
	case *dictExpr:
		return "'dict'"
	}
	return "'expression'"
}

func toTarget(e expr) (target, bool) {
	switch x := e.(type) {
	case *nameExpr:
		if x.name == "true" || x.name == "false" || x.name == "none" || x.name == "True" || x.name == "False" || x.name == "None" {
			return nil, false
		}
		return nameTarget{name: x.name}, true
	case *nsRefExpr:
		return nsTarget{pos: x.pos, name: x.name, attr: x.attr}, true
	case *tupleExpr:
		tt := tupleTarget{}
		for _, it := range x.items {
			sub, ok := toTarget(it)
			if !ok {
				return nil, false
			}
			tt.items = append(tt.items, sub)
		}
		return tt, true
	}
	return nil, false
}

// isTupleEnd is Jinja's is_tuple_end. Jinja 3.1 passes its extra end rules to
// Token.test_any as one tuple, so they never match: `for a, in x` fails there and here.
func (p *parser) isTupleEnd(extraEnd []string) bool {
	t := p.cur()
	return t.typ == tVarEnd || t.typ == tBlockEnd || (t.typ == tOp && t.val == ")")
}

// parseTuple is Jinja's parse_tuple: a comma-separated list becomes a tuple.
func (p *parser) parseTuple(simplified, withCondexpr bool, extraEnd []string, explicitParens bool) expr {
	start := p.cur()
	var items []expr
	isTuple := false
	for {
		if len(items) > 0 {
			p.expectOp(",")
		}
		if p.isTupleEnd(extraEnd) {
			break
		}
		var e expr
		switch {
		case simplified:
			e = p.parsePrimary()
		default:
			e = p.parseExpression(withCondexpr)
		}
		items = append(items, e)
		if p.isOp(",") {
			isTuple = true
		} else {
			break
		}
	}
	if !isTuple {
		if len(items) > 0 {
			return items[0]
		}
		if !explicitParens {
			p.failAt(start.pos, kindSyntax, "Expected an expression, got '"+p.cur().describe()+"'")
		}
	}
	return &tupleExpr{items: items}
}

func (p *parser) parseExpression(withCondexpr bool) expr {
	p.enter()
	defer p.leave()
	if withCondexpr {
		return p.parseCondexpr()
	}
	return p.parseOr()
}

func (p *parser) parseCondexpr() expr {
	mark := len(p.unknown)
	e := p.parseOr()
	for p.skipName("if") {
		// Jinja2 compiles a whole conditional expression, the part before "if"
		// included, in a soft frame.
		for i := mark; i < len(p.unknown); i++ {
			p.unknown[i].soft = true
		}
		old := p.soft
		p.soft = true
		defer func() { p.soft = old }()
		test := p.parseOr()
		var els expr
		if p.skipName("else") {
			els = p.parseCondexpr()
		}
		e = &condExpr{test: test, then: e, els: els}
	}
	return e
}

func (p *parser) parseOr() expr {
	l := p.parseAnd()
	for p.skipName("or") {
		mark := len(p.unknown)
		l = &orExpr{l: l, r: p.parseAnd()}
		p.foldedAway(l.(*orExpr).l, true, mark)
	}
	return l
}

// foldedAway forgets the unknown names recorded since mark when Jinja2's optimizer folds
// them away: "false and x|nope" and "1 > 2 and x|nope" are constants to it, so the filter
// after the operator is never compiled (and never reached). The left operand is folded as
// Jinja2's optimizer would fold it, only when there is an unknown name to forget.
func (p *parser) foldedAway(left expr, or bool, mark int) {
	if len(p.unknown) == mark || p.opts.RefuseUnknownNames {
		return
	}
	if v, ok := foldConst(p.src, left); ok && truthy(v) == or {
		p.unknown = p.unknown[:mark]
	}
}

// foldConst evaluates e at compile time as Jinja2's optimizer does (renderer.fold): it
// fails for anything that needs the render's context or raises.
func foldConst(src string, e expr) (v Value, ok bool) {
	r := &renderer{t: &Template{}, ctx: context.Background(), src: src, lim: DefaultLimits()}
	r.lim.fillDefaults()
	r.sc = &r.top
	return r.fold(e)
}

func (p *parser) parseAnd() expr {
	l := p.parseNot()
	for p.skipName("and") {
		mark := len(p.unknown)
		l = &andExpr{l: l, r: p.parseNot()}
		p.foldedAway(l.(*andExpr).l, false, mark)
	}
	return l
}

func (p *parser) parseNot() expr {
	if p.isName("not") {
		p.next()
		p.enter()
		defer p.leave()
		return &notExpr{x: p.parseNot()}
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() expr {
	start := p.cur().pos
	first := p.parseMath1()
	var ops []string
	var rest []expr
	for {
		t := p.cur()
		if t.typ == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">=") {
			p.next()
			ops = append(ops, t.val)
		} else if p.isName("in") {
			p.next()
			ops = append(ops, "in")
		} else if p.isName("not") && p.look().typ == tName && p.look().val == "in" {
			p.next()
			p.next()
			ops = append(ops, "notin")
		} else {
			break
		}
		rest = append(rest, p.parseMath1())
	}
	if len(ops) == 0 {
		return first
	}
	return &compareExpr{pos: start, first: first, ops: ops, rest: rest}
}

func (p *parser) parseMath1() expr {
	l := p.parseConcat()
	for p.isOp("+") || p.isOp("-") {
		t := p.next()
		l = &binExpr{pos: t.pos, op: t.val, l: l, r: p.parseConcat()}
	}
	return l
}

func (p *parser) parseConcat() expr {
	start := p.cur().pos
	items := []expr{p.parseMath2()}
	for p.skipOp("~") {
		items = append(items, p.parseMath2())
	}
	if len(items) == 1 {
		return items[0]
	}
	return &concatExpr{pos: start, items: items}
}

func (p *parser) parseMath2() expr {
	l := p.parsePow()
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		t := p.next()
		l = &binExpr{pos: t.pos, op: t.val, l: l, r: p.parsePow()}
	}
	return l
}

func (p *parser) parsePow() expr {
	l := p.parseUnary(true)
	for p.isOp("**") {
		t := p.next()
		l = &binExpr{pos: t.pos, op: "**", l: l, r: p.parseUnary(true)}
	}
	return l
}

func (p *parser) parseUnary(withFilter bool) expr {
	p.enter()
	defer p.leave()
	t := p.cur()
	var e expr
	if t.typ == tOp && (t.val == "-" || t.val == "+") {
		p.next()
		e = &unaryExpr{pos: t.pos, op: t.val, x: p.parseUnary(false)}
	} else {
		e = p.parsePrimary()
	}
	e = p.parsePostfix(e)
	if withFilter {
		e = p.parseFilterExpr(e)
	}
	return e
}

func (p *parser) parsePrimary() expr {
	p.enter()
	defer p.leave()
	// Only the target's own items may be ns.attr: inside parentheses Jinja2 parses a
	// plain expression, and (ns.a, b) cannot be assigned to.
	withNS := p.withNS
	p.withNS = false
	defer func() { p.withNS = withNS }()
	t := p.cur()
	switch t.typ {
	case tName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{v: trueVal}
		case "false", "False":
			return &constExpr{v: falseVal}
		case "none", "None":
			return &constExpr{v: noneVal}
		}
		if withNS && p.isOp(".") {
			p.next()
			attr := p.expectName()
			return &nsRefExpr{pos: t.pos, name: p.intern(t.val), attr: attr.val}
		}
		return &nameExpr{pos: t.pos, name: p.intern(t.val)}
	case tString:
		p.next()
		s := t.val
		for p.cur().typ == tString {
			s += p.next().val
		}
		return &constExpr{v: strVal(s)}
	case tInt:
		p.next()
		return &constExpr{v: intToken(t)}
	case tFloat:
		p.next()
		return &constExpr{v: floatVal(math.Float64frombits(uint64(t.i)))}
	case tOp:
		switch t.val {
		case "(":
			p.next()
			e := p.parseTuple(false, true, nil, true)
			p.expectOp(")")
			return e
		case "[":
			p.next()
			l := &listExpr{}
			for !p.isOp("]") {
				if len(l.items) > 0 {
					p.expectOp(",")
				}
				if p.isOp("]") {
					break
				}
				l.items = append(l.items, p.parseItem("]"))
			}
			p.expectOp("]")
			return l
		case "{":
			p.next()
			d := &dictExpr{}
			for !p.isOp("}") {
				if len(d.keys) > 0 {
					p.expectOp(",")
				}
				if p.isOp("}") {
					break
				}
				k := p.parseExpression(true)
				p.expectOp(":")
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, p.parseItem("}"))
			}
			p.expectOp("}")
			return d
		}
	}
	p.fail("unexpected '" + t.describe() + "'")
	return nil
}

func (p *parser) parsePostfix(e expr) expr {
	for {
		t := p.cur()
		if t.typ != tOp {
			return e
		}
		switch t.val {
		case ".", "[":
			e = p.parseSubscript(e)
		case "(":
			e = p.parseCall(e)
		default:
			return e
		}
	}
}

func (p *parser) parseFilterExpr(e expr) expr {
	for {
		t := p.cur()
		switch {
		case t.typ == tOp && t.val == "|":
			e = p.parseFilter(e, false)
		case t.typ == tName && t.val == "is":
			e = p.parseTest(e)
		case t.typ == tOp && t.val == "(":
			e = p.parseCall(e)
		default:
			return e
		}
	}
}

// intToken is the value of an integer token: a big integer's digits, which the
// lexer checked, are converted here.
func intToken(t token) Value {
	if t.val == "" {
		return intVal(t.i)
	}
	b, _ := new(big.Int).SetString(t.val, int(t.i))
	return Value{k: kBig, p: b}
}

func (p *parser) parseSubscript(e expr) expr {
	t := p.next()
	if t.val == "." {
		a := p.next()
		if a.typ == tName {
			return &getattrExpr{pos: t.pos, obj: e, name: a.val, dictMethod: lookupMethod(Value{k: kDict}, a.val) != nil}
		}
		if a.typ != tInt {
			p.failAt(a.pos, kindSyntax, "expected name or number")
		}
		return &getitemExpr{pos: t.pos, obj: e, key: &constExpr{v: intToken(a)}}
	}
	var args []expr
	for !p.isOp("]") {
		if len(args) > 0 {
			p.expectOp(",")
		}
		args = append(args, p.parseSubscribed())
	}
	p.expectOp("]")
	if len(args) == 1 {
		if s, ok := args[0].(*sliceExpr); ok {
			s.obj = e
			s.pos = t.pos
			return s
		}
		return &getitemExpr{pos: t.pos, obj: e, key: args[0]}
	}
	if len(args) == 0 {
		p.failAt(t.pos, kindSyntax, "expected an expression")
	}
	return &getitemExpr{pos: t.pos, obj: e, key: &tupleExpr{items: args}}
}

func (p *parser) parseSubscribed() expr {
	var args [3]expr
	if p.isOp(":") {
		p.next()
	} else {
		e := p.parseExpression(true)
		if !p.isOp(":") {
			return e
		}
		p.next()
		args[0] = e
	}
	if !p.isOp("]") && !p.isOp(",") && !p.isOp(":") {
		args[1] = p.parseExpression(true)
	}
	if p.isOp(":") {
		p.next()
		if !p.isOp("]") && !p.isOp(",") {
			args[2] = p.parseExpression(true)
		}
	}
	return &sliceExpr{start: args[0], stop: args[1], step: args[2]}
}

func (p *parser) parseCallArgs() callArgsExpr {
	open := p.expectOp("(")
	var c callArgsExpr
	ensure := func(ok bool) {
		if !ok {
			p.failAt(open.pos, kindSyntax, "invalid syntax for function call expression")
		}
	}
	requireComma := false
	for !p.isOp(")") {
		if requireComma {
			p.expectOp(",")
			if p.isOp(")") {
				break
			}
		}
		switch {
		case p.isOp("*"):
			ensure(c.dynArg == nil && c.dynKw == nil)
			p.next()
			c.dynArg = p.parseExpression(true)
		case p.isOp("**"):
			ensure(c.dynKw == nil)
			p.next()
			c.dynKw = p.parseExpression(true)
		case p.cur().typ == tName && p.look().typ == tOp && p.look().val == "=":
			ensure(c.dynKw == nil)
			key := p.next().val
			p.next()
			c.kw = append(c.kw, kwExpr{name: key, v: p.parseExpression(true)})
		default:
			ensure(c.dynArg == nil && c.dynKw == nil && len(c.kw) == 0)
			c.args = append(c.args, p.parseExpression(true))
		}
		requireComma = true
	}
	p.expectOp(")")
	return c
}

func (p *parser) parseCall(e expr) expr {
	pos := p.cur().pos
	return &callExpr{pos: pos, fn: e, callArgsExpr: p.parseCallArgs()}
}

func (p *parser) dottedName() (token, string) {
	t := p.expectName()
	name := t.val
	for p.isOp(".") {
		p.next()
		name += "." + p.expectName().val
	}
	return t, name
}

func (p *parser) parseFilter(e expr, startInline bool) expr {
	for p.isOp("|") || startInline {
		if !startInline {
			p.next()
		}
		t, name := p.dottedName()
		fn := lookupFilter(name)
		if fn == nil {
			fn = p.unknownFilter(t.pos, name)
		}
		f := &filterExpr{pos: t.pos, input: e, name: name, fn: fn}
		if p.isOp("(") {
			f.callArgsExpr = p.parseCallArgs()
		}
		e = f
		startInline = false
	}
	return e
}

func (p *parser) parseTest(e expr) expr {
	p.next()
	negated := p.skipName("not")
	t, name := p.dottedName()
	fn := lookupTest(name)
	if fn == nil {
		fn = p.unknownTest(t.pos, name)
	}
	te := &testExpr{pos: t.pos, input: e, name: name, fn: fn, negated: negated}
	c := p.cur()
	if c.typ == tOp && c.val == "(" {
		te.callArgsExpr = p.parseCallArgs()
	} else if (c.typ == tName || c.typ == tString || c.typ == tInt || c.typ == tFloat ||
		c.typ == tOp && (c.val == "(" || c.val == "[" || c.val == "{")) &&
		!(c.typ == tName && (c.val == "else" || c.val == "or" || c.val == "and")) {
		if c.typ == tName && c.val == "is" {
			p.fail("You cannot chain multiple tests with is")
		}
		arg := p.parsePostfix(p.parsePrimary())
		te.args = []expr{arg}
	}
	return te
}

// unknownFilter records a filter the engine does not know. A Jinja2 built-in that the
// engine refuses by design fails the compile at once; any other name is Python's
// "No filter named" case, settled by checkUnknown.
func (p *parser) unknownFilter(pos int, name string) filterFunc {
	if refusedFilter(name) {
		p.failAt(pos, kindUnsupported, "unsupported: filter '"+name+"'")
	}
	p.unknown = append(p.unknown, unknownName{pos: pos, what: "filter", name: name, soft: p.soft})
	return missingFilter(name)
}

func (p *parser) unknownTest(pos int, name string) testFunc {
	p.unknown = append(p.unknown, unknownName{pos: pos, what: "test", name: name, soft: p.soft})
	return missingTest(name)
}

// refusedFilter reports the Jinja2 3.1 built-in filters the engine does not implement:
// random (its output is not reproducible) and urlize (its HTML would need autoescape's
// rules). They fail the compile wherever they appear, as any unsupported feature does.
func refusedFilter(name string) bool { return name == "random" || name == "urlize" }

// nsRefExpr is ns.attr in a set statement's target; it exists only until toTarget turns
// it into an nsTarget, so it is never evaluated.
type nsRefExpr struct {
	pos        int
	name, attr string
}

func (e *nsRefExpr) eval(r *renderer) Value {
	r.fail(kindRender, "internal error: namespace reference evaluated")
	return Value{}
}

// checkLoopStore fails, as Jinja2's compiler does, when a for statement's target, or a
// set statement anywhere inside a for statement, assigns to the name loop.
func (p *parser) checkLoopStore(pos int, t target, isFor bool) {
	if (isFor || p.forDepth > 0) && targetStores(t, "loop") {
		p.failAt(pos, kindSyntax, "Can't assign to special loop variable in for-loop target")
	}
}

func targetStores(t target, name string) bool {
	switch t := t.(type) {
	case nameTarget:
		return t.name == name
	case tupleTarget:
		for _, it := range t.items {
			if targetStores(it, name) {
				return true
			}
		}
	}
	return false
}

// checkCallerParam handles a macro that declares caller as a parameter. Jinja2 then
// treats it as an ordinary parameter, which {% call %} fills by keyword; when the body
// uses caller, the parameter must have a default (Jinja2's compiler refuses it otherwise).
func (p *parser) checkCallerParam(pos int, m *macroDef) {
	for i, name := range m.params {
		if name != "caller" {
			continue
		}
		m.callerParam = true
		if m.usesCaller && m.defaults[i] == nil {
			p.failAt(pos, kindSyntax, `When defining macros or call blocks the special "caller" argument must be omitted or be given a default.`)
		}
	}
}
