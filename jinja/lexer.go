package jinja

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokType uint8

const (
	tEOF tokType = iota
	tData
	tVarBegin
	tVarEnd
	tBlockBegin
	tBlockEnd
	tName
	tString
	tInt
	tFloat
	tOp
)

// token is kept small (40 bytes), as a large template holds a token per two bytes
// or so: a float's bits go in i, and an integer beyond int64 keeps its digits in
// val and its base in i, for the parser to convert.
type token struct {
	typ tokType
	val string // data text, name, decoded string, operator; digits of a big integer
	pos int    // byte offset in the normalized source
	i   int64  // an integer's value, a float's bits, or a big integer's base
}

// describe names a token the way Jinja's error messages do.
func (t token) describe() string {
	switch t.typ {
	case tEOF:
		return "end of template"
	case tVarEnd:
		return "end of print statement"
	case tBlockEnd:
		return "end of statement block"
	case tVarBegin:
		return "begin of print statement"
	case tBlockBegin:
		return "begin of statement block"
	case tName, tOp:
		return t.val
	case tString:
		return "string"
	case tInt:
		return "integer"
	case tFloat:
		return "float"
	}
	return "data"
}

// normalizeSource turns every newline sequence into "\n" and drops one trailing newline,
// as Jinja's default keep_trailing_newline=False does.
func normalizeSource(src string) string {
	if strings.IndexByte(src, '\r') >= 0 {
		src = strings.ReplaceAll(src, "\r\n", "\n")
		src = strings.ReplaceAll(src, "\r", "\n")
	}
	return strings.TrimSuffix(src, "\n")
}

type lexer struct {
	src  string
	toks []token
	err  *Error
	// prefixRun counts the '-', '+' and 'not' tokens in a row just emitted.
	prefixRun int
}

// The parser refuses nesting deeper than maxNesting: brackets, and prefix
// operators each of which nests the operand after it. The lexer refuses them as
// soon as it meets them, with the parser's message, rather than first emitting the
// tokens of a 256 KiB template of '(' or '-' for the parser to refuse.

// notePrefix counts a token that may be a prefix operator (or resets the run for
// any other token) and fails past maxNesting in a row.
func (lx *lexer) notePrefix(prefix bool, pos int) {
	if !prefix {
		lx.prefixRun = 0
		return
	}
	lx.prefixRun++
	if lx.prefixRun > maxNesting {
		lx.fail(pos, "template nested too deeply")
	}
}

// skipSpace skips what Jinja2's \s matches: Python's Unicode whitespace, which takes in
// \x1c-\x1f, \x85, \u2028 and the other Unicode spaces besides the ASCII ones.
func skipSpace(s string, i int) int {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if !isPySpace(rune(c)) {
				break
			}
			i++
			continue
		}
		r, sz := utf8.DecodeRuneInString(s[i:])
		if !isPySpace(r) {
			break
		}
		i += sz
	}
	return i
}

// trimRightSpace is Python's str.rstrip(), which Jinja2 applies to the text before {%- and {{-.
func trimRightSpace(s string) string { return strings.TrimRightFunc(s, isPySpace) }

func lineCol(src string, pos int) (int, int) {
	if pos > len(src) {
		pos = len(src)
	}
	line := 1 + strings.Count(src[:pos], "\n")
	start := strings.LastIndexByte(src[:pos], '\n') + 1
	return line, utf8.RuneCountInString(src[start:pos]) + 1
}

func (lx *lexer) fail(pos int, msg string) {
	if lx.err == nil {
		l, c := lineCol(lx.src, pos)
		lx.err = &Error{Kind: kindSyntax, Line: l, Col: c, Msg: msg}
	}
}

// maxTokens is the compile budget: a template of more tokens is refused. The API
// takes bodies of up to 256 KiB, which as text or JSON with a few thousand
// printed values hold well under it, but as one expression (a list literal, a
// macro signature, 60,000 printed values) hold up to 260,000 tokens, whose
// lexing, parsing and garbage took over 100 ms of CPU.
const maxTokens = 1 << 16

func (lx *lexer) emit(t token) {
	if t.typ != tOp && t.typ != tName {
		lx.prefixRun = 0 // names and operators go through notePrefix
	}
	if len(lx.toks) >= maxTokens {
		lx.fail(t.pos, "template too complex: more than "+strconv.Itoa(maxTokens)+" tokens (tags, names, literals and operators); make it smaller")
		return
	}
	lx.toks = append(lx.toks, t)
}

