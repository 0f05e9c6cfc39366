package jinja

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lookupFilter returns the filter of Jinja's default environment named name, or nil.
func lookupFilter(name string) filterFunc {
	switch name {
	case "abs":
		return fAbs
	case "attr":
		return fAttr
	case "batch":
		return genFilter("do_batch", fBatch)
	case "capitalize":
		return fStrFunc("capitalize", pyCapitalize)
	case "center":
		return fCenter
	case "count", "length":
		return fLength
	case "default", "d":
		return fDefault
	case "dictsort":
		return fDictsort
	case "escape", "e":
		return fEscape
	case "forceescape":
		return fForceescape
	case "first":
		return fFirst
	case "float":
		return fFloat
	case "format":
		return fFormat
	case "groupby":
		return fGroupby
	case "indent":
		return fIndent
	case "int":
		return fInt
	case "items":
		return genFilter("do_items", fItems)
	case "join":
		return fJoin
	case "last":
		return fLast
	case "list":
		return fList
	case "lower":
		return fStrFunc("lower", pyLower)
	case "upper":
		return fStrFunc("upper", pyUpper)
	case "map":
		return genFilter("sync_do_map", fMap)
	case "max":
		return fMinMax(1)
	case "min":
		return fMinMax(-1)
	case "pprint":
		return fPprint
	case "reject":
		return genFilter("select_or_reject", fSelect(false, false))
	case "select":
		return genFilter("select_or_reject", fSelect(true, false))
	case "rejectattr":
		return genFilter("select_or_reject", fSelect(false, true))
	case "selectattr":
		return genFilter("select_or_reject", fSelect(true, true))
	case "replace":
		return fReplace
	case "reverse":
		return fReverse
	case "round":
		return fRound
	case "safe":
		return fSafe
	case "slice":
		return genFilter("sync_do_slice", fSlice)
	case "sort":
		return fSort
	case "string":
		return fString
	case "striptags":
		return fStriptags
	case "sum":
		return fSum
	case "title":
		return fStrFunc("title", jinjaTitle)
	case "tojson":
		return fTojson
	case "trim":
		return fTrim
	case "truncate":
		return fTruncate
	case "unique":
		return genFilter("sync_do_unique", fUnique)
	case "urlencode":
		return fUrlencode
	case "wordcount":
		return fWordcount
	case "wordwrap":
		return fWordwrap
	case "xmlattr":
		return fXmlattr
	case "filesizeformat":
		return fFilesizeformat
	}
	return nil
}

// genFilter makes a filter return a generator, as Jinja's do: its body runs when the
// result is first iterated.
func genFilter(name string, f filterFunc) filterFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) Value {
		args = append([]Value(nil), args...)
		kw = append([]kwArg(nil), kw...)
		g := &genVal{name: name}
		g.produce = func() []Value {
			return f(r, v, args, kw).p.(*listVal).items
		}
		return Value{k: kGen, p: g}
	}
}

func (r *renderer) noArgs(name string, args []Value, kw []kwArg) {
	if len(args) > 0 || len(kw) > 0 {
		r.failf(kindType, "%s() takes 1 positional argument but %d were given", name, len(args)+1)
	}
}

// softStr is Jinja's soft_str: Markup stays Markup.
func (r *renderer) softStr(v Value) Value {
	if v.k == kMarkup || v.k == kStr {
		return v
	}
	return strVal(r.str(v))
}

func fAbs(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("abs", args, kw)
	switch v.k {
	case kInt, kBool:
		if v.n == math.MinInt64 {
			return r.bigOp("-", intVal(0), v)
		}
		return intVal(abs64(v.n))
	case kBig:
		return r.mkBig(new(big.Int).Abs(v.p.(*big.Int)))
	case kFloat:
		return floatVal(math.Abs(v.f()))
	case kUndef:
		r.failUndef(v)
	}
	r.failf(kindType, "bad operand type for abs(): '%s'", typeName(v))
	return v
}

func fAttr(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("attr", args, kw, "name")
	if len(args) != 1 {
		r.fail(kindType, "do_attr() missing 1 required positional argument: 'name'")
	}
	if !args[0].isStr() {
		r.failf(kindType, "attribute name must be string, not '%s'", typeName(args[0]))
	}
	name := args[0].s
	switch v.k {
	case kNamespace, kLoop, kMacro, kRange, kCycler:
		return r.getattr(v, name)
	case kUndef:
		r.failUndef(v)
	}
	if lookupMethod(v, name) != nil {
		return boundMethod(v, name)
	}
	return noAttr(v, name)
}

