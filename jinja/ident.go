package jinja

import (
	"sort"
	"unicode/utf8"
)

//go:generate python3 identtables_gen.py

// identRange is an inclusive range of code points in the generated tables.
type identRange struct{ lo, hi rune }

func inIdentRanges(rs []identRange, r rune) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].hi >= r })
	return i < len(rs) && rs[i].lo <= r
}

// isNameChar reports whether Jinja2's lexer takes r into a name: \w or XID_Continue.
func isNameChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || r >= '0' && r <= '9' || r|0x20 >= 'a' && r|0x20 <= 'z'
	}
	return inIdentRanges(identNameChars, r)
}

// isIdentifier is Python's str.isidentifier, which Jinja2 requires of every name token.
func isIdentifier(s string) bool {
	for i, r := range s {
		if r < utf8.RuneSelf {
			if r == '_' || r|0x20 >= 'a' && r|0x20 <= 'z' || i > 0 && r >= '0' && r <= '9' {
				continue
			}
			return false
		}
		if i == 0 && !inIdentRanges(identStartChars, r) || i > 0 && !inIdentRanges(identContinueChars, r) {
			return false
		}
	}
	return s != ""
}
