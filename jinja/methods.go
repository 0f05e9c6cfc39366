package jinja

import ()

type methodFunc = func(r *renderer, self Value, args []Value, kw []kwArg) Value

// lookupMethod returns the Python method name of obj that templates may call, or nil.
// Only these methods of data values exist: no Go method is ever reachable.
func lookupMethod(obj Value, name string) methodFunc {
	switch obj.k {
	case kStr, kMarkup:
		return strMethod(name)
	case kList, kDataList:
		switch name {
		case "append":
			return listAppend
		case "extend":
			return listExtend
		case "insert":
			return listInsert
		case "pop":
			return listPop
		case "remove":
			return listRemove
		case "clear":
			return listClear
		case "reverse":
			return listReverse
		case "copy":
			return seqCopy
		case "index":
			return seqIndex
		case "count":
			return seqCount
		}
	case kTuple, kRange:
		switch name {
		case "index":
			return seqIndex
		case "count":
			return seqCount
		}
	case kDict, kDataObj, kDataMap:
		switch name {
		case "items":
			return dictItems
		case "keys":
			return dictKeys
		case "values":
			return dictValues
		case "get":
			return dictGet
		case "update":
			return dictUpdate
		case "pop":
			return dictPop
		case "setdefault":
			return dictSetdefault
		case "copy":
			return dictCopy
		case "clear":
			return dictClear
		}
	case kLoop:
		switch name {
		case "cycle":
			return loopCycle
		case "changed":
			return loopChanged
		}
	case kCycler:
		switch name {
		case "next":
			return cyclerNext
		case "reset":
			return cyclerReset
		}
	case kFloat:
		if name == "is_integer" {
			return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
				f := self.f()
				return boolVal(f == float64(int64(f)))
			}
		}
	}
	return nil
}

// mutable returns the template-owned list behind v; render data is never modified.
func (r *renderer) mutableList(v Value) *listVal {
	if v.k == kList {
		return v.p.(*listVal)
	}
	r.fail(kindType, "render data is read-only: copy it first, e.g. with |list")
	return nil
}

func (r *renderer) mutableDict(v Value) *dictVal {
	if v.k == kDict {
		return v.p.(*dictVal)
	}
	r.fail(kindType, "render data is read-only: copy it first, e.g. with dict(x)")
	return nil
}

func listAppend(r *renderer, self Value, args []Value, kw []kwArg) Value {
	r.checkArgs("append", args, kw, "object")
	if len(args) != 1 {
		r.fail(kindType, "list.append() takes exactly one argument (0 given)")
	}
	l := r.mutableList(self)
	r.checkSize(len(l.items) + 1)
	l.items = append(l.items, args[0])
	return noneVal
}

func listExtend(r *renderer, self Value, args []Value, kw []kwArg) Value {
	if len(args) != 1 {
		r.fail(kindType, "list.extend() takes exactly one argument")
	}
	l := r.mutableList(self)
	if !isIterable(args[0]) || args[0].k == kUndef {
		r.failf(kindType, "'%s' object is not iterable", typeName(args[0]))
	}
	items := r.iterate(args[0])
	r.checkSize(len(l.items) + len(items))
	l.items = append(l.items, items...)
	return noneVal
}

func listInsert(r *renderer, self Value, args []Value, kw []kwArg) Value {
	if len(args) != 2 {
		r.fail(kindType, "insert expected 2 arguments")
	}
	l := r.mutableList(self)
	r.checkSize(len(l.items) + 1)
	i := r.toInt(args[0], "index")
	n := int64(len(l.items))
	if i < 0 {
		i += n
		if i < 0 {
			i = 0
		}
	}
	if i > n {
		i = n
	}
	l.items = append(l.items, Value{})
	copy(l.items[i+1:], l.items[i:])
	l.items[i] = args[1]
	return noneVal
}

func listPop(r *renderer, self Value, args []Value, kw []kwArg) Value {
	l := r.mutableList(self)
	if len(l.items) == 0 {
		r.fail(kindRender, "pop from empty list")
	}
	i := int64(len(l.items) - 1)
	if len(args) > 0 {
		i = r.toInt(args[0], "index")
		if i < 0 {
			i += int64(len(l.items))
		}
		if i < 0 || i >= int64(len(l.items)) {
			r.fail(kindRender, "pop index out of range")
		}
	}
	v := l.items[i]
	l.items = append(l.items[:i], l.items[i+1:]...)
	return v
}

func listRemove(r *renderer, self Value, args []Value, kw []kwArg) Value {
	if len(args) != 1 {
		r.fail(kindType, "list.remove() takes exactly one argument")
	}
	l := r.mutableList(self)
	for i, it := range l.items {
		if valuesEqual(it, args[0]) {
			l.items = append(l.items[:i], l.items[i+1:]...)
			return noneVal
		}
	}
	r.fail(kindRender, "list.remove(x): x not in list")
	return noneVal
}

