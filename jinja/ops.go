package jinja

import (
	"maps"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"
)

func isIterable(v Value) bool {
	switch v.k {
	case kUndef, kList, kTuple, kDict, kDataList, kDataObj, kDataMap, kRange, kStr, kMarkup, kGen:
		return true
	}
	return false
}

// iterate materializes what Python's iter(v) yields: list items, mapping keys, characters.
func (r *renderer) iterate(v Value) []Value {
	switch v.k {
	case kUndef:
		return nil
	case kList, kTuple:
		return v.p.(*listVal).items
	case kDataList:
		l := v.p.([]any)
		r.allocElems(len(l))
		out := make([]Value, len(l))
		for i, x := range l {
			out[i] = r.fromData(x)
		}
		return out
	case kRange:
		rv := v.p.(*rangeVal)
		n := rv.length()
		r.checkSize64(n)
		r.allocElems(int(n))
		out := make([]Value, n)
		for i := range out {
			out[i] = intVal(rv.at(int64(i)))
		}
		return out
	case kStr, kMarkup:
		// Iterating a Markup yields plain strings, as str.__iter__ does.
		r.work(len(v.s) * 16)
		out := make([]Value, 0, len(v.s))
		for _, c := range v.s {
			out = append(out, strVal(string(c)))
		}
		return out
	case kDict, kDataObj, kDataMap:
		ks, _ := r.mapItems(v)
		return ks
	case kGen:
		g := v.p.(*genVal)
		if g.consumed {
			return nil
		}
		g.consumed = true
		return g.produce()
	}
	r.failf(kindType, "'%s' object is not iterable", typeName(v))
	return nil
}

// mapItems returns a mapping's keys and values in iteration order.
func (r *renderer) mapItems(v Value) ([]Value, []Value) {
	switch v.k {
	case kDict, kNamespace:
		d := v.p.(*dictVal)
		return d.keys, d.vals
	case kDataObj:
		o := v.p.(*Object)
		r.allocElems(2 * len(o.keys))
		ks := make([]Value, len(o.keys))
		vs := make([]Value, len(o.keys))
		for i, k := range o.keys {
			ks[i] = strVal(k)
			vs[i] = r.fromData(o.vals[i])
		}
		return ks, vs
	case kDataMap:
		m := v.p.(map[string]any)
		keys := slices.Sorted(maps.Keys(m))
		ks := make([]Value, len(keys))
		vs := make([]Value, len(keys))
		for i, k := range keys {
			ks[i] = strVal(k)
			vs[i] = r.fromData(m[k])
		}
		return ks, vs
	}
	return nil, nil
}

func (r *renderer) mapLen(v Value) int {
	switch v.k {
	case kDict, kNamespace:
		return len(v.p.(*dictVal).keys)
	case kDataObj:
		return len(v.p.(*Object).keys)
	case kDataMap:
		return len(v.p.(map[string]any))
	}
	return 0
}

// mapGet looks a key up in a mapping.
func (r *renderer) mapGet(v Value, key Value) (Value, bool) {
	switch v.k {
	case kDict, kNamespace:
		return v.p.(*dictVal).get(key)
	case kDataObj:
		if key.k != kStr && key.k != kMarkup {
			return Value{}, false
		}
		if x, ok := v.p.(*Object).Get(key.s); ok {
			return r.fromData(x), true
		}
	case kDataMap:
		if key.k != kStr && key.k != kMarkup {
			return Value{}, false
		}
		if x, ok := v.p.(map[string]any)[key.s]; ok {
			return r.fromData(x), true
		}
	}
	return Value{}, false
}

func (r *renderer) mapGetStr(v Value, key string) (Value, bool) {
	switch v.k {
	case kDict, kNamespace:
		return v.p.(*dictVal).getStr(key)
	case kDataObj:
		if x, ok := v.p.(*Object).Get(key); ok {
			return r.fromData(x), true
		}
	case kDataMap:
		if x, ok := v.p.(map[string]any)[key]; ok {
			return r.fromData(x), true
		}
	}
	return Value{}, false
}

// noAttr is the undefined value of a missing attribute. Its message is built only if
// it is ever raised: the object's kind travels in n.
func noAttr(obj Value, name string) Value {
	return Value{k: kUndef, n: undefAttr | int64(obj.k)<<8, s: name}
}

