package jinja

import (
	"strings"
	"unicode"
)

func isWrapSpace(c rune) bool {
	return c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' '
}

func isLetter(c rune) bool { return unicode.IsLetter(c) }

// wrapChunks splits text as textwrap's TextWrapper._split does: whitespace runs and
// words, words optionally broken after hyphens.
func wrapChunks(text string, hyphens bool) [][]rune {
	rs := []rune(text)
	var chunks [][]rune
	for i := 0; i < len(rs); {
		j := i
		if isWrapSpace(rs[i]) {
			for j < len(rs) && isWrapSpace(rs[j]) {
				j++
			}
			chunks = append(chunks, rs[i:j])
			i = j
			continue
		}
		for j < len(rs) && !isWrapSpace(rs[j]) {
			j++
		}
		word := rs[i:j]
		if hyphens {
			start := 0
			for k := 0; k < len(word); k++ {
				if word[k] != '-' {
					continue
				}
				// (?<=lt{2}-) or (?<=lt-lt-), followed by (?=lt -? lt)
				ok := k >= 2 && isLetter(word[k-1]) && isLetter(word[k-2]) ||
					k >= 3 && isLetter(word[k-1]) && word[k-2] == '-' && isLetter(word[k-3])
				if ok && k+1 < len(word) && isLetter(word[k+1]) {
					ok = k+2 < len(word) && (isLetter(word[k+2]) || word[k+2] == '-' && k+3 < len(word) && isLetter(word[k+3]))
				} else {
					ok = false
				}
				if ok && k > start {
					chunks = append(chunks, word[start:k+1])
					start = k + 1
				}
			}
			word = word[start:]
		}
		if len(word) > 0 {
			chunks = append(chunks, word)
		}
		i = j
	}
	return chunks
}

func isBlank(c []rune) bool {
	for _, x := range c {
		if !isPySpace(x) {
			return false
		}
	}
	return true
}

// textWrap is textwrap.wrap(text, width, expand_tabs=False, replace_whitespace=False, ...).
func textWrap(text string, width int, breakLong, hyphens bool) []string {
	chunks := wrapChunks(text, hyphens)
	// reverse
	for i, j := 0, len(chunks)-1; i < j; i, j = i+1, j-1 {
		chunks[i], chunks[j] = chunks[j], chunks[i]
	}
	var lines []string
	for len(chunks) > 0 {
		var cur [][]rune
		curLen := 0
		if isBlank(chunks[len(chunks)-1]) && len(lines) > 0 {
			chunks = chunks[:len(chunks)-1]
		}
		for len(chunks) > 0 {
			l := len(chunks[len(chunks)-1])
			if curLen+l <= width {
				cur = append(cur, chunks[len(chunks)-1])
				chunks = chunks[:len(chunks)-1]
				curLen += l
			} else {
				break
			}
		}
		if len(chunks) > 0 && len(chunks[len(chunks)-1]) > width {
			spaceLeft := width - curLen
			if width < 1 {
				spaceLeft = 1
			}
			if breakLong {
				end := spaceLeft
				chunk := chunks[len(chunks)-1]
				if hyphens && len(chunk) > spaceLeft {
					h := -1
					for k := min(spaceLeft, len(chunk)) - 1; k >= 0; k-- {
						if chunk[k] == '-' {
							h = k
							break
						}
					}
					if h > 0 {
						for _, c := range chunk[:h] {
							if c != '-' {
								end = h + 1
								break
							}
						}
					}
				}
				cur = append(cur, chunk[:end])
				chunks[len(chunks)-1] = chunk[end:]
			} else if len(cur) == 0 {
				cur = append(cur, chunks[len(chunks)-1])
				chunks = chunks[:len(chunks)-1]
			}
		}
		if len(cur) > 0 && isBlank(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			var b strings.Builder
			for _, c := range cur {
				b.WriteString(string(c))
			}
			lines = append(lines, b.String())
		}
	}
	return lines
}
