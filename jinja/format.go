package jinja

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fmtSpec is a parsed printf-style (%) or str.format conversion.
type fmtSpec struct {
	fill     rune
	align    byte // '<', '>', '^', '=' or 0
	sign     byte // '+', '-', ' ' or 0
	alt      bool
	zero     bool
	width    int
	prec     int // -1 when absent
	grouping byte
	typ      byte
}

// pad applies width, fill and alignment to a formatted body.
func (r *renderer) pad(body string, sp fmtSpec, numeric bool) string {
	r.checkSize(sp.width)
	n := utf8.RuneCountInString(body)
	if sp.width <= n {
		return body
	}
	fill := sp.fill
	if fill == 0 {
		fill = ' '
	}
	align := sp.align
	if align == 0 {
		if numeric {
			align = '>'
		} else {
			align = '<'
		}
	}
	padN := sp.width - n
	f := string(fill)
	switch align {
	case '<':
		return body + strings.Repeat(f, padN)
	case '^':
		left := padN / 2
		return strings.Repeat(f, left) + body + strings.Repeat(f, padN-left)
	case '=':
		i := 0
		if len(body) > 0 && (body[0] == '-' || body[0] == '+' || body[0] == ' ') {
			i = 1
		}
		if len(body) > i+1 && body[i] == '0' && (body[i+1]|0x20 == 'x' || body[i+1]|0x20 == 'o' || body[i+1]|0x20 == 'b') {
			i += 2
		}
		return body[:i] + strings.Repeat(f, padN) + body[i:]
	}
	return strings.Repeat(f, padN) + body
}

func groupDigits(digits string, sep byte) string {
	if sep == 0 || len(digits) <= 3 {
		return digits
	}
	var b []byte
	pre := len(digits) % 3
	if pre > 0 {
		b = append(b, digits[:pre]...)
	}
	for i := pre; i < len(digits); i += 3 {
		if len(b) > 0 {
			b = append(b, sep)
		}
		b = append(b, digits[i:i+3]...)
	}
	return string(b)
}

// formatNumber formats a number for conversion type sp.typ (d x X o b e E f F g G % n c).
func (r *renderer) formatNumber(v Value, sp fmtSpec) string {
	neg := false
	var body string
	typ := sp.typ
	isInt := v.k == kInt || v.k == kBool
	switch typ {
	case 'd', 'i', 'u', 'n', 'x', 'X', 'o', 'b', 'c':
		var n *big.Int
		switch {
		case isInt:
			n = big.NewInt(v.n)
		case v.k == kBig:
			n = new(big.Int).Set(v.p.(*big.Int))
		default:
			f := v.f()
			if math.IsInf(f, 0) || math.IsNaN(f) {
				r.fail(kindRender, "cannot convert float infinity or NaN to integer")
			}
			n, _ = new(big.Float).SetFloat64(math.Trunc(f)).Int(nil)
		}
		if typ == 'c' {
			if !n.IsInt64() || n.Int64() < 0 || n.Int64() > 0x10ffff {
				r.fail(kindRender, "%c arg not in range(0x110000)")
			}
			return string(rune(n.Int64()))
		}
		if n.Sign() < 0 {
			neg = true
			n.Neg(n)
		}
		if n.BitLen() > maxIntDigits*3 {
			r.appendBig(nil, n)
		}
		switch typ {
		case 'x', 'X':
			body = n.Text(16)
			if typ == 'X' {
				body = strings.ToUpper(body)
			}
			if sp.alt {
				body = "0" + string(typ) + body
			}
		case 'o':
			body = n.Text(8)
			if sp.alt {
				body = "0o" + body
			}
		case 'b':
			body = n.Text(2)
			if sp.alt {
				body = "0b" + body
			}
		default:
			body = groupDigits(n.Text(10), sp.grouping)
		}
	default:
		f := r.toFloat(v)
		if math.Signbit(f) && !math.IsNaN(f) {
			neg = true
			f = -f
		}
		prec := sp.prec
		if prec < 0 {
			prec = 6
		}
		switch {
		case math.IsInf(f, 0):
			body = "inf"
		case math.IsNaN(f):
			body = "nan"
		default:
			switch typ {
			case 'e', 'E':
				body = strconv.FormatFloat(f, 'e', prec, 64)
			case 'f', 'F':
				body = strconv.FormatFloat(f, 'f', prec, 64)
			case '%':
				body = strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
			case 'g', 'G':
				if prec == 0 {
					prec = 1
				}
				body = strconv.FormatFloat(f, 'g', prec, 64)
				if sp.alt && !strings.ContainsAny(body, ".e") {
					body += "."
				}
			case 'r':
				// str.format with no type and a precision: like g but never drops to int form.
				body = strconv.FormatFloat(f, 'g', prec, 64)
				if !strings.ContainsAny(body, ".e") && len(body) < prec {
					body += ".0"
				}
			}
			if sp.grouping != 0 && (typ == 'f' || typ == 'F') {
				ip, fp, _ := strings.Cut(body, ".")
				body = groupDigits(ip, sp.grouping)
				if fp != "" {
					body += "." + fp
				}
			}
		}
		if typ == 'E' || typ == 'G' || typ == 'F' {
			body = strings.ToUpper(body)
		}
	}
	sign := ""
	switch {
	case neg:
		sign = "-"
	case sp.sign == '+':
		sign = "+"
	case sp.sign == ' ':
		sign = " "
	}
	return sign + body
}