// getattr is Jinja's environment.getattr: the Python attribute first, then the item.
// Only the methods Jinja's sandbox allows exist as attributes; nothing else of Go is
// reachable.
func (r *renderer) getattr(obj Value, name string) Value {
	switch obj.k {
	case kDataObj, kDataMap, kDict:
		if lookupMethod(obj, name) != nil {
			return boundMethod(obj, name)
		}
		if v, ok := r.mapGetStr(obj, name); ok {
			return v
		}
		return noAttr(obj, name)
	case kNamespace:
		if v, ok := obj.p.(*dictVal).getStr(name); ok {
			return v
		}
		return noAttr(obj, name)
	case kLoop:
		return r.loopAttr(obj, name)
	case kRange:
		rv := obj.p.(*rangeVal)
		switch name {
		case "start":
			return intVal(rv.start)
		case "stop":
			return intVal(rv.stop)
		case "step":
			return intVal(rv.step)
		}
	case kFloat:
		switch name {
		case "real":
			return obj
		case "imag":
			return floatVal(0)
		}
	case kInt, kBool:
		switch name {
		case "real", "numerator":
			return intVal(obj.n)
		case "imag":
			return intVal(0)
		case "denominator":
			return intVal(1)
		}
	case kMacro:
		d := obj.p.(*macroVal).def
		switch name {
		case "name":
			return strVal(d.name)
		case "arguments":
			items := make([]Value, len(d.params))
			for i, p := range d.params {
				items[i] = strVal(p)
			}
			return r.tupleOf(items)
		case "catch_kwargs":
			return boolVal(d.usesKwargs)
		case "catch_varargs":
			return boolVal(d.usesVarargs)
		case "caller":
			return boolVal(d.usesCaller)
		}
	case kTuple:
		if obj.s == "group" {
			switch name {
			case "grouper":
				return obj.p.(*listVal).items[0]
			case "list":
				return obj.p.(*listVal).items[1]
			}
		}
	case kCycler:
		if name == "current" {
			c := obj.p.(*cyclerVal)
			return c.items[c.pos]
		}
	}
	if lookupMethod(obj, name) != nil {
		return boundMethod(obj, name)
	}
	return noAttr(obj, name)
}

