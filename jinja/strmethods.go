package jinja

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

func strMethod(name string) methodFunc {
	switch name {
	case "upper":
		return strMap(pyUpper)
	case "lower":
		return strMap(pyLower)
	case "title":
		return strMap(pyTitle)
	case "capitalize":
		return strMap(pyCapitalize)
	case "swapcase":
		return strMap(func(s string) string {
			var b strings.Builder
			for _, c := range s {
				switch {
				case unicode.IsUpper(c):
					b.WriteString(pyLower(string(c)))
				case unicode.IsLower(c):
					b.WriteString(pyUpper(string(c)))
				default:
					b.WriteRune(c)
				}
			}
			return b.String()
		})
	case "casefold":
		return strMap(pyCasefold)
	case "strip", "lstrip", "rstrip":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			return Value{k: self.k, s: pyStrip(self.s, r.optChars(args), name)}
		}
	case "split", "rsplit":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			r.checkArgs(name, args, kw, "sep", "maxsplit")
			sep := noneVal
			if v, ok := argN(args, kw, 0, "sep"); ok {
				sep = v
			}
			max := int64(-1)
			if v, ok := argN(args, kw, 1, "maxsplit"); ok {
				max = r.toInt(v, "maxsplit")
			}
			var parts []string
			if sep.k == kNone {
				r.chargePieces(countBreaks(self.s, true) + 1)
				parts = pySplitWS(self.s, int(max), name == "rsplit")
			} else {
				if !sep.isStr() {
					r.failf(kindType, "must be str or None, not %s", typeName(sep))
				}
				if sep.s == "" {
					r.fail(kindRender, "empty separator")
				}
				r.chargePieces(strings.Count(self.s, sep.s) + 1)
				if max < 0 {
					parts = strings.Split(self.s, sep.s)
				} else if name == "split" {
					parts = strings.SplitN(self.s, sep.s, int(max)+1)
				} else {
					parts = rsplitN(self.s, sep.s, int(max))
				}
			}
			out := make([]Value, len(parts))
			for i, p := range parts {
				out[i] = Value{k: self.k, s: p}
			}
			return r.listOf(out)
		}
	case "splitlines":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			keep := false
			if v, ok := argN(args, kw, 0, "keepends"); ok {
				keep = truthy(v)
			}
			r.chargePieces(countBreaks(self.s, false) + 1)
			var out []Value
			for _, l := range pySplitLines(self.s, keep) {
				out = append(out, Value{k: self.k, s: l})
			}
			if out == nil {
				out = []Value{}
			}
			return r.listOf(out)
		}
	case "startswith", "endswith":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) < 1 {
				r.failf(kindType, "%s() takes at least 1 argument (0 given)", name)
			}
			s := self.s
			if len(args) > 1 {
				s = r.strSlice(s, args[1:])
			}
			var cands []Value
			if args[0].k == kTuple {
				cands = args[0].p.(*listVal).items
			} else {
				cands = []Value{args[0]}
			}
			for _, c := range cands {
				if !c.isStr() {
					r.failf(kindType, "%s first arg must be str or a tuple of str, not %s", name, typeName(c))
				}
				if name == "startswith" && strings.HasPrefix(s, c.s) || name == "endswith" && strings.HasSuffix(s, c.s) {
					return trueVal
				}
			}
			return falseVal
		}
	case "replace":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) < 2 {
				r.failf(kindType, "replace expected at least 2 arguments, got %d", len(args))
			}
			n := int64(-1)
			if len(args) > 2 {
				n = r.toInt(args[2], "count")
			} else if v, ok := argN(nil, kw, 2, "count"); ok {
				n = r.toInt(v, "count")
			}
			return Value{k: self.k, s: r.pyReplace(self.s, r.needStr(args[0]), r.needStr(args[1]), n)}
		}
	case "count", "find", "rfind", "index", "rindex":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) < 1 {
				r.failf(kindType, "%s() takes at least 1 argument (0 given)", name)
			}
			sub := r.needStr(args[0])
			s := self.s
			offset := 0
			if len(args) > 1 {
				rs := []rune(s)
				a, b, _ := r.sliceBounds(args[1], optArg(args, 2), noneVal, len(rs))
				if a > b {
					if name == "count" {
						return intVal(0)
					}
					if name == "index" || name == "rindex" {
						r.fail(kindRender, "substring not found")
					}
					return intVal(-1)
				}
				s = string(rs[a:b])
				offset = a
			}
			switch name {
			case "count":
				if sub == "" {
					return intVal(int64(utf8.RuneCountInString(s) + 1))
				}
				return intVal(int64(strings.Count(s, sub)))
			}
			var i int
			if name == "find" || name == "index" {
				i = strings.Index(s, sub)
			} else {
				i = strings.LastIndex(s, sub)
			}
			if i < 0 {
				if name == "index" || name == "rindex" {
					r.fail(kindRender, "substring not found")
				}
				return intVal(-1)
			}
			return intVal(int64(offset + utf8.RuneCountInString(s[:i])))
		}
	case "join":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) != 1 {
				r.fail(kindType, "str.join() takes exactly one argument")
			}
			if !isIterable(args[0]) || args[0].k == kUndef {
				r.fail(kindType, "can only join an iterable")
			}
			items := r.iterate(args[0])
			var b []byte
			for i, it := range items {
				if !it.isStr() {
					r.failf(kindType, "sequence item %d: expected str instance, %s found", i, typeName(it))
				}
				if i > 0 {
					b = append(b, self.s...)
				}
				r.checkSize(len(b) + len(it.s))
				b = append(b, it.s...)
			}
			return Value{k: self.k, s: string(b)}
		}
	case "zfill":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) != 1 {
				r.fail(kindType, "zfill() takes exactly one argument")
			}
			w := int(max(r.toInt(args[0], "width"), 0))
			r.checkSize(w)
			s := self.s
			n := utf8.RuneCountInString(s)
			if n >= w {
				return self
			}
			sign := ""
			if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
				sign, s = s[:1], s[1:]
			}
			return Value{k: self.k, s: sign + strings.Repeat("0", w-n) + s}
		}
	case "center", "ljust", "rjust":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) < 1 {
				r.failf(kindType, "%s expected at least 1 argument, got 0", name)
			}
			w := max(r.toInt(args[0], "width"), 0)
			r.checkSize64(w)
			fill := " "
			if len(args) > 1 {
				fill = r.needStr(args[1])
				if utf8.RuneCountInString(fill) != 1 {
					r.fail(kindType, "The fill character must be exactly one character long")
				}
			}
			return Value{k: self.k, s: pyPad(self.s, int(w), fill, name)}
		}
	case "format":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			return Value{k: self.k, s: r.strFormat(self.s, args, kw)}
		}
	case "format_map":
		// str.format_map(m) is str.format(**m) for the dicts a template has.
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) != 1 || len(kw) != 0 {
				r.failf(kindType, "format_map() takes exactly one argument (%d given)", len(args)+len(kw))
			}
			if !isMapping(args[0]) {
				r.failf(kindType, "'%s' object is not subscriptable", typeName(args[0]))
			}
			ks, vs := r.mapItems(args[0])
			m := make([]kwArg, len(ks))
			for i, k := range ks {
				m[i] = kwArg{name: r.str(k), v: vs[i]}
			}
			return Value{k: self.k, s: r.strFormat(self.s, nil, m)}
		}
	case "partition", "rpartition":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) != 1 {
				r.failf(kindType, "%s() takes exactly one argument", name)
			}
			sep := r.needStr(args[0])
			if sep == "" {
				r.fail(kindRender, "empty separator")
			}
			var i int
			if name == "partition" {
				i = strings.Index(self.s, sep)
			} else {
				i = strings.LastIndex(self.s, sep)
			}
			if i < 0 {
				if name == "partition" {
					return r.tupleOf([]Value{self, {k: self.k}, {k: self.k}})
				}
				return r.tupleOf([]Value{{k: self.k}, {k: self.k}, self})
			}
			return r.tupleOf([]Value{{k: self.k, s: self.s[:i]}, {k: self.k, s: sep}, {k: self.k, s: self.s[i+len(sep):]}})
		}
	case "removeprefix", "removesuffix":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			if len(args) != 1 {
				r.failf(kindType, "%s() takes exactly one argument", name)
			}
			a := r.needStr(args[0])
			if name == "removeprefix" {
				return Value{k: self.k, s: strings.TrimPrefix(self.s, a)}
			}
			return Value{k: self.k, s: strings.TrimSuffix(self.s, a)}
		}
	case "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "islower", "isupper", "istitle", "isascii", "isidentifier", "isprintable":
		return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
			return boolVal(strPredicate(name, self.s))
		}
	}
	return nil
}

