package jinja

// walkStmts calls fn for every statement in body, nested bodies included.
func walkStmts(body []stmt, fn func(stmt)) {
	for _, s := range body {
		fn(s)
		for _, b := range childBodies(s) {
			walkStmts(b, fn)
		}
	}
}

func childBodies(s stmt) [][]stmt {
	switch s := s.(type) {
	case *ifStmt:
		return append(append([][]stmt{}, s.bodies...), s.els)
	case *forStmt:
		return [][]stmt{s.body, s.els}
	case *setBlockStmt:
		return [][]stmt{s.body}
	case *withStmt:
		return [][]stmt{s.body}
	case *macroStmt:
		return [][]stmt{s.m.body}
	case *callStmt:
		return [][]stmt{s.caller.body}
	case *filterStmt:
		return [][]stmt{s.body}
	}
	return nil
}

// walkExpr calls fn for e and every sub-expression.
func walkExpr(e expr, fn func(expr)) {
	if e == nil {
		return
	}
	fn(e)
	args := func(c *callArgsExpr) {
		for _, a := range c.args {
			walkExpr(a, fn)
		}
		for _, k := range c.kw {
			walkExpr(k.v, fn)
		}
		walkExpr(c.dynArg, fn)
		walkExpr(c.dynKw, fn)
	}
	switch e := e.(type) {
	case *getattrExpr:
		walkExpr(e.obj, fn)
	case *getitemExpr:
		walkExpr(e.obj, fn)
		walkExpr(e.key, fn)
	case *sliceExpr:
		walkExpr(e.obj, fn)
		walkExpr(e.start, fn)
		walkExpr(e.stop, fn)
		walkExpr(e.step, fn)
	case *callExpr:
		walkExpr(e.fn, fn)
		args(&e.callArgsExpr)
	case *filterExpr:
		walkExpr(e.input, fn)
		args(&e.callArgsExpr)
	case *testExpr:
		walkExpr(e.input, fn)
		args(&e.callArgsExpr)
	case *binExpr:
		walkExpr(e.l, fn)
		walkExpr(e.r, fn)
	case *unaryExpr:
		walkExpr(e.x, fn)
	case *andExpr:
		walkExpr(e.l, fn)
		walkExpr(e.r, fn)
	case *orExpr:
		walkExpr(e.l, fn)
		walkExpr(e.r, fn)
	case *notExpr:
		walkExpr(e.x, fn)
	case *compareExpr:
		walkExpr(e.first, fn)
		for _, x := range e.rest {
			walkExpr(x, fn)
		}
	case *condExpr:
		walkExpr(e.test, fn)
		walkExpr(e.then, fn)
		walkExpr(e.els, fn)
	case *listExpr:
		for _, x := range e.items {
			walkExpr(x, fn)
		}
	case *tupleExpr:
		for _, x := range e.items {
			walkExpr(x, fn)
		}
	case *dictExpr:
		for i := range e.keys {
			walkExpr(e.keys[i], fn)
			walkExpr(e.vals[i], fn)
		}
	case *concatExpr:
		for _, x := range e.items {
			walkExpr(x, fn)
		}
	}
}

// stmtExprs lists the expressions a statement evaluates itself (not its bodies').
func stmtExprs(s stmt) []expr {
	switch s := s.(type) {
	case *outputStmt:
		return []expr{s.e}
	case *ifStmt:
		return s.conds
	case *forStmt:
		return []expr{s.iter, s.cond}
	case *setStmt:
		return []expr{s.value}
	case *setBlockStmt:
		return []expr{s.filter}
	case *withStmt:
		return s.values
	case *macroStmt:
		return s.m.defaults
	case *callStmt:
		return append([]expr{s.call}, s.caller.defaults...)
	case *filterStmt:
		return []expr{s.filter}
	case *includeStmt:
		return []expr{s.name}
	case *importStmt:
		return []expr{s.name}
	case *fromStmt:
		return []expr{s.name}
	}
	return nil
}

// scanMacroUses records whether a macro body reads caller, varargs or kwargs.
func scanMacroUses(m *macroDef) {
	check := func(e expr) {
		walkExpr(e, func(x expr) {
			if n, ok := x.(*nameExpr); ok {
				switch n.name {
				case "caller":
					m.usesCaller = true
				case "varargs":
					m.usesVarargs = true
				case "kwargs":
					m.usesKwargs = true
				}
			}
		})
	}
	walkStmts(m.body, func(s stmt) {
		for _, e := range stmtExprs(s) {
			check(e)
		}
	})
	for _, d := range m.defaults {
		check(d)
	}
}

// nameScope tracks declared names for undeclaredNames.
type nameScope struct {
	parent   *nameScope
	declared map[string]bool
	// branch marks an if branch: Jinja resolves names assigned only conditionally from
	// the context, so they stay undeclared.
	branch bool
}