// iterAny iterates like Python's iter(), failing for non-iterables.
func (r *renderer) length(v Value) int {
	switch v.k {
	case kUndef:
		return 0
	case kStr, kMarkup:
		return utf8.RuneCountInString(v.s)
	case kDict, kDataObj, kDataMap, kNamespace:
		return r.mapLen(v)
	}
	if n, ok := seqLen(v); ok {
		return n
	}
	r.failf(kindType, "object of type '%s' has no len()", typeName(v))
	return 0
}

func fDefault(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("default", args, kw, "default_value", "boolean")
	def := emptyStr
	if a, ok := argN(args, kw, 0, "default_value"); ok {
		def = a
	}
	boolean := false
	if a, ok := argN(args, kw, 1, "boolean"); ok {
		boolean = truthy(a)
	}
	if v.k == kUndef || (boolean && !truthy(v)) {
		return def
	}
	return v
}

// sortKey lowercases strings unless the comparison is case sensitive.
// parsePyFloat is Python's float(str).
func parsePyFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	if s == "" {
		return 0, false
	}
	t := strings.ToLower(s)
	sign := 1.0
	body := t
	if body[0] == '+' || body[0] == '-' {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	switch body {
	case "inf", "infinity":
		return sign * math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	if strings.Contains(s, "_") {
		// Underscores only between digits.
		for i := 0; i < len(s); i++ {
			if s[i] == '_' && (i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1])) {
				return 0, false
			}
		}
		s = strings.ReplaceAll(s, "_", "")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func fFloat(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("float", args, kw, "default")
	def := floatVal(0)
	if a, ok := argN(args, kw, 0, "default"); ok {
		def = a
	}
	switch v.k {
	case kFloat:
		return v
	case kInt, kBool:
		return floatVal(float64(v.n))
	case kBig:
		return floatVal(r.floatOfBig(v.p.(*big.Int)))
	case kStr, kMarkup:
		if f, ok := parsePyFloat(v.s); ok {
			return floatVal(f)
		}
	case kUndef:
		r.failUndef(v)
	}
	return def
}

// intOfFloat is Python's int(float).
func (r *renderer) intOfFloat(f float64) Value {
	if math.IsInf(f, 0) {
		r.fail(kindRender, "cannot convert float infinity to integer")
	}
	if math.IsNaN(f) {
		r.fail(kindRender, "cannot convert float NaN to integer")
	}
	if math.Abs(f) < 9.2e18 {
		return intVal(int64(f))
	}
	b, _ := new(big.Float).SetFloat64(math.Trunc(f)).Int(nil)
	return r.mkBig(b)
}

// parsePyInt is Python's int(str, base); the *big.Int is set when the value exceeds int64.
func parsePyInt(s string, base int) (int64, *big.Int, bool) {
	s = strings.TrimFunc(s, isPySpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if base == 0 || base == 16 || base == 8 || base == 2 {
		if len(s) > 1 && s[0] == '0' {
			p := s[1] | 0x20
			switch {
			case p == 'x' && (base == 0 || base == 16):
				base, s = 16, s[2:]
			case p == 'o' && (base == 0 || base == 8):
				base, s = 8, s[2:]
			case p == 'b' && (base == 0 || base == 2):
				base, s = 2, s[2:]
			}
			if len(s) > 0 && s[0] == '_' {
				s = s[1:]
			}
		}
		if base == 0 {
			base = 10
			if len(s) > 1 && s[0] == '0' && strings.Trim(s, "0_") != "" {
				return 0, nil, false
			}
		}
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, nil, false
	}
	s = strings.ReplaceAll(s, "_", "")
	for _, c := range s {
		if c >= utf8.RuneSelf {
			if d := unicode.IsDigit(c); !d {
				return 0, nil, false
			}
		}
	}
	n, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			b, ok := new(big.Int).SetString(s, base)
			if !ok || len(s) > maxIntDigits {
				return 0, nil, false
			}
			if neg {
				b.Neg(b)
			}
			return 0, b, true
		}
		return 0, nil, false
	}
	if neg {
		n = -n
	}
	return n, nil, true
}

