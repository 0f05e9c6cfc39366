package jinja_test

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hookline/hookline/jinja"
)

// conformanceCase is one expectation written by testdata/conformance/gen.py from Python Jinja2.
//
// An output must be equal byte for byte. An error is compared by where it happens, not by
// its wording or Python's exception class: where Python fails to compile (Error
// "compile"), Compile must fail with a *jinja.Error that has a line; where Python's render
// raises (Error "render"), Compile must succeed and Render must fail with a *jinja.Error.
// An unsupported case must fail, at either point, with Kind "unsupported".
type conformanceCase struct {
	Name        string            `json:"name"`
	Template    string            `json:"template"`
	Context     string            `json:"context"`
	Mode        string            `json:"mode"`
	Templates   map[string]string `json:"templates"`
	Names       []string          `json:"names"` // sorted jinja2.meta.find_undeclared_variables
	Output      *string           `json:"output"`
	Error       string            `json:"error"` // "compile" or "render" when Python raised
	PythonError string            `json:"python_error"`
	// Unsupported marks a case that needs a feature the engine refuses by design
	// (inheritance, autoescape, extensions, async): whatever Python does, the engine
	// must fail, at compile or render time, with an error of Kind "unsupported".
	Unsupported bool `json:"unsupported"`
}

func loadConformanceCases(tb testing.TB) []conformanceCase {
	tb.Helper()
	raw, err := os.ReadFile("testdata/conformance/expected.json")
	if err != nil {
		tb.Fatalf("read expectations: %v", err)
	}
	var doc struct {
		Jinja2 string            `json:"jinja2"`
		Cases  []conformanceCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatalf("decode expected.json: %v", err)
	}
	if len(doc.Cases) == 0 {
		tb.Fatal("expected.json has no cases")
	}
	return doc.Cases
}

// contextData decodes a case's JSON context into render data, keeping nested objects as
// *jinja.Object so that their key order survives as it does in Python dicts.
func contextData(tb testing.TB, text string) map[string]any {
	tb.Helper()
	v, err := jinja.DecodeJSON([]byte(text))
	if err != nil {
		tb.Fatalf("DecodeJSON(%s): %v", text, err)
	}
	obj, ok := v.(*jinja.Object)
	if !ok {
		tb.Fatalf("context %s decodes to %T, want *jinja.Object", text, v)
	}
	data := make(map[string]any, obj.Len())
	for _, k := range obj.Keys() {
		data[k], _ = obj.Get(k)
	}
	return data
}

func parseMode(tb testing.TB, s string) jinja.Mode {
	tb.Helper()
	switch s {
	case "", "text":
		return jinja.ModeText
	case "json":
		return jinja.ModeJSON
	case "url":
		return jinja.ModeURL
	case "header":
		return jinja.ModeHeader
	}
	tb.Fatalf("unknown mode %q", s)
	return 0
}

