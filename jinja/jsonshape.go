package jinja

import "slices"

// ModeJSON checks that each output is valid JSON. Scanning the whole output again costs
// about a fifth of a typical body render, and most renders of a template produce the same
// skeleton: the same template text, with values printed at the same places. The shape
// records that skeleton:
//
//   - each piece of template text, by its id and the lexical state it was emitted in
//     (which fixes the bytes it wrote);
//   - each value printed inside a string literal, escaped by appendJSONContent: it can
//     neither end the literal nor leave an escape open, so any content is as good as any
//     other;
//   - each value printed outside a string literal that is one complete JSON value on its
//     own, with whitespace or punctuation on both sides: no token runs into it, so any
//     such value is as good as any other.
//
// Two outputs with the same shape are therefore both valid or both invalid. finish skips
// the scan when the shape equals the last one found valid for the template, and scans in
// full otherwise (that scan also words every error message). Anything else (a value after
// a backslash or a pending '/', an empty or partial value, a value run into its
// neighbours, a very long shape) makes the shape unusable, and the output is scanned.

// Shape entries besides template text, whose entries are id<<3 | lexical state.
const (
	shapeInString uint32 = 1<<32 - 1 - iota // a value escaped inside a string literal
	shapeValue                              // a complete value outside string literals
)

// maxShape bounds the recorded shape: loops make long outputs, which are scanned.
const maxShape = 1024

// shapeText records template text emitted from lexical state st.
func (r *renderer) shapeText(s *textStmt, st uint8) {
	if s.js == nil {
		r.shapeOff = true
		return
	}
	r.addShape(s.jsID<<3 | uint32(st))
}

func (r *renderer) addShape(e uint32) {
	if r.shapeOff {
		return
	}
	if len(r.shape) >= maxShape {
		r.shapeOff = true
		return
	}
	r.shape = append(r.shape, e)
}

// shapeOutside records b, about to be appended outside string literals. valid tells
// that b is known to be one complete JSON value.
func (r *renderer) shapeOutside(b []byte, valid bool) {
	if r.shapeOff {
		return
	}
	if n := len(r.out); n > 0 && !jsonDelimiter[r.out[n-1]] {
		r.shapeOff = true
		return
	}
	if !valid {
		if _, msg := validateJSON(b); msg != "" {
			r.shapeOff = true
			return
		}
	}
	if r.addShape(shapeValue); !r.shapeOff {
		// What follows the value is checked once the output is complete.
		r.valueEnds = append(r.valueEnds, len(r.out)+len(b))
	}
}

// jsonDelimiter marks the bytes no JSON token continues through.
var jsonDelimiter = [256]bool{' ': true, '\t': true, '\n': true, '\r': true,
	'[': true, ']': true, '{': true, '}': true, ':': true, ',': true}

// knownValid reports whether the output has the shape of one already found valid.
func (r *renderer) knownValid() bool {
	if r.shapeOff {
		return false
	}
	for _, e := range r.valueEnds {
		if e < len(r.out) && !jsonDelimiter[r.out[e]] {
			return false
		}
	}
	p := r.t.validShape.Load()
	return p != nil && slices.Equal(*p, r.shape)
}

// rememberValid records the shape of an output just found valid by a full scan.
func (r *renderer) rememberValid() {
	if r.shapeOff {
		return
	}
	for _, e := range r.valueEnds {
		if e < len(r.out) && !jsonDelimiter[r.out[e]] {
			return
		}
	}
	s := slices.Clone(r.shape)
	r.t.validShape.Store(&s)
}
