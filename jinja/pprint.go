package jinja

import (
	"strings"
	"unicode/utf8"
)

const pprintWidth = 80

func fPprint(r *renderer, v Value, args []Value, kw []kwArg) Value {
	r.noArgs("pprint", args, kw)
	var b strings.Builder
	r.pformat(&b, v, 0, 0, 1)
	return strVal(b.String())
}

// pformat follows pprint.PrettyPrinter._format with width 80 and sorted dicts.
func (r *renderer) pformat(b *strings.Builder, v Value, indent, allowance, level int) {
	r.step()
	r.checkSize(b.Len())
	rep := string(r.appendRepr(nil, v, true))
	maxWidth := pprintWidth - indent - allowance
	if utf8.RuneCountInString(rep) <= maxWidth || level > 200 {
		b.WriteString(rep)
		return
	}
	switch v.k {
	case kDict, kDataObj, kDataMap:
		ks, vs := r.sortedItems(r.mapItems(v))
		b.WriteByte('{')
		if len(ks) > 0 {
			ind := indent + 1
			for i := range ks {
				last := i == len(ks)-1
				krep := string(r.appendRepr(nil, ks[i], true))
				b.WriteString(krep)
				b.WriteString(": ")
				al := 1
				if last {
					al = allowance + 1
				}
				r.pformat(b, vs[i], ind+utf8.RuneCountInString(krep)+2, al, level+1)
				if !last {
					b.WriteString(",\n")
					b.WriteString(strings.Repeat(" ", ind))
				}
			}
		}
		b.WriteByte('}')
	case kList, kDataList, kTuple:
		open, end := "[", "]"
		n, _ := seqLen(v)
		if v.k == kTuple {
			open = "("
			end = ")"
			if n == 1 {
				end = ",)"
			}
		}
		b.WriteString(open)
		ind := indent + 1
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",\n")
				b.WriteString(strings.Repeat(" ", ind))
			}
			al := 1
			if i == n-1 {
				al = allowance + len(end)
			}
			r.pformat(b, r.seqAt(v, i), ind, al, level+1)
		}
		b.WriteString(end)
	case kStr:
		r.pformatStr(b, v.s, indent, allowance, level, rep)
	default:
		b.WriteString(rep)
	}
}

// pformatStr splits a long string into implicitly concatenated chunks, as pprint does.
func (r *renderer) pformatStr(b *strings.Builder, s string, indent, allowance, level int, rep string) {
	if s == "" {
		b.WriteString(rep)
		return
	}
	lines := pySplitLines(s, true)
	if level == 1 {
		indent++
		allowance++
	}
	maxWidth1 := pprintWidth - indent
	maxWidth := maxWidth1
	var chunks []string
	for i, line := range lines {
		lrep := pyRepr(line)
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if utf8.RuneCountInString(lrep) <= maxWidth1 {
			chunks = append(chunks, lrep)
			continue
		}
		// Alternating (non-space, space) parts: \S*\s*
		var parts []string
		rs := []rune(line)
		for k := 0; k < len(rs); {
			j := k
			for j < len(rs) && !isPySpace(rs[j]) {
				j++
			}
			for j < len(rs) && isPySpace(rs[j]) {
				j++
			}
			parts = append(parts, string(rs[k:j]))
			k = j
		}
		maxWidth2 := maxWidth
		current := ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if utf8.RuneCountInString(pyRepr(candidate)) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, pyRepr(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, pyRepr(current))
		}
	}
	if len(chunks) == 1 {
		b.WriteString(rep)
		return
	}
	if level == 1 {
		b.WriteByte('(')
	}
	for i, c := range chunks {
		if i > 0 {
			b.WriteString("\n")
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(c)
	}
	if level == 1 {
		b.WriteByte(')')
	}
}
