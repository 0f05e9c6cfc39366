package jinja

import (
	"html"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func fStrFunc(name string, f func(string) string) filterFunc {
	return func(r *renderer, v Value, args []Value, kw []kwArg) Value {
		r.noArgs("do_"+name, args, kw)
		s := r.softStr(v)
		return Value{k: s.k, s: f(s.s)}
	}
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
		a = r.tupleOf(append([]Value{}, args...))
	}
	return Value{k: s.k, s: r.pyFormat(s.s, a)}
}

func fIndent(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("indent", args, kw, "width", "first", "blank")
	ind := "    "
	if a, ok := argN(args, kw, 0, "width"); ok {
		if a.isStr() {
			ind = a.s
		} else {
			w := max(r.toInt(a, "width"), 0)
			r.checkSize64(w)
			ind = strings.Repeat(" ", int(w))
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
	r.chargePieces(countBreaks(s, false))
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

func fString(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("string", args, kw)
	return r.softStr(v)
}

func fStriptags(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("striptags", args, kw)
	s := r.str(v)
	s = r.removeSpans(s, "<!--", "-->")
	s = r.removeSpans(s, "<", ">")
	s = strings.Join(strings.FieldsFunc(s, isPySpace), " ")
	return strVal(html.UnescapeString(s))
}

// removeSpans removes every span from open to the next close, as striptags
// does. Python's algorithm is quadratic; each removal is charged to the step
// budget.
func (r *renderer) removeSpans(s, open, close string) string {
	for {
		start := strings.Index(s, open)
		if start < 0 {
			return s
		}
		r.work(len(s))
		end := strings.Index(s[start:], close)
		if end < 0 {
			return s
		}
		s = s[:start] + s[start+end+len(close):]
	}
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
	var indent jsonIndent
	if a, ok := argN(args, kw, 0, "indent"); ok && a.k != kNone {
		indent.pretty = true
		if a.isStr() {
			indent.unit = a.s
		} else {
			n := max(r.toInt(a, "indent"), 0)
			r.checkSize64(n)
			indent.unit = strings.Repeat(" ", int(n))
		}
	}
	return markupVal(string(r.appendJSON(nil, v, indent, 0)))
}

func fTrim(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.checkArgs("trim", args, kw, "chars")
	var chars *string
	if a, ok := argN(args, kw, 0, "chars"); ok && a.k != kNone {
		if !a.isStr() {
			r.fail(kindType, "strip arg must be None or str")
		}
		s := a.s
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

// isWordChar is a character Python's \w matches: '_' or one for which isalnum is true.
func isWordChar(c rune) bool { return c == '_' || unicode.IsLetter(c) || isPyNumeric(c) }

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
	s := v.s
	// Lines, and words within them, are pieces of their own.
	r.chargePieces(countBreaks(s, true) + 1)
	lines := pySplitLines(s, false)
	if width <= 0 && len(lines) > 0 {
		r.failf(kindRender, "invalid width %d (must be > 0)", width)
	}
	var paras []string
	for _, line := range lines {
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
