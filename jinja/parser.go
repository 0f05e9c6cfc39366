package jinja

import (
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
	err   *Error
	// names interns variable names, so that a render compares repeated names by
	// pointer (see renderer.dataLookup).
	names map[string]string
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
	p.expectNameValue("in")
	iter := p.parseTuple(false, false, []string{"recursive"}, false)
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
	if p.skipOp("=") {
		v := p.parseTuple(false, true, nil, false)
		p.expectBlockEnd()
		return &setStmt{pos: start.pos, target: tgt, value: v}
	}
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
	p.parseSignature(m)
	p.expectBlockEnd()
	m.body = p.subparse([]string{"endmacro"})
	p.next()
	p.expectBlockEnd()
	scanMacroUses(m)
	return &macroStmt{m: m}
}

func (p *parser) parseCallBlock() stmt {
	start := p.next()
	m := &macroDef{pos: start.pos, name: "caller", isCallerBody: true}
	if p.isOp("(") {
		p.parseSignature(m)
	}
	e := p.parseExpression(true)
	call, ok := e.(*callExpr)
	if !ok {
		p.failAt(start.pos, kindSyntax, "expected call")
	}
	p.expectBlockEnd()
	m.body = p.subparse([]string{"endcall"})
	p.next()
	p.expectBlockEnd()
	scanMacroUses(m)
	return &callStmt{pos: start.pos, call: call, caller: m}
}

func (p *parser) parseFilterBlock() stmt {
	start := p.next()
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
	if ns && t.typ == tName && p.look().typ == tOp && p.look().val == "." {
		p.next()
		p.next()
		attr := p.expectName()
		return nsTarget{pos: t.pos, name: t.val, attr: attr.val}
	}
	var e expr
	if withTuple {
		e = p.parseTuple(true, false, extraEnd, false)
	} else {
		e = p.parsePrimary()
	}
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
	e := p.parseOr()
	for p.skipName("if") {
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
		l = &orExpr{l: l, r: p.parseAnd()}
	}
	return l
}

func (p *parser) parseAnd() expr {
	l := p.parseNot()
	for p.skipName("and") {
		l = &andExpr{l: l, r: p.parseNot()}
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
			p.failAt(t.pos, kindUnsupported, "unsupported: filter '"+name+"'")
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
		p.failAt(t.pos, kindUnsupported, "unsupported: test '"+name+"'")
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
