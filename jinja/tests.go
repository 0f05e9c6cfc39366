package jinja

import (
	"strings"
)

// lookupTest returns the test of Jinja's default environment named name, or nil.
func lookupTest(name string) testFunc {
	switch name {
	case "defined":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k != kUndef }
	case "undefined":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kUndef }
	case "none":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kNone }
	case "number":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.isNum() }
	case "string":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.isStr() }
	case "mapping":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return isMapping(v) }
	case "iterable":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return isIterable(v) }
	case "sequence":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			return isSequence(v) || isMapping(v) || v.k == kUndef
		}
	case "boolean":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kBool }
	case "true":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kBool && v.n != 0 }
	case "false":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kBool && v.n == 0 }
	case "integer":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kInt || v.k == kBig }
	case "float":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kFloat }
	case "even", "odd":
		want := int64(0)
		if name == "odd" {
			want = 1
		}
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			r.checkArgs(name, a, kw)
			m := r.binop("%", v, intVal(2))
			return valuesEqual(m, intVal(want))
		}
	case "divisibleby":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			r.checkArgs("divisibleby", a, kw, "num")
			n, ok := argN(a, kw, 0, "num")
			if !ok {
				r.fail(kindType, "test_divisibleby() missing 1 required positional argument: 'num'")
			}
			return valuesEqual(r.binop("%", v, n), intVal(0))
		}
	case "eq", "equalto", "==":
		return cmpTest("==")
	case "ne", "!=":
		return cmpTest("!=")
	case "lt", "lessthan", "<":
		return cmpTest("<")
	case "le", "<=":
		return cmpTest("<=")
	case "gt", "greaterthan", ">":
		return cmpTest(">")
	case "ge", ">=":
		return cmpTest(">=")
	case "in":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			r.checkArgs("in", a, kw, "seq")
			seq, ok := argN(a, kw, 0, "seq")
			if !ok {
				r.fail(kindType, "test_in() missing 1 required positional argument: 'seq'")
			}
			return r.contains(seq, v)
		}
	case "lower":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return strPredicate("islower", r.str(v)) }
	case "upper":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return strPredicate("isupper", r.str(v)) }
	case "sameas":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			r.checkArgs("sameas", a, kw, "other")
			o, ok := argN(a, kw, 0, "other")
			if !ok {
				r.fail(kindType, "test_sameas() missing 1 required positional argument: 'other'")
			}
			return sameAs(v, o)
		}
	case "callable":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			switch v.k {
			case kMacro, kFunc, kJoiner:
				return true
			case kLoop:
				return true
			}
			return false
		}
	case "escaped":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool { return v.k == kMarkup }
	case "filter":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			return v.isStr() && lookupFilter(v.s) != nil
		}
	case "test":
		return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
			return v.isStr() && lookupTest(v.s) != nil
		}
	}
	return nil
}

func cmpTest(op string) testFunc {
	return func(r *renderer, v Value, a []Value, kw []kwArg) bool {
		o, ok := argN(a, kw, 0, "b")
		if !ok {
			r.failf(kindType, "missing 1 required positional argument: 'b'")
		}
		return r.compare(op, v, o)
	}
}

// sameAs approximates Python's `is`: singletons and small ints by value, containers by
// identity.
func sameAs(a, b Value) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case kNone, kUndef:
		return a.k == b.k && (a.k == kNone || a.s == b.s)
	case kBool:
		return a.n == b.n
	case kInt:
		return a.n == b.n && a.n >= -5 && a.n <= 256
	case kStr:
		return a.s == b.s && (len(a.s) <= 1 || !strings.ContainsAny(a.s, " "))
	case kFloat, kMarkup:
		return false
	case kDataList:
		la, lb := a.p.([]any), b.p.([]any)
		return len(la) == len(lb) && (len(la) == 0 || &la[0] == &lb[0])
	case kDataMap:
		return false
	}
	return a.p == b.p
}