func listClear(r *renderer, self Value, args []Value, kw []kwArg) Value {
	l := r.mutableList(self)
	l.items = l.items[:0]
	return noneVal
}

func listReverse(r *renderer, self Value, args []Value, kw []kwArg) Value {
	l := r.mutableList(self)
	for i, j := 0, len(l.items)-1; i < j; i, j = i+1, j-1 {
		l.items[i], l.items[j] = l.items[j], l.items[i]
	}
	return noneVal
}

func seqCopy(r *renderer, self Value, args []Value, kw []kwArg) Value {
	return r.listOf(append([]Value{}, r.iterate(self)...))
}

func seqIndex(r *renderer, self Value, args []Value, kw []kwArg) Value {
	if len(args) < 1 {
		r.fail(kindType, "index expected at least 1 argument, got 0")
	}
	n, _ := seqLen(self)
	for i := 0; i < n; i++ {
		if valuesEqual(r.seqAt(self, i), args[0]) {
			return intVal(int64(i))
		}
	}
	r.failf(kindRender, "%s is not in list", r.repr(args[0]))
	return noneVal
}

func seqCount(r *renderer, self Value, args []Value, kw []kwArg) Value {
	if len(args) != 1 {
		r.fail(kindType, "count() takes exactly one argument")
	}
	n, _ := seqLen(self)
	c := 0
	for i := 0; i < n; i++ {
		if valuesEqual(r.seqAt(self, i), args[0]) {
			c++
		}
	}
	return intVal(int64(c))
}

// Dict views print as Python's dict_items([...]) etc.; the marker lives in Value.s.
func dictItems(r *renderer, self Value, args []Value, kw []kwArg) Value {
	v := itemsList(r, self)
	v.s = "dict_items"
	return v
}

func itemsList(r *renderer, self Value) Value {
	ks, vs := r.mapItems(self)
	r.checkSize(len(ks))
	out := make([]Value, len(ks))
	for i := range ks {
		out[i] = r.tupleOf([]Value{ks[i], vs[i]})
	}
	return r.listOf(out)
}

func dictKeys(r *renderer, self Value, args []Value, kw []kwArg) Value {
	ks, _ := r.mapItems(self)
	v := r.listOf(append([]Value{}, ks...))
	v.s = "dict_keys"
	return v
}

func dictValues(r *renderer, self Value, args []Value, kw []kwArg) Value {
	_, vs := r.mapItems(self)
	v := r.listOf(append([]Value{}, vs...))
	v.s = "dict_values"
	return v
}

func dictGet(r *renderer, self Value, args []Value, kw []kwArg) Value {
	if len(args) < 1 || len(args) > 2 {
		r.failf(kindType, "get expected at least 1 argument, got %d", len(args))
	}
	if self.k == kDict {
		if _, ok := hashKey(args[0]); !ok {
			r.failf(kindType, "unhashable type: '%s'", typeName(args[0]))
		}
	}
	if v, ok := r.mapGet(self, args[0]); ok {
		return v
	}
	if len(args) == 2 {
		return args[1]
	}
	return noneVal
}

func dictUpdate(r *renderer, self Value, args []Value, kw []kwArg) Value {
	d := r.mutableDict(self)
	for _, a := range args {
		r.fillDict(d, a)
	}
	for _, k := range kw {
		d.set(strVal(k.name), k.v)
	}
	r.checkSize(len(d.keys))
	return noneVal
}

func dictPop(r *renderer, self Value, args []Value, kw []kwArg) Value {
	d := r.mutableDict(self)
	if len(args) < 1 {
		r.fail(kindType, "pop expected at least 1 argument, got 0")
	}
	i := d.find(args[0])
	if i < 0 {
		if len(args) > 1 {
			return args[1]
		}
		r.fail(kindRender, r.repr(args[0]))
	}
	v := d.vals[i]
	nd := newDict(len(d.keys))
	for j := range d.keys {
		if j != i {
			nd.set(d.keys[j], d.vals[j])
		}
	}
	*d = *nd
	return v
}

func dictSetdefault(r *renderer, self Value, args []Value, kw []kwArg) Value {
	d := r.mutableDict(self)
	if len(args) < 1 {
		r.fail(kindType, "setdefault expected at least 1 argument, got 0")
	}
	if v, ok := d.get(args[0]); ok {
		return v
	}
	def := noneVal
	if len(args) > 1 {
		def = args[1]
	}
	d.set(args[0], def)
	return def
}

func dictCopy(r *renderer, self Value, args []Value, kw []kwArg) Value {
	d := newDict(r.mapLen(self))
	r.fillDict(d, self)
	return Value{k: kDict, p: d}
}

func dictClear(r *renderer, self Value, args []Value, kw []kwArg) Value {
	d := r.mutableDict(self)
	*d = *newDict(0)
	return noneVal
}
