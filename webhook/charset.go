package webhook

import (
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline"
)

// text is a response body as UTF-8 text for parsing and showing: JSON and
// text bodies are decoded from the charset their Content-Type declares
// (see declaredText); XML bodies are left to their own declaration.
func (c *Compiled) text(header map[string]string, body []byte) []byte {
	if c.def.ResponseType == hookline.ResponseXML {
		return body
	}
	return declaredText(header["content-type"], body)
}

// declaredText returns body as UTF-8, decoded from the charset contentType
// declares, as Python's requests reads a response's text: ISO-8859-1 (and
// its aliases), windows-1252 and US-ASCII are decoded, bytes the charset
// does not define becoming U+FFFD. Without a charset, for UTF-8 and for
// charsets not listed here, body comes back as it is: JSON is UTF-8 by its
// RFC, and invalid bytes read as U+FFFD.
func declaredText(contentType string, body []byte) []byte {
	var decode func(b byte) rune
	switch charsetParam(contentType) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
		decode = func(b byte) rune { return rune(b) }
	case "windows-1252", "cp1252", "x-cp1252":
		decode = func(b byte) rune {
			if b < 0xa0 {
				return windows1252C1[b-0x80]
			}
			return rune(b)
		}
	case "us-ascii", "ascii":
		decode = func(byte) rune { return utf8.RuneError }
	default:
		return body
	}
	high := 0
	for _, b := range body {
		if b >= utf8.RuneSelf {
			high++
		}
	}
	if high == 0 {
		return body // ASCII reads the same in all of them
	}
	out := make([]byte, 0, len(body)+2*high)
	for _, b := range body {
		if b < utf8.RuneSelf {
			out = append(out, b)
		} else {
			out = utf8.AppendRune(out, decode(b))
		}
	}
	return out
}

// windows1252C1 holds what windows-1252 puts at 0x80 to 0x9F, where
// ISO-8859-1 has control characters; five bytes are undefined.
var windows1252C1 = [32]rune{
	'€', utf8.RuneError, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', utf8.RuneError, 'Ž', utf8.RuneError,
	utf8.RuneError, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', utf8.RuneError, 'ž', 'Ÿ',
}

// charsetParam is the charset parameter of a Content-Type, lower-cased;
// "" when there is none.
func charsetParam(contentType string) string {
	_, params, _ := strings.Cut(contentType, ";")
	for params != "" {
		var param string
		param, params, _ = strings.Cut(params, ";")
		name, value, ok := strings.Cut(param, "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "charset") {
			return strings.ToLower(strings.Trim(strings.TrimSpace(value), `"`))
		}
	}
	return ""
}
