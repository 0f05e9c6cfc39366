package jinja

import "sync/atomic"

// jsonStream checks ModeJSON output as it is written, so that a render whose output
// it accepts needs no final validateJSON pass. It is a resumable JSON recognizer:
// it accepts exactly the outputs validateJSON accepts whose brackets nest at most
// 64 deep. Anything it rejects (or gives up on) is checked again by validateJSON,
// which reports the error or, if the recognizer was merely too cautious, accepts;
// a render's result therefore never depends on it, only its cost does.
//
// Its state is small and comparable, so that the effect of a piece of template text
// can be remembered per entry state (see jsonSeg.memo): the text is the same bytes
// each time, and from the same full state the recognizer ends in the same state.
type jsonStream struct {
	stack uint64 // bit i is set when bracket level i is an object
	depth uint8  // open brackets; bits of stack at and above it are zero
	st    uint8  // one of the jv states
}

// States of jsonStream. Between tokens: what may come next. Inside a token: where
// in the token the input is, so that a token may continue in the next piece.
const (
	jvValue      uint8 = iota // a value (the start, after ':', after ',' in an array)
	jvValueOrEnd              // after '[': a value or ']'
	jvKeyOrEnd                // after '{': a key or '}'
	jvKey                     // after ',' in an object: a key
	jvColon                   // after a key: ':'
	jvAfter                   // after a value: ',' or a closing bracket, or the end at the top level

	jvMinus     // after a number's '-'
	jvZero      // after a leading '0' (may end here)
	jvInt       // in the integer digits (may end here)
	jvDot       // after '.'
	jvFrac      // in the fraction digits (may end here)
	jvExp       // after 'e' or 'E'
	jvExpSign   // after the exponent's sign
	jvExpDigits // in the exponent digits (may end here)

	// Strings: jvStr plus 0 for plain content, 1 after a backslash, 2 to 5 with four
	// to one hex digits of a \u escape to go; plus jvKeyFlag when the string is a key.
	jvStr     uint8 = 16
	jvKeyFlag uint8 = 8
	jvKeyStr        = jvStr + jvKeyFlag

	// Literals: jvLit plus the index in jvLitText of the next byte expected.
	jvLit uint8 = 32

	jvFail uint8 = 255 // invalid, or beyond what the recognizer follows
)

const jvLitText = "truefalsenull"

// jvMaxDepth is the deepest nesting the stack bits hold.
const jvMaxDepth = 64

// accepts reports whether the input so far is one complete JSON value.
func (v *jsonStream) accepts() bool {
	if v.depth != 0 {
		return false
	}
	switch v.st {
	case jvAfter, jvZero, jvInt, jvFrac, jvExpDigits:
		return true
	}
	return false
}

// inPlainString reports whether the input so far ends inside a string literal, not
// within an escape: content written by appendJSONContent leaves it there.
func (v *jsonStream) inPlainString() bool { return v.st == jvStr || v.st == jvKeyStr }

