package jinja

import (
	"bytes"
	"net/url"
	"unicode/utf8"
)

// Mode selects how printed values are written and what the output must satisfy.
type Mode uint8

const (
	ModeText   Mode = iota // plain text, output as Python Jinja2 gives it
	ModeJSON               // values inside JSON string literals escaped; result must be valid JSON
	ModeURL                // printed values percent-encoded for their position in the URL
	ModeHeader             // a CR or LF (or NUL) in the output is an error
)

// JSON lexical states of the output stream in ModeJSON.
const (
	jsOut       uint8 = iota // outside a string literal
	jsStr                    // inside a string literal
	jsStrEsc                 // inside a string literal, after a backslash
	jsSlash                  // outside, after a '/' that may start a comment
	jsLine                   // inside a // comment
	jsBlock                  // inside a /* comment
	jsBlockStar              // inside a /* comment, after '*'
	jsStates
)

type jsonSeg struct {
	out  string
	exit uint8
	// id tells the segments of a template apart in a key path (see keysProven).
	id int32
	// memo remembers where out takes the output's jsonStream from the states it
	// was entered in before.
	memo jsonMemos
}

// jsonText runs template text through the JSON tracker from state st, dropping comments.
func jsonText(s string, st uint8) (string, uint8) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch st {
		case jsOut:
			switch c {
			case '"':
				st = jsStr
				b = append(b, c)
			case '/':
				st = jsSlash
			default:
				b = append(b, c)
			}
		case jsStr:
			switch c {
			case '\\':
				st = jsStrEsc
			case '"':
				st = jsOut
			}
			b = append(b, c)
		case jsStrEsc:
			st = jsStr
			b = append(b, c)
		case jsSlash:
			switch c {
			case '/':
				st = jsLine
			case '*':
				st = jsBlock
			default:
				b = append(b, '/')
				st = jsOut
				i--
			}
		case jsLine:
			if c == '\n' {
				b = append(b, c)
				st = jsOut
			}
		case jsBlock:
			if c == '*' {
				st = jsBlockStar
			}
		case jsBlockStar:
			switch c {
			case '/':
				st = jsOut
			case '*':
			default:
				st = jsBlock
			}
		}
	}
	return string(b), st
}

// precomputeJSON prepares the text of body for ModeJSON; ids counts the segments
// of the template so far, so that each gets an id of its own.
func precomputeJSON(body []stmt, ids *int32) {
	walkStmts(body, func(s stmt) {
		if t, ok := s.(*textStmt); ok {
			t.js = make([]jsonSeg, jsStates)
			for st := uint8(0); st < jsStates; st++ {
				t.js[st].out, t.js[st].exit = jsonText(t.s, st)
				t.js[st].id = *ids
				*ids++
			}
		}
	})
}

// emitText writes template text to the final output.
func (r *renderer) emitText(s *textStmt) {
	if r.t.mode == ModeJSON && s.js != nil {
		seg := &s.js[r.jstate]
		r.noteKeyPath(seg.id)
		start := len(r.out)
		r.out = append(r.out, seg.out...)
		r.jstate = seg.exit
		r.checkOutput()
		r.trackJSON(start)
		// The memos hold what reading these very bytes from the same state gave.
		seg.memo.apply(&r.jv, r.out[start:])
		r.jvPos = len(r.out)
		return
	}
	r.out = append(r.out, s.s...)
	r.checkOutput()
}

// The ModeJSON output is checked as it is written (see jsonStream). r.jv is the
// recognizer's state after r.out[:r.jvPos]: each write either advances it over
// the bytes it wrote, through a shortcut whose outcome is proven to be the one
// reading them would give, or leaves them for trackJSON to read before the next
// shortcut and at the end. No byte of the output goes unchecked.

// trackJSON reads the output written since r.jvPos up to end.
func (r *renderer) trackJSON(end int) {
	if r.jvPos < end {
		r.jv.feed(r.out[r.jvPos:end])
	}
	r.jvPos = end
}

// stringContentWritten accounts for appendJSONContent's output from start.
// appendJSONContent writes no control byte, and each quote or backslash it writes
// is part of a complete escape (\", \\, \n, \r, \t, \b, \f, \u00XX, \ufffd):
// inside a string and outside an escape, the recognizer reads it and stays where
// it was. TestAppendJSONContentStaysInString checks that claim.
func (r *renderer) stringContentWritten(start int) {
	if r.jvPos == start && r.jv.inPlainString() {
		r.jvPos = len(r.out)
		if r.jv.st == jvKeyStr {
			r.keysUnproven = true // content printed into a key
		}
		return
	}
	r.keysUnproven = true // not known to be printed into a value's string
}

