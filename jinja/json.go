package jinja

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

const maxJSONDepth = 1000

// DecodeJSON decodes JSON into render data: nil, bool, int64 (integral literals without
// fraction/exponent that fit), *big.Int (longer integral literals, up to 4300 digits as
// Python allows), float64, string, []any and *Object, preserving object key order.
func DecodeJSON(data []byte) (v any, err error) {
	defer func() {
		if x := recover(); x != nil {
			v, err = nil, &Error{Kind: kindRender, Msg: fmt.Sprintf("internal error while decoding JSON: %v", x)}
		}
	}()
	d := jsonDecoders.Get().(*jsonDecoder)
	defer d.release()
	d.b = data
	// One copy of the whole input: strings without escapes are sliced from it
	// instead of being copied one by one. A decoded value thus keeps the whole input
	// alive, which is fine for the bounded documents (response bodies of at most
	// 1 MiB) this decodes.
	d.s = string(data)
	d.valid = utf8.Valid(data)
	d.ws()
	v = d.value(0)
	if d.err == nil {
		d.ws()
		if d.i < len(d.b) {
			d.fail("extra data after the JSON value")
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return v, nil
}

// jsonDecoders keeps decoders with their member stacks between calls.
var jsonDecoders = sync.Pool{New: func() any { return new(jsonDecoder) }}

// release returns d to the pool without holding on to the decoded document.
func (d *jsonDecoder) release() {
	clear(d.vals) // left over by an error; closed containers clear their own
	clear(d.keys)
	if cap(d.vals) > 1024 || cap(d.keys) > 1024 {
		d.keys, d.vals = nil, nil
	}
	*d = jsonDecoder{keys: d.keys[:0], vals: d.vals[:0]}
	jsonDecoders.Put(d)
}

// jsonDecoder holds one decoding. Members of the objects (and elements of the lists)
// being decoded wait on its stacks until their container closes, so that each
// container is built once at its exact size.
type jsonDecoder struct {
	b     []byte
	s     string // b as a string, for slicing out strings and numbers
	valid bool   // b is valid UTF-8, so no string needs its invalid bytes replaced
	i     int
	err   *Error
	keys  []string // pending object members, innermost object last
	vals  []any
}

func (d *jsonDecoder) fail(msg string) {
	if d.err == nil {
		l, c := lineCol(string(d.b), d.i)
		d.err = &Error{Kind: kindSyntax, Line: l, Col: c, Msg: "invalid JSON: " + msg}
	}
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.b) && isJSONSpace(d.b[d.i]) {
		d.i++
	}
}

func (d *jsonDecoder) value(depth int) any {
	if d.err != nil {
		return nil
	}
	if depth > maxJSONDepth {
		d.fail("nested too deeply")
		return nil
	}
	if d.i >= len(d.b) {
		d.fail("unexpected end of input, expecting a value")
		return nil
	}
	switch c := d.b[d.i]; {
	case c == '{':
		d.i++
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == '}' {
			d.i++
			return &Object{}
		}
		// Lists share the value stack, so keys and values have marks of their own.
		km, vm := len(d.keys), len(d.vals)
		for {
			d.ws()
			if d.i >= len(d.b) || d.b[d.i] != '"' {
				d.fail("expecting property name enclosed in double quotes")
				return nil
			}
			k := d.str()
			d.ws()
			if d.i >= len(d.b) || d.b[d.i] != ':' {
				d.fail("expecting ':' delimiter")
				return nil
			}
			d.i++
			d.ws()
			v := d.value(depth + 1)
			if d.err != nil {
				return nil
			}
			d.keys = append(d.keys, k)
			d.vals = append(d.vals, v)
			d.ws()
			if d.i < len(d.b) && d.b[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.b) && d.b[d.i] == '}' {
				d.i++
				o := newObjectFrom(d.keys[km:], d.vals[vm:])
				clear(d.keys[km:])
				clear(d.vals[vm:])
				d.keys, d.vals = d.keys[:km], d.vals[:vm]
				return o
			}
			d.fail("expecting ',' delimiter")
			return nil
		}
	case c == '[':
		d.i++
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return []any{}
		}
		// Elements wait on the value stack too, for a list of exact size.
		mark := len(d.vals)
		for {
			d.ws()
			v := d.value(depth + 1)
			if d.err != nil {
				return nil
			}
			d.vals = append(d.vals, v)
			d.ws()
			if d.i < len(d.b) && d.b[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.b) && d.b[d.i] == ']' {
				d.i++
				l := append([]any(nil), d.vals[mark:]...)
				clear(d.vals[mark:])
				d.vals = d.vals[:mark]
				return l
			}
			d.fail("expecting ',' delimiter")
			return nil
		}
	case c == '"':
		return d.str()
	case c == 't' && d.lit("true"):
		return true
	case c == 'f' && d.lit("false"):
		return false
	case c == 'n' && d.lit("null"):
		return nil
	case c == '-' || c >= '0' && c <= '9':
		start := d.i
		end, isInt := scanJSONNumber(d.b, d.i)
		if end < 0 {
			d.fail("invalid number")
			return nil
		}
		d.i = end
		txt := d.s[start:end]
		if isInt {
			if n, ok := smallInt(txt); ok {
				return n
			}
			if n, err := strconv.ParseInt(txt, 10, 64); err == nil {
				return n
			}
			// Python's json keeps every integer exact, so a 20-digit id must
			// not turn into a float; like Python it refuses more digits than
			// it will ever print.
			if len(strings.TrimPrefix(txt, "-")) > maxIntDigits {
				d.fail("integer literal longer than 4300 digits")
				return nil
			}
			if b, ok := new(big.Int).SetString(txt, 10); ok {
				return b
			}
		}
		f, _ := strconv.ParseFloat(txt, 64)
		return f
	}
	d.fail("expecting value")
	return nil
}

