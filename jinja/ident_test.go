package jinja

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestIdentTables checks, for every code point, that the engine's name lookups agree with
// what identtables_gen.py computes from the installed Python and Jinja2: the characters
// the lexer takes into a name, and those str.isidentifier accepts first and after.
func TestIdentTables(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every code point and runs Python")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	want, err := exec.Command(py, "identtables_gen.py", "--ranges").Output()
	if err != nil {
		t.Skipf("identtables_gen.py --ranges: %v (is Jinja2 installed?)", err)
	}
	var b strings.Builder
	preds := []struct {
		name string
		f    func(rune) bool
	}{
		{"name", isNameChar},
		{"start", func(r rune) bool { return isIdentifier(string(r)) }},
		{"continue", func(r rune) bool { return isIdentifier("a" + string(r)) }},
	}
	for _, p := range preds {
		start := rune(-1)
		for r := rune(0); r <= utf8.MaxRune+1; r++ {
			ok := r <= utf8.MaxRune && !(r >= 0xD800 && r <= 0xDFFF) && p.f(r)
			if ok && start < 0 {
				start = r
			} else if !ok && start >= 0 {
				fmt.Fprintf(&b, "%s %X %X\n", p.name, start, r-1)
				start = -1
			}
		}
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("identifier tables differ from Python at line %d: engine %q, Python %q (run go generate)", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("identifier tables differ from Python: %d lines, Python %d (run go generate)", len(gl), len(wl))
	}
}