func normIndex(r *renderer, key Value, n int) (int, bool) {
	i := key.n
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// getitem is Jinja's environment.getitem: the item first, then the attribute for strings.
func (r *renderer) getitem(obj Value, key Value) Value {
	switch obj.k {
	case kDict, kDataObj, kDataMap, kNamespace:
		if obj.k == kDict {
			if _, ok := hashKey(key); !ok {
				r.failf(kindType, "unhashable type: '%s'", typeName(key))
			}
		}
		if v, ok := r.mapGet(obj, key); ok {
			return v
		}
	case kList, kTuple, kDataList, kRange:
		if key.k == kInt || key.k == kBool {
			n, _ := seqLen(obj)
			if i, ok := normIndex(r, key, n); ok {
				return r.seqAt(obj, i)
			}
			return undefMsg(objectTypeRepr(obj) + " has no element " + r.repr(key))
		}
	case kStr, kMarkup:
		if key.k == kInt || key.k == kBool {
			r.work(len(obj.s))
			n := utf8.RuneCountInString(obj.s)
			if i, ok := normIndex(r, key, n); ok {
				if n == len(obj.s) {
					return Value{k: obj.k, s: obj.s[i : i+1]}
				}
				j := 0
				for _, c := range obj.s {
					if j == i {
						return Value{k: obj.k, s: string(c)}
					}
					j++
				}
			}
			return undefMsg(objectTypeRepr(obj) + " has no element " + r.repr(key))
		}
	case kLoop:
		if key.k == kStr {
			return r.loopAttr(obj, key.s)
		}
	}
	if key.k == kStr || key.k == kMarkup {
		return r.getattr(obj, key.s)
	}
	return undefMsg(objectTypeRepr(obj) + " has no element " + r.repr(key))
}

// sliceBounds is Python's slice.indices.
func (r *renderer) sliceBounds(start, stop, step Value, n int) (int, int, int) {
	st := 1
	if step.k != kNone {
		if step.k != kInt && step.k != kBool {
			r.fail(kindType, "slice indices must be integers or None or have an __index__ method")
		}
		if step.n == 0 {
			r.fail(kindType, "slice step cannot be zero")
		}
		st = int(max(min(step.n, 1<<40), -1<<40))
	}
	conv := func(v Value, def int) int {
		if v.k == kNone {
			return def
		}
		if v.k != kInt && v.k != kBool {
			r.fail(kindType, "slice indices must be integers or None or have an __index__ method")
		}
		i := v.n
		if i < 0 {
			i += int64(n)
			if i < 0 {
				if st < 0 {
					return -1
				}
				return 0
			}
		} else if i >= int64(n) {
			if st < 0 {
				return n - 1
			}
			return n
		}
		return int(i)
	}
	var a, b int
	if st > 0 {
		a, b = conv(start, 0), conv(stop, n)
	} else {
		a, b = conv(start, n-1), conv(stop, -1)
	}
	return a, b, st
}

// slice is obj[start:stop:step]. Jinja compiles slices to plain Python subscripts,
// so unlike other item access their errors propagate.
func (r *renderer) slice(obj, start, stop, step Value) Value {
	if isMapping(obj) {
		r.fail(kindType, "unhashable type: 'slice'")
	}
	if obj.k == kRange {
		rv := obj.p.(*rangeVal)
		a, b, st := r.sliceBounds(start, stop, step, int(rv.length()))
		return Value{k: kRange, p: &rangeVal{start: rv.at(int64(a)), stop: rv.at(int64(b)), step: rv.step * int64(st)}}
	}
	switch obj.k {
	case kList, kTuple, kDataList, kRange:
		n, _ := seqLen(obj)
		a, b, st := r.sliceBounds(start, stop, step, n)
		var out []Value
		for i := a; (st > 0 && i < b) || (st < 0 && i > b); i += st {
			out = append(out, r.seqAt(obj, i))
		}
		if out == nil {
			out = []Value{}
		}
		if obj.k == kTuple {
			return r.tupleOf(out)
		}
		return r.listOf(out)
	case kStr, kMarkup:
		r.work(len(obj.s) * 4)
		rs := []rune(obj.s)
		a, b, st := r.sliceBounds(start, stop, step, len(rs))
		if st == 1 {
			if a >= b {
				return Value{k: obj.k}
			}
			return Value{k: obj.k, s: string(rs[a:b])}
		}
		var sb strings.Builder
		for i := a; (st > 0 && i < b) || (st < 0 && i > b); i += st {
			sb.WriteRune(rs[i])
		}
		return Value{k: obj.k, s: sb.String()}
	}
	r.failf(kindType, "'%s' object is not subscriptable", typeName(obj))
	return Value{}
}

func (r *renderer) typeErrOp(op string, a, b Value) {
	r.failf(kindType, "unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(a), typeName(b))
}

func (r *renderer) binop(op string, a, b Value) Value {
	if a.k == kUndef {
		r.failUndef(a)
	}
	if b.k == kUndef && op == "%" && a.isStr() {
		return Value{k: a.k, s: r.pyFormat(a.s, b)}
	}
	if b.k == kUndef {
		r.failUndef(b)
	}
	// Integers (bools count as integers).
	if (a.k == kInt || a.k == kBool) && (b.k == kInt || b.k == kBool) {
		return r.intOp(op, a.n, b.n)
	}
	if isIntegral(a) && isIntegral(b) {
		return r.bigOp(op, a, b)
	}
	if a.isNum() && b.isNum() {
		return r.floatOp(op, r.toFloat(a), r.toFloat(b))
	}
	switch op {
	case "+":
		switch {
		case a.k == kMarkup && b.isStr():
			s := b.s
			if b.k == kStr {
				s = htmlEscape(s)
			}
			r.alloc(len(a.s) + len(s))
			return markupVal(a.s + s)
		case a.k == kStr && b.k == kMarkup:
			r.alloc(len(a.s) + len(b.s))
			return markupVal(htmlEscape(a.s) + b.s)
		case a.k == kStr && b.k == kStr:
			r.alloc(len(a.s) + len(b.s))
			return strVal(a.s + b.s)
		case a.k == kStr:
			r.failf(kindType, "can only concatenate str (not \"%s\") to str", typeName(b))
		case isListy(a) && isListy(b) && (a.k == kTuple) == (b.k == kTuple):
			la, _ := seqLen(a)
			lb, _ := seqLen(b)
			r.allocElems(la + lb)
			r.work((la + lb) * 16)
			out := make([]Value, 0, la+lb)
			out = append(out, r.iterate(a)...)
			out = append(out, r.iterate(b)...)
			return Value{p: &listVal{items: out}}.asSeq(a.k == kTuple)
		case isListy(a) && a.k != kTuple:
			r.failf(kindType, "can only concatenate list (not \"%s\") to list", typeName(b))
		case a.k == kTuple:
			r.failf(kindType, "can only concatenate tuple (not \"%s\") to tuple", typeName(b))
		}
	case "*":
		if b.isStr() || isListy(b) {
			a, b = b, a
		}
		if a.isStr() || isListy(a) {
			if b.k == kBig {
				if b.p.(*big.Int).Sign() < 0 {
					b = intVal(0)
				} else {
					r.fail(kindRender, "cannot fit 'int' into an index-sized integer")
				}
			}
			if b.k != kInt && b.k != kBool {
				r.failf(kindType, "can't multiply sequence by non-int of type '%s'", typeName(b))
			}
			n := b.n
			if n < 0 {
				n = 0
			}
			if a.isStr() {
				hi, lo := bits.Mul64(uint64(len(a.s)), uint64(n))
				if hi != 0 || lo > math.MaxInt32 {
					r.failBudget("value", "value too large (limit "+itoa(r.lim.ValueBytes)+")")
				}
				r.alloc(int(lo))
				return Value{k: a.k, s: strings.Repeat(a.s, int(n))}
			}
			l, _ := seqLen(a)
			hi, lo := bits.Mul64(uint64(l), uint64(n))
			if hi != 0 || lo > math.MaxInt32 {
				r.failBudget("value", "value too large (limit "+itoa(r.lim.ValueBytes)+")")
			}
			r.allocElems(int(lo))
			items := r.iterate(a)
			out := make([]Value, 0, int(lo))
			for i := int64(0); i < n; i++ {
				out = append(out, items...)
			}
			return Value{p: &listVal{items: out}}.asSeq(a.k == kTuple)
		}
	case "%":
		if a.isStr() {
			s := r.pyFormat(a.s, b)
			if a.k == kMarkup {
				return markupVal(s)
			}
			return strVal(s)
		}
	}
	r.typeErrOp(op, a, b)
	return Value{}
}

func isListy(v Value) bool { return v.k == kList || v.k == kTuple || v.k == kDataList }

func num(v Value) float64 {
	if v.k == kFloat {
		return v.f()
	}
	return float64(v.n)
}

// intOp is int64 arithmetic; results outside int64 continue in big integers.
func (r *renderer) intOp(op string, a, b int64) Value {
	big := func() Value { return r.bigOp(op, intVal(a), intVal(b)) }
	switch op {
	case "+":
		c := a + b
		if (c > a) != (b > 0) {
			return big()
		}
		return intVal(c)
	case "-":
		c := a - b
		if (c < a) != (b > 0) {
			return big()
		}
		return intVal(c)
	case "*":
		if a == 0 || b == 0 {
			return intVal(0)
		}
		c := a * b
		if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return big()
		}
		return intVal(c)
	case "/":
		if b == 0 {
			r.fail(kindRender, "division by zero")
		}
		if abs64(a) > 1<<53 || abs64(b) > 1<<53 || a == math.MinInt64 || b == math.MinInt64 {
			return big()
		}
		return floatVal(float64(a) / float64(b))
	case "//":
		if b == 0 {
			r.fail(kindRender, "integer division or modulo by zero")
		}
		if a == math.MinInt64 && b == -1 {
			return big()
		}
		q := a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) {
			q--
		}
		return intVal(q)
	case "%":
		if b == 0 {
			r.fail(kindRender, "integer modulo by zero")
		}
		if b == -1 {
			return intVal(0)
		}
		m := a % b
		if m != 0 && ((m < 0) != (b < 0)) {
			m += b
		}
		return intVal(m)
	case "**":
		if b < 0 {
			if a == 0 {
				r.fail(kindRender, "0.0 cannot be raised to a negative power")
			}
			return floatVal(pyPow(float64(a), float64(b)))
		}
		result := int64(1)
		base := a
		e := b
		if a == math.MinInt64 {
			return big()
		}
		for e > 0 {
			if e&1 == 1 {
				hi, lo := bits.Mul64(uint64(abs64(result)), uint64(abs64(base)))
				if hi != 0 || lo > math.MaxInt64 {
					return big()
				}
				neg := (result < 0) != (base < 0)
				result = int64(lo)
				if neg {
					result = -result
				}
			}
			e >>= 1
			if e > 0 {
				hi, lo := bits.Mul64(uint64(abs64(base)), uint64(abs64(base)))
				if hi != 0 || lo > math.MaxInt64 {
					if base == 1 || base == -1 {
						break
					}
					return big()
				}
				base = int64(lo)
			}
		}
		return intVal(result)
	}
	return Value{}
}