// tokenize splits the normalized source into tokens.
func tokenize(src string) ([]token, *Error) {
	// A token takes 40 bytes and holds a pointer, so each growth of the slice copies
	// it under the garbage collector's write barriers: for a large template, which
	// may hold a token per two bytes (a list literal of digits, a run of '-'), that
	// copying cost more than the lexing. Typical templates are mostly text, with a
	// token per eight bytes or fewer.
	guess := len(src)/8 + 16
	if len(src) > 32<<10 {
		guess = min(len(src)/2, maxTokens)
	}
	lx := &lexer{src: src, toks: make([]token, 0, guess)}
	lx.run()
	return lx.toks, lx.err
}

func (lx *lexer) run() {
	src := lx.src
	pos := 0
	lstrip := false
	for pos <= len(src) && lx.err == nil {
		if lstrip {
			pos = skipSpace(src, pos)
			lstrip = false
		}
		idx := -1
		for j := pos; j+1 < len(src); j++ {
			if src[j] == '{' && (src[j+1] == '{' || src[j+1] == '%' || src[j+1] == '#') {
				idx = j
				break
			}
		}
		if idx < 0 {
			if pos < len(src) {
				lx.emit(token{typ: tData, val: src[pos:], pos: pos})
			}
			break
		}
		text := src[pos:idx]
		kindc := src[idx+1]
		p := idx + 2
		if p < len(src) && (src[p] == '-' || src[p] == '+') {
			if src[p] == '-' {
				text = trimRightSpace(text)
			}
			p++
		}
		// A raw block is recognized before the text is emitted so {%- raw strips it too.
		if text != "" {
			lx.emit(token{typ: tData, val: text, pos: pos})
		}
		switch kindc {
		case '#':
			if p >= len(src) {
				// Jinja stops lexing when a comment opens at the very end.
				pos = len(src) + 1
				continue
			}
			end := strings.Index(src[p:], "#}")
			if end < 0 {
				lx.fail(idx, "Missing end of comment tag")
				return
			}
			e := p + end
			pos = e + 2
			if e > p && src[e-1] == '-' {
				lstrip = true
			}
		case '%':
			if np, ok := lx.raw(idx, p); ok {
				pos = np
				if lx.err != nil {
					return
				}
				if pos < 0 {
					pos = -pos
					lstrip = true
				}
				continue
			}
			lx.emit(token{typ: tBlockBegin, pos: idx})
			np, strip := lx.inside(p, true)
			pos, lstrip = np, strip
		case '{':
			lx.emit(token{typ: tVarBegin, pos: idx})
			np, strip := lx.inside(p, false)
			pos, lstrip = np, strip
		}
	}
	if lx.err == nil {
		lx.emit(token{typ: tEOF, pos: len(src)})
	}
}

// raw handles {% raw %}...{% endraw %} starting at the tag body p. It returns the position
// after the block (negated when the closing tag asks to strip what follows).
func (lx *lexer) raw(tagStart, p int) (int, bool) {
	src := lx.src
	q := skipSpace(src, p)
	if !strings.HasPrefix(src[q:], "raw") {
		return 0, false
	}
	q += 3
	q = skipSpace(src, q)
	stripAfter := false
	switch {
	case strings.HasPrefix(src[q:], "-%}"):
		q += 3
		q = skipSpace(src, q)
	case strings.HasPrefix(src[q:], "%}"):
		q += 2
	default:
		return 0, false
	}
	// Find {%(-|+)? \s* endraw \s* (+%}|-%}\s*|%}).
	for j := q; j+1 < len(src); j++ {
		if src[j] != '{' || src[j+1] != '%' {
			continue
		}
		k := j + 2
		minus := false
		if k < len(src) && (src[k] == '-' || src[k] == '+') {
			minus = src[k] == '-'
			k++
		}
		k = skipSpace(src, k)
		if !strings.HasPrefix(src[k:], "endraw") {
			continue
		}
		k = skipSpace(src, k+6)
		end := 0
		switch {
		case strings.HasPrefix(src[k:], "+%}"):
			end = k + 3
		case strings.HasPrefix(src[k:], "-%}"):
			end = k + 3
			stripAfter = true
		case strings.HasPrefix(src[k:], "%}"):
			end = k + 2
		default:
			continue
		}
		body := src[q:j]
		if minus {
			body = trimRightSpace(body)
		}
		if body != "" {
			lx.emit(token{typ: tData, val: body, pos: q})
		}
		if stripAfter {
			return -end, true
		}
		return end, true
	}
	lx.fail(tagStart, "Missing end of raw directive")
	return len(src), true
}