// Small objects come in one allocation with room for their members; the slices'
// capacity is exact, so an object that grows later moves its members out.
type (
	object2 struct {
		o    Object
		keys [2]string
		vals [2]any
	}
	object4 struct {
		o    Object
		keys [4]string
		vals [4]any
	}
	object8 struct {
		o    Object
		keys [8]string
		vals [8]any
	}
)

// allocObject returns an empty object with room for n members.
func allocObject(n int) *Object {
	switch {
	case n <= 2:
		b := &object2{}
		b.o.keys, b.o.vals = b.keys[:0:n], b.vals[:0:n]
		return &b.o
	case n <= 4:
		b := &object4{}
		b.o.keys, b.o.vals = b.keys[:0:n], b.vals[:0:n]
		return &b.o
	case n <= 8:
		b := &object8{}
		b.o.keys, b.o.vals = b.keys[:0:n], b.vals[:0:n]
		return &b.o
	}
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// smallInt parses a JSON integer literal of at most 18 digits, which always fits in
// an int64; ok is false for longer ones.
func smallInt(txt string) (int64, bool) {
	neg := txt[0] == '-'
	digits := txt
	if neg {
		digits = txt[1:]
	}
	if len(digits) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		n = n*10 + int64(digits[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// newObjectFrom builds an object from decoded members at its exact size. A repeated
// key keeps the position of its first occurrence and takes the last value, as
// Python's json does.
func newObjectFrom(keys []string, vals []any) *Object {
	o := allocObject(len(keys))
	if len(keys) > objectScanKeys {
		o.idx = make(map[string]int, len(keys))
	}
	for i, k := range keys {
		if j := o.find(k); j >= 0 {
			o.vals[j] = vals[i]
			continue
		}
		if o.idx != nil {
			o.idx[k] = len(o.keys)
		}
		o.keys = append(o.keys, k)
		o.vals = append(o.vals, vals[i])
	}
	return o
}

func (d *jsonDecoder) lit(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// scanJSONNumber returns the end of a JSON number at i (or -1) and whether it is integral.
func scanJSONNumber(b []byte, i int) (int, bool) {
	isInt := true
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1, false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return -1, false
	}
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return -1, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return -1, false
		}
	}
	return i, isInt
}

func (d *jsonDecoder) str() string {
	d.i++ // opening quote
	start := d.i
	// Fast path: no escapes.
	if d.i = jsonPlainEnd(d.b, d.i); d.i < len(d.b) && d.b[d.i] == '"' {
		s := d.s[start:d.i]
		d.i++
		if !d.valid && !utf8.ValidString(s) {
			s = string([]rune(s))
		}
		return s
	}
	buf := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(buf) {
				return string([]rune(string(buf)))
			}
			return string(buf)
		case c < 0x20:
			d.fail("invalid control character in string")
			return ""
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				d.fail("unterminated string")
				return ""
			}
			e := d.b[d.i]
			d.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return ""
				}
				if utf16.IsSurrogate(r) && d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					save := d.i
					d.i += 2
					r2, ok := d.hex4()
					if ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
					}
					d.err = nil
					d.i = save
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.i--
				d.fail("invalid \\escape")
				return ""
			}
		default:
			buf = append(buf, c)
			d.i++
		}
	}
	d.fail("unterminated string")
	return ""
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		d.fail("invalid \\uXXXX escape")
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		d.fail("invalid \\uXXXX escape")
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// validateJSON checks b is exactly one JSON value in one pass without allocating. It
// returns the byte offset and a message for the first error, or "" when valid.
//
// It runs on every ModeJSON render, so it is one loop with a single place that
// scans strings (keys and values alike), a word at a time; only a string with an
// escape or a bad byte goes through scanJSONString.
func validateJSON(b []byte) (int, string) {
	var small [64]byte
	stack := small[:0]
	i := 0
	key := false // the next token must be an object's property name
	for {
		i = skipJSONSpace(b, i)
		if i >= len(b) {
			if key {
				return i, "expecting property name enclosed in double quotes"
			}
			return i, "expecting a value, got end of input"
		}
		c := b[i]
		if c == '"' {
			j := i + 1
			for ; j+8 <= len(b); j += 8 {
				if m := swarSpecial(binary.LittleEndian.Uint64(b[j : j+8 : j+8])); m != 0 {
					j += bits.TrailingZeros64(m) / 8
					goto stop
				}
			}
			for j < len(b) && jsonPlain[b[j]] {
				j++
			}
		stop:
			if j < len(b) && b[j] == '"' {
				i = j + 1
			} else if pos, msg := scanJSONString(b, &i); msg != "" {
				return pos, msg
			}
			if key {
				key = false
				i = skipJSONSpace(b, i)
				if i >= len(b) || b[i] != ':' {
					return i, "expecting ':' delimiter"
				}
				i++
				continue
			}
		} else if key {
			return i, "expecting property name enclosed in double quotes"
		} else {
			switch {
			case c == '{' || c == '[':
				i = skipJSONSpace(b, i+1)
				if i < len(b) && b[i] == c+2 { // '}' or ']': empty
					i++
					break
				}
				stack = append(stack, c)
				key = c == '{'
				continue
			case c == 't' && hasPrefixAt(b, i, "true"):
				i += 4
			case c == 'f' && hasPrefixAt(b, i, "false"):
				i += 5
			case c == 'n' && hasPrefixAt(b, i, "null"):
				i += 4
			case c == '-' || c >= '0' && c <= '9':
				end, _ := scanJSONNumber(b, i)
				if end < 0 {
					return i, "invalid number"
				}
				i = end
			default:
				return i, "expecting a value, got " + describeByte(b, i)
			}
		}
		// After a value: a comma, or the end of containers, or of the input.
		for {
			i = skipJSONSpace(b, i)
			if len(stack) == 0 {
				if i < len(b) {
					return i, "extra data after the JSON value: " + describeByte(b, i)
				}
				return 0, ""
			}
			top := stack[len(stack)-1]
			if i >= len(b) {
				return i, "unexpected end of input, expecting ',' or '" + string(rune(top+2)) + "'"
			}
			c := b[i]
			if c == ',' {
				i++
				key = top == '{'
				break
			}
			if (top == '{' && c == '}') || (top == '[' && c == ']') {
				i++
				stack = stack[:len(stack)-1]
				continue
			}
			return i, "expecting ',' delimiter, got " + describeByte(b, i)
		}
	}
}