func abs64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

func pyFloorMod(a, b float64) float64 {
	m := math.Mod(a, b)
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	if m == 0 {
		m = math.Copysign(0, b)
	}
	return m
}

func (r *renderer) floatOp(op string, a, b float64) Value {
	switch op {
	case "+":
		return floatVal(a + b)
	case "-":
		return floatVal(a - b)
	case "*":
		return floatVal(a * b)
	case "/":
		if b == 0 {
			r.fail(kindRender, "division by zero")
		}
		return floatVal(a / b)
	case "//":
		if b == 0 {
			r.fail(kindRender, "float floor division by zero")
		}
		return floatVal(pyFloorDiv(a, b))
	case "%":
		if b == 0 {
			r.fail(kindRender, "float modulo")
		}
		return floatVal(pyFloorMod(a, b))
	case "**":
		if a == 0 && b < 0 {
			r.fail(kindRender, "0.0 cannot be raised to a negative power")
		}
		if a < 0 && b != math.Trunc(b) {
			r.fail(kindRender, "complex result of a negative number raised to a fractional power is not supported")
		}
		res := pyPow(a, b)
		if math.IsInf(res, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
			r.fail(kindRender, "(34, 'Numerical result out of range')")
		}
		return floatVal(res)
	}
	return Value{}
}

