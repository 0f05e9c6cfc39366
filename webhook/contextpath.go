package webhook

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckContextPath checks a variable path into the template context, as a
// variable-type header or param holds it: an identifier followed by any
// number of .name, [index] or ["key"] steps, as in certainly.sessionId,
// a.b[0] or certainly.extractedData["e-mail"]. Anything more (a filter, a
// call) is refused, so that a variable stays a plain lookup.
func CheckContextPath(p string) error {
	if p == "" {
		return fmt.Errorf("must name a context path such as certainly.sessionId")
	}
	i := identEnd(p, 0)
	if i == 0 {
		return fmt.Errorf("%q is not a context path: it must start with a name such as certainly", p)
	}
	for i < len(p) {
		switch p[i] {
		case '.':
			j := identEnd(p, i+1)
			if j == i+1 {
				return fmt.Errorf("%q is not a context path: expected a name after the dot at offset %d", p, i)
			}
			i = j
		case '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return fmt.Errorf("%q is not a context path: unclosed [ at offset %d", p, i)
			}
			inner := p[i+1 : i+j]
			if !validIndex(inner) {
				return fmt.Errorf("%q is not a context path: [%s] must hold a number or a quoted key", p, inner)
			}
			i += j + 1
		default:
			return fmt.Errorf("%q is not a context path: unexpected %q at offset %d", p, p[i], i)
		}
	}
	return nil
}

func identEnd(s string, i int) int {
	start := i
	for i < len(s) {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > start && '0' <= c && c <= '9' {
			i++
			continue
		}
		break
	}
	return i
}

func validIndex(s string) bool {
	if s == "" {
		return false
	}
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		return true
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		inner := s[1 : len(s)-1]
		return !strings.ContainsAny(inner, "\"'\\\r\n")
	}
	return false
}
