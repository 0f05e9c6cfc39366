package jinja

import (
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

func fBatch(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("batch", args, kw, "linecount", "fill_with")
	lc, ok := argN(args, kw, 0, "linecount")
	if !ok {
		r.fail(kindType, "do_batch() missing 1 required positional argument: 'linecount'")
	}
	n := r.toInt(lc, "linecount")
	fill, hasFill := argN(args, kw, 1, "fill_with")
	if hasFill && fill.k == kNone {
		hasFill = false
	}
	// Python's algorithm, quirks included (a linecount below 1 yields an empty first batch).
	var out []Value
	var tmp []Value
	for _, item := range r.iterAny(v) {
		r.step()
		if int64(len(tmp)) == n {
			out = append(out, r.listOf(tmp))
			tmp = nil
		}
		tmp = append(tmp, item)
	}
	if tmp != nil {
		if hasFill && int64(len(tmp)) < n {
			r.checkSize64(n)
			for int64(len(tmp)) < n {
				tmp = append(tmp, fill)
			}
		}
		out = append(out, r.listOf(tmp))
	}
	if out == nil {
		out = []Value{}
	}
	return r.listOf(out)
}

func (r *renderer) iterAny(v Value) []Value {
	if !isIterable(v) {
		r.failf(kindType, "'%s' object is not iterable", typeName(v))
	}
	return r.iterate(v)
}

func fLength(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("length", args, kw)
	return intVal(int64(r.length(v)))
}

func sortKey(v Value, caseSensitive bool) Value {
	if !caseSensitive && v.isStr() {
		return strVal(strings.ToLower(v.s))
	}
	return v
}

func (r *renderer) sortStable(items []Value, key func(Value) Value, reverse bool) {
	// A sort compares about n log n times, each comparison a step's worth.
	r.charge(len(items) * bits.Len(uint(len(items))))
	keys := make([]Value, len(items))
	for i, it := range items {
		keys[i] = key(it)
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		c := r.cmpOrder("<", keys[idx[a]], keys[idx[b]])
		if c == 2 {
			return false
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	out := make([]Value, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	copy(items, out)
}

func fDictsort(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("dictsort", args, kw, "case_sensitive", "by", "reverse")
	cs := false
	if a, ok := argN(args, kw, 0, "case_sensitive"); ok {
		cs = truthy(a)
	}
	pos := 0
	if a, ok := argN(args, kw, 1, "by"); ok {
		switch r.str(a) {
		case "key":
		case "value":
			pos = 1
		default:
			r.fail(kindRender, "You can only sort by either \"key\" or \"value\"")
		}
	}
	rev := false
	if a, ok := argN(args, kw, 2, "reverse"); ok {
		rev = r.toInt(a, "reverse") != 0
	}
	if !isMapping(v) {
		if v.k == kUndef {
			r.failUndef(v)
		}
		r.failf(kindType, "'%s' object has no attribute 'items'", typeName(v))
	}
	ks, vs := r.mapItems(v)
	items := make([]Value, len(ks))
	for i := range ks {
		items[i] = r.tupleOf([]Value{ks[i], vs[i]})
	}
	r.sortStable(items, func(it Value) Value {
		return sortKey(it.p.(*listVal).items[pos], cs)
	}, rev)
	return r.listOf(items)
}

func fFirst(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("first", args, kw)
	if n, ok := seqLen(v); ok {
		if n == 0 {
			return undefMsg("No first item, sequence was empty.")
		}
		return r.seqAt(v, 0)
	}
	items := r.iterAny(v)
	if len(items) == 0 {
		return undefMsg("No first item, sequence was empty.")
	}
	return items[0]
}

func fLast(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("last", args, kw)
	if n, ok := seqLen(v); ok {
		if n == 0 {
			return undefMsg("No last item, sequence was empty.")
		}
		return r.seqAt(v, n-1)
	}
	if v.k == kGen {
		r.failf(kindType, "'%s' object is not reversible", typeName(v))
	}
	items := r.iterAny(v)
	if len(items) == 0 {
		return undefMsg("No last item, sequence was empty.")
	}
	return items[len(items)-1]
}

func (r *renderer) attrGetter(attr Value, def *Value, lower bool) func(Value) Value {
	var parts []Value
	if attr.isStr() {
		for _, p := range strings.Split(attr.s, ".") {
			if n, err := strconv.Atoi(p); err == nil && p != "" && isDigit(p[0]) {
				parts = append(parts, intVal(int64(n)))
			} else {
				parts = append(parts, strVal(p))
			}
		}
	} else if attr.k != kNone {
		parts = []Value{attr}
	}
	return func(item Value) Value {
		for _, p := range parts {
			if item.k == kUndef {
				r.failUndef(item)
			}
			item = r.getitem(item, p)
			if item.k == kUndef && def != nil {
				item = *def
				break
			}
		}
		if lower {
			item = sortKey(item, false)
		}
		return item
	}
}

func fGroupby(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("groupby", args, kw, "attribute", "default", "case_sensitive")
	attr, ok := argN(args, kw, 0, "attribute")
	if !ok {
		r.fail(kindType, "do_groupby() missing 1 required positional argument: 'attribute'")
	}
	var def *Value
	if a, ok := argN(args, kw, 1, "default"); ok && a.k != kNone {
		def = &a
	}
	cs := false
	if a, ok := argN(args, kw, 2, "case_sensitive"); ok {
		cs = truthy(a)
	}
	get := r.attrGetter(attr, def, false)
	items := append([]Value{}, r.iterAny(v)...)
	keyOf := func(it Value) Value { return sortKey(get(it), cs) }
	r.sortStable(items, keyOf, false)
	var out []Value
	for i := 0; i < len(items); {
		k := keyOf(items[i])
		j := i + 1
		for j < len(items) && valuesEqual(keyOf(items[j]), k) {
			j++
		}
		grouper := k
		if !cs {
			grouper = get(items[i])
		}
		g := r.tupleOf([]Value{grouper, r.listOf(append([]Value{}, items[i:j]...))})
		g.s = "group"
		out = append(out, g)
		i = j
	}
	if out == nil {
		out = []Value{}
	}
	return r.listOf(out)
}

func fItems(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("items", args, kw)
	if v.k == kUndef {
		return r.listOf([]Value{})
	}
	if !isMapping(v) {
		r.fail(kindType, "Can only get item pairs from a mapping.")
	}
	return dictItems(r, v, nil, nil)
}

func fJoin(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("join", args, kw, "d", "attribute")
	sep := ""
	if a, ok := argN(args, kw, 0, "d"); ok {
		sep = r.str(a)
	}
	items := r.iterAny(v)
	if a, ok := argN(args, kw, 1, "attribute"); ok && a.k != kNone {
		get := r.attrGetter(a, nil, false)
		mapped := make([]Value, len(items))
		for i, it := range items {
			mapped[i] = get(it)
		}
		items = mapped
	}
	var b []byte
	for i, it := range items {
		if i > 0 {
			b = append(b, sep...)
		}
		b = r.appendStr(b, it)
		r.checkSize(len(b))
	}
	return strVal(string(b))
}

func fList(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("list", args, kw)
	if n, ok := seqLen(v); ok {
		r.checkSize(n)
	}
	return r.listOf(append([]Value{}, r.iterAny(v)...))
}

func fMap(r *renderer, v Value, args []Value, kw []kwArg) Value {
	if !truthy(v) {
		return r.listOf([]Value{})
	}
	items := r.iterAny(v)
	out := make([]Value, len(items))
	if len(args) == 0 {
		var attr Value
		var def *Value
		found := false
		for _, k := range kw {
			switch k.name {
			case "attribute":
				attr, found = k.v, true
			case "default":
				d := k.v
				def = &d
			default:
				r.fail(kindType, "Unexpected keyword argument "+pyRepr(k.name))
			}
		}
		if !found {
			r.fail(kindType, "map requires a filter argument")
		}
		get := r.attrGetter(attr, def, false)
		for i, it := range items {
			r.step()
			out[i] = get(it)
		}
		return r.listOf(out)
	}
	name := r.str(args[0])
	f := lookupFilter(name)
	if f == nil {
		r.failf(kindRender, "No filter named %s.", pyRepr(name))
	}
	rest := args[1:]
	for i, it := range items {
		r.step()
		out[i] = f(r, it, rest, kw)
	}
	return r.listOf(out)
}

func fMinMax(dir int) filterFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) Value {
		name := "max"
		if dir < 0 {
			name = "min"
		}
		r.checkArgs(name, args, kw, "case_sensitive", "attribute")
		cs, get := r.caseAttrArgs(args, kw)
		items := r.iterAny(v)
		if len(items) == 0 {
			return undefMsg("No aggregated item, sequence was empty.")
		}
		key := func(it Value) Value {
			if get != nil {
				it = get(it)
			}
			return sortKey(it, cs)
		}
		best := items[0]
		bk := key(best)
		for _, it := range items[1:] {
			k := key(it)
			c := r.cmpOrder(map[int]string{1: ">", -1: "<"}[dir], k, bk)
			if c != 2 && c*dir > 0 {
				best, bk = it, k
			}
		}
		return best
	}
}

func fSelect(keep, byAttr bool) filterFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) Value {
		var get func(Value) Value
		if byAttr {
			if len(args) == 0 {
				r.fail(kindType, "Missing parameter for attribute name")
			}
			get = r.attrGetter(args[0], nil, false)
			args = args[1:]
		}
		var test testFunc
		if len(args) > 0 {
			name := r.str(args[0])
			test = lookupTest(name)
			if test == nil {
				// Jinja2 looks the test up when it first applies it, so an unknown
				// name over an empty sequence is no error.
				test = func(r *renderer, v Value, args []Value, kw []kwArg) bool {
					r.failf(kindRender, "No test named %s.", pyRepr(name))
					return false
				}
			}
			args = args[1:]
		}
		if !truthy(v) {
			return r.listOf([]Value{})
		}
		items := r.iterAny(v)
		var out []Value
		for _, it := range items {
			r.step()
			x := it
			if get != nil {
				x = get(it)
			}
			var ok bool
			if test != nil {
				ok = test(r, x, args, kw)
			} else {
				ok = truthy(x)
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		if out == nil {
			out = []Value{}
		}
		return r.listOf(out)
	}
}

func fReverse(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("reverse", args, kw)
	if v.isStr() {
		rs := []rune(v.s)
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return Value{k: v.k, s: string(rs)}
	}
	if v.k == kGen {
		// reversed() fails on a generator, so Jinja falls back to a reversed list.
		items := r.iterAny(v)
		out := make([]Value, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return r.listOf(out)
	}
	items := r.iterAny(v)
	name := "list_reverseiterator"
	switch v.k {
	case kRange:
		name = "range_iterator"
	case kTuple:
		name = "reversed"
	case kDict, kDataObj, kDataMap:
		name = "dict_reversekeyiterator"
	case kUndef:
		name = "reversed"
	}
	g := &genVal{name: name, iterator: true}
	g.produce = func() []Value {
		out := make([]Value, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return out
	}
	return Value{k: kGen, p: g}
}

func fSlice(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("slice", args, kw, "slices", "fill_with")
	a, ok := argN(args, kw, 0, "slices")
	if !ok {
		r.fail(kindType, "do_slice() missing 1 required positional argument: 'slices'")
	}
	slices := int(r.toInt(a, "slices"))
	if slices <= 0 {
		r.fail(kindRender, "slices must be positive")
	}
	r.checkSize(slices)
	fill, hasFill := argN(args, kw, 1, "fill_with")
	if hasFill && fill.k == kNone {
		hasFill = false
	}
	seq := r.iterAny(v)
	length := len(seq)
	per := length / slices
	extra := length % slices
	offset := 0
	out := make([]Value, 0, slices)
	for i := 0; i < slices; i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		tmp := append([]Value{}, seq[start:end]...)
		if hasFill && i >= extra {
			tmp = append(tmp, fill)
		}
		out = append(out, r.listOf(tmp))
	}
	return r.listOf(out)
}

func fSort(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("sort", args, kw, "reverse", "case_sensitive", "attribute")
	rev, cs := false, false
	if a, ok := argN(args, kw, 0, "reverse"); ok {
		// sorted() takes reverse as an integer.
		rev = r.toInt(a, "reverse") != 0
	}
	if a, ok := argN(args, kw, 1, "case_sensitive"); ok {
		cs = truthy(a)
	}
	items := append([]Value{}, r.iterAny(v)...)
	var getters []func(Value) Value
	if a, ok := argN(args, kw, 2, "attribute"); ok && a.k != kNone {
		if a.isStr() && strings.Contains(a.s, ",") {
			for _, part := range strings.Split(a.s, ",") {
				getters = append(getters, r.attrGetter(strVal(strings.TrimSpace(part)), nil, false))
			}
		} else {
			getters = append(getters, r.attrGetter(a, nil, false))
		}
	}
	key := func(it Value) Value {
		if len(getters) == 0 {
			return sortKey(it, cs)
		}
		// Jinja sorts by a list of attribute values: equal (even undefined) ones compare
		// equal without being ordered.
		ks := make([]Value, len(getters))
		for i, g := range getters {
			ks[i] = sortKey(g(it), cs)
		}
		return r.listOf(ks)
	}
	r.sortStable(items, key, rev)
	return r.listOf(items)
}

func fSum(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("sum", args, kw, "attribute", "start")
	items := r.iterAny(v)
	if a, ok := argN(args, kw, 0, "attribute"); ok && a.k != kNone {
		get := r.attrGetter(a, nil, false)
		m := make([]Value, len(items))
		for i, it := range items {
			m[i] = get(it)
		}
		items = m
	}
	total := intVal(0)
	if a, ok := argN(args, kw, 1, "start"); ok {
		total = a
	}
	for _, it := range items {
		r.step()
		total = r.binop("+", total, it)
	}
	return total
}

func fUnique(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("unique", args, kw, "case_sensitive", "attribute")
	cs, get := r.caseAttrArgs(args, kw)
	items := r.iterAny(v)
	// Each item is hashed into a dict, as a name is bound.
	r.charge(len(items) * bindSteps)
	seen := newDict(len(items))
	var out []Value
	for _, it := range items {
		r.step()
		k := it
		if get != nil {
			k = get(it)
		}
		k = sortKey(k, cs)
		if _, ok := hashKey(k); !ok {
			r.failf(kindType, "unhashable type: '%s'", typeName(k))
		}
		if _, ok := seen.get(k); ok {
			continue
		}
		seen.set(k, noneVal)
		out = append(out, it)
	}
	if out == nil {
		out = []Value{}
	}
	return r.listOf(out)
}

// caseAttrArgs reads the (case_sensitive=False, attribute=None) arguments
// that min, max and unique share.
func (r *renderer) caseAttrArgs(args []Value, kw []kwArg) (caseSensitive bool, get func(Value) Value) {
	if a, ok := argN(args, kw, 0, "case_sensitive"); ok {
		caseSensitive = truthy(a)
	}
	if a, ok := argN(args, kw, 1, "attribute"); ok && a.k != kNone {
		get = r.attrGetter(a, nil, false)
	}
	return caseSensitive, get
}