// valuesEqual is Python's ==.
func valuesEqual(a, b Value) bool { return valuesEqualDepth(a, b, 0) }

// maxCompareDepth bounds recursion into nested containers (cyclic lists included).
const maxCompareDepth = 200

func valuesEqualDepth(a, b Value, depth int) bool {
	if depth > maxCompareDepth {
		return false
	}
	if a.isNum() && b.isNum() {
		if c := cmpNum(a, b); c != 3 {
			return c == 0
		}
		if a.k == kFloat || b.k == kFloat {
			return num(a) == num(b)
		}
		return a.n == b.n
	}
	if a.isStr() && b.isStr() {
		return a.s == b.s
	}
	switch {
	case a.k == kNone || b.k == kNone:
		return a.k == b.k
	case a.k == kUndef || b.k == kUndef:
		return a.k == b.k
	case isListy(a) || isListy(b) || a.k == kRange || b.k == kRange:
		if (a.k == kTuple) != (b.k == kTuple) {
			return false
		}
		if a.k == kRange || b.k == kRange {
			if a.k != b.k {
				return false
			}
		}
		na, ok1 := seqLen(a)
		nb, ok2 := seqLen(b)
		if !ok1 || !ok2 || na != nb {
			return false
		}
		if a.k == b.k && a.k != kDataList && a.p == b.p {
			return true
		}
		r := &renderer{}
		for i := 0; i < na; i++ {
			if !valuesEqualDepth(r.seqAt(a, i), r.seqAt(b, i), depth+1) {
				return false
			}
		}
		return true
	case isMapping(a) && isMapping(b):
		if a.k == b.k && a.k != kDataMap && a.p == b.p {
			return true
		}
		r := &renderer{}
		if r.mapLen(a) != r.mapLen(b) {
			return false
		}
		ks, vs := r.mapItems(a)
		for i, k := range ks {
			bv, ok := r.mapGet(b, k)
			if !ok || !valuesEqualDepth(vs[i], bv, depth+1) {
				return false
			}
		}
		return true
	}
	if a.k != b.k {
		return false
	}
	return a.p == b.p && a.n == b.n && a.s == b.s
}