// feed advances the recognizer over b.
func (v *jsonStream) feed(b []byte) {
	st, stack, depth := v.st, v.stack, v.depth
	if st == jvFail {
		return
	}
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case st <= jvAfter:
			if isJSONSpace(c) {
				i++
				continue
			}
			switch st {
			case jvValue, jvValueOrEnd:
				switch {
				case c == '"':
					st = jvStr
				case c == '{' || c == '[':
					if depth == jvMaxDepth {
						st = jvFail
						break
					}
					if c == '{' {
						stack |= 1 << depth
						st = jvKeyOrEnd
					} else {
						st = jvValueOrEnd
					}
					depth++
				case c == ']' && st == jvValueOrEnd:
					// jvValueOrEnd follows '[' directly: the level is an array.
					depth--
					st = jvAfter
				case c == 't':
					st = jvLit + 1
				case c == 'f':
					st = jvLit + 5
				case c == 'n':
					st = jvLit + 10
				case c == '-':
					st = jvMinus
				case c == '0':
					st = jvZero
				case c >= '1' && c <= '9':
					st = jvInt
				default:
					st = jvFail
				}
			case jvKeyOrEnd, jvKey:
				switch {
				case c == '"':
					st = jvKeyStr
				case c == '}' && st == jvKeyOrEnd:
					depth--
					stack &^= 1 << depth
					st = jvAfter
				default:
					st = jvFail
				}
			case jvColon:
				if c == ':' {
					st = jvValue
				} else {
					st = jvFail
				}
			default: // jvAfter
				if depth == 0 {
					st = jvFail
					break
				}
				object := stack>>(depth-1)&1 != 0
				switch {
				case c == ',' && object:
					st = jvKey
				case c == ',':
					st = jvValue
				case c == '}' && object:
					depth--
					stack &^= 1 << depth
				case c == ']' && !object:
					depth--
				default:
					st = jvFail
				}
			}
			i++
		case st < jvStr:
			// A number: a byte that cannot continue it ends it where it may end, and is
			// then read again as what follows the value.
			digit := c >= '0' && c <= '9'
			switch st {
			case jvMinus:
				switch {
				case c == '0':
					st = jvZero
				case digit:
					st = jvInt
				default:
					st = jvFail
				}
			case jvZero, jvInt:
				switch {
				case digit && st == jvInt:
				case c == '.':
					st = jvDot
				case c == 'e' || c == 'E':
					st = jvExp
				default:
					st = jvAfter
					continue
				}
			case jvDot:
				if !digit {
					st = jvFail
					break
				}
				st = jvFrac
			case jvFrac:
				switch {
				case digit:
				case c == 'e' || c == 'E':
					st = jvExp
				default:
					st = jvAfter
					continue
				}
			case jvExp:
				switch {
				case c == '+' || c == '-':
					st = jvExpSign
				case digit:
					st = jvExpDigits
				default:
					st = jvFail
				}
			case jvExpSign:
				if !digit {
					st = jvFail
					break
				}
				st = jvExpDigits
			default: // jvExpDigits
				if !digit {
					st = jvAfter
					continue
				}
			}
			i++
		case st < jvLit:
			base := st &^ 7
			switch sub := st & 7; sub {
			case 0:
				if i = jsonPlainEnd(b, i); i >= len(b) {
					break
				}
				switch b[i] {
				case '"':
					st = jvAfter
					if base == jvKeyStr {
						st = jvColon
					}
				case '\\':
					st = base + 1
				default: // a control character
					st = jvFail
				}
				i++
			case 1:
				switch c {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					st = base
				case 'u':
					st = base + 2
				default:
					st = jvFail
				}
				i++
			default:
				switch {
				case digitVal(c) > 15:
					st = jvFail
				case sub == 5:
					st = base
				default:
					st++
				}
				i++
			}
		case st < jvFail:
			p := st - jvLit
			if c != jvLitText[p] {
				st = jvFail
				break
			}
			st++
			if p+1 == 4 || p+1 == 9 || p+1 == 13 {
				st = jvAfter
			}
			i++
		}
		if st == jvFail {
			break
		}
	}
	if st == jvFail {
		*v = jsonStream{st: jvFail}
		return
	}
	v.st, v.stack, v.depth = st, stack, depth
}

// jsonMemo remembers the state a piece of template text leads to from state in.
// It is immutable once published.
type jsonMemo struct{ in, out jsonStream }

// jsonMemoSlots is how many entry states a piece of text remembers: a text in a
// loop body is often entered one way on the first iteration and another after.
const jsonMemoSlots = 2

type jsonMemos [jsonMemoSlots]atomic.Pointer[jsonMemo]

// apply advances v over text, which b holds, through the memos when one has v's
// exact state, else by reading b and remembering the outcome in a free slot.
// Slots are filled once and never replaced, so that concurrent renders do not
// allocate over and over; a state without a slot is read each time.
func (ms *jsonMemos) apply(v *jsonStream, b []byte) {
	if v.st == jvFail {
		return
	}
	for i := range ms {
		m := ms[i].Load()
		if m == nil {
			break
		}
		if m.in == *v {
			*v = m.out
			return
		}
	}
	in := *v
	v.feed(b)
	for i := range ms {
		if ms[i].Load() == nil {
			if ms[i].CompareAndSwap(nil, &jsonMemo{in: in, out: *v}) {
				return
			}
		}
	}
}
