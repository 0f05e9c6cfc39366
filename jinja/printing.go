package jinja

import (
	"math"
	"math/big"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func itoa(i int) string { return strconv.Itoa(i) }

// appendFloat appends Python's repr of a float.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	// e is [-]d[.ddd]e±XX
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	ei := 0
	for ei < len(e) && e[ei] != 'e' {
		ei++
	}
	mant := e[:ei]
	exp, _ := strconv.Atoi(string(e[ei+1:]))
	var digits [24]byte
	nd := 0
	for _, c := range mant {
		if c != '.' {
			digits[nd] = c
			nd++
		}
	}
	if neg {
		b = append(b, '-')
	}
	if exp < -4 || exp >= 16 {
		b = append(b, digits[0])
		if nd > 1 {
			b = append(b, '.')
			b = append(b, digits[1:nd]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b = append(b, '-')
			exp = -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	if exp < 0 {
		b = append(b, '0', '.')
		for i := 0; i < -exp-1; i++ {
			b = append(b, '0')
		}
		return append(b, digits[:nd]...)
	}
	// exp >= 0: integer part is digits[0:exp+1]
	if nd <= exp+1 {
		b = append(b, digits[:nd]...)
		for i := nd; i < exp+1; i++ {
			b = append(b, '0')
		}
		return append(b, '.', '0')
	}
	b = append(b, digits[:exp+1]...)
	b = append(b, '.')
	return append(b, digits[exp+1:nd]...)
}

func formatFloat(f float64) string { return string(appendFloat(nil, f)) }

// pyRepr is Python's repr of a str.
func pyRepr(s string) string { return string(appendPyRepr(nil, s)) }

func appendPyRepr(b []byte, s string) []byte {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b = append(b, q)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == q || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, sz := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && sz == 1:
			b = append(b, `\udc`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		case isPyPrintable(r):
			b = append(b, s[i:i+sz]...)
		case r < 0x100:
			b = append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&15])
		case r < 0x10000:
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(r), 4)
		default:
			b = append(b, '\\', 'U')
			b = appendHex(b, uint32(r), 8)
		}
		i += sz
	}
	return append(b, q)
}

func isPyPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Cs, unicode.Co, unicode.Zl, unicode.Zp, unicode.Zs) {
		return false
	}
	return unicode.IsPrint(r) || unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, v uint32, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(uint(i)*4))&15])
	}
	return b
}

// str is Python's str(v) as Jinja prints it.
func (r *renderer) str(v Value) string {
	switch v.k {
	case kStr, kMarkup:
		return v.s
	case kUndef:
		return ""
	case kNone:
		return "None"
	case kBool:
		if v.n != 0 {
			return "True"
		}
		return "False"
	case kInt:
		return strconv.FormatInt(v.n, 10)
	}
	return string(r.appendStr(nil, v))
}

func (r *renderer) repr(v Value) string { return string(r.appendRepr(nil, v, false)) }

// appendStr appends str(v).
func (r *renderer) appendStr(b []byte, v Value) []byte {
	switch v.k {
	case kStr, kMarkup:
		return append(b, v.s...)
	case kUndef:
		return b
	case kInt:
		return strconv.AppendInt(b, v.n, 10)
	case kBig:
		return r.appendBig(b, v.p.(*big.Int))
	case kFloat:
		return appendFloat(b, v.f())
	case kNamespace:
		if v.s == "module" {
			return append(b, "<TemplateModule>"...)
		}
		b = append(b, "<Namespace "...)
		b = r.appendRepr(b, Value{k: kDict, p: v.p}, false)
		return append(b, '>')
	case kMacro:
		b = append(b, "<Macro "...)
		b = appendPyRepr(b, v.p.(*macroVal).def.name)
		return append(b, '>')
	case kLoop:
		l := v.p.(*loopState)
		b = append(b, "<LoopContext "...)
		b = strconv.AppendInt(b, int64(l.index0+1), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(l.length), 10)
		return append(b, '>')
	case kCycler:
		return append(b, "<jinja2.utils.Cycler object>"...)
	case kJoiner:
		return append(b, "<jinja2.utils.Joiner object>"...)
	case kGen:
		g := v.p.(*genVal)
		if g.iterator {
			return append(b, "<"+g.name+" object>"...)
		}
		return append(b, "<generator object "+g.name+">"...)
	case kFunc:
		f := v.p.(*funcVal)
		if f.self.k == kUndef && f.self.s == "" {
			return append(b, "<class '"+f.name+"'>"...)
		}
		return append(b, "<built-in method "+f.name+" of "+typeName(f.self)+" object>"...)
	}
	return r.appendRepr(b, v, false)
}