// cmpOrder is Python's ordering of a and b (-1, 0, 1, or 2 when unordered as NaN is),
// failing for unorderable types.
func (r *renderer) cmpOrder(op string, a, b Value) int { return r.cmpOrderDepth(op, a, b, 0) }

func (r *renderer) cmpOrderDepth(op string, a, b Value, depth int) int {
	if depth > maxCompareDepth {
		r.fail(kindRender, "maximum recursion depth exceeded in comparison")
	}
	if a.isNum() && b.isNum() {
		if c := cmpNum(a, b); c != 3 {
			return c
		}
		if a.k == kFloat || b.k == kFloat {
			x, y := num(a), num(b)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			case x == y:
				return 0
			}
			return 2 // NaN: every comparison false
		}
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	}
	if a.isStr() && b.isStr() {
		return strings.Compare(a.s, b.s)
	}
	if isListy(a) && isListy(b) && (a.k == kTuple) == (b.k == kTuple) {
		na, _ := seqLen(a)
		nb, _ := seqLen(b)
		for i := 0; i < na && i < nb; i++ {
			x, y := r.seqAt(a, i), r.seqAt(b, i)
			if !valuesEqualDepth(x, y, depth+1) {
				return r.cmpOrderDepth(op, x, y, depth+1)
			}
		}
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	}
	if a.k == kUndef {
		r.failUndef(a)
	}
	if b.k == kUndef {
		r.failUndef(b)
	}
	r.failf(kindType, "'%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
	return 0
}

func (r *renderer) compare(op string, a, b Value) bool {
	switch op {
	case "==":
		return valuesEqual(a, b)
	case "!=":
		return !valuesEqual(a, b)
	case "in":
		return r.contains(b, a)
	case "notin":
		return !r.contains(b, a)
	}
	c := r.cmpOrder(op, a, b)
	if c == 2 {
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// contains is Python's `x in container`.
func (r *renderer) contains(container, x Value) bool {
	switch container.k {
	case kStr, kMarkup:
		if !x.isStr() {
			if x.k == kUndef {
				r.failUndef(x)
			}
			r.failf(kindType, "'in <string>' requires string as left operand, not %s", typeName(x))
		}
		return strings.Contains(container.s, x.s)
	case kList, kTuple, kDataList:
		n, _ := seqLen(container)
		for i := 0; i < n; i++ {
			r.step()
			if valuesEqual(r.seqAt(container, i), x) {
				return true
			}
		}
		return false
	case kRange:
		rv := container.p.(*rangeVal)
		if x.k != kInt && x.k != kBool {
			if x.k == kFloat && x.f() == math.Trunc(x.f()) {
				x = intVal(int64(x.f()))
			} else {
				return false
			}
		}
		n := rv.length()
		if n == 0 {
			return false
		}
		d := x.n - rv.start
		if d%rv.step != 0 {
			return false
		}
		i := d / rv.step
		return i >= 0 && i < n
	case kDict, kDataObj, kDataMap, kNamespace:
		if container.k == kDict {
			if _, ok := hashKey(x); !ok {
				r.failf(kindType, "unhashable type: '%s'", typeName(x))
			}
		}
		_, ok := r.mapGet(container, x)
		return ok
	case kUndef:
		return false
	case kGen:
		for _, it := range r.iterate(container) {
			if valuesEqual(it, x) {
				return true
			}
		}
		return false
	}
	r.failf(kindType, "argument of type '%s' is not iterable", typeName(container))
	return false
}

// pyFloorDiv is CPython's float floor division.
func pyFloorDiv(a, b float64) float64 {
	mod := math.Mod(a, b)
	div := (a - mod) / b
	if mod != 0 && (b < 0) != (mod < 0) {
		div -= 1
	}
	if div != 0 {
		fd := math.Floor(div)
		if div-fd > 0.5 {
			fd++
		}
		return fd
	}
	return math.Copysign(0, a/b)
}