func (s *nameScope) declare(n string) {
	if !s.branch {
		s.declared[n] = true
	}
}

func (s *nameScope) has(n string) bool {
	for ; s != nil; s = s.parent {
		if s.declared[n] {
			return true
		}
	}
	return false
}

func declareTarget(s *nameScope, t target) {
	switch t := t.(type) {
	case nameTarget:
		s.declare(t.name)
	case tupleTarget:
		for _, it := range t.items {
			declareTarget(s, it)
		}
	}
}

func undeclaredNames(body []stmt, frame *frameInfo) []string {
	var out []string
	seen := map[string]bool{}
	top := &nameScope{declared: map[string]bool{}}
	// Names a frame starts undefined are never looked up in the context.
	predeclare := func(sc *nameScope, f *frameInfo) *nameScope {
		for _, n := range f.undefInit {
			sc.declared[n] = true
		}
		return sc
	}
	predeclare(top, frame)
	var visitBody func(body []stmt, sc *nameScope)
	visitExpr := func(e expr, sc *nameScope) {
		walkExpr(e, func(x expr) {
			if n, ok := x.(*nameExpr); ok {
				if sc.has(n.name) || seen[n.name] {
					return
				}
				if _, ok := builtinGlobal(n.name); ok {
					return
				}
				seen[n.name] = true
				out = append(out, n.name)
			}
		})
	}
	child := func(sc *nameScope) *nameScope { return &nameScope{parent: sc, declared: map[string]bool{}} }
	var deferred []func()
	visitBody = func(body []stmt, sc *nameScope) {
		for _, s := range body {
			switch s := s.(type) {
			case *forStmt:
				visitExpr(s.iter, sc)
				in := predeclare(child(sc), &s.frame)
				declareTarget(in, s.target)
				// The loop filter sees the target but not the loop variable: a
				// "loop" there is a name from outside (and undefined when rendered).
				visitExpr(s.cond, in)
				in.declared["loop"] = true
				visitBody(s.body, in)
				visitBody(s.els, sc)
			case *setStmt:
				visitExpr(s.value, sc)
				visitNSTargets(s.target, func(nt nsTarget) { visitExpr(&nameExpr{name: nt.name}, sc) })
				declareTarget(sc, s.target)
			case *setBlockStmt:
				visitBody(s.body, predeclare(child(sc), &s.frame))
				visitExpr(s.filter, sc)
				declareTarget(sc, s.target)
			case *withStmt:
				in := predeclare(child(sc), &s.frame)
				for i, t := range s.targets {
					visitExpr(s.values[i], sc)
					declareTarget(in, t)
				}
				visitBody(s.body, in)
			case *macroStmt:
				sc.declare(s.m.name)
				in := predeclare(child(sc), &s.m.frame)
				// Every parameter is the macro's own name in every default, later
				// ones included (they are undefined there unless passed).
				for _, p := range s.m.params {
					in.declared[p] = true
				}
				for i := range s.m.params {
					visitExpr(s.m.defaults[i], in)
				}
				in.declared["caller"] = true
				in.declared["varargs"] = true
				in.declared["kwargs"] = true
				// A macro body resolves names when called, so assignments anywhere in
				// the enclosing scope count: visit it once the scope is complete.
				m := s.m
				deferred = append(deferred, func() { visitBody(m.body, in) })
			case *callStmt:
				visitExpr(s.call, sc)
				in := predeclare(child(sc), &s.caller.frame)
				for _, p := range s.caller.params {
					in.declared[p] = true
				}
				visitBody(s.caller.body, in)
			case *ifStmt:
				br := &nameScope{parent: sc, declared: map[string]bool{}, branch: true}
				for i, c := range s.conds {
					visitExpr(c, sc)
					visitBody(s.bodies[i], br)
				}
				visitBody(s.els, br)
			case *filterStmt:
				visitExpr(s.filter, sc)
				visitBody(s.body, predeclare(child(sc), &s.frame))
			case *importStmt:
				visitExpr(s.name, sc)
				sc.declare(s.alias)
			case *fromStmt:
				visitExpr(s.name, sc)
				for _, a := range s.aliases {
					sc.declare(a)
				}
			default:
				for _, e := range stmtExprs(s) {
					visitExpr(e, sc)
				}
			}
		}
	}
	visitBody(body, top)
	for i := 0; i < len(deferred); i++ {
		deferred[i]()
	}
	return out
}

// visitNSTargets calls f for each namespace attribute a target assigns: assigning
// ns.attr loads ns, so ns may be an undeclared name.
func visitNSTargets(t target, f func(nsTarget)) {
	switch t := t.(type) {
	case nsTarget:
		f(t)
	case tupleTarget:
		for _, it := range t.items {
			visitNSTargets(it, f)
		}
	}
}