// emitJSONValue writes tojson's output b in ModeJSON outside string literals and
// comments. valid tells that b is one JSON value: appendJSON without indent
// writes only JSON (TestAppendJSONIsOneValue), except for Infinity and NaN.
// Reading one whole value that does not end in a digit (which a number could
// continue) takes the recognizer from expecting a value to after one, with its
// brackets as they were; anything else is left for trackJSON to read.
func (r *renderer) emitJSONValue(b []byte, valid bool) {
	if !valid {
		r.failPrintedValue(b, "NaN and Infinity are not JSON")
	}
	if r.afterMinus() && (len(b) == 0 || b[0] < '0' || b[0] > '9') {
		r.failPrintedValue(b, "after the '-' written before it, the value must be a number without a sign")
	}
	r.printedValueAt()
	start := len(r.out)
	r.out = append(r.out, b...)
	r.checkOutput()
	if valid && len(b) > 0 && !(b[len(b)-1] >= '0' && b[len(b)-1] <= '9') &&
		r.jvPos == start && (r.jv.st == jvValue || r.jv.st == jvValueOrEnd) {
		r.jv.st = jvAfter
		r.jvPos = len(r.out)
	}
}

// emitValue writes a printed value to the final output according to the mode.
func (r *renderer) emitValue(v Value) {
	switch r.t.mode {
	case ModeJSON:
		if (v.k == kStr || v.k == kMarkup) && (r.jstate == jsStr || r.jstate == jsStrEsc) {
			// A string printed inside a string literal, the common case
			// ("reply": "{{ certainly.reply }}"): escaped straight into the output.
			start := len(r.out)
			r.out = appendJSONContent(r.out, v.s)
			r.jstate = jsStr
			r.checkOutput()
			r.stringContentWritten(start)
			return
		}
		if v.isUndef() && (r.jstate == jsOut || r.jstate == jsSlash) {
			if v.n&0xff == undefMsgFlag && v.s == inlineIfUndefined {
				// {{ "," if not loop.last }} printing nothing on purpose.
				return
			}
			r.failUndefinedHole(v)
		}
		r.tmp = r.appendStr(r.tmp[:0], v)
		r.emitBytes(r.tmp, false)
		return
	case ModeURL:
		r.tmp = r.appendStr(r.tmp[:0], v)
		r.emitURL(r.tmp)
	default:
		r.out = r.appendStr(r.out, v)
	}
	r.checkOutput()
}

// emitPrinted writes the printed form of a value according to the mode.
// balanced tells that b has balanced string quotes (tojson output), so that
// after it the output is outside string literals whatever b holds.
func (r *renderer) emitPrinted(b []byte, balanced bool) {
	switch r.t.mode {
	case ModeJSON:
		r.emitBytes(b, balanced)
		return
	case ModeURL:
		r.emitURL(b)
	default:
		r.out = append(r.out, b...)
	}
	r.checkOutput()
}

// emitBytes writes a printed value in ModeJSON; balanced as for emitPrinted.
func (r *renderer) emitBytes(b []byte, balanced bool) {
	switch r.jstate {
	case jsStr, jsStrEsc:
		start := len(r.out)
		r.out = appendJSONContent(r.out, b)
		r.jstate = jsStr
		r.stringContentWritten(start)
	case jsLine, jsBlock, jsBlockStar:
		// Printed inside a template comment: dropped with it.
	default:
		r.checkPrintedValue(b)
		r.printedValueAt()
		if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
			// Not tojson's: the value's own objects may repeat a key.
			r.keysUnproven = true
		}
		if r.jstate == jsSlash {
			r.out = append(r.out, '/')
			r.jstate = jsOut
		}
		r.out = append(r.out, b...)
		if !balanced {
			r.jstate = jsonTrack(b, r.jstate)
		}
	}
	r.checkOutput()
}

// jsonTrack returns the lexical state after printed bytes b, starting in state st
// (outside a string literal or inside one: printed values never open comments).
// It jumps from quote to quote rather than stepping through every byte.
func jsonTrack(b []byte, st uint8) uint8 {
	for i := 0; i < len(b); {
		switch st {
		case jsOut:
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				return st
			}
			i += j + 1
			st = jsStr
		case jsStr:
			if i = jsonPlainEnd(b, i); i >= len(b) {
				return st
			}
			switch b[i] {
			case '\\':
				st = jsStrEsc
			case '"':
				st = jsOut
			}
			i++
		default: // jsStrEsc
			st = jsStr
			i++
		}
	}
	return st
}