func optArg(args []Value, i int) Value {
	if i < len(args) {
		return args[i]
	}
	return noneVal
}

func (r *renderer) strSlice(s string, args []Value) string {
	rs := []rune(s)
	a, b, _ := r.sliceBounds(args[0], optArg(args, 1), noneVal, len(rs))
	if a >= b {
		return ""
	}
	return string(rs[a:b])
}

func (r *renderer) needStr(v Value) string {
	if !v.isStr() {
		if v.k == kUndef {
			r.failUndef(v)
		}
		r.failf(kindType, "must be str, not %s", typeName(v))
	}
	return v.s
}

func (r *renderer) optChars(args []Value) *string {
	if len(args) == 0 || args[0].k == kNone {
		return nil
	}
	s := r.needStr(args[0])
	return &s
}

func strMap(f func(string) string) methodFunc {
	return func(r *renderer, self Value, args []Value, kw []kwArg) Value {
		if len(args) > 0 || len(kw) > 0 {
			r.fail(kindType, "method takes no arguments")
		}
		return Value{k: self.k, s: f(self.s)}
	}
}

func isPySpace(c rune) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x1f, 0x85:
		return true
	}
	return c > 0x7f && unicode.IsSpace(c)
}

func pyStrip(s string, chars *string, which string) string {
	f := isPySpace
	if chars != nil {
		cs := *chars
		f = func(c rune) bool { return strings.ContainsRune(cs, c) }
	}
	switch which {
	case "lstrip":
		return strings.TrimLeftFunc(s, f)
	case "rstrip":
		return strings.TrimRightFunc(s, f)
	}
	return strings.TrimFunc(s, f)
}