func (r *renderer) enterPrint(p any) bool {
	if len(r.printing) > maxCompareDepth {
		r.fail(kindRender, "maximum recursion depth exceeded while getting the repr of an object")
	}
	for _, q := range r.printing {
		if q == p {
			return false
		}
	}
	r.printing = append(r.printing, p)
	return true
}

func (r *renderer) leavePrint() { r.printing = r.printing[:len(r.printing)-1] }

// appendRepr appends repr(v); sorted gives pprint's sorted dict keys.
func (r *renderer) appendRepr(b []byte, v Value, sorted bool) []byte {
	switch v.k {
	case kList, kTuple, kDataList, kDict, kDataObj, kDataMap:
		r.reprDepth++
		if r.reprDepth > maxCompareDepth {
			r.fail(kindRender, "maximum recursion depth exceeded while getting the repr of an object")
		}
		b = r.appendReprInner(b, v, sorted)
		r.reprDepth--
		return b
	}
	return r.appendReprInner(b, v, sorted)
}

func (r *renderer) appendReprInner(b []byte, v Value, sorted bool) []byte {
	if len(b) > r.lim.ValueBytes && r.lim.ValueBytes > 0 {
		r.checkSize(len(b))
	}
	switch v.k {
	case kStr:
		return appendPyRepr(b, v.s)
	case kMarkup:
		b = append(b, "Markup("...)
		b = appendPyRepr(b, v.s)
		return append(b, ')')
	case kUndef:
		return append(b, "Undefined"...)
	case kNone:
		return append(b, "None"...)
	case kBool:
		if v.n != 0 {
			return append(b, "True"...)
		}
		return append(b, "False"...)
	case kInt, kFloat, kBig:
		return r.appendStr(b, v)
	case kList, kTuple, kDataList:
		var id any
		if v.k == kDataList {
			l := v.p.([]any)
			if len(l) > 0 {
				id = &l[0]
			}
		} else {
			id = v.p
		}
		open, close := byte('['), byte(']')
		if v.k == kTuple {
			open, close = '(', ')'
		}
		if id != nil && !r.enterPrint(id) {
			return append(b, open, '.', '.', '.', close)
		}
		view := v.k == kList && v.s != ""
		if view {
			b = append(b, v.s...)
			b = append(b, '(')
		}
		b = append(b, open)
		n, _ := seqLen(v)
		for i := 0; i < n; i++ {
			if i > 0 {
				b = append(b, ',', ' ')
			}
			b = r.appendRepr(b, r.seqAt(v, i), sorted)
			r.checkSize(len(b))
		}
		if v.k == kTuple && n == 1 {
			b = append(b, ',')
		}
		if id != nil {
			r.leavePrint()
		}
		if view {
			return append(b, close, ')')
		}
		return append(b, close)
	case kDict, kDataObj, kDataMap:
		var id any = v.p
		if v.k == kDataMap {
			id = nil
		}
		if id != nil && !r.enterPrint(id) {
			return append(b, "{...}"...)
		}
		ks, vs := r.mapItems(v)
		if sorted {
			ks, vs = r.sortedItems(ks, vs)
		}
		b = append(b, '{')
		for i, k := range ks {
			if i > 0 {
				b = append(b, ',', ' ')
			}
			b = r.appendRepr(b, k, sorted)
			b = append(b, ':', ' ')
			b = r.appendRepr(b, vs[i], sorted)
			r.checkSize(len(b))
		}
		if id != nil {
			r.leavePrint()
		}
		return append(b, '}')
	case kRange:
		rv := v.p.(*rangeVal)
		b = append(b, "range("...)
		b = strconv.AppendInt(b, rv.start, 10)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, rv.stop, 10)
		if rv.step != 1 {
			b = append(b, ", "...)
			b = strconv.AppendInt(b, rv.step, 10)
		}
		return append(b, ')')
	}
	return r.appendStr(b, v)
}

