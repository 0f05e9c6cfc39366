package jinja

import (
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// In ModeJSON a value printed outside a JSON string literal of the template must be
// one complete JSON value by itself: a number, true, false, null, or a whole string,
// object or list. Otherwise a value such as `1, "admin": true` would add keys of its
// own to the body the template wrote. The checks below enforce that as each value is
// printed, on the printed bytes alone, so the cost is proportional to the value and
// not to the body.

// The one exception is a separator: a printed ',' (with whitespace around it, or
// nothing at all from an inline if without else) as in the common
// {{ "," if not loop.last }} between the items a loop writes. It adds no key and no
// value, only separates the template's own, and the final check still requires
// valid JSON.

// inlineIfUndefined is the message of the undefined value an inline if without
// else gives when its condition is false.
const inlineIfUndefined = "the inline if-expression evaluated to false and no else section was defined."

// isSeparator reports whether b is one ',' with JSON whitespace around it.
func isSeparator(b []byte) bool {
	commas := 0
	for _, c := range b {
		switch {
		case c == ',':
			commas++
		case !isJSONSpace(c):
			return false
		}
	}
	return commas == 1
}

// printsSeparator reports whether e is sure to print a separator or nothing:
// a constant such as "," or ", ", possibly under an inline if.
func printsSeparator(e expr) bool {
	switch e := e.(type) {
	case *constExpr:
		return e.v.k == kStr && (e.v.s == "" || isSeparator([]byte(e.v.s)))
	case *condExpr:
		return printsSeparator(e.then) && (e.els == nil || printsSeparator(e.els))
	}
	return false
}

// printedPreview is the longest excerpt of a printed value an error quotes.
const printedPreview = 60

// isOneJSONValue reports whether b is exactly one complete JSON value, optionally
// surrounded by JSON whitespace.
func isOneJSONValue(b []byte) bool {
	var v jsonStream
	v.feed(b)
	if v.accepts() {
		return true
	}
	if v.st != jvFail {
		return false // a value that has not ended, or none at all
	}
	// The recognizer also gives up beyond 64 nested brackets, which the full
	// validator follows; it decides the rare value the recognizer cannot.
	_, msg := validateJSON(b)
	return msg == ""
}

// checkPrintedValue refuses b, about to be printed outside string literals, unless it
// is one complete JSON value. A '-' the template wrote just before it is the sign of
// a number, so the value must then be an unsigned number.
func (r *renderer) checkPrintedValue(b []byte) {
	if isSeparator(b) {
		r.noteKeyPath(separatorID)
		return
	}
	if r.afterMinus() {
		if len(b) == 0 || b[0] < '0' || b[0] > '9' || !isOneJSONValue(b) {
			r.failPrintedValue(b, "after the '-' written before it, the value must be a number without a sign")
		}
		return
	}
	if !isOneJSONValue(b) {
		r.failPrintedValue(b, "outside a JSON string literal a printed value must be one complete JSON value (a number, true, false, null, or a whole string, object or list as tojson prints them)")
	}
}

// afterMinus reports whether the output so far ends in a '-' outside string literals.
// A printed value is one complete JSON value, which never ends in '-', so such a
// sign can only come from the template's text.
func (r *renderer) afterMinus() bool {
	return r.jstate == jsOut && len(r.out) > 0 && r.out[len(r.out)-1] == '-'
}

// failPrintedValue fails the render at the printing tag with what it printed.
func (r *renderer) failPrintedValue(b []byte, why string) {
	r.fail(kindRender, "JSON body: "+printingTag(r.src, r.pos)+" printed "+previewBytes(b)+"; "+why)
}

// failUndefinedHole fails the render for an undefined value printed outside string
// literals, where its empty text would leave a hole such as `"moduleId": ,`: the error
// names the variable, which is what the author has to fix.
func (r *renderer) failUndefinedHole(v Value) {
	r.fail(kindUndefined, "JSON body: "+printingTag(r.src, r.pos)+" printed nothing, as it is undefined ("+
		v.undefMessage()+"); outside a JSON string literal a printed value must be one complete JSON value")
}

// printingTag quotes the tag at pos in src ({{ ... }} or {% ... %}), shortened to
// printedPreview bytes, for error messages.
func printingTag(src string, pos int) string {
	if pos < 0 || pos >= len(src) {
		return "the printed value"
	}
	s := src[pos:]
	closing := "}}"
	if strings.HasPrefix(s, "{%") {
		closing = "%}"
	}
	if end := strings.Index(s, closing); end >= 0 {
		s = s[:end+2]
	}
	if len(s) > printedPreview {
		return truncateUTF8(s, printedPreview) + "..."
	}
	return s
}

// previewBytes quotes a printed value as Python's repr does, cut to printedPreview
// bytes with its length when longer, so that errors stay short.
func previewBytes(b []byte) string {
	q := pyRepr(truncateUTF8(string(b), printedPreview))
	if len(q) > printedPreview+20 {
		// Escapes of control bytes can make the quote four times as long.
		q = truncateUTF8(q, printedPreview+20) + "..."
	}
	if len(b) > printedPreview {
		q += "... (" + itoa(len(b)) + " bytes)"
	}
	return q
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// keySpan is a key of an object in the output: its quoted text, quotes included.
type keySpan struct {
	start, end int
	escaped    bool // holds a backslash, so its raw text may differ from an equal key's
}

// keyLevel is an open bracket of the output while duplicateKey reads it.
type keyLevel struct {
	object bool
	from   int // the level's first key in renderer.keySpans
	// seen has a bit set for each key's keyBit: a new key whose bit is clear is
	// new, without comparing it with the others. escaped tells that a key of the
	// level has escapes, whose raw text does not give their bit.
	seen    uint64
	escaped bool
	index   map[string]int // decoded key to its start, once the object has many keys
}

// keyIndexMin is how many keys an object holds before duplicateKey indexes them in a
// map rather than comparing each new key with those whose bit it shares.
const keyIndexMin = 32

// keyBit spreads keys over 64 bits by their length and first and last bytes, which
// costs next to nothing and tells most keys of an object apart. raw is the key
// with its quotes.
func keyBit(raw []byte) uint64 {
	n := len(raw)
	h := uint(n)*7 + uint(raw[1])*3 + uint(raw[n-2])
	return 1 << (h & 63)
}

// jsonStructure marks the bytes duplicateKey stops at outside strings.
var jsonStructure = func() (t [256]bool) {
	for _, c := range `{}[],"` {
		t[c] = true
	}
	return t
}()

// duplicateKey finds the first key of r.out, valid JSON, that repeats a key of the
// same object, with where the first one is. pos is -1 when there is none. Keys are
// compared by their decoded text, as a receiver's parser compares them.
func (r *renderer) duplicateKey() (pos, first int, key string) {
	out := r.out
	spans, levels := r.keySpans[:0], r.keyLevels[:0]
	defer func() {
		clear(levels)
		r.keySpans, r.keyLevels = spans[:0], levels[:0]
	}()
	expectKey := false
	for i := 0; i < len(out); {
		c := out[i]
		if !jsonStructure[c] {
			i++
			continue
		}
		switch c {
		case '{', '[':
			levels = append(levels, keyLevel{object: c == '{', from: len(spans)})
			expectKey = c == '{'
			i++
		case '}', ']':
			top := &levels[len(levels)-1]
			spans = spans[:top.from]
			top.index = nil
			levels = levels[:len(levels)-1]
			expectKey = false
			i++
		case ',':
			expectKey = levels[len(levels)-1].object
			i++
		default: // '"'
			start := i
			i = jsonStringEnd(out, i)
			if !expectKey {
				break
			}
			expectKey = false
			k := keySpan{start: start, end: i}
			for j := start + 1; j < i-1; j++ {
				if out[j] == '\\' {
					k.escaped = true
					break
				}
			}
			top := &levels[len(levels)-1]
			if f := findKey(out, top, spans[top.from:], k); f >= 0 {
				return start, f, decodedKey(out, k)
			}
			spans = append(spans, k)
		}
	}
	return -1, -1, ""
}

// findKey returns the start of the key of level equal to k, or -1, and adds k to
// the level's bits or index.
func findKey(out []byte, level *keyLevel, keys []keySpan, k keySpan) int {
	if level.index == nil {
		raw := out[k.start:k.end]
		bit := keyBit(raw)
		shared := level.seen&bit != 0 || level.escaped || k.escaped
		level.seen |= bit
		level.escaped = level.escaped || k.escaped
		if shared {
			for _, e := range keys {
				if !k.escaped && !e.escaped {
					if string(out[e.start:e.end]) == string(raw) {
						return e.start
					}
					continue
				}
				if decodedKey(out, e) == decodedKey(out, k) {
					return e.start
				}
			}
		}
		if len(keys) < keyIndexMin-1 {
			return -1
		}
		// The object keeps growing: from here on, its keys are looked up.
		level.index = make(map[string]int, 2*keyIndexMin)
		for _, e := range keys {
			level.index[decodedKey(out, e)] = e.start
		}
	}
	d := decodedKey(out, k)
	if f, ok := level.index[d]; ok {
		return f
	}
	level.index[d] = k.start
	return -1
}

// decodedKey is the text of the key k of out, escapes decoded.
func decodedKey(out []byte, k keySpan) string {
	if !k.escaped {
		return string(out[k.start+1 : k.end-1])
	}
	if s, err := DecodeJSON(out[k.start:k.end]); err == nil {
		if s, ok := s.(string); ok {
			return s
		}
	}
	return string(out[k.start+1 : k.end-1])
}

// jsonStringEnd returns the index just after the string literal that starts at i in
// b, which is valid JSON.
func jsonStringEnd(b []byte, i int) int {
	for i++; i < len(b); {
		i = jsonPlainEnd(b, i)
		if i >= len(b) {
			break
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i += 2
		default:
			i++
		}
	}
	return len(b)
}

// sideBySide finds, at compile time, two values printed next to each other outside
// string literals ({{ a }}{{ b }}, or with only whitespace or comments between): two
// complete JSON values in a row are never valid JSON, whatever they print. It follows
// the template's lexical state through its text as long as it is known: after a
// loop or a branch that may end in another state, or an include, it stops looking
// until the state is known again, at the end of the body.
type sideBySide struct {
	src string
	err *Error
}

// walk reads body from lexical state st (known tells whether st is certain), with
// last the value printed just before, if any; it returns the state after body.
func (w *sideBySide) walk(body []stmt, st uint8, known bool, last *outputStmt) (uint8, bool, *outputStmt) {
	for _, s := range body {
		if w.err != nil {
			return st, false, nil
		}
		switch s := s.(type) {
		case *textStmt:
			if !known {
				last = nil
				continue
			}
			seg := &s.js[st]
			if strings.Trim(seg.out, " \t\r\n") != "" || seg.exit != jsOut {
				last = nil
			}
			st = seg.exit
		case *outputStmt:
			if !known || printsSeparator(s.e) {
				last = nil
				continue
			}
			switch st {
			case jsOut, jsSlash:
				if last != nil {
					l, c := lineCol(w.src, s.pos)
					w.err = &Error{Kind: kindSyntax, Line: l, Col: c, Msg: "JSON body: " + printingTag(w.src, s.pos) +
						" is printed right after " + printingTag(w.src, last.pos) +
						" outside a JSON string literal, and two values side by side are never valid JSON; put a ',' or ':' between them, or print them inside one string"}
					return st, false, nil
				}
				st, last = jsOut, s
			case jsStrEsc:
				st = jsStr
			}
		case *ifStmt:
			exit, exitKnown := st, known
			join := func(b []stmt) {
				e, k, _ := w.walk(b, st, known, last)
				if !k || e != exit {
					exitKnown = false
				}
			}
			for _, b := range s.bodies {
				join(b)
			}
			join(s.els)
			st, known, last = exit, exitKnown, nil
		case *forStmt:
			// A loop body printing one value per iteration is valid for one item: only
			// what is side by side within one iteration is certain.
			e, k, _ := w.walk(s.body, st, known, nil)
			e2, k2, _ := w.walk(s.els, st, known, nil)
			known = known && k && k2 && e == st && e2 == st
			last = nil
		case *withStmt:
			st, known, last = w.walk(s.body, st, known, last)
		case *setStmt, *setBlockStmt, *macroStmt, *importStmt, *fromStmt:
			// No output: what was printed before is still the last thing written.
		default:
			// call and filter blocks print one value each, and an include prints
			// another template: the state after them is not followed.
			known, last = false, nil
		}
	}
	return st, known, last
}

// checkSideBySide reports two values printed side by side in body, compiled with
// precomputeJSON.
func checkSideBySide(src string, body []stmt) *Error {
	w := sideBySide{src: src}
	w.walk(body, jsOut, true, nil)
	return w.err
}

// Whether a body repeats a key is a property of its objects' keys, and those come
// from three places: the template's text, values printed into key strings or key
// positions, and the objects of printed values. tojson prints each object's keys
// once, and every other printed value is a scalar or string content. So when no
// value was printed where a key goes, and none printed an object other than through
// tojson, a body's keys are those of the template texts it wrote, in order: the
// same texts in the same order (the same jsonSeg, entered in the same lexical
// state, told apart by their ids) give the same keys. keysProven remembers a few such sequences per template
// once duplicateKey found their body clean, so that a webhook rendering the same
// body structure over and over reads its keys once.

// keyPathSlots is how many clean sequences a template remembers: enough for the
// few branches a body takes in practice.
const keyPathSlots = 4

type keyPathMemos [keyPathSlots]atomic.Pointer[[]int32]

// separatorID stands in a key path for a printed separator ({{ "," if ... }}).
const separatorID = -1

// maxKeyPath bounds a remembered key path: a body written by a long loop is read
// by duplicateKey each time rather than remembered.
const maxKeyPath = 1024

// noteKeyPath adds the segment id to the render's key path.
func (r *renderer) noteKeyPath(id int32) {
	if len(r.keyPath) >= maxKeyPath {
		r.keysUnproven = true
		return
	}
	r.keyPath = append(r.keyPath, id)
}

// printedValueAt notes where a value printed outside string literals lands: in a
// value's position it adds no key; in a key's position, or where the recognizer
// cannot tell, keysProven must not vouch for the body.
func (r *renderer) printedValueAt() {
	r.trackJSON(len(r.out))
	switch r.jv.st {
	case jvValue, jvValueOrEnd, jvMinus:
	default:
		r.keysUnproven = true
	}
}

// keysProven reports whether the output's keys are known to be free of duplicates;
// if not, and they are only the template texts', it leaves it to duplicateKey and
// to rememberKeyPath.
func (r *renderer) keysProven() bool {
	if r.keysUnproven {
		return false
	}
	for i := range r.t.keyPaths {
		p := r.t.keyPaths[i].Load()
		if p == nil {
			return false
		}
		if slices.Equal(*p, r.keyPath) {
			return true
		}
	}
	return false
}

// rememberKeyPath records the render's key path as clean, in a free slot.
func (r *renderer) rememberKeyPath() {
	if r.keysUnproven {
		return
	}
	for i := range r.t.keyPaths {
		if r.t.keyPaths[i].Load() == nil {
			p := slices.Clone(r.keyPath)
			if r.t.keyPaths[i].CompareAndSwap(nil, &p) {
				return
			}
		}
	}
}