// inside lexes the tokens of a {{ }} or {% %} tag body from p, returning the position
// after the closing delimiter and whether it asked to strip following whitespace.
func (lx *lexer) inside(p int, block bool) (int, bool) {
	src := lx.src
	var stack []byte
	for {
		p = skipSpace(src, p)
		if p >= len(src) {
			lx.fail(p, "unexpected end of template")
			return len(src), false
		}
		if len(stack) == 0 {
			if block {
				switch {
				case strings.HasPrefix(src[p:], "-%}"):
					lx.emit(token{typ: tBlockEnd, pos: p})
					return p + 3, true
				case strings.HasPrefix(src[p:], "+%}"):
					lx.emit(token{typ: tBlockEnd, pos: p})
					return p + 3, false
				case strings.HasPrefix(src[p:], "%}"):
					lx.emit(token{typ: tBlockEnd, pos: p})
					return p + 2, false
				}
			} else {
				switch {
				case strings.HasPrefix(src[p:], "-}}"):
					lx.emit(token{typ: tVarEnd, pos: p})
					return p + 3, true
				case strings.HasPrefix(src[p:], "}}"):
					lx.emit(token{typ: tVarEnd, pos: p})
					return p + 2, false
				}
			}
		}
		c := src[p]
		switch {
		case c >= '0' && c <= '9':
			np := lx.number(p)
			if lx.err != nil {
				return len(src), false
			}
			p = np
		case c == '\'' || c == '"':
			np := lx.str(p)
			if lx.err != nil {
				return len(src), false
			}
			p = np
		case c == '_' || c < utf8.RuneSelf && (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= utf8.RuneSelf:
			// Jinja2 takes the longest run of name characters (\w and XID_Continue,
			// so it may start with a combining mark or a non-ASCII digit), then
			// refuses it unless it is a Python identifier.
			q := p
			for q < len(src) {
				r, sz := utf8.DecodeRuneInString(src[q:])
				if !isNameChar(r) {
					break
				}
				q += sz
			}
			if q == p {
				r, _ := utf8.DecodeRuneInString(src[p:])
				lx.fail(p, "unexpected char "+pyRepr(string(r))+" at "+strconv.Itoa(p))
				return len(src), false
			}
			if !isIdentifier(src[p:q]) {
				lx.fail(p, "Invalid character in identifier")
				return len(src), false
			}
			lx.notePrefix(src[p:q] == "not", p)
			if lx.err != nil {
				return len(src), false
			}
			lx.emit(token{typ: tName, val: src[p:q], pos: p})
			p = q
		default:
			op := ""
			if p+1 < len(src) {
				switch src[p : p+2] {
				case "//", "**", "==", "!=", ">=", "<=":
					op = src[p : p+2]
				}
			}
			if op == "" {
				switch c {
				case '+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '>', '<', '=', '.', ':', '|', ',', ';':
					op = src[p : p+1]
				default:
					r, _ := utf8.DecodeRuneInString(src[p:])
					lx.fail(p, "unexpected char "+pyRepr(string(r))+" at "+strconv.Itoa(p))
					return len(src), false
				}
			}
			switch op {
			case "(":
				stack = append(stack, ')')
			case "[":
				stack = append(stack, ']')
			case "{":
				stack = append(stack, '}')
			case ")", "]", "}":
				if len(stack) == 0 {
					lx.fail(p, "unexpected '"+op+"'")
					return len(src), false
				}
				want := stack[len(stack)-1]
				if want != op[0] {
					lx.fail(p, "unexpected '"+op+"', expected '"+string(want)+"'")
					return len(src), false
				}
				stack = stack[:len(stack)-1]
			}
			if len(stack) > maxNesting {
				lx.fail(p, "template nested too deeply")
			}
			if lx.notePrefix(op == "-" || op == "+", p); lx.err != nil {
				return len(src), false
			}
			lx.emit(token{typ: tOp, val: op, pos: p})
			p += len(op)
		}
	}
}

func scanDigits(s string, i int) int {
	// (\d+_)*\d+
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		if i+1 < len(s) && s[i] == '_' && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
		}
	}
	if i == start {
		return -1
	}
	return i
}

