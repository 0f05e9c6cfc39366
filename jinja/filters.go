package jinja

import (
	"html"
	"math"
	"sort"
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
		return fBatch
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
		return fItems
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
		return fMap
	case "max":
		return fMinMax(1)
	case "min":
		return fMinMax(-1)
	case "pprint":
		return fPprint
	case "reject":
		return fSelect(false, false)
	case "select":
		return fSelect(true, false)
	case "rejectattr":
		return fSelect(false, true)
	case "selectattr":
		return fSelect(true, true)
	case "replace":
		return fReplace
	case "reverse":
		return fReverse
	case "round":
		return fRound
	case "safe":
		return fSafe
	case "slice":
		return fSlice
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
		return fUnique
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

func fStrFunc(name string, f func(string) string) filterFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) Value {
		r.noArgs("do_"+name, args, kw)
		s := r.softStr(v)
		return Value{k: s.k, s: f(s.s)}
	}
}

func fAbs(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("abs", args, kw)
	switch v.k {
	case kInt, kBool:
		if v.n == math.MinInt64 {
			r.tooBig()
		}
		return intVal(abs64(v.n))
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
	name := r.str(args[0])
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
			out = append(out, listOf(tmp))
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
		out = append(out, listOf(tmp))
	}
	if out == nil {
		out = []Value{}
	}
	return listOf(out)
}

// iterAny iterates like Python's iter(), failing for non-iterables.
func (r *renderer) iterAny(v Value) []Value {
	if !isIterable(v) {
		r.failf(kindType, "'%s' object is not iterable", typeName(v))
	}
	return r.iterate(v)
}

func fCenter(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("center", args, kw, "width")
	w := int64(80)
	if a, ok := argN(args, kw, 0, "width"); ok {
		w = max(r.toInt(a, "width"), 0)
	}
	r.checkSize64(w)
	return strVal(pyPad(r.str(v), int(w), " ", "center"))
}

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

func fLength(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("length", args, kw)
	return intVal(int64(r.length(v)))
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
func sortKey(v Value, caseSensitive bool) Value {
	if !caseSensitive && v.isStr() {
		return strVal(strings.ToLower(v.s))
	}
	return v
}

func (r *renderer) sortStable(items []Value, key func(Value) Value, reverse bool) {
	r.work(len(items) * 64)
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
		rev = truthy(a)
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
		items[i] = tupleOf([]Value{ks[i], vs[i]})
	}
	r.sortStable(items, func(it Value) Value {
		return sortKey(it.p.(*listVal).items[pos], cs)
	}, rev)
	return listOf(items)
}

func fEscape(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("escape", args, kw)
	if v.k == kMarkup {
		return v
	}
	return markupVal(htmlEscape(r.str(v)))
}

func fForceescape(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("forceescape", args, kw)
	return markupVal(htmlEscape(r.str(v)))
}

func fSafe(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("safe", args, kw)
	if v.k == kMarkup {
		return v
	}
	return markupVal(r.str(v))
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
	items := r.iterAny(v)
	if len(items) == 0 {
		return undefMsg("No last item, sequence was empty.")
	}
	return items[len(items)-1]
}

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
	case kStr, kMarkup:
		if f, ok := parsePyFloat(v.s); ok {
			return floatVal(f)
		}
	case kUndef:
		r.failUndef(v)
	}
	return def
}

// parsePyInt is Python's int(str, base).
func parsePyInt(s string, base int) (int64, bool, bool) {
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
				return 0, false, false
			}
		}
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false, false
	}
	s = strings.ReplaceAll(s, "_", "")
	for _, c := range s {
		if c >= utf8.RuneSelf {
			if d := unicode.IsDigit(c); !d {
				return 0, false, false
			}
		}
	}
	n, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, true, true
		}
		return 0, false, false
	}
	if neg {
		n = -n
	}
	return n, true, false
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
	case kInt:
		return v
	case kBool:
		return intVal(v.n)
	case kFloat:
		f := v.f()
		if math.IsInf(f, 0) {
			r.fail(kindRender, "cannot convert float infinity to integer")
		}
		if math.IsNaN(f) {
			r.fail(kindRender, "cannot convert float NaN to integer")
		}
		if math.Abs(f) >= 9.2e18 {
			r.tooBig()
		}
		return intVal(int64(f))
	case kStr, kMarkup:
		if base != 10 && (base < 2 || base > 36) && base != 0 {
			return def
		}
		if n, ok, big := parsePyInt(v.s, int(base)); ok {
			if big {
				r.tooBig()
			}
			return intVal(n)
		}
		if f, ok := parsePyFloat(v.s); ok {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				r.fail(kindRender, "cannot convert float infinity to integer")
			}
			if math.Abs(f) >= 9.2e18 {
				r.tooBig()
			}
			return intVal(int64(f))
		}
	case kUndef:
		r.failUndef(v)
	}
	return def
}