func describeByte(b []byte, i int) string {
	r, _ := utf8.DecodeRune(b[i:])
	return pyRepr(string(r))
}

func hasPrefixAt(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

// Word-at-a-time scanning: the classic "has a zero byte" bit trick, applied eight bytes
// at once, finds the few bytes that end a run of plain JSON string content. Long
// strings (UUIDs, user text) dominate rendered bodies, and this is several times
// cheaper than testing each byte.
const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// swarSpecial is non-zero iff some byte of w is a quote, a backslash or a control
// character, the bytes that cannot stand for themselves in a JSON string. Its lowest
// set bit is in the first such byte: a term can only mark a byte wrongly above one it
// rightly marks, by borrowing from it.
func swarSpecial(w uint64) uint64 {
	q := w ^ (swarOnes * '"')
	bs := w ^ (swarOnes * '\\')
	return ((w - swarOnes*0x20) | (q - swarOnes) | (bs - swarOnes)) &^ w & swarHigh
}

// jsonPlainEnd returns the index of the first byte at or after i that does not stand
// for itself inside a JSON string (quote, backslash, control character), or len(b).
func jsonPlainEnd(b []byte, i int) int {
	// b[i:i+8:i+8] rather than b[i:]: a slice with a capacity of eight needs no
	// masking of its pointer, which saves a third of the instructions per word.
	for ; i+8 <= len(b); i += 8 {
		if m := swarSpecial(binary.LittleEndian.Uint64(b[i : i+8 : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && jsonPlain[b[i]] {
		i++
	}
	return i
}

// jsonASCIIEnd is jsonPlainEnd that also stops at any non-ASCII byte. It takes
// strings too, so that printed strings are escaped without a copy first.
func jsonASCIIEnd[T string | []byte](b T, i int) int {
	start := i
	for ; i+8 <= len(b); i += 8 {
		w := load64(b, i)
		if m := swarSpecial(w) | w&swarHigh; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i < len(b) && len(b)-start >= 8 {
		// The last word overlaps bytes the loop found plain ASCII (it ran, as
		// there were eight bytes from start), which are left unmarked, so its
		// lowest mark is the first byte to stop at from i. Printed values are
		// scanned from a buffer of their own, where this tail is common.
		j := len(b) - 8
		w := load64(b, j)
		if m := swarSpecial(w) | w&swarHigh; m != 0 {
			return j + bits.TrailingZeros64(m)/8
		}
		return len(b)
	}
	for i < len(b) && jsonPlain[b[i]] && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// load64 reads the little-endian word at b[i:i+8]; the compiler merges the
// byte loads into one, as it does in binary.LittleEndian.Uint64.
func load64[T string | []byte](b T, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// skipJSONSpace returns the index of the first non-whitespace byte at or after i.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// jsonSpaceBits has bit c set for each JSON whitespace byte c, all below 64.
const jsonSpaceBits = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\r'

// isJSONSpace tests a bit rather than load from a table: one comparison passes
// the bytes above ' ', and a shift and a mask decide the rest.
func isJSONSpace(c byte) bool {
	return c <= ' ' && jsonSpaceBits>>c&1 != 0
}

// jsonPlain marks the bytes that stand for themselves inside a JSON string.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func scanJSONString(b []byte, ip *int) (int, string) {
	i := *ip + 1
	for i < len(b) {
		i = jsonPlainEnd(b, i)
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			*ip = i + 1
			return 0, ""
		case c < 0x20:
			return i, "invalid control character in string"
		case c == '\\':
			if i+1 >= len(b) {
				return i, "unterminated string"
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, "invalid \\uXXXX escape"
				}
				for _, h := range b[i+2 : i+6] {
					if digitVal(h) > 15 {
						return i, "invalid \\uXXXX escape"
					}
				}
				i += 6
			default:
				return i, "invalid \\escape"
			}
		default:
			i++
		}
	}
	return *ip, "unterminated string starting here"
}
