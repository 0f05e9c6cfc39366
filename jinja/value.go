package jinja

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
)

// kind is the dynamic type of a Value.
type kind uint8

const (
	kUndef     kind = iota
	kNone           // Python None
	kBool           // n: 0 or 1
	kInt            // n
	kFloat          // n: math.Float64bits
	kStr            // s
	kMarkup         // s: a string already escaped for HTML (escape/safe)
	kList           // p: *listVal (mutable)
	kTuple          // p: *listVal (immutable)
	kDict           // p: *dictVal, created by the template
	kDataList       // p: []any from render data
	kDataObj        // p: *Object from render data
	kDataMap        // p: map[string]any from render data (iterated in key order)
	kRange          // p: *rangeVal (lazy)
	kNamespace      // p: *dictVal
	kMacro          // p: *macroVal
	kLoop           // p: *loopState
	kCycler         // p: *cyclerVal
	kJoiner         // p: *joinerVal
	kFunc           // p: *funcVal, a global function or a bound method
	kBig            // p: *big.Int outside int64, never mutated
	kGen            // p: *genVal, a one-shot generator or iterator
)

// genVal stands for the generators and iterators Jinja's filters return (select, map,
// unique, batch, reverse, ...): always true, without a length, and empty once iterated.
type genVal struct {
	name     string // Python's function or type name, for printing
	iterator bool   // printed as <name object> rather than <generator object name>
	produce  func() []Value
	consumed bool
}

// Value is the interpreter's representation of a Python value. Scalars never allocate:
// ints, bools and floats live in n and strings in s.
type Value struct {
	k kind
	n int64
	s string
	p any
}

var (
	noneVal  = Value{k: kNone}
	trueVal  = Value{k: kBool, n: 1}
	falseVal = Value{k: kBool}
	emptyStr = Value{k: kStr}
)

func intVal(i int64) Value     { return Value{k: kInt, n: i} }
func floatVal(f float64) Value { return Value{k: kFloat, n: int64(math.Float64bits(f))} }
func strVal(s string) Value    { return Value{k: kStr, s: s} }
func markupVal(s string) Value { return Value{k: kMarkup, s: s} }
func boolVal(b bool) Value {
	if b {
		return trueVal
	}
	return falseVal
}

// listOf and tupleOf wrap items built by the render, charging them to its budgets.
func (r *renderer) listOf(items []Value) Value {
	r.allocElems(len(items))
	return Value{k: kList, p: &listVal{items: items}}
}

// asSeq makes v, holding an already charged *listVal, a list or a tuple.
func (v Value) asSeq(tuple bool) Value {
	v.k = kList
	if tuple {
		v.k = kTuple
	}
	return v
}

func (r *renderer) tupleOf(items []Value) Value {
	r.allocElems(len(items))
	return Value{k: kTuple, p: &listVal{items: items}}
}

// undefName is an undefined value for a missing variable.
func undefName(name string) Value { return Value{k: kUndef, s: name} }

// undefMsg is an undefined value carrying the full message an access to it raises.
func undefMsg(msg string) Value { return Value{k: kUndef, s: msg, n: 1} }

func (v Value) f() float64 { return math.Float64frombits(uint64(v.n)) }

func (v Value) isUndef() bool { return v.k == kUndef }
func (v Value) isStr() bool   { return v.k == kStr || v.k == kMarkup }
func (v Value) isNum() bool   { return v.k == kInt || v.k == kFloat || v.k == kBool || v.k == kBig }

// Undefined values: n is 0 for a missing name (s), undefMsg for a full message (s), or
// undefAttr with the owner's kind above bit 8 for a missing attribute (s).
const (
	undefMsgFlag = 1
	undefAttr    = 2
)

// undefMessage is the text Jinja's default Undefined raises with.
func (v Value) undefMessage() string {
	switch v.n & 0xff {
	case undefMsgFlag:
		return v.s
	case undefAttr:
		return pyRepr(objectTypeRepr(Value{k: kind(v.n >> 8)})) + " has no attribute " + pyRepr(v.s)
	}
	return "'" + v.s + "' is undefined"
}

type listVal struct{ items []Value }

// dictVal is an insertion-ordered dictionary with Python key equality.
type dictVal struct {
	keys []Value
	vals []Value
	idx  map[string]int // built once the dict grows past a few entries
}

func newDict(n int) *dictVal {
	return &dictVal{keys: make([]Value, 0, n), vals: make([]Value, 0, n)}
}

// hashKey maps a Python-hashable value to a string such that equal keys (1, 1.0, True)
// collide as they do in Python.
func hashKey(v Value) (string, bool) { return hashKeyDepth(v, 0) }

