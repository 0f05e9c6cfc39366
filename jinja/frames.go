package jinja

import "slices"

// Jinja compiles each frame with a symbol table: a name whose first reference in the
// frame is an assignment, and that no enclosing frame references, starts undefined
// rather than resolving from the context. analyzeFrames reproduces that decision.

type frameRef struct {
	name  string
	store bool
}

// frameRefs lists the references one frame makes itself, in Jinja's analysis order,
// without descending into nested frames. Assignments inside if branches count as reads:
// Jinja resolves names assigned only conditionally from the context.
func frameRefs(body []stmt) []frameRef {
	var refs []frameRef
	load := func(e expr) {
		walkExpr(e, func(x expr) {
			if n, ok := x.(*nameExpr); ok {
				refs = append(refs, frameRef{name: n.name})
			}
		})
	}
	var visit func(body []stmt, branch bool)
	store := func(t target, branch bool) {
		var names []string
		var collect func(t target)
		collect = func(t target) {
			switch t := t.(type) {
			case nameTarget:
				names = append(names, t.name)
			case tupleTarget:
				for _, it := range t.items {
					collect(it)
				}
			case nsTarget:
				refs = append(refs, frameRef{name: t.name})
			}
		}
		collect(t)
		for _, n := range names {
			refs = append(refs, frameRef{name: n, store: !branch})
		}
	}
	storeName := func(n string, branch bool) { refs = append(refs, frameRef{name: n, store: !branch}) }
	visit = func(body []stmt, branch bool) {
		for _, s := range body {
			switch s := s.(type) {
			case *outputStmt:
				load(s.e)
			case *ifStmt:
				for i, c := range s.conds {
					load(c)
					visit(s.bodies[i], true)
				}
				visit(s.els, true)
			case *forStmt:
				load(s.iter)
			case *setStmt:
				load(s.value)
				store(s.target, branch)
			case *setBlockStmt:
				store(s.target, branch)
			case *withStmt:
				for _, v := range s.values {
					load(v)
				}
			case *macroStmt:
				storeName(s.m.name, branch)
			case *callStmt:
				load(s.call)
			case *filterStmt:
				load(s.filter)
			case *includeStmt:
				load(s.name)
			case *importStmt:
				load(s.name)
				storeName(s.alias, branch)
			case *fromStmt:
				load(s.name)
				for _, a := range s.aliases {
					storeName(a, branch)
				}
			}
		}
	}
	visit(body, false)
	return refs
}

// frameScope is the chain of frames enclosing the one being analyzed: for each
// name, how many of them reference it. A count rather than a walk up the chain
// keeps the analysis linear when frames nest deeply and hold many names.
type frameScope struct {
	counts map[string]int
}

func (f *frameScope) has(n string) bool { return f != nil && f.counts[n] > 0 }

// analyzeFrame fills info for the frame of body, whose own parameters are given, and
// recurses into the frames nested in it.
func analyzeFrame(body []stmt, params []string, parent *frameScope, info *frameInfo, extra ...expr) {
	refs := frameRefs(body)
	// Sized up front: a frame may reference tens of thousands of names, and maps
	// grown one name at a time rehash over and over.
	own := make(map[string]bool, len(refs)+len(params))
	seen := make(map[string]bool, len(refs)+len(params))
	for _, p := range params {
		seen[p] = true
		own[p] = true
	}
	if len(extra) > 0 {
		// The names the extra expressions read come first, the last one found
		// first, as Jinja visits them; prepending each would be quadratic.
		var reads []frameRef
		for _, e := range extra {
			walkExpr(e, func(x expr) {
				if n, ok := x.(*nameExpr); ok {
					reads = append(reads, frameRef{name: n.name})
				}
			})
		}
		slices.Reverse(reads)
		refs = append(reads, refs...)
	}
	for _, r := range refs {
		own[r.name] = true
		if seen[r.name] {
			continue
		}
		seen[r.name] = true
		if r.store && !parent.has(r.name) {
			info.undefInit = append(info.undefInit, r.name)
		}
	}
	// The frames nested in this one see its names beside its parents'.
	chain := parent
	if chain == nil {
		chain = &frameScope{counts: make(map[string]int, len(own))}
	}
	for n := range own {
		chain.counts[n]++
	}
	analyzeNested(body, chain)
	for n := range own {
		if chain.counts[n]--; chain.counts[n] == 0 {
			delete(chain.counts, n)
		}
	}
}

func targetNames(t target) []string {
	switch t := t.(type) {
	case nameTarget:
		return []string{t.name}
	case tupleTarget:
		var out []string
		for _, it := range t.items {
			out = append(out, targetNames(it)...)
		}
		return out
	}
	return nil
}

func analyzeNested(body []stmt, fs *frameScope) {
	for _, s := range body {
		switch s := s.(type) {
		case *ifStmt:
			for _, b := range s.bodies {
				analyzeNested(b, fs)
			}
			analyzeNested(s.els, fs)
		case *forStmt:
			analyzeFrame(s.body, append(targetNames(s.target), "loop"), fs, &s.frame, s.cond)
			analyzeNested(s.els, fs)
		case *withStmt:
			var names []string
			for _, t := range s.targets {
				names = append(names, targetNames(t)...)
			}
			analyzeFrame(s.body, names, fs, &s.frame)
		case *macroStmt:
			analyzeMacro(s.m, fs)
		case *callStmt:
			analyzeMacro(s.caller, fs)
		case *filterStmt:
			analyzeFrame(s.body, nil, fs, &s.frame)
		case *setBlockStmt:
			analyzeFrame(s.body, nil, fs, &s.frame)
		}
	}
}

func analyzeMacro(m *macroDef, fs *frameScope) {
	params := append([]string{"caller", "varargs", "kwargs"}, m.params...)
	analyzeFrame(m.body, params, fs, &m.frame, m.defaults...)
}

// initFrame binds the names a frame starts with undefined, one step each, as for
// any assignment: a frame may start with tens of thousands of them.
func (r *renderer) initFrame(sc *scope, f *frameInfo) {
	if len(f.undefInit) == 0 {
		return
	}
	r.charge(len(f.undefInit) * bindSteps)
	sc.reserve(len(f.undefInit))
	for _, n := range f.undefInit {
		sc.set(n, undefName(n))
	}
}

// hasSlice reports whether e slices anything.
func hasSlice(e expr) bool {
	found := false
	walkExpr(e, func(x expr) {
		if _, ok := x.(*sliceExpr); ok {
			found = true
		}
	})
	return found
}