func pySplitWS(s string, max int, fromRight bool) []string {
	if !fromRight {
		var out []string
		i := 0
		rs := []rune(s)
		for {
			for i < len(rs) && isPySpace(rs[i]) {
				i++
			}
			if i >= len(rs) {
				break
			}
			if max >= 0 && len(out) == max {
				out = append(out, string(rs[i:]))
				break
			}
			j := i
			for j < len(rs) && !isPySpace(rs[j]) {
				j++
			}
			out = append(out, string(rs[i:j]))
			i = j
		}
		if out == nil {
			out = []string{}
		}
		return out
	}
	rs := []rune(s)
	var out []string
	i := len(rs)
	for {
		for i > 0 && isPySpace(rs[i-1]) {
			i--
		}
		if i <= 0 {
			break
		}
		if max >= 0 && len(out) == max {
			out = append(out, string(rs[:i]))
			break
		}
		j := i
		for j > 0 && !isPySpace(rs[j-1]) {
			j--
		}
		out = append(out, string(rs[j:i]))
		i = j
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func rsplitN(s, sep string, max int) []string {
	var out []string
	for max != 0 {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		out = append(out, s[i+len(sep):])
		s = s[:i]
		max--
	}
	out = append(out, s)
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

func pySplitLines(s string, keep bool) []string {
	var out []string
	start := 0
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			end := i + 1
			if c == '\r' && i+1 < len(rs) && rs[i+1] == '\n' {
				end = i + 2
			}
			if keep {
				out = append(out, string(rs[start:end]))
			} else {
				out = append(out, string(rs[start:i]))
			}
			i = end - 1
			start = end
		}
	}
	if start < len(rs) {
		out = append(out, string(rs[start:]))
	}
	return out
}

func (r *renderer) pyReplace(s, old, new string, n int64) string {
	if n < 0 {
		n = -1
	}
	cnt := strings.Count(s, old)
	if old == "" {
		cnt = utf8.RuneCountInString(s) + 1
	}
	if n >= 0 && int64(cnt) > n {
		cnt = int(n)
	}
	r.checkSize64(int64(len(s)) + int64(cnt)*(int64(len(new))-int64(len(old))))
	return strings.Replace(s, old, new, int(n))
}

func pyPad(s string, w int, fill, how string) string {
	n := utf8.RuneCountInString(s)
	if w <= n {
		return s
	}
	pad := w - n
	switch how {
	case "ljust":
		return s + strings.Repeat(fill, pad)
	case "rjust":
		return strings.Repeat(fill, pad) + s
	}
	left := pad/2 + (pad & w & 1)
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, pad-left)
}

func pyUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	for _, c := range s {
		if sp, ok := pyUpperSpecial[c]; ok {
			b.WriteString(sp)
			continue
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

// pyLower is Python's str.lower, including the final sigma and dotted capital I rules.
func pyLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	for i, c := range rs {
		switch c {
		case 'İ':
			b.WriteString("i\u0307")
		case 'Σ':
			if finalSigma(rs, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(c))
		}
	}
	return b.String()
}

// finalSigma reports whether the capital sigma at i ends a word: a cased letter before
// it (skipping case-ignorable ones) and none after it.
func finalSigma(rs []rune, i int) bool {
	before := false
	for j := i - 1; j >= 0; j-- {
		if isCaseIgnorable(rs[j]) {
			continue
		}
		before = isCased(rs[j])
		break
	}
	if !before {
		return false
	}
	for j := i + 1; j < len(rs); j++ {
		if isCaseIgnorable(rs[j]) {
			continue
		}
		return !isCased(rs[j])
	}
	return true
}

func isCaseIgnorable(c rune) bool {
	return unicode.In(c, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) || c == '\'' || c == '.' || c == ':' || c == 0xb7 || c == 0x2019
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isCased(c rune) bool { return isPyUpper(c) || isPyLower(c) || unicode.IsTitle(c) }

func titleRune(b *strings.Builder, c rune) {
	if sp, ok := pyTitleSpecial[c]; ok {
		b.WriteString(sp)
		return
	}
	b.WriteRune(unicode.ToTitle(c))
}

// pyTitle is Python's str.title.
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, c := range s {
		if prevCased {
			b.WriteString(pyLower(string(c)))
		} else {
			titleRune(&b, c)
		}
		prevCased = isCased(c)
	}
	return b.String()
}

func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	c, sz := utf8.DecodeRuneInString(s)
	var b strings.Builder
	titleRune(&b, c)
	b.WriteString(pyLower(s[sz:]))
	return b.String()
}

// pyCasefold is Python's str.casefold.
func pyCasefold(s string) string {
	var b strings.Builder
	for _, c := range s {
		if sp, ok := pyFoldSpecial[c]; ok {
			b.WriteString(sp)
			continue
		}
		b.WriteString(pyLower(string(c)))
	}
	return b.String()
}

// isPyUpper and isPyLower are the Unicode Uppercase and Lowercase properties Python's
// isupper and islower use.
func isPyUpper(c rune) bool { return unicode.IsUpper(c) || unicode.Is(unicode.Other_Uppercase, c) }
func isPyLower(c rune) bool { return unicode.IsLower(c) || unicode.Is(unicode.Other_Lowercase, c) }

func strPredicate(name, s string) bool {
	if s == "" {
		return name == "isascii" || name == "isprintable"
	}
	switch name {
	case "islower", "isupper":
		cased := false
		for _, c := range s {
			if unicode.IsTitle(c) {
				return false
			}
			if isPyUpper(c) {
				if name == "islower" {
					return false
				}
				cased = true
			} else if isPyLower(c) {
				if name == "isupper" {
					return false
				}
				cased = true
			}
		}
		return cased
	case "istitle":
		prevCased, any := false, false
		for _, c := range s {
			if isPyUpper(c) || unicode.IsTitle(c) {
				if prevCased {
					return false
				}
				prevCased, any = true, true
			} else if isPyLower(c) {
				if !prevCased {
					return false
				}
				prevCased, any = true, true
			} else {
				prevCased = false
			}
		}
		return any
	case "isidentifier":
		for i, c := range s {
			if !(c == '_' || unicode.IsLetter(c) || i > 0 && unicode.IsDigit(c)) {
				return false
			}
		}
		return true
	}
	for _, c := range s {
		ok := false
		switch name {
		case "isdecimal":
			ok = unicode.IsDigit(c)
		case "isdigit":
			ok = unicode.IsDigit(c) || strings.ContainsRune(pyDigitExtra, c)
		case "isnumeric":
			ok = isPyNumeric(c)
		case "isalpha":
			ok = unicode.IsLetter(c)
		case "isalnum":
			ok = unicode.IsLetter(c) || isPyNumeric(c)
		case "isspace":
			ok = isPySpace(c)
		case "isascii":
			ok = c < utf8.RuneSelf
		case "isprintable":
			ok = isPyPrintable(c)
		}
		if !ok {
			return false
		}
	}
	return true
}

func isPyNumeric(c rune) bool {
	return unicode.IsNumber(c) || c >= 0x3000 && strings.ContainsRune(pyNumericExtra, c)
}
