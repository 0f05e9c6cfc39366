package jinja

// expr is a compiled expression; stmt is a compiled statement. Both are immutable after
// Compile, so one Template serves concurrent renders.
type expr interface {
	eval(r *renderer) Value
}

type stmt interface {
	exec(r *renderer)
}

type (
	constExpr struct{ v Value }
	nameExpr  struct {
		pos  int
		name string
	}
	getattrExpr struct {
		pos  int
		obj  expr
		name string
		// dictMethod: name is a dict method (items, get, ...), which Jinja's getattr
		// finds before any key of that name.
		dictMethod bool
	}
	getitemExpr struct {
		pos int
		obj expr
		key expr
	}
	sliceExpr struct {
		pos               int
		obj               expr
		start, stop, step expr
	}
	kwExpr struct {
		name string
		v    expr
	}
	callArgsExpr struct {
		args   []expr
		kw     []kwExpr
		dynArg expr
		dynKw  expr
	}
	callExpr struct {
		pos int
		fn  expr
		callArgsExpr
	}
	filterExpr struct {
		pos   int
		input expr // nil inside {% filter %} and {% set x | f %}: the block's text
		name  string
		fn    filterFunc
		callArgsExpr
	}
	testExpr struct {
		pos     int
		input   expr
		name    string
		fn      testFunc
		negated bool
		callArgsExpr
	}
	binExpr struct {
		pos  int
		op   string
		l, r expr
	}
	unaryExpr struct {
		pos int
		op  string
		x   expr
	}
	andExpr     struct{ l, r expr }
	orExpr      struct{ l, r expr }
	notExpr     struct{ x expr }
	compareExpr struct {
		pos   int
		first expr
		ops   []string
		rest  []expr
	}
	condExpr struct {
		test, then, els expr // els may be nil
	}
	listExpr   struct{ items []expr }
	tupleExpr  struct{ items []expr }
	dictExpr   struct{ keys, vals []expr }
	concatExpr struct {
		pos   int
		items []expr
	}
)

// Assignment targets.
type target interface{ isTarget() }

type (
	nameTarget  struct{ name string }
	tupleTarget struct {
		items []target
	}
	nsTarget struct {
		pos        int
		name, attr string
	}
)

func (nameTarget) isTarget()  {}
func (tupleTarget) isTarget() {}
func (nsTarget) isTarget()    {}

type (
	textStmt struct {
		s  string
		js []jsonSeg // ModeJSON: the text as emitted from each lexical state
	}
	outputStmt struct {
		pos int
		e   expr
		// fold: the expression slices, and Jinja first tries to evaluate a printed
		// expression at compile time, where slicing goes through environment.getitem
		// and a TypeError gives undefined.
		fold bool
	}
	ifStmt struct {
		conds  []expr
		bodies [][]stmt
		els    []stmt
	}
	forStmt struct {
		pos       int
		target    target
		iter      expr
		cond      expr
		body, els []stmt
		recursive bool
		frame     frameInfo
	}
	setStmt struct {
		pos    int
		target target
		value  expr
	}
	setBlockStmt struct {
		pos    int
		target target
		body   []stmt
		filter expr // filter chain applied to the body, or nil
		frame  frameInfo
	}
	withStmt struct {
		targets []target
		values  []expr
		body    []stmt
		frame   frameInfo
	}
	macroStmt struct{ m *macroDef }
	callStmt  struct {
		pos    int
		call   *callExpr
		caller *macroDef
	}
	filterStmt struct {
		pos    int
		filter expr
		body   []stmt
		frame  frameInfo
	}
	includeStmt struct {
		pos           int
		name          expr
		ignoreMissing bool
		withContext   bool
	}
	importStmt struct {
		pos         int
		name        expr
		alias       string
		withContext bool
	}
	fromStmt struct {
		pos         int
		name        expr
		names       []string
		aliases     []string
		withContext bool
	}
)

type macroDef struct {
	pos          int
	name         string
	params       []string
	defaults     []expr // aligned with params; nil when the parameter has no default
	body         []stmt
	usesCaller   bool
	callerParam  bool // caller is one of params: an ordinary parameter, never the special one
	usesVarargs  bool
	usesKwargs   bool
	isCallerBody bool
	frame        frameInfo
}

// frameInfo is what Jinja's symbol analysis decides for one frame (the template, a loop
// body, a macro, a with, filter or set block): the names assigned in it before any use
// and unknown to enclosing frames start out undefined, hiding context variables of the
// same name from the nested frames that read them first.
type frameInfo struct {
	undefInit []string
}