// caseGroup is the part of a case name the lead routes failures by: "filter/round".
func caseGroup(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

func TestConformance(t *testing.T) {
	cases := loadConformanceCases(t)
	seen := make(map[string]bool, len(cases))
	failedByGroup := map[string][]string{}
	passed := 0
	for _, c := range cases {
		if seen[c.Name] {
			t.Fatalf("duplicate case name %s", c.Name)
		}
		seen[c.Name] = true
		ok := t.Run(c.Name, func(t *testing.T) { runConformanceCase(t, c) })
		if ok {
			passed++
		} else {
			g := caseGroup(c.Name)
			failedByGroup[g] = append(failedByGroup[g], path.Base(c.Name))
		}
	}
	t.Logf("conformance: %d of %d cases pass", passed, len(cases))
	if len(failedByGroup) > 0 {
		groups := make([]string, 0, len(failedByGroup))
		for g := range failedByGroup {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		var b strings.Builder
		for _, g := range groups {
			b.WriteString("\n  " + g + ": " + strings.Join(failedByGroup[g], ", "))
		}
		t.Logf("failing cases by group:%s", b.String())
	}
}

func runConformanceCase(t *testing.T, c conformanceCase) {
	opts := jinja.Options{Mode: parseMode(t, c.Mode), Templates: c.Templates}
	data := contextData(t, c.Context)
	want := "(none)"
	if c.Output != nil {
		want = *c.Output
	}
	tmpl, err := jinja.Compile(c.Template, opts)
	if c.Unsupported {
		if err == nil {
			_, err = tmpl.Render(context.Background(), data, jinja.DefaultLimits())
		}
		je, ok := err.(*jinja.Error)
		if !ok || je.Kind != "unsupported" {
			t.Fatalf("template %q: got %v; want an unsupported error (Python gives %s)", c.Template, err, describeExpectation(c))
		}
		return
	}
	if c.Error == "compile" {
		if err == nil {
			t.Fatalf("template %q compiled; Python fails to compile it: %s", c.Template, c.PythonError)
		}
		je, ok := err.(*jinja.Error)
		if !ok {
			t.Fatalf("compile error is %T (%v), want *jinja.Error", err, err)
		}
		if je.Line < 1 {
			t.Errorf("compile error %q has no line (Python: %s)", je.Error(), c.PythonError)
		}
		return
	}
	if err != nil {
		t.Fatalf("template %q: compile: %v\nPython gives %s", c.Template, err, describeExpectation(c))
	}
	got, err := tmpl.Render(context.Background(), data, jinja.DefaultLimits())
	if c.Error == "render" {
		if err == nil {
			t.Fatalf("template %q\ncontext %s\nrendered %q; Python raises %s", c.Template, c.Context, got, c.PythonError)
		}
		if _, ok := err.(*jinja.Error); !ok {
			t.Fatalf("render error is %T (%v), want *jinja.Error", err, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("template %q\ncontext %s\nrender: %v\nPython gives %q", c.Template, c.Context, err, want)
	}
	if got != want {
		t.Errorf("template %q\ncontext %s\n got %q\nwant %q", c.Template, c.Context, got, want)
	}
}

func describeExpectation(c conformanceCase) string {
	if c.Output != nil {
		return strconv.Quote(*c.Output)
	}
	return c.Error + " error " + c.PythonError
}

// TestConformanceNames compares Template.Names, as a set, with what Python's
// jinja2.meta.find_undeclared_variables finds in the same template.
func TestConformanceNames(t *testing.T) {
	checked := 0
	for _, c := range loadConformanceCases(t) {
		if c.Names == nil || c.Error == "compile" {
			continue
		}
		tmpl, err := jinja.Compile(c.Template, jinja.Options{Mode: parseMode(t, c.Mode)})
		if err != nil {
			continue // TestConformance reports it
		}
		checked++
		names := tmpl.Names()
		got := slices.Clone(names)
		slices.Sort(got)
		if !slices.Equal(got, c.Names) && !(len(got) == 0 && len(c.Names) == 0) {
			t.Errorf("%s: Names() of %q = %q, Python finds %q", c.Name, c.Template, names, c.Names)
		}
		if len(slices.Compact(got)) != len(names) {
			t.Errorf("%s: Names() = %q repeats a name", c.Name, names)
		}
	}
	if checked == 0 {
		t.Fatal("no case has names")
	}
}

// TestConformanceEval evaluates every text-mode case that is a single expression: Eval
// fails where Python's render fails, and a scalar it returns prints as Python printed it.
func TestConformanceEval(t *testing.T) {
	checked := 0
	for _, c := range loadConformanceCases(t) {
		if c.Error == "compile" || c.Mode != "" || c.Templates != nil {
			continue
		}
		tmpl, err := jinja.Compile(c.Template, jinja.Options{})
		if err != nil || !tmpl.IsExpression() {
			continue
		}
		checked++
		v, err := tmpl.Eval(context.Background(), contextData(t, c.Context), jinja.DefaultLimits())
		if c.Error == "render" {
			if err == nil {
				t.Errorf("%s: Eval of %q = %#v; Python raises %s", c.Name, c.Template, v, c.PythonError)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Eval of %q: %v", c.Name, c.Template, err)
			continue
		}
		want := *c.Output
		if strings.TrimSpace(want) != want {
			continue // surrounding whitespace is part of the text, not of the value
		}
		var printed string
		switch v := v.(type) {
		case string:
			printed = v
		case int64:
			printed = strconv.FormatInt(v, 10)
		case *big.Int:
			printed = v.String()
		case bool:
			printed = map[bool]string{true: "True", false: "False"}[v]
		case nil:
			printed = "None"
		case jinja.Undefined:
			printed = ""
		case float64, []any, *jinja.Object:
			continue // their printing is what TestConformance checks through Render
		default:
			t.Errorf("%s: Eval of %q returned %T, outside the contract's types", c.Name, c.Template, v)
			continue
		}
		if printed != want {
			t.Errorf("%s: Eval of %q = %#v, which prints %q; Python prints %q", c.Name, c.Template, v, printed, want)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d single-expression cases evaluated", checked)
	}
}

// TestConformanceDrift re-runs the generator against the installed Python Jinja2 and fails
// when the checked-in expectations no longer match what Python produces.
func TestConformanceDrift(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	out, err := exec.Command(py, "-c", "import jinja2; print(jinja2.__version__)").Output()
	if err != nil {
		t.Skip("Python cannot import jinja2")
	}
	version := strings.TrimSpace(string(out))
	if !strings.HasPrefix(version, "3.1.") {
		t.Fatalf("the expectations are Jinja2 3.1's; installed Jinja2 is %s", version)
	}
	cmd := exec.Command(py, "testdata/conformance/gen.py", "--check")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	report, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gen.py --check: %v\n%s", err, report)
	}
}

// TestUnsupported checks that what the engine refuses fails at compile time with Kind
// "unsupported", the construct's name and its position.
func TestUnsupported(t *testing.T) {
	tests := []struct {
		name, src string
		word      string // the construct named in the message
		line      int
		cols      []int // the column of "{%" or of the keyword
	}{
		{"extends", "{% extends 'base.html' %}", "extends", 1, []int{1, 4}},
		{"block", "Hi\n  {% block content %}x{% endblock %}", "block", 2, []int{3, 6}},
		{"include", "a {{ b }}\n\n{%- include 'header.html' %}", "include", 3, []int{1, 5}},
		{"import", "x\n{% import 'forms.html' as forms %}{{ forms.input('a') }}", "import", 2, []int{1, 4}},
		{"from_import", "  {% from 'forms.html' import input %}", "from", 1, []int{3, 6}},
		{"include_in_loop", "{% for x in [1] %}\n    {% include x %}\n{% endfor %}", "include", 2, []int{5, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := jinja.Compile(tt.src, jinja.Options{})
			if err == nil {
				out, rerr := tmpl.Render(context.Background(), map[string]any{}, jinja.DefaultLimits())
				t.Fatalf("%q compiled (render: %q, %v); want an unsupported error", tt.src, out, rerr)
			}
			je, ok := err.(*jinja.Error)
			if !ok {
				t.Fatalf("error is %T (%v), want *jinja.Error", err, err)
			}
			if je.Kind != "unsupported" {
				t.Errorf("Kind = %q (%v), want unsupported", je.Kind, je)
			}
			if !strings.Contains(je.Msg, tt.word) {
				t.Errorf("Msg = %q, want it to name %q", je.Msg, tt.word)
			}
			if je.Line != tt.line {
				t.Errorf("Line = %d, want %d (%v)", je.Line, tt.line, je)
			}
			colOK := false
			for _, c := range tt.cols {
				colOK = colOK || je.Col == c
			}
			if !colOK {
				t.Errorf("Col = %d, want one of %v (%v)", je.Col, tt.cols, je)
			}
			if s := je.Error(); !strings.Contains(s, "unsupported") || !strings.Contains(s, "line ") {
				t.Errorf("Error() = %q, want line and \"unsupported\"", s)
			}
		})
	}
}

// TestConformancePorted checks the part of the corpus ported from Jinja2's own test suite:
// each case names the Jinja2 test file and test it comes from, and there are at least the
// thousand cases the port set out to have.
func TestConformancePorted(t *testing.T) {
	ported := 0
	for _, c := range loadConformanceCases(t) {
		if !strings.HasPrefix(c.Name, "jinja2/") {
			continue
		}
		ported++
		parts := strings.Split(c.Name, "/")
		if len(parts) != 4 || !strings.HasPrefix(parts[1], "test_") || !strings.Contains(parts[2], "test_") {
			t.Errorf("%s: want jinja2/<test file>/<test>/<n>", c.Name)
		}
		if _, err := strconv.Atoi(parts[len(parts)-1]); err != nil {
			t.Errorf("%s: does not end in the case's number", c.Name)
		}
	}
	if ported < 1000 {
		t.Errorf("%d cases ported from Jinja2's tests, want at least 1000", ported)
	}
}