func fFormat(r *renderer, v Value, args []Value, kw []kwArg) Value {
	if len(args) > 0 && len(kw) > 0 {
		r.fail(kindRender, "can't handle positional and keyword arguments at the same time")
	}
	s := r.softStr(v)
	var a Value
	if len(kw) > 0 {
		d := newDict(len(kw))
		for _, k := range kw {
			d.set(strVal(k.name), k.v)
		}
		a = Value{k: kDict, p: d}
	} else {
		a = tupleOf(append([]Value{}, args...))
	}
	return Value{k: s.k, s: r.pyFormat(s.s, a)}
}

// attrGetter is Jinja's make_attrgetter: dotted paths, integer parts as indexes.
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
		g := tupleOf([]Value{grouper, listOf(append([]Value{}, items[i:j]...))})
		g.s = "group"
		out = append(out, g)
		i = j
	}
	if out == nil {
		out = []Value{}
	}
	return listOf(out)
}

func fIndent(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("indent", args, kw, "width", "first", "blank")
	ind := "    "
	if a, ok := argN(args, kw, 0, "width"); ok {
		if a.isStr() {
			ind = a.s
		} else {
			w := r.toInt(a, "width")
			r.checkSize64(w)
			ind = strings.Repeat(" ", int(max(w, 0)))
		}
	}
	first, blank := false, false
	if a, ok := argN(args, kw, 1, "first"); ok {
		first = truthy(a)
	}
	if a, ok := argN(args, kw, 2, "blank"); ok {
		blank = truthy(a)
	}
	if !v.isStr() {
		if v.k == kUndef {
			r.failUndef(v)
		}
		r.failf(kindType, "unsupported operand type(s) for +=: '%s' and 'str'", typeName(v))
	}
	sv := v
	s := sv.s + "\n"
	lines := pySplitLines(s, false)
	r.checkSize64(int64(len(s)) + int64(len(lines)+1)*int64(len(ind)))
	var b strings.Builder
	if blank {
		for i, l := range lines {
			if i > 0 {
				b.WriteString("\n")
				b.WriteString(ind)
			}
			b.WriteString(l)
		}
	} else {
		b.WriteString(lines[0])
		for _, l := range lines[1:] {
			b.WriteString("\n")
			if l != "" {
				b.WriteString(ind)
			}
			b.WriteString(l)
		}
	}
	out := b.String()
	if first {
		out = ind + out
	}
	return Value{k: sv.k, s: out}
}

func fItems(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("items", args, kw)
	if v.k == kUndef {
		return listOf([]Value{})
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
		r.alloc(n)
	}
	return listOf(append([]Value{}, r.iterAny(v)...))
}

func fMap(r *renderer, v Value, args []Value, kw []kwArg) Value {
	if !truthy(v) {
		return listOf([]Value{})
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
		return listOf(out)
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
	return listOf(out)
}

func fMinMax(dir int) filterFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) Value {
		name := "max"
		if dir < 0 {
			name = "min"
		}
		r.checkArgs(name, args, kw, "case_sensitive", "attribute")
		cs := false
		if a, ok := argN(args, kw, 0, "case_sensitive"); ok {
			cs = truthy(a)
		}
		var get func(Value) Value
		if a, ok := argN(args, kw, 1, "attribute"); ok && a.k != kNone {
			get = r.attrGetter(a, nil, false)
		}
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
				r.failf(kindRender, "No test named %s.", pyRepr(name))
			}
			args = args[1:]
		}
		if !truthy(v) {
			return listOf([]Value{})
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
		return listOf(out)
	}
}