func hashKeyDepth(v Value, depth int) (string, bool) {
	if depth > maxCompareDepth {
		return "", false
	}
	switch v.k {
	case kStr, kMarkup:
		return v.s, true
	case kInt, kBool:
		return "\x00" + strconv.FormatInt(v.n, 10), true
	case kFloat:
		f := v.f()
		if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			return "\x00" + strconv.FormatInt(int64(f), 10), true
		}
		return "\x01" + strconv.FormatFloat(f, 'g', -1, 64), true
	case kBig:
		return "\x00" + v.p.(*big.Int).String(), true
	case kNone:
		return "\x02None", true
	case kUndef:
		return "\x04Undefined", true
	case kTuple:
		b := []byte("\x03(")
		for _, it := range v.p.(*listVal).items {
			k, ok := hashKeyDepth(it, depth+1)
			if !ok {
				return "", false
			}
			b = strconv.AppendInt(b, int64(len(k)), 10)
			b = append(b, ':')
			b = append(b, k...)
		}
		return string(b), true
	}
	return "", false
}

func (d *dictVal) find(k Value) int {
	if d.idx != nil {
		h, ok := hashKey(k)
		if !ok {
			return -1
		}
		if i, ok := d.idx[h]; ok {
			return i
		}
		return -1
	}
	for i, kk := range d.keys {
		if valuesEqual(kk, k) {
			return i
		}
	}
	return -1
}

func (d *dictVal) get(k Value) (Value, bool) {
	if i := d.find(k); i >= 0 {
		return d.vals[i], true
	}
	return Value{}, false
}

func (d *dictVal) getStr(k string) (Value, bool) {
	if d.idx != nil {
		if i, ok := d.idx[k]; ok {
			return d.vals[i], true
		}
		return Value{}, false
	}
	for i, kk := range d.keys {
		if (kk.k == kStr || kk.k == kMarkup) && kk.s == k {
			return d.vals[i], true
		}
	}
	return Value{}, false
}