// appendJSONContent escapes b as the content of a JSON string literal.
func appendJSONContent[T string | []byte](out []byte, b T) []byte {
	start := 0
	for i := 0; i < len(b); {
		if i = jsonASCIIEnd(b, i); i >= len(b) {
			break
		}
		c := b[i]
		if c >= utf8.RuneSelf {
			// At most UTFMax bytes, which converting to a string does not allocate.
			r, sz := utf8.DecodeRuneInString(string(b[i:min(i+utf8.UTFMax, len(b))]))
			if r == utf8.RuneError && sz == 1 {
				out = append(out, b[start:i]...)
				out = append(out, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += sz
			continue
		}
		out = append(out, b[start:i]...)
		switch c {
		case '"':
			out = append(out, '\\', '"')
		case '\\':
			out = append(out, '\\', '\\')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		default:
			out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		i++
		start = i
	}
	return append(out, b[start:]...)
}

// URL positions of a printed value.
const (
	urlHost = iota
	urlPath
	urlQuery
	urlFragment
)

func urlPosition(out []byte) int {
	s := out
	if bytes.IndexByte(s, '#') >= 0 {
		return urlFragment
	}
	if bytes.IndexByte(s, '?') >= 0 {
		return urlQuery
	}
	if i := bytes.Index(s, []byte("://")); i >= 0 {
		if bytes.IndexByte(s[i+3:], '/') >= 0 {
			return urlPath
		}
		return urlHost
	}
	if bytes.IndexByte(s, '/') < 0 && bytes.IndexByte(s, ':') < 0 {
		return urlHost
	}
	return urlPath
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func (r *renderer) emitURL(b []byte) {
	switch urlPosition(r.out) {
	case urlHost:
		for _, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
				l, col := lineCol(string(r.out), len(r.out))
				tl, tc := lineCol(r.src, r.pos)
				panic(renderFail{&Error{Kind: kindOutput, Line: l, Col: col,
					Msg: "URL: the value printed at line " + itoa(tl) + ", column " + itoa(tc) + " of the template is in the scheme or host, where only letters, digits, '-', '.' and '_' are allowed; it contains " + pyRepr(string(rune(c)))}})
			}
		}
		r.out = append(r.out, b...)
	case urlPath, urlFragment:
		allDots := len(b) > 0
		for _, c := range b {
			if c != '.' {
				allDots = false
			}
		}
		for _, c := range b {
			if isUnreserved(c) && !(allDots && c == '.') {
				r.out = append(r.out, c)
			} else {
				r.out = append(r.out, '%', upperHex[c>>4], upperHex[c&15])
			}
		}
	case urlQuery:
		for _, c := range b {
			switch {
			case isUnreserved(c):
				r.out = append(r.out, c)
			case c == ' ':
				r.out = append(r.out, '+')
			default:
				r.out = append(r.out, '%', upperHex[c>>4], upperHex[c&15])
			}
		}
	}
}

const upperHex = "0123456789ABCDEF"

// finish applies the mode's final check to the whole output.
func (r *renderer) finish() *Error {
	switch r.t.mode {
	case ModeJSON:
		if r.jstate == jsSlash {
			r.out = append(r.out, '/')
		}
		r.trackJSON(len(r.out))
		// When the recognizer accepts, it read or accounted for every byte (see
		// trackJSON); else the full validator decides.
		if !r.jv.accepts() {
			if pos, msg := validateJSON(r.out); msg != "" {
				l, c := lineCol(string(r.out), pos)
				return &Error{Kind: kindOutput, Line: l, Col: c, Msg: "invalid JSON: " + msg}
			}
		}
		if r.keysProven() {
			return nil
		}
		if pos, first, key := r.duplicateKey(); pos >= 0 {
			l, c := lineCol(string(r.out), pos)
			fl, fc := lineCol(string(r.out), first)
			return &Error{Kind: kindOutput, Line: l, Col: c, Msg: "duplicate key " + previewBytes([]byte(key)) +
				" in an object (first at line " + itoa(fl) + ", column " + itoa(fc) + ")"}
		}
		r.rememberKeyPath()
	case ModeHeader:
		for i, c := range r.out {
			if c == '\r' || c == '\n' || c == 0 {
				l, col := lineCol(string(r.out), i)
				name := map[byte]string{'\r': "CR", '\n': "LF", 0: "NUL"}[c]
				return &Error{Kind: kindOutput, Line: l, Col: col, Msg: "header value contains " + name}
			}
		}
	case ModeURL:
		for i, c := range r.out {
			if c < 0x20 || c == 0x7f || c == ' ' {
				l, col := lineCol(string(r.out), i)
				return &Error{Kind: kindOutput, Line: l, Col: col, Msg: "URL contains a space or control character"}
			}
		}
		if _, err := url.Parse(string(r.out)); err != nil {
			return &Error{Kind: kindOutput, Line: 1, Col: 1, Msg: "invalid URL: " + err.Error()}
		}
	}
	return nil
}