func fReplace(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("replace", args, kw, "old", "new", "count")
	old, ok1 := argN(args, kw, 0, "old")
	nw, ok2 := argN(args, kw, 1, "new")
	if !ok1 || !ok2 {
		r.fail(kindType, "do_replace() missing required arguments: 'old' and 'new'")
	}
	n := int64(-1)
	if a, ok := argN(args, kw, 2, "count"); ok && a.k != kNone {
		n = r.toInt(a, "count")
	}
	return strVal(r.pyReplace(r.str(v), r.str(old), r.str(nw), n))
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
	items := r.iterAny(v)
	out := make([]Value, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	return listOf(out)
}

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
	if a, ok := argN(args, kw, 0, "precision"); ok {
		prec = r.toInt(a, "precision")
	}
	method := "common"
	if a, ok := argN(args, kw, 1, "method"); ok {
		method = r.str(a)
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
		if v.k == kInt || v.k == kBool {
			if prec >= 0 {
				return intVal(v.n)
			}
			p := math.Pow(10, float64(-prec))
			return intVal(int64(math.RoundToEven(float64(v.n)/p) * p))
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
		out = append(out, listOf(tmp))
	}
	return listOf(out)
}

func fSort(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("sort", args, kw, "reverse", "case_sensitive", "attribute")
	rev, cs := false, false
	if a, ok := argN(args, kw, 0, "reverse"); ok {
		rev = truthy(a)
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
		if len(getters) == 1 {
			return sortKey(getters[0](it), cs)
		}
		ks := make([]Value, len(getters))
		for i, g := range getters {
			ks[i] = sortKey(g(it), cs)
		}
		return listOf(ks)
	}
	r.sortStable(items, key, rev)
	return listOf(items)
}

func fString(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("string", args, kw)
	return r.softStr(v)
}

func fStriptags(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("striptags", args, kw)
	s := r.str(v)
	if v.k != kMarkup {
		// Markup(value) of a plain str keeps it as is.
	}
	// Python's algorithm is quadratic; each removal is charged to the step budget.
	for {
		start := strings.Index(s, "<!--")
		if start < 0 {
			break
		}
		r.work(len(s))
		end := strings.Index(s[start:], "-->")
		if end < 0 {
			break
		}
		s = s[:start] + s[start+end+3:]
	}
	for {
		start := strings.IndexByte(s, '<')
		if start < 0 {
			break
		}
		r.work(len(s))
		end := strings.IndexByte(s[start:], '>')
		if end < 0 {
			break
		}
		s = s[:start] + s[start+end+1:]
	}
	s = strings.Join(strings.FieldsFunc(s, isPySpace), " ")
	return strVal(html.UnescapeString(s))
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

// jinjaTitle is Jinja's title filter: words start after whitespace, '-', and brackets.
func jinjaTitle(s string) string {
	var b strings.Builder
	start := true
	for _, c := range s {
		isDelim := isPySpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<'
		if isDelim {
			b.WriteRune(c)
			start = true
			continue
		}
		if start {
			b.WriteString(pyUpper(string(c)))
			start = false
		} else {
			b.WriteString(strings.ToLower(string(c)))
		}
	}
	return b.String()
}

func fTojson(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("tojson", args, kw, "indent")
	indent := -1
	if a, ok := argN(args, kw, 0, "indent"); ok && a.k != kNone {
		indent = int(r.toInt(a, "indent"))
		if indent < 0 {
			indent = 0
		}
		r.checkSize(indent)
	}
	return markupVal(string(r.appendJSON(nil, v, indent, 0)))
}

func fTrim(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("trim", args, kw, "chars")
	var chars *string
	if a, ok := argN(args, kw, 0, "chars"); ok && a.k != kNone {
		s := r.str(a)
		chars = &s
	}
	sv := r.softStr(v)
	return Value{k: sv.k, s: pyStrip(sv.s, chars, "strip")}
}

func fTruncate(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("truncate", args, kw, "length", "killwords", "end", "leeway")
	length := int64(255)
	if a, ok := argN(args, kw, 0, "length"); ok {
		length = r.toInt(a, "length")
	}
	kill := false
	if a, ok := argN(args, kw, 1, "killwords"); ok {
		kill = truthy(a)
	}
	end := "..."
	if a, ok := argN(args, kw, 2, "end"); ok {
		end = r.str(a)
	}
	leeway := int64(5)
	if a, ok := argN(args, kw, 3, "leeway"); ok && a.k != kNone {
		leeway = r.toInt(a, "leeway")
	}
	endLen := int64(utf8.RuneCountInString(end))
	if length < endLen {
		r.failf(kindRender, "expected length >= %d, got %d", endLen, length)
	}
	if leeway < 0 {
		r.failf(kindRender, "expected leeway >= 0, got %d", leeway)
	}
	if !v.isStr() {
		// Python applies len() and slicing to whatever it gets.
		if int64(r.length(v)) <= length+leeway {
			return v
		}
		r.failf(kindType, "unsupported operand type(s) for truncation: '%s'", typeName(v))
	}
	s := v.s
	rs := []rune(s)
	if int64(len(rs)) <= length+leeway {
		return v
	}
	cut := string(rs[:length-endLen])
	if kill {
		return strVal(cut + end)
	}
	if i := strings.LastIndex(cut, " "); i >= 0 {
		cut = cut[:i]
	}
	return strVal(cut + end)
}

func fUnique(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("unique", args, kw, "case_sensitive", "attribute")
	cs := false
	if a, ok := argN(args, kw, 0, "case_sensitive"); ok {
		cs = truthy(a)
	}
	var get func(Value) Value
	if a, ok := argN(args, kw, 1, "attribute"); ok && a.k != kNone {
		get = r.attrGetter(a, nil, false)
	}
	items := r.iterAny(v)
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
	return listOf(out)
}

func urlQuote(s string, forQS bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c) || (!forQS && c == '/'):
			b.WriteByte(c)
		case forQS && c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}

func fUrlencode(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("urlencode", args, kw)
	if v.isStr() || !isIterable(v) || v.k == kUndef {
		return strVal(urlQuote(r.str(v), false))
	}
	var pairs []string
	if isMapping(v) {
		ks, vs := r.mapItems(v)
		for i := range ks {
			pairs = append(pairs, urlQuote(r.str(ks[i]), true)+"="+urlQuote(r.str(vs[i]), true))
		}
	} else {
		for _, it := range r.iterate(v) {
			kv := r.unpack(it, 2)
			pairs = append(pairs, urlQuote(r.str(kv[0]), true)+"="+urlQuote(r.str(kv[1]), true))
		}
	}
	return strVal(strings.Join(pairs, "&"))
}

func isWordChar(c rune) bool {
	return c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.IsNumber(c) || unicode.Is(unicode.Mn, c)
}

func fWordcount(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("wordcount", args, kw)
	n := 0
	in := false
	for _, c := range r.str(v) {
		w := isWordChar(c)
		if w && !in {
			n++
		}
		in = w
	}
	return intVal(int64(n))
}

func fWordwrap(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("wordwrap", args, kw, "width", "break_long_words", "wrapstring", "break_on_hyphens")
	width := int64(79)
	if a, ok := argN(args, kw, 0, "width"); ok {
		width = r.toInt(a, "width")
	}
	breakLong := true
	if a, ok := argN(args, kw, 1, "break_long_words"); ok {
		breakLong = truthy(a)
	}
	wrap := "\n"
	if a, ok := argN(args, kw, 2, "wrapstring"); ok && a.k != kNone {
		wrap = r.str(a)
	}
	hyphens := true
	if a, ok := argN(args, kw, 3, "break_on_hyphens"); ok {
		hyphens = truthy(a)
	}
	if !v.isStr() {
		if v.k == kUndef {
			r.failUndef(v)
		}
		r.failf(kindType, "'%s' object has no attribute 'splitlines'", typeName(v))
	}
	if width <= 0 {
		r.failf(kindRender, "invalid width %d (must be > 0)", width)
	}
	s := v.s
	var paras []string
	for _, line := range pySplitLines(s, false) {
		paras = append(paras, strings.Join(textWrap(line, int(width), breakLong, hyphens), wrap))
		r.checkSize(len(paras) * len(wrap))
	}
	out := strings.Join(paras, wrap)
	r.checkSize(len(out))
	return strVal(out)
}

func fXmlattr(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("xmlattr", args, kw, "autospace")
	auto := true
	if a, ok := argN(args, kw, 0, "autospace"); ok {
		auto = truthy(a)
	}
	if !isMapping(v) {
		r.failf(kindType, "'%s' object has no attribute 'items'", typeName(v))
	}
	ks, vs := r.mapItems(v)
	var parts []string
	for i, k := range ks {
		if vs[i].k == kNone || vs[i].k == kUndef {
			continue
		}
		key := r.str(k)
		if strings.ContainsAny(key, " \t\n\r\f\v/>=") {
			r.failf(kindRender, "Invalid character in attribute name: %s", pyRepr(key))
		}
		val := vs[i]
		vs := r.str(val)
		if val.k != kMarkup {
			vs = htmlEscape(vs)
		}
		parts = append(parts, htmlEscape(key)+"=\""+vs+"\"")
	}
	out := strings.Join(parts, " ")
	if auto && out != "" {
		out = " " + out
	}
	return markupVal(out)
}

func fFilesizeformat(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("filesizeformat", args, kw, "binary")
	binary := false
	if a, ok := argN(args, kw, 0, "binary"); ok {
		binary = truthy(a)
	}
	var bytes float64
	switch v.k {
	case kInt, kBool, kFloat:
		bytes = num(v)
	case kStr, kMarkup:
		f, ok := parsePyFloat(v.s)
		if !ok {
			r.failf(kindRender, "could not convert string to float: %s", pyRepr(v.s))
		}
		bytes = f
	default:
		r.failf(kindType, "float() argument must be a string or a real number, not '%s'", typeName(v))
	}
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if binary {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	if bytes == 1 {
		return strVal("1 Byte")
	}
	if bytes < base {
		return strVal(strconv.FormatInt(int64(bytes), 10) + " Bytes")
	}
	unit := 0.0
	prefix := ""
	for i, p := range prefixes {
		unit = math.Pow(base, float64(i+2))
		prefix = p
		if bytes < unit {
			break
		}
	}
	return strVal(strconv.FormatFloat(base*bytes/unit, 'f', 1, 64) + " " + prefix)
}