func fInt(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("int", args, kw, "default", "base")
	def := intVal(0)
	if a, ok := argN(args, kw, 0, "default"); ok {
		def = a
	}
	base := int64(10)
	if a, ok := argN(args, kw, 1, "base"); ok {
		base = r.toInt(a, "base")
	}
	switch v.k {
	case kInt, kBig:
		return v
	case kBool:
		return intVal(v.n)
	case kFloat:
		return r.intOfFloat(v.f())
	case kStr, kMarkup:
		if base != 10 && (base < 2 || base > 36) && base != 0 {
			return def
		}
		if n, b, ok := parsePyInt(v.s, int(base)); ok {
			if b != nil {
				return r.mkBig(b)
			}
			return intVal(n)
		}
		// Jinja2 3.1 falls back to int(float(value)) and, since 3.1.5, gives the
		// default when that overflows ("1e10000", "inf") or is NaN.
		if f, ok := parsePyFloat(v.s); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return r.intOfFloat(f)
		}
	case kUndef:
		r.failUndef(v)
	}
	return def
}

// attrGetter is Jinja's make_attrgetter: dotted paths, integer parts as indexes.
// pyRound is Python's round(x, n) for floats: correctly rounded, ties to even.
func pyRound(x float64, n int64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) || x == 0 {
		return x
	}
	if n > 300 {
		return x
	}
	if n >= 0 {
		s := strconv.FormatFloat(x, 'f', int(n), 64)
		f, _ := strconv.ParseFloat(s, 64)
		if f == 0 {
			return math.Copysign(0, x)
		}
		return f
	}
	p := math.Pow(10, float64(-n))
	y := x / p
	z := math.RoundToEven(y)
	res := z * p
	if res == 0 {
		return math.Copysign(0, x)
	}
	return res
}

func fRound(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("round", args, kw, "precision", "method")
	prec := int64(0)
	precNone := false
	if a, ok := argN(args, kw, 0, "precision"); ok {
		if a.k == kNone {
			precNone = true
		} else {
			prec = r.toInt(a, "precision")
		}
	}
	method := "common"
	if a, ok := argN(args, kw, 1, "method"); ok {
		method = r.str(a)
	}
	if precNone {
		// round(x, None) is round(x): an int.
		if method != "common" {
			r.fail(kindType, "unsupported operand type(s) for ** or pow(): 'int' and 'NoneType'")
		}
		if v.k == kFloat {
			f := v.f()
			if math.IsInf(f, 0) || math.IsNaN(f) {
				r.fail(kindRender, "cannot convert float infinity or NaN to integer")
			}
			return r.intOfFloat(math.RoundToEven(f))
		}
		if v.k == kBool {
			return intVal(v.n)
		}
		if isIntegral(v) {
			return v
		}
	}
	if method != "common" && method != "ceil" && method != "floor" {
		r.fail(kindRender, "method must be common, ceil or floor")
	}
	if v.k == kUndef {
		r.failUndef(v)
	}
	if !v.isNum() {
		r.failf(kindType, "type %s doesn't define __round__ method", typeName(v))
	}
	if method == "common" {
		if isIntegral(v) {
			if prec >= 0 {
				if v.k == kBool {
					return intVal(v.n)
				}
				return v
			}
			// Exact, ties to even, as Python rounds ints.
			if -prec > 4400 {
				return intVal(0)
			}
			p := r.bigOp("**", intVal(10), intVal(-prec))
			q := r.binop("//", v, p)
			m := r.binop("%", v, p)
			twice := r.binop("*", m, intVal(2))
			c := r.cmpOrder("<", twice, p)
			if c > 0 || c == 0 && valuesEqual(r.binop("%", q, intVal(2)), intVal(1)) {
				q = r.binop("+", q, intVal(1))
			}
			return r.binop("*", q, p)
		}
		return floatVal(pyRound(v.f(), prec))
	}
	p := math.Pow(10, float64(prec))
	x := num(v) * p
	if method == "ceil" {
		x = math.Ceil(x)
	} else {
		x = math.Floor(x)
	}
	// Python's math.floor and math.ceil return ints: no negative zero survives.
	return floatVal(x/p + 0)
}