// pyFormat is Python's str % args.
func (r *renderer) pyFormat(format string, args Value) string {
	var list []Value
	var mapping Value
	hasMap := false
	if args.k == kTuple {
		list = args.p.(*listVal).items
	} else if isMapping(args) || args.k == kList || args.k == kDataList || args.k == kUndef {
		// Python treats any non-tuple, non-str argument with __getitem__ as a mapping.
		mapping = args
		hasMap = true
		list = []Value{args}
	} else {
		list = []Value{args}
	}
	ai := 0
	next := func() Value {
		if ai >= len(list) {
			r.fail(kindType, "not enough arguments for format string")
		}
		v := list[ai]
		ai++
		return v
	}
	var b strings.Builder
	usedMap := false
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			r.fail(kindRender, "incomplete format")
		}
		var key *string
		if format[i] == '(' {
			depth := 1
			j := i + 1
			for j < len(format) && depth > 0 {
				if format[j] == '(' {
					depth++
				} else if format[j] == ')' {
					depth--
				}
				j++
			}
			if depth > 0 {
				r.fail(kindRender, "incomplete format key")
			}
			k := format[i+1 : j-1]
			key = &k
			i = j
		}
		sp := fmtSpec{prec: -1}
	flags:
		for ; i < len(format); i++ {
			switch format[i] {
			case '-':
				sp.align = '<'
			case '+':
				sp.sign = '+'
			case ' ':
				if sp.sign == 0 {
					sp.sign = ' '
				}
			case '#':
				sp.alt = true
			case '0':
				sp.zero = true
			default:
				break flags
			}
		}
		if i < len(format) && format[i] == '*' {
			sp.width = int(r.toInt(next(), "width"))
			if sp.width < 0 {
				sp.align = '<'
				sp.width = -sp.width
			}
			i++
		} else {
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				sp.width = sp.width*10 + int(format[i]-'0')
				r.checkSize(sp.width)
				i++
			}
		}
		if i < len(format) && format[i] == '.' {
			i++
			sp.prec = 0
			if i < len(format) && format[i] == '*' {
				sp.prec = int(r.toInt(next(), "precision"))
				i++
			} else {
				for i < len(format) && format[i] >= '0' && format[i] <= '9' {
					sp.prec = sp.prec*10 + int(format[i]-'0')
					r.checkSize(sp.prec)
					i++
				}
			}
		}
		for i < len(format) && (format[i] == 'h' || format[i] == 'l' || format[i] == 'L') {
			i++
		}
		if i >= len(format) {
			r.fail(kindRender, "incomplete format")
		}
		typ := format[i]
		if typ == '%' {
			b.WriteByte('%')
			continue
		}
		var v Value
		if key != nil {
			if !hasMap {
				r.fail(kindType, "format requires a mapping")
			}
			if !isMapping(mapping) {
				r.failf(kindType, "list indices must be integers or slices, not str")
			}
			mv, ok := r.mapGetStr(mapping, *key)
			if !ok {
				r.fail(kindRender, pyRepr(*key))
			}
			v = mv
			usedMap = true
		} else {
			v = next()
		}
		var body string
		numeric := false
		switch typ {
		case 's':
			body = r.str(v)
		case 'r':
			body = r.repr(v)
		case 'a':
			body = asciiRepr(r.repr(v))
		case 'd', 'i', 'u', 'x', 'X', 'o', 'e', 'E', 'f', 'F', 'g', 'G', 'c':
			if !v.isNum() {
				if typ == 'c' && v.isStr() && utf8.RuneCountInString(v.s) == 1 {
					body = v.s
					break
				}
				if v.k == kUndef {
					r.failUndef(v)
				}
				switch typ {
				case 'd', 'i', 'u':
					r.failf(kindType, "%%%c format: a real number is required, not %s", typ, typeName(v))
				case 'x', 'X', 'o', 'c':
					r.failf(kindType, "%%%c format: an integer is required, not %s", typ, typeName(v))
				default:
					r.failf(kindType, "must be real number, not %s", typeName(v))
				}
			}
			if (typ == 'x' || typ == 'X' || typ == 'o' || typ == 'c') && v.k == kFloat {
				r.failf(kindType, "%%%c format: an integer is required, not float", typ)
			}
			if typ == 'd' || typ == 'i' || typ == 'u' {
				if sp.prec >= 0 {
					sp2 := sp
					sp2.typ = 'd'
					body = r.formatNumber(v, sp2)
					neg := strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") || strings.HasPrefix(body, " ")
					digits := body
					sign := ""
					if neg {
						sign, digits = body[:1], body[1:]
					}
					for len(digits) < sp.prec {
						digits = "0" + digits
					}
					body = sign + digits
				} else {
					sp.typ = 'd'
					body = r.formatNumber(v, sp)
				}
			} else {
				sp.typ = typ
				if typ == 'g' || typ == 'G' {
					if sp.prec < 0 {
						sp.prec = 6
					}
				}
				body = r.formatNumber(v, sp)
			}
			numeric = true
		default:
			r.failf(kindRender, "unsupported format character '%c' (0x%x) at index %d", typ, typ, i)
		}
		if numeric && sp.zero && sp.align != '<' {
			sp.fill = '0'
			sp.align = '='
		}
		if !numeric {
			if sp.prec >= 0 && typ != 'c' {
				rs := []rune(body)
				if len(rs) > sp.prec {
					body = string(rs[:sp.prec])
				}
			}
			if sp.align != '<' {
				sp.align = '>'
			}
		}
		body = r.pad(body, sp, true)
		r.checkSize(b.Len() + len(body))
		b.WriteString(body)
	}
	if !usedMap && ai < len(list) && !hasMap {
		r.fail(kindType, "not all arguments converted during string formatting")
	}
	return b.String()
}