// sortedItems orders mapping items by key as pprint does.
func (r *renderer) sortedItems(ks, vs []Value) ([]Value, []Value) {
	idx := make([]int, len(ks))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := ks[idx[i]], ks[idx[j]]
		if (a.isNum() && b.isNum()) || (a.isStr() && b.isStr()) {
			return r.cmpOrder("<", a, b) < 0
		}
		return typeName(a) < typeName(b)
	})
	nk := make([]Value, len(ks))
	nv := make([]Value, len(ks))
	for i, j := range idx {
		nk[i], nv[i] = ks[j], vs[j]
	}
	return nk, nv
}

// htmlEscape is markupsafe.escape for a plain string.
func htmlEscape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '<', '>', '\'', '"':
			n++
		}
	}
	if n == 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + n*5)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			sb.WriteString("&amp;")
		case '<':
			sb.WriteString("&lt;")
		case '>':
			sb.WriteString("&gt;")
		case '\'':
			sb.WriteString("&#39;")
		case '"':
			sb.WriteString("&#34;")
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// jsonHTMLSafe marks the bytes appendJSONString copies as they are.
var jsonHTMLSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`"\<>&'`, rune(c))
	}
	return t
}()

// appendJSONString appends s as Python's json.dumps(ensure_ascii=True) with Jinja's
// HTML-safe replacements.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		start := i
		for i < len(s) && jsonHTMLSafe[s[i]] {
			i++
		}
		b = append(b, s[start:i]...)
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b = append(b, '\\', '"')
			case c == '\\':
				b = append(b, '\\', '\\')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&' || c == '\'':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, sz := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && sz == 1 {
			r = 0xdc00 + rune(c)
		}
		if r >= 0x10000 {
			r -= 0x10000
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(0xd800+(r>>10)), 4)
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(0xdc00+(r&0x3ff)), 4)
		} else {
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(r), 4)
		}
		i += sz
	}
	return append(b, '"')
}

// appendJSON appends htmlsafe_json_dumps(v, sort_keys=True, indent=...).
// jsonIndent is json.dumps' indent: pretty is false for indent=None.
type jsonIndent struct {
	pretty bool
	unit   string
}

