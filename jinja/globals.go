package jinja

// funcVal is a callable value: a global function or a bound method.
type funcVal struct {
	name string
	self Value
	fn   func(r *renderer, self Value, args []Value, kw []kwArg) Value
}

type cyclerVal struct {
	items []Value
	pos   int
}

type joinerVal struct {
	sep     string
	started bool
}

var (
	rangeGlobal     = Value{k: kFunc, p: &funcVal{name: "range", fn: builtinRange}}
	dictGlobal      = Value{k: kFunc, p: &funcVal{name: "dict", fn: builtinDict}}
	namespaceGlobal = Value{k: kFunc, p: &funcVal{name: "jinja2.utils.Namespace", fn: builtinNamespace}}
	cyclerGlobal    = Value{k: kFunc, p: &funcVal{name: "jinja2.utils.Cycler", fn: builtinCycler}}
	joinerGlobal    = Value{k: kFunc, p: &funcVal{name: "jinja2.utils.Joiner", fn: builtinJoiner}}
)

// builtinGlobal returns the default environment's global functions.
func builtinGlobal(name string) (Value, bool) {
	switch name {
	case "range":
		return rangeGlobal, true
	case "dict":
		return dictGlobal, true
	case "namespace":
		return namespaceGlobal, true
	case "cycler":
		return cyclerGlobal, true
	case "joiner":
		return joinerGlobal, true
	}
	return Value{}, false
}

func (r *renderer) toInt(v Value, what string) int64 {
	switch v.k {
	case kInt, kBool:
		return v.n
	case kBig:
		r.fail(kindRender, "Python int too large to convert to C ssize_t")
	case kUndef:
		r.failUndef(v)
	}
	r.failf(kindType, "'%s' object cannot be interpreted as an integer", typeName(v))
	return 0
}

func builtinRange(r *renderer, _ Value, args []Value, kw []kwArg) Value {
	if len(kw) > 0 {
		r.fail(kindType, "range() takes no keyword arguments")
	}
	rv := &rangeVal{step: 1}
	switch len(args) {
	case 1:
		rv.stop = r.toInt(args[0], "stop")
	case 2:
		rv.start, rv.stop = r.toInt(args[0], "start"), r.toInt(args[1], "stop")
	case 3:
		rv.start, rv.stop, rv.step = r.toInt(args[0], "start"), r.toInt(args[1], "stop"), r.toInt(args[2], "step")
		if rv.step == 0 {
			r.fail(kindRender, "range() arg 3 must not be zero")
		}
	case 0:
		r.fail(kindType, "range expected at least 1 argument, got 0")
	default:
		r.failf(kindType, "range expected at most 3 arguments, got %d", len(args))
	}
	return Value{k: kRange, p: rv}
}

func builtinDict(r *renderer, _ Value, args []Value, kw []kwArg) Value {
	d := newDict(len(kw))
	if len(args) > 1 {
		r.failf(kindType, "dict expected at most 1 argument, got %d", len(args))
	}
	if len(args) == 1 {
		r.fillDict(d, args[0])
	}
	for _, k := range kw {
		d.set(strVal(k.name), k.v)
	}
	return Value{k: kDict, p: d}
}

// fillDict adds a mapping's items or a sequence of pairs to d, as dict(x) does.
func (r *renderer) fillDict(d *dictVal, src Value) {
	if isMapping(src) || src.k == kNamespace {
		ks, vs := r.mapItems(src)
		for i, k := range ks {
			d.set(k, vs[i])
		}
		return
	}
	if !isIterable(src) {
		r.failf(kindType, "'%s' object is not iterable", typeName(src))
	}
	for i, item := range r.iterate(src) {
		if !isIterable(item) || item.k == kUndef {
			r.failf(kindType, "cannot convert dictionary update sequence element #%d to a sequence", i)
		}
		pair := r.iterate(item)
		if len(pair) != 2 {
			r.failf(kindRender, "dictionary update sequence element #%d has length %d; 2 is required", i, len(pair))
		}
		if _, ok := hashKey(pair[0]); !ok {
			r.failf(kindType, "unhashable type: '%s'", typeName(pair[0]))
		}
		d.set(pair[0], pair[1])
	}
}

func builtinNamespace(r *renderer, _ Value, args []Value, kw []kwArg) Value {
	d := newDict(len(kw))
	for _, a := range args {
		r.fillDict(d, a)
	}
	for _, k := range kw {
		d.set(strVal(k.name), k.v)
	}
	return Value{k: kNamespace, p: d}
}