// parseFormatSpec parses the str.format mini-language.
func (r *renderer) parseFormatSpec(s string) fmtSpec {
	sp := fmtSpec{prec: -1}
	rs := []rune(s)
	i := 0
	isAlign := func(c rune) bool { return c == '<' || c == '>' || c == '^' || c == '=' }
	if len(rs) >= 2 && isAlign(rs[1]) {
		sp.fill, sp.align = rs[0], byte(rs[1])
		i = 2
	} else if len(rs) >= 1 && isAlign(rs[0]) {
		sp.align = byte(rs[0])
		i = 1
	}
	if i < len(rs) && (rs[i] == '+' || rs[i] == '-' || rs[i] == ' ') {
		sp.sign = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == 'z' {
		i++
	}
	if i < len(rs) && rs[i] == '#' {
		sp.alt = true
		i++
	}
	if i < len(rs) && rs[i] == '0' {
		sp.zero = true
		i++
	}
	for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
		sp.width = sp.width*10 + int(rs[i]-'0')
		r.checkSize(sp.width)
		i++
	}
	if i < len(rs) && (rs[i] == ',' || rs[i] == '_') {
		sp.grouping = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == '.' {
		i++
		sp.prec = 0
		start := i
		for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
			sp.prec = sp.prec*10 + int(rs[i]-'0')
			r.checkSize(sp.prec)
			i++
		}
		if i == start {
			r.fail(kindRender, "Format specifier missing precision")
		}
	}
	if i < len(rs) {
		sp.typ = byte(rs[i])
		i++
	}
	if i < len(rs) {
		r.fail(kindRender, "Invalid format specifier")
	}
	return sp
}

// formatValue is Python's format(v, spec).
func (r *renderer) formatValue(v Value, spec string) string {
	if spec == "" {
		return r.str(v)
	}
	sp := r.parseFormatSpec(spec)
	if sp.zero && sp.align == 0 {
		sp.fill, sp.align = '0', '='
	}
	switch {
	case v.isNum():
		typ := sp.typ
		if typ == 'n' {
			if v.k == kFloat {
				typ = 'g'
			} else {
				typ = 'd'
			}
		}
		if v.k != kFloat && sp.prec >= 0 && (typ == 0 || strings.IndexByte("dxXobc", typ) >= 0) {
			r.fail(kindRender, "Precision not allowed in integer format specifier")
		}
		if typ == 0 {
			if v.k == kFloat {
				if sp.prec >= 0 {
					typ = 'r'
				} else {
					body := formatFloat(v.f())
					if sp.grouping != 0 && !strings.ContainsAny(body, "ein") {
						neg := strings.HasPrefix(body, "-")
						body = strings.TrimPrefix(body, "-")
						ip, fp, _ := strings.Cut(body, ".")
						body = groupDigits(ip, sp.grouping) + "." + fp
						if neg {
							body = "-" + body
						}
					}
					if sp.sign == '+' && !strings.HasPrefix(body, "-") {
						body = "+" + body
					} else if sp.sign == ' ' && !strings.HasPrefix(body, "-") {
						body = " " + body
					}
					return r.pad(body, sp, true)
				}
			} else {
				typ = 'd'
			}
		}
		if v.k == kFloat && strings.IndexByte("dxXobc", typ) >= 0 {
			r.failf(kindRender, "Unknown format code '%c' for object of type 'float'", typ)
		}
		if typ == 's' {
			r.failf(kindRender, "Unknown format code 's' for object of type '%s'", typeName(v))
		}
		sp.typ = typ
		return r.pad(r.formatNumber(v, sp), sp, true)
	case v.isStr():
		if sp.typ != 0 && sp.typ != 's' {
			r.failf(kindRender, "Unknown format code '%c' for object of type '%s'", sp.typ, typeName(v))
		}
		if sp.sign != 0 {
			r.fail(kindRender, "Sign not allowed in string format specifier")
		}
		if sp.align == '=' {
			r.fail(kindRender, "'=' alignment not allowed in string format specifier")
		}
		body := r.str(v)
		if sp.prec >= 0 {
			rs := []rune(body)
			if len(rs) > sp.prec {
				body = string(rs[:sp.prec])
			}
		}
		return r.pad(body, sp, false)
	}
	r.failf(kindType, "unsupported format string passed to %s.__format__", typeName(v))
	return ""
}