func (r *renderer) appendJSON(b []byte, v Value, indent jsonIndent, level int) []byte {
	r.checkSize(len(b))
	if level > 500 {
		r.fail(kindType, "maximum recursion depth exceeded while encoding a JSON object")
	}
	switch v.k {
	case kNone:
		return append(b, "null"...)
	case kBool:
		if v.n != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case kInt:
		return strconv.AppendInt(b, v.n, 10)
	case kBig:
		return r.appendBig(b, v.p.(*big.Int))
	case kFloat:
		f := v.f()
		switch {
		case math.IsInf(f, 1):
			r.jsonNonFinite = true
			return append(b, "Infinity"...)
		case math.IsInf(f, -1):
			r.jsonNonFinite = true
			return append(b, "-Infinity"...)
		case math.IsNaN(f):
			r.jsonNonFinite = true
			return append(b, "NaN"...)
		}
		return appendFloat(b, f)
	case kStr, kMarkup:
		return appendJSONString(b, v.s)
	case kList, kTuple, kDataList, kRange:
		n, _ := seqLen(v)
		if v.k == kRange {
			r.fail(kindType, "Object of type range is not JSON serializable")
		}
		if n == 0 {
			return append(b, '[', ']')
		}
		b = append(b, '[')
		for i := 0; i < n; i++ {
			b = appendJSONSep(b, i, indent, level+1)
			b = r.appendJSON(b, r.seqAt(v, i), indent, level+1)
		}
		b = appendIndent(b, indent, level)
		return append(b, ']')
	case kDataObj:
		o := v.p.(*Object)
		if len(o.keys) == 0 {
			return append(b, '{', '}')
		}
		var small [16]int
		idx := small[:0]
		if len(o.keys) > len(small) {
			idx = make([]int, 0, len(o.keys))
		}
		for i := range o.keys {
			idx = append(idx, i)
		}
		if len(idx) <= len(small) {
			// Insertion sort: objects are small and this keeps the hot path allocation-free.
			for i := 1; i < len(idx); i++ {
				for j := i; j > 0 && o.keys[idx[j]] < o.keys[idx[j-1]]; j-- {
					idx[j], idx[j-1] = idx[j-1], idx[j]
				}
			}
		} else {
			// A large object, from data or a response, is sorted in n log n steps,
			// which the step budget counts.
			r.charge(len(idx) * bits.Len(uint(len(idx))))
			slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(o.keys[a], o.keys[b]) })
		}
		b = append(b, '{')
		for n, i := range idx {
			b = appendJSONSep(b, n, indent, level+1)
			b = appendJSONString(b, o.keys[i])
			b = append(b, ':', ' ')
			// Strings and integers, most members of JSON data, are written here
			// with the checks appendJSON would make, without boxing a Value.
			if level+1 <= 500 {
				switch x := o.vals[i].(type) {
				case string:
					r.checkSize(len(b))
					b = appendJSONString(b, x)
					continue
				case int64:
					r.checkSize(len(b))
					b = strconv.AppendInt(b, x, 10)
					continue
				}
			}
			b = r.appendJSON(b, r.fromData(o.vals[i]), indent, level+1)
		}
		b = appendIndent(b, indent, level)
		return append(b, '}')
	case kDict, kDataMap:
		ks, vs := r.mapItems(v)
		if len(ks) == 0 {
			return append(b, '{', '}')
		}
		keys := make([]string, len(ks))
		for i, k := range ks {
			switch k.k {
			case kStr, kMarkup:
				keys[i] = k.s
			case kInt, kFloat, kBig:
				keys[i] = r.str(k)
				if k.k == kFloat {
					// Two NaN keys are both kept and print alike.
					r.keysUnproven = true
				}
			case kBool:
				keys[i] = map[bool]string{true: "true", false: "false"}[k.n != 0]
			case kNone:
				keys[i] = "null"
			default:
				r.failf(kindType, "keys must be str, int, float, bool or None, not %s", typeName(k))
			}
			if i > 0 && k.isStr() != ks[0].isStr() {
				r.failf(kindType, "'<' not supported between instances of '%s' and '%s'", typeName(k), typeName(ks[0]))
			}
		}
		idx := make([]int, len(ks))
		for i := range idx {
			idx[i] = i
		}
		if len(idx) > 16 {
			// Sorting the keys takes n log n comparisons.
			r.charge(len(idx) * bits.Len(uint(len(idx))))
		}
		if ks[0].isStr() {
			sort.SliceStable(idx, func(i, j int) bool { return keys[idx[i]] < keys[idx[j]] })
		} else {
			sort.SliceStable(idx, func(i, j int) bool { return r.cmpOrder("<", ks[idx[i]], ks[idx[j]]) < 0 })
		}
		b = append(b, '{')
		for n, i := range idx {
			b = appendJSONSep(b, n, indent, level+1)
			b = appendJSONString(b, keys[i])
			b = append(b, ':', ' ')
			b = r.appendJSON(b, vs[i], indent, level+1)
		}
		b = appendIndent(b, indent, level)
		return append(b, '}')
	case kUndef:
		r.failUndef(v)
	}
	r.failf(kindType, "Object of type %s is not JSON serializable", typeName(v))
	return b
}

func appendIndent(b []byte, indent jsonIndent, level int) []byte {
	if !indent.pretty {
		return b
	}
	b = append(b, '\n')
	for i := 0; i < level; i++ {
		b = append(b, indent.unit...)
	}
	return b
}

// appendJSONSep writes what precedes member n of a JSON array or object as
// Python's json writes it: a comma, followed by a space unless the output is
// indented, then the indentation of the member's level.
func appendJSONSep(b []byte, n int, indent jsonIndent, level int) []byte {
	if n > 0 {
		b = append(b, ',')
		if !indent.pretty {
			b = append(b, ' ')
		}
	}
	return appendIndent(b, indent, level)
}