func (d *dictVal) set(k, v Value) {
	if i := d.find(k); i >= 0 {
		d.vals[i] = v
		return
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	if d.idx != nil {
		h, _ := hashKey(k)
		d.idx[h] = len(d.keys) - 1
	} else if len(d.keys) > 8 {
		d.idx = make(map[string]int, len(d.keys)*2)
		for i, kk := range d.keys {
			h, _ := hashKey(kk)
			d.idx[h] = i
		}
	}
}

type rangeVal struct{ start, stop, step int64 }

func (r *rangeVal) length() int64 {
	// Unsigned arithmetic: the span of a range may exceed int64.
	var diff, st uint64
	if r.step > 0 {
		if r.stop <= r.start {
			return 0
		}
		diff = uint64(r.stop) - uint64(r.start)
		st = uint64(r.step)
	} else {
		if r.stop >= r.start {
			return 0
		}
		diff = uint64(r.start) - uint64(r.stop)
		st = uint64(-(r.step + 1)) + 1
	}
	n := diff / st
	if diff%st != 0 {
		n++
	}
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

func (r *rangeVal) at(i int64) int64 { return r.start + i*r.step }

// Undefined is the value of a missing variable when Eval returns it, and may be passed in
// render data to stand for one.
type Undefined struct{}

// Object is an ordered string-keyed map (JSON objects keep their key order, as Python
// dicts do).
type Object struct {
	keys []string
	vals []any
	idx  map[string]int
}

// objectScanKeys is the most keys an Object finds by a linear scan; larger ones get a
// map index. Comparing a dozen short keys (lengths first) is cheaper than hashing.
const objectScanKeys = 16

// NewObject returns an empty Object.
func NewObject() *Object { return &Object{} }

// Set replaces the value of key in place if present, else appends it.
func (o *Object) Set(key string, v any) {
	if i := o.find(key); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	if o.idx != nil {
		o.idx[key] = len(o.keys) - 1
	} else if len(o.keys) > objectScanKeys {
		o.idx = make(map[string]int, len(o.keys)*2)
		for i, k := range o.keys {
			o.idx[k] = i
		}
	}
}

func (o *Object) find(key string) int {
	if o.idx != nil {
		if i, ok := o.idx[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value of key.
func (o *Object) Get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Keys returns the keys in order.
func (o *Object) Keys() []string { return append([]string(nil), o.keys...) }

// Len returns the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// MarshalJSON encodes the object with its key order preserved (see
// MarshalData).
func (o *Object) MarshalJSON() ([]byte, error) { return MarshalData(o) }

// MarshalData encodes render data as JSON: objects with their key order
// preserved, other values as encoding/json encodes them, except that an
// infinite or NaN number is written as null, as JavaScript's JSON.stringify
// writes it. DecodeJSON reads a number beyond the range of a double (1e400)
// as infinity, as Python does, and JSON has no way to write it back.
// Nested objects and lists are written in one pass: going through
// json.Marshal for each of them would validate every nested level again,
// which is quadratic in the nesting depth of data that comes from webhook
// responses.
func MarshalData(v any) ([]byte, error) {
	return appendDataJSON(nil, v, 0)
}

// AppendData is MarshalData appending to b.
func AppendData(b []byte, v any) ([]byte, error) {
	return appendDataJSON(b, v, 0)
}

// AppendString appends s as MarshalData writes a string.
func AppendString(b []byte, s string) []byte { return appendDataString(b, s) }

// appendDataJSON appends the JSON encoding of render data v.
func appendDataJSON(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("jinja: data nested deeper than %d levels", maxJSONDepth)
	}
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		for i, k := range x.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendDataString(b, k), ':')
			var err error
			if b, err = appendDataJSON(b, x.vals[i], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendDataJSON(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case string:
		return appendDataString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case nil:
		return append(b, "null"...), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return append(b, "null"...), nil
		}
	}
	// Finite numbers, and any other value, as encoding/json writes them.
	eb, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, eb...), nil
}

// appendDataString appends s as a JSON string the way encoding/json writes
// it, but without escaping <, > and & (nor U+2028 and U+2029, which matter
// only inside HTML scripts): data is shown to people and stored, never put
// into HTML as it is, and an HTML-bearing field (a ticket's description)
// would otherwise read as \u003cp\u003e. Invalid UTF-8 becomes U+FFFD.
func appendDataString(b []byte, s string) []byte {
	return append(appendJSONContent(append(b, '"'), s), '"')
}

// fromGo converts a render data value. ok is false for a Go type outside the contract.
func fromGo(x any) (Value, bool) {
	switch t := x.(type) {
	case nil:
		return noneVal, true
	case string:
		return Value{k: kStr, s: t}, true
	case int64:
		return Value{k: kInt, n: t}, true
	case int:
		return Value{k: kInt, n: int64(t)}, true
	case float64:
		return floatVal(t), true
	case bool:
		return boolVal(t), true
	case *big.Int:
		if t == nil {
			return noneVal, true
		}
		if t.IsInt64() {
			return Value{k: kInt, n: t.Int64()}, true
		}
		if t.BitLen() > maxBigBits {
			return Value{}, false
		}
		// The engine never mutates a *big.Int it holds, so the caller's
		// value is shared, not copied.
		return Value{k: kBig, p: t}, true
	case *Object:
		if t == nil {
			return noneVal, true
		}
		return Value{k: kDataObj, p: t}, true
	case []any:
		return Value{k: kDataList, p: t}, true
	case map[string]any:
		return Value{k: kDataMap, p: t}, true
	case Undefined:
		return Value{k: kUndef, s: "value"}, true
	}
	return Value{}, false
}

// truthy is Python's bool(v).
func truthy(v Value) bool {
	switch v.k {
	case kUndef, kNone:
		return false
	case kBool, kInt:
		return v.n != 0
	case kFloat:
		return v.f() != 0
	case kStr, kMarkup:
		return v.s != ""
	case kList, kTuple:
		return len(v.p.(*listVal).items) > 0
	case kDict:
		return len(v.p.(*dictVal).keys) > 0
	case kDataList:
		return len(v.p.([]any)) > 0
	case kDataObj:
		return len(v.p.(*Object).keys) > 0
	case kDataMap:
		return len(v.p.(map[string]any)) > 0
	case kRange:
		return v.p.(*rangeVal).length() > 0
	}
	return true
}

// typeName is Python's type(v).__name__.
func typeName(v Value) string {
	switch v.k {
	case kUndef:
		return "Undefined"
	case kNone:
		return "NoneType"
	case kBool:
		return "bool"
	case kInt, kBig:
		return "int"
	case kFloat:
		return "float"
	case kStr:
		return "str"
	case kMarkup:
		return "Markup"
	case kList, kDataList:
		return "list"
	case kTuple:
		return "tuple"
	case kDict, kDataObj, kDataMap:
		return "dict"
	case kRange:
		return "range"
	case kNamespace:
		return "Namespace"
	case kMacro:
		return "Macro"
	case kLoop:
		return "LoopContext"
	case kCycler:
		return "Cycler"
	case kJoiner:
		return "Joiner"
	case kFunc:
		return "builtin_function_or_method"
	case kGen:
		g := v.p.(*genVal)
		if g.iterator {
			return g.name
		}
		return "generator"
	}
	return "object"
}

// objectTypeRepr is jinja2.utils.object_type_repr.
func objectTypeRepr(v Value) string {
	switch v.k {
	case kNone:
		return "None"
	case kMarkup:
		return "markupsafe.Markup object"
	case kNamespace:
		return "jinja2.utils.Namespace object"
	case kMacro:
		return "jinja2.runtime.Macro object"
	case kLoop:
		return "jinja2.runtime.LoopContext object"
	case kCycler:
		return "jinja2.utils.Cycler object"
	case kJoiner:
		return "jinja2.utils.Joiner object"
	}
	return typeName(v) + " object"
}

func isMapping(v Value) bool {
	return v.k == kDict || v.k == kDataObj || v.k == kDataMap
}

func isSequence(v Value) bool {
	switch v.k {
	case kList, kTuple, kDataList, kRange, kStr, kMarkup:
		return true
	}
	return false
}

// seqLen and seqAt give indexed access to list-like values without copying them.
func seqLen(v Value) (int, bool) {
	switch v.k {
	case kList, kTuple:
		return len(v.p.(*listVal).items), true
	case kDataList:
		return len(v.p.([]any)), true
	case kRange:
		return int(v.p.(*rangeVal).length()), true
	}
	return 0, false
}

func (r *renderer) seqAt(v Value, i int) Value {
	switch v.k {
	case kList, kTuple:
		return v.p.(*listVal).items[i]
	case kDataList:
		return r.fromData(v.p.([]any)[i])
	case kRange:
		return intVal(v.p.(*rangeVal).at(int64(i)))
	}
	return Value{}
}

// fromData converts a data value, failing the render for a type outside the contract.
func (r *renderer) fromData(x any) Value {
	// Strings and objects are most of what templates read from data; two type
	// comparisons are cheaper than fromGo's full switch.
	switch t := x.(type) {
	case string:
		return Value{k: kStr, s: t}
	case *Object:
		if t != nil {
			return Value{k: kDataObj, p: t}
		}
	}
	v, ok := fromGo(x)
	if !ok {
		r.failf(kindRender, "unsupported data type %T", x)
	}
	return v
}

// toData converts a value back to data for Eval.
func (r *renderer) toData(v Value, depth int) any {
	if depth > 200 {
		r.failf(kindRender, "value nested too deeply")
	}
	switch v.k {
	case kUndef:
		return Undefined{}
	case kNone:
		return nil
	case kBool:
		return v.n != 0
	case kInt:
		return v.n
	case kBig:
		return new(big.Int).Set(v.p.(*big.Int))
	case kFloat:
		return v.f()
	case kStr, kMarkup:
		return v.s
	case kDataList, kDataObj, kDataMap:
		return r.normData(v.p, depth)
	case kList, kTuple, kRange:
		n, _ := seqLen(v)
		r.checkSize(n)
		out := make([]any, n)
		for i := range out {
			out[i] = r.toData(r.seqAt(v, i), depth+1)
		}
		return out
	case kDict:
		d := v.p.(*dictVal)
		o := &Object{}
		for i, k := range d.keys {
			o.Set(r.str(k), r.toData(d.vals[i], depth+1))
		}
		return o
	}
	return r.str(v)
}

// normData returns render data in Eval's vocabulary: int becomes int64 and
// map[string]any an *Object with sorted keys. Data already in that form is returned as
// is, without copying.
func (r *renderer) normData(x any, depth int) any {
	if depth > 200 {
		r.failf(kindRender, "value nested too deeply")
	}
	switch t := x.(type) {
	case int:
		return int64(t)
	case map[string]any:
		o := &Object{}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			o.Set(k, r.normData(t[k], depth+1))
		}
		return o
	case []any:
		for i, e := range t {
			if n := r.normData(e, depth+1); !sameData(n, e) {
				out := make([]any, len(t))
				copy(out, t[:i])
				out[i] = n
				for j := i + 1; j < len(t); j++ {
					out[j] = r.normData(t[j], depth+1)
				}
				return out
			}
		}
		return t
	case *Object:
		if t == nil {
			return nil
		}
		for i, e := range t.vals {
			if n := r.normData(e, depth+1); !sameData(n, e) {
				o := &Object{}
				for j, k := range t.keys {
					if j < i {
						o.Set(k, t.vals[j])
					} else {
						o.Set(k, r.normData(t.vals[j], depth+1))
					}
				}
				return o
			}
		}
		return t
	case nil, bool, int64, float64, string, Undefined, *big.Int:
		return x
	}
	r.failf(kindRender, "unsupported data type %T", x)
	return nil
}

// sameData reports whether normData left a value unchanged (containers by identity).
func sameData(a, b any) bool {
	switch at := a.(type) {
	case []any:
		bt, ok := b.([]any)
		return ok && len(at) == len(bt) && (len(at) == 0 || &at[0] == &bt[0])
	case *Object:
		bt, ok := b.(*Object)
		return ok && at == bt
	case map[string]any:
		return false
	case int64:
		bt, ok := b.(int64)
		return ok && at == bt
	}
	_, isInt := b.(int)
	_, isMap := b.(map[string]any)
	return !isInt && !isMap
}