func (lx *lexer) number(p int) int {
	src := lx.src
	// Float first, as Jinja's rule order does.
	if p == 0 || src[p-1] != '.' {
		q := scanDigits(src, p)
		if q > 0 {
			end := -1
			r := q
			if r < len(src) && src[r] == '.' {
				if s := scanDigits(src, r+1); s > 0 {
					r = s
					end = r
				}
			}
			if r < len(src) && (src[r] == 'e' || src[r] == 'E') {
				t := r + 1
				if t < len(src) && (src[t] == '+' || src[t] == '-') {
					t++
				}
				if s := scanDigits(src, t); s > 0 {
					end = s
				}
			}
			if end > 0 {
				txt := strings.ReplaceAll(src[p:end], "_", "")
				f, err := strconv.ParseFloat(txt, 64)
				if err != nil && !math.IsInf(f, 0) {
					lx.fail(p, "invalid float literal")
				}
				lx.emit(token{typ: tFloat, i: int64(math.Float64bits(f)), pos: p})
				return end
			}
		}
	}
	// Integers: 0b, 0o, 0x prefixes, decimal with underscores.
	base := 10
	q := p
	if src[p] == '0' && p+1 < len(src) {
		switch src[p+1] | 0x20 {
		case 'b':
			base = 2
		case 'o':
			base = 8
		case 'x':
			base = 16
		}
	}
	var txt string
	if base != 10 {
		q = p + 2
		start := q
		for q < len(src) {
			c := src[q]
			if c == '_' && q+1 < len(src) && digitVal(src[q+1]) < base {
				q += 2
				continue
			}
			if digitVal(c) < base {
				q++
				continue
			}
			break
		}
		if q == start {
			// "0" followed by a name such as "0x" without digits: lex just the 0.
			base = 10
			q = p + 1
			txt = "0"
		} else {
			txt = strings.ReplaceAll(src[start:q], "_", "")
		}
	} else if src[p] == '0' {
		q = p + 1
		for q+1 < len(src) && (src[q] == '0' || src[q] == '_' && src[q+1] == '0') {
			q++
		}
		txt = "0"
	} else {
		q = scanDigits(src, p)
		txt = strings.ReplaceAll(src[p:q], "_", "")
	}
	n, err := strconv.ParseInt(txt, base, 64)
	if err != nil {
		if _, ok := new(big.Int).SetString(txt, base); ok && len(txt) <= maxIntDigits {
			lx.emit(token{typ: tInt, val: txt, i: int64(base), pos: p})
			return q
		}
		lx.fail(p, "integer literal too large")
		return len(src)
	}
	lx.emit(token{typ: tInt, i: n, pos: p})
	return q
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return 99
}

// str lexes a quoted string and decodes its Python escapes.
func (lx *lexer) str(p int) int {
	src := lx.src
	q := src[p]
	i := p + 1
	for i < len(src) && src[i] != q {
		if src[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(src) {
		lx.fail(p, "unexpected char "+pyRepr(string(q))+" at "+strconv.Itoa(p))
		return len(src)
	}
	raw := src[p+1 : i]
	val, ok := unescapePython(raw)
	if !ok {
		if strings.Contains(raw, `\N{`) && lx.err == nil {
			// \N{NAME} needs Unicode's table of character names, which the engine
			// does not carry: refused as unsupported rather than called invalid.
			l, c := lineCol(lx.src, p)
			lx.err = &Error{Kind: kindUnsupported, Line: l, Col: c, Msg: `unsupported: \N{...} escape in a string literal`}
			return len(src)
		}
		lx.fail(p, "invalid escape in string literal")
		return len(src)
	}
	lx.emit(token{typ: tString, val: val, pos: p})
	return i + 1
}

// unescapePython decodes Python string escapes as the "unicode-escape" codec does.
func unescapePython(s string) (string, bool) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		c = s[i]
		switch c {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n := 0
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				n = n*8 + int(s[j]-'0')
				j++
			}
			b.WriteRune(rune(n))
			i = j - 1
		case 'N':
			return "", false
		case 'x', 'u', 'U':
			w := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+w >= len(s)+0 && i+w > len(s)-1+1 {
				return "", false
			}
			if i+1+w > len(s) {
				return "", false
			}
			n, err := strconv.ParseUint(s[i+1:i+1+w], 16, 32)
			if err != nil || n > unicode.MaxRune {
				return "", false
			}
			b.WriteRune(rune(n))
			i += w
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
