package jinja

import "strconv"

// Error is the one error type of the package. Kind says what went wrong; Line and Col
// locate it in the template source (or, with Kind "output", in the rendered text).
type Error struct {
	Kind   string // "syntax", "unsupported", "undefined", "type", "budget", "output", "render"
	Budget string // with Kind "budget": "steps", "output", "value", "depth", "deadline"
	Line   int    // 1-based; 0 when unknown
	Col    int    // 1-based; 0 when unknown
	Msg    string
}

func (e *Error) Error() string {
	if e.Line <= 0 {
		return e.Msg
	}
	s := "line " + strconv.Itoa(e.Line)
	if e.Col > 0 {
		s += ", column " + strconv.Itoa(e.Col)
	}
	return s + ": " + e.Msg
}

// Error kinds.
const (
	kindSyntax      = "syntax"
	kindUnsupported = "unsupported"
	kindUndefined   = "undefined"
	kindType        = "type"
	kindBudget      = "budget"
	kindOutput      = "output"
	kindRender      = "render"
)