func builtinCycler(r *renderer, _ Value, args []Value, kw []kwArg) Value {
	if len(args) == 0 {
		r.fail(kindType, "at least one item has to be provided")
	}
	return Value{k: kCycler, p: &cyclerVal{items: append([]Value(nil), args...)}}
}

func builtinJoiner(r *renderer, _ Value, args []Value, kw []kwArg) Value {
	sep := ", "
	if v, ok := argN(args, kw, 0, "sep"); ok {
		sep = r.str(v)
	}
	return Value{k: kJoiner, p: &joinerVal{sep: sep}}
}

func argN(args []Value, kw []kwArg, i int, name string) (Value, bool) {
	if i < len(args) {
		return args[i], true
	}
	for _, k := range kw {
		if k.name == name {
			return k.v, true
		}
	}
	return Value{}, false
}

// checkArgs fails when a callable gets more positional arguments than it takes or an
// unknown keyword argument.
func (r *renderer) checkArgs(fname string, args []Value, kw []kwArg, names ...string) {
	if len(args) > len(names) {
		r.failf(kindType, "%s() takes at most %d arguments (%d given)", fname, len(names), len(args))
	}
	for _, k := range kw {
		found := false
		for i, n := range names {
			if n == k.name {
				if i < len(args) {
					r.failf(kindType, "%s() got multiple values for argument '%s'", fname, k.name)
				}
				found = true
			}
		}
		if !found {
			r.failf(kindType, "%s() got an unexpected keyword argument '%s'", fname, k.name)
		}
	}
}

func (r *renderer) loopAttr(obj Value, name string) Value {
	l := obj.p.(*loopState)
	switch name {
	case "index":
		return intVal(int64(l.index0 + 1))
	case "index0":
		return intVal(int64(l.index0))
	case "revindex":
		return intVal(int64(l.length - l.index0))
	case "revindex0":
		return intVal(int64(l.length - l.index0 - 1))
	case "first":
		return boolVal(l.index0 == 0)
	case "last":
		return boolVal(l.index0 == l.length-1)
	case "length":
		return intVal(int64(l.length))
	case "depth":
		return intVal(int64(l.depth0 + 1))
	case "depth0":
		return intVal(int64(l.depth0))
	case "previtem":
		if l.index0 == 0 {
			return undefMsg("there is no previous item")
		}
		return l.at(r, l.index0-1)
	case "nextitem":
		if l.index0+1 >= l.length {
			return undefMsg("there is no next item")
		}
		return l.at(r, l.index0+1)
	case "cycle", "changed":
		return boundMethod(obj, name)
	}
	return noAttr(obj, name)
}

func boundMethod(obj Value, name string) Value {
	m := lookupMethod(obj, name)
	if m == nil {
		return noAttr(obj, name)
	}
	return Value{k: kFunc, p: &funcVal{name: name, self: obj, fn: m}}
}

func loopCycle(r *renderer, self Value, args []Value, kw []kwArg) Value {
	l := self.p.(*loopState)
	if len(args) == 0 {
		r.fail(kindType, "no items for cycling given")
	}
	return args[l.index0%len(args)]
}

func loopChanged(r *renderer, self Value, args []Value, kw []kwArg) Value {
	l := self.p.(*loopState)
	cur := append([]Value(nil), args...)
	if l.hasLast && len(cur) == len(l.changed) {
		same := true
		for i := range cur {
			if !valuesEqual(cur[i], l.changed[i]) {
				same = false
			}
		}
		if same {
			return falseVal
		}
	}
	l.changed = cur
	l.hasLast = true
	return trueVal
}

func cyclerNext(r *renderer, self Value, args []Value, kw []kwArg) Value {
	c := self.p.(*cyclerVal)
	v := c.items[c.pos]
	c.pos = (c.pos + 1) % len(c.items)
	return v
}

func cyclerReset(r *renderer, self Value, args []Value, kw []kwArg) Value {
	self.p.(*cyclerVal).pos = 0
	return noneVal
}

func joinerCall(r *renderer, self Value, args []Value, kw []kwArg) Value {
	j := self.p.(*joinerVal)
	if !j.started {
		j.started = true
		return emptyStr
	}
	return strVal(j.sep)
}