// strFormat is Python's str.format.
func (r *renderer) strFormat(format string, args []Value, kw []kwArg) string {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '}' {
			if i+1 < len(format) && format[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			r.fail(kindRender, "Single '}' encountered in format string")
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		depth := 1
		j := i + 1
		for j < len(format) && depth > 0 {
			if format[j] == '{' {
				depth++
			} else if format[j] == '}' {
				depth--
			}
			j++
		}
		if depth > 0 {
			r.fail(kindRender, "expected '}' before end of string")
		}
		field := format[i+1 : j-1]
		i = j - 1
		spec := ""
		if k := strings.IndexByte(field, ':'); k >= 0 {
			field, spec = field[:k], field[k+1:]
		}
		conv := byte(0)
		if k := strings.IndexByte(field, '!'); k >= 0 {
			if k+1 < len(field) {
				conv = field[k+1]
			}
			field = field[:k]
		}
		if strings.Contains(spec, "{") {
			spec = r.strFormat(spec, args, kw)
		}
		name := field
		rest := ""
		if k := strings.IndexAny(field, ".["); k >= 0 {
			name, rest = field[:k], field[k:]
		}
		var v Value
		if name == "" {
			if auto >= len(args) {
				r.failf(kindRender, "Replacement index %d out of range for positional args tuple", auto)
			}
			v = args[auto]
			auto++
		} else if n, err := strconv.Atoi(name); err == nil {
			if n >= len(args) {
				r.failf(kindRender, "Replacement index %d out of range for positional args tuple", n)
			}
			v = args[n]
		} else {
			found := false
			for _, k := range kw {
				if k.name == name {
					v, found = k.v, true
				}
			}
			if !found {
				r.fail(kindRender, pyRepr(name))
			}
		}
		for rest != "" {
			if rest[0] == '.' {
				k := strings.IndexAny(rest[1:], ".[")
				attr := rest[1:]
				if k >= 0 {
					attr = rest[1 : k+1]
					rest = rest[k+1:]
				} else {
					rest = ""
				}
				if isMapping(v) && lookupMethod(v, attr) == nil {
					r.failf(kindRender, "'%s' object has no attribute %s", typeName(v), pyRepr(attr))
				}
				v = r.getattr(v, attr)
				if v.k == kUndef {
					r.fail(kindRender, v.undefMessage())
				}
			} else {
				k := strings.IndexByte(rest, ']')
				if k < 0 {
					r.fail(kindRender, "Missing ']' in format string")
				}
				key := rest[1:k]
				rest = rest[k+1:]
				var kv Value
				if n, err := strconv.Atoi(key); err == nil {
					kv = intVal(int64(n))
				} else {
					kv = strVal(key)
				}
				v = r.getitem(v, kv)
			}
		}
		switch conv {
		case 'r':
			v = strVal(r.repr(v))
		case 'a':
			v = strVal(asciiRepr(r.repr(v)))
		case 's':
			v = strVal(r.str(v))
		}
		s := r.formatValue(v, spec)
		r.checkSize(b.Len() + len(s))
		b.WriteString(s)
	}
	return b.String()
}

// asciiRepr is Python's ascii(): repr with non-ASCII characters escaped.
func asciiRepr(s string) string {
	var b []byte
	for _, c := range s {
		switch {
		case c < utf8.RuneSelf:
			b = append(b, byte(c))
		case c < 0x100:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		case c < 0x10000:
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(c), 4)
		default:
			b = append(b, '\\', 'U')
			b = appendHex(b, uint32(c), 8)
		}
	}
	return string(b)
}
