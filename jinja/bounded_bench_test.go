package jinja_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/hookline/hookline/jinja"
)

// boundedSizeLimit is the largest webhook body the API accepts
// (hookline.MaxWebhookBodyLen); the jinja package cannot import hookline.
const boundedSizeLimit = 256 << 10

// boundedCase is one template of the worst kind its family has, at the size limit.
type boundedCase struct {
	family string
	src    string
}

// boundedFamily builds its family's template for a size limit in bytes.
type boundedFamily struct {
	family string
	gen    func(limit int) string
}

// boundedCases builds each family's worst case: its template at the size limit,
// or, when that has more tokens than the compile budget lets through (and is
// refused at once), the largest that the budget accepts, found by bisection: the
// worst a template that fits the API's limits can do.
func boundedCases() []boundedCase {
	var cases []boundedCase
	for _, f := range boundedFamilies() {
		src := f.gen(boundedSizeLimit)
		if tooComplex(src) {
			lo, hi := 1<<10, boundedSizeLimit // lo fits the budget, hi does not
			for hi-lo > 256 {
				mid := (lo + hi) / 2
				if tooComplex(f.gen(mid)) {
					hi = mid
				} else {
					lo = mid
				}
			}
			src = f.gen(lo)
		}
		cases = append(cases, boundedCase{f.family, src})
	}
	return cases
}

// tooComplex reports whether Compile refuses src for its number of tokens.
func tooComplex(src string) bool {
	_, err := jinja.Compile(src, jinja.Options{})
	var je *jinja.Error
	return errors.As(err, &je) && strings.Contains(je.Msg, "too complex")
}

// repeatTo writes prefix, then unit(0), unit(1), ... as long as the whole, with
// suffix(n) for the n units written, stays within the size limit.
func repeatTo(limit int, prefix string, unit func(i int) string, suffix func(n int) string) string {
	var b strings.Builder
	b.WriteString(prefix)
	n := 0
	for {
		u := unit(n)
		if b.Len()+len(u)+len(suffix(n+1)) > limit {
			break
		}
		b.WriteString(u)
		n++
	}
	b.WriteString(suffix(n))
	return b.String()
}

func fixed(s string) func(int) string { return func(int) string { return s } }

func name(prefix string, i int) string { return prefix + strconv.Itoa(i) }

// names is "p0, p1, ..., p(n-1)".
func names(prefix string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = name(prefix, i)
	}
	return strings.Join(parts, ", ")
}

// countFor is how many units of size unitLen fit limit beside extra bytes.
func countFor(limit, unitLen, extra int) int { return (limit - extra) / unitLen }

// boundedFamilies lists the families of worst templates, each built by gen for a
// size limit: many names, many macros, long unpacking, deep nesting, long filter
// and concatenation chains, huge literals, many sets, whitespace control, and
// parser nesting.
func boundedFamilies() []boundedFamily {
	big := "{% set big = range(50000)|list %}"
	bigStr := "{% set s = 'a' * 1000000 %}"
	// nested holds big eight times over: operations that walk a value whole see
	// 400,000 items where its top level has eight.
	nested := "{% set n = [big, big, big, big, big, big, big, big] %}"
	words := "{% set w = 'a ' * 500000 %}"
	bigDict := "{% set d = {" + repeatDictItems(12000, "'value'") + "} %}"
	nNames := func(limit int) int { return countFor(limit, len("a65535, "), 40) }
	paramsFor := func(limit int) int { return countFor(limit, len("p23000, 1, "), 60) }
	defaultsFor := func(limit int) int { return countFor(limit, len("p17000=q17000, "), 60) }
	families := []boundedFamily{
		{"tuple_unpack", func(limit int) string {
			return "{% set " + names("a", nNames(limit)) + " = range(" + strconv.Itoa(nNames(limit)) + ") %}{}"
		}},
		{"tuple_unpack_in_loop", func(limit int) string {
			return "{% set r = range(5000) %}{% for i in range(1000000) %}{% set " + names("a", 5000) + " = r %}{% endfor %}"
		}},
		{"for_unpack_long", func(limit int) string {
			return "{% for " + names("a", nNames(limit)-10) + " in [range(" + strconv.Itoa(nNames(limit)-10) + ")] %}{% endfor %}"
		}},
		{"many_sets", func(limit int) string {
			return repeatTo(limit, "", func(i int) string { return "{% set " + name("a", i) + " = 1 %}" }, func(int) string { return "{{ a0 }}" })
		}},
		{"many_sets_then_lookups", func(limit int) string {
			return repeatTo(limit, "", func(i int) string {
				if i%2 == 0 {
					return "{% set " + name("a", i) + " = 1 %}"
				}
				return "{{ a0 }}{{ a" + strconv.Itoa(i-1) + " }}"
			}, fixed(""))
		}},
		{"many_undefined_lookups", func(limit int) string {
			return repeatTo(limit, "", func(i int) string { return "{{ " + name("u", i) + " is defined }}" }, fixed(""))
		}},
		{"many_macros", func(limit int) string {
			return repeatTo(limit, "", func(i int) string { return "{% macro " + name("m", i) + "() %}x{% endmacro %}" }, func(int) string { return "{{ m0() }}" })
		}},
		{"many_macro_calls", func(limit int) string {
			return repeatTo(limit, "{% macro m(x) %}{{ x }}{% endmacro %}", fixed("{{ m(1) }}"), fixed(""))
		}},
		{"macro_many_params", func(limit int) string {
			return "{% macro m(" + names("p", paramsFor(limit)) + ") %}{% endmacro %}{{ m(" + strings.Repeat("1, ", paramsFor(limit)) + ") }}"
		}},
		{"macro_many_defaults", func(limit int) string {
			return "{% macro m(" + repeatDefaults(defaultsFor(limit)) + ") %}{% endmacro %}{{ m() }}"
		}},
		{"macro_many_args_in_loop", func(limit int) string {
			return "{% macro m(" + names("p", 2000) + ") %}{% endmacro %}{% for i in range(100000) %}{{ m(" + strings.Repeat("1, ", 2000) + ") }}{% endfor %}"
		}},
		{"dict_call_many_kwargs", func(limit int) string {
			return "{{ dict(" + repeatKwargs(countFor(limit, len("k65535=1, "), 20)) + ")|length }}"
		}},
		{"deep_frames_many_sets", func(limit int) string {
			return repeatTo(limit, strings.Repeat("{% for i in x %}", 190), func(i int) string { return "{% set " + name("a", i) + " = 1 %}" }, func(int) string { return strings.Repeat("{% endfor %}", 190) + "{}" })
		}},
		{"deep_if_nesting", func(limit int) string {
			return strings.Repeat("{% if true %}", 10900) + strings.Repeat("{% endif %}", 10900)
		}},
		{"deep_for_nesting", func(limit int) string {
			return strings.Repeat("{% for i in range(10) %}", 7200) + strings.Repeat("{% endfor %}", 7200)
		}},
		{"deep_parentheses", func(limit int) string {
			return "{{ " + strings.Repeat("(", 120000) + "1" + strings.Repeat(")", 120000) + " }}"
		}},
		{"deep_brackets", func(limit int) string {
			return "{{ " + strings.Repeat("[", 120000) + "1" + strings.Repeat("]", 120000) + " }}"
		}},
		{"deep_unary_minus", func(limit int) string {
			return "{{ " + strings.Repeat("-", 250000) + "1 }}"
		}},
		{"deep_not", func(limit int) string {
			return "{{ " + strings.Repeat("not ", 60000) + "1 }}"
		}},
		{"long_filter_chain_string", func(limit int) string {
			return repeatTo(limit, bigStr+"{{ (s", fixed("|upper|lower"), fixed(")|length }}"))
		}},
		{"long_filter_chain_list", func(limit int) string {
			return repeatTo(limit, big+"{{ (big", fixed("|sort|reverse"), fixed(")|length }}"))
		}},
		{"long_filter_chain_small", func(limit int) string {
			return repeatTo(limit, "{{ 'a'", fixed("|upper"), fixed(" }}"))
		}},
		{"long_concat_chain", func(limit int) string {
			return repeatTo(limit, "{% set s = 'a' * 100000 %}{{ (s", fixed(" ~ s"), fixed(")|length }}"))
		}},
		{"long_concat_chain_small", func(limit int) string {
			return repeatTo(limit, "{{ ('a'", fixed(" ~ 'a'"), fixed(")|length }}"))
		}},
		{"long_plus_chain", func(limit int) string {
			return repeatTo(limit, "{{ (1", fixed(" + 1"), fixed(") }}"))
		}},
		{"huge_list_literal", func(limit int) string {
			return repeatTo(limit, "{{ [0", fixed(",0"), fixed("]|length }}"))
		}},
		{"huge_list_literal_in_loop", func(limit int) string {
			return "{% for i in range(1000000) %}{{ [" + strings.Repeat("i,", countFor(limit, len("i,"), 80)) + "]|length }}{% endfor %}"
		}},
		{"huge_dict_literal", func(limit int) string {
			return repeatTo(limit, "{{ {'k':0", func(i int) string { return ",'" + name("k", i) + "':0" }, fixed("}|length }}"))
		}},
		{"huge_dict_literal_in_loop", func(limit int) string {
			return "{% for i in range(1000000) %}{{ {" + repeatDictItems(countFor(limit, len("'k12345': i, "), 80), "i") + "}|length }}{% endfor %}"
		}},
		{"whitespace_control", func(limit int) string {
			return repeatTo(limit, "", fixed("{%- if true -%}  \n  {%- endif -%}"), fixed(""))
		}},
		{"whitespace_control_text", func(limit int) string {
			return repeatTo(limit, "", fixed("  \n {{- 1 -}}  \n "), fixed(""))
		}},
		{"many_text_and_prints", func(limit int) string {
			return repeatTo(limit, "", fixed("x{{ 1 }}"), fixed(""))
		}},
		{"join_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ (big|join(','))|length }}{% endfor %}"
		}},
		{"sort_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ (big|sort(reverse=true))|length }}{% endfor %}"
		}},
		{"string_repeat_in_loop", func(limit int) string {
			return "{% for i in range(1000000) %}{{ ('ab' * 500000)|length }}{% endfor %}"
		}},
		{"range_list_in_loop", func(limit int) string {
			return "{% for i in range(1000000) %}{{ range(1000000)|list|length }}{% endfor %}"
		}},
		{"compare_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ big == big }}{% endfor %}"
		}},
		{"contains_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ -1 in big }}{% endfor %}"
		}},
		{"string_methods_in_loop", func(limit int) string {
			return bigStr + "{% for i in range(1000000) %}{{ s.count('b') }}{{ s.replace('b', 'c')|length }}{{ s.split()|length }}{% endfor %}"
		}},
		{"unique_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ big|unique|list|length }}{% endfor %}"
		}},
		{"map_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ big|map('string')|list|length }}{% endfor %}"
		}},
		{"sum_max_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ big|sum }}{{ big|max }}{% endfor %}"
		}},
		{"tojson_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ (big|tojson)|length }}{% endfor %}"
		}},
		{"format_in_loop", func(limit int) string {
			return "{% for i in range(1000000) %}{{ ('%s' * 100000) % ((1,) * 100000) }}{% endfor %}"
		}},
		{"slice_big_in_loop", func(limit int) string {
			return big + "{% for i in range(1000000) %}{{ big[::-1]|length }}{% endfor %}"
		}},
		{"nested_tojson_in_loop", func(limit int) string {
			return big + nested + "{% for i in range(1000000) %}{{ (n|tojson)|length }}{% endfor %}"
		}},
		{"nested_string_in_loop", func(limit int) string {
			return big + nested + "{% for i in range(1000000) %}{{ (n|string)|length }}{% endfor %}"
		}},
		{"nested_compare_in_loop", func(limit int) string {
			return big + nested + "{% for i in range(1000000) %}{{ n == n }}{% endfor %}"
		}},
		{"nested_concat_in_loop", func(limit int) string {
			return big + nested + "{% for i in range(1000000) %}{{ (n ~ '')|length }}{% endfor %}"
		}},
		{"dict_tojson_in_loop", func(limit int) string {
			return bigDict + "{% for i in range(1000000) %}{{ (d|tojson)|length }}{% endfor %}"
		}},
		{"dictsort_in_loop", func(limit int) string {
			return bigDict + "{% for i in range(1000000) %}{{ d|dictsort|length }}{% endfor %}"
		}},
		{"wordwrap_in_loop", func(limit int) string {
			return words + "{% for i in range(1000000) %}{{ (w|wordwrap(1))|length }}{% endfor %}"
		}},
		{"split_in_loop", func(limit int) string {
			return words + "{% for i in range(1000000) %}{{ w.split()|length }}{% endfor %}"
		}},
		{"splitlines_in_loop", func(limit int) string {
			return "{% set l = 'a\\n' * 500000 %}{% for i in range(1000000) %}{{ l.splitlines()|length }}{% endfor %}"
		}},
		{"indent_in_loop", func(limit int) string {
			return "{% set nl = '\\n' * 500000 %}{% for i in range(1000000) %}{{ (nl|indent(1))|length }}{% endfor %}"
		}},
		{"namespace_many_attrs", func(limit int) string {
			return repeatTo(limit, "{% set ns = namespace() %}", func(i int) string { return "{% set ns." + name("a", i) + " = 1 %}" }, fixed(""))
		}},
		{"json_body_many_keys", func(limit int) string {
			return repeatTo(limit, "{", func(i int) string { return `"` + name("k", i) + `": {{ 1 }}, ` }, fixed(`"z": 0}`))
		}},
		{"json_body_many_strings", func(limit int) string {
			return repeatTo(limit, "[", fixed(`"{{ 'x' }}", `), fixed(`0]`))
		}},
	}
	return families
}

func repeatDefaults(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = name("p", i) + "=" + name("q", i)
	}
	return strings.Join(parts, ", ")
}

func repeatKwargs(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = name("k", i) + "=1"
	}
	return strings.Join(parts, ", ")
}

// repeatDictItems is "'k0': value, 'k1': value, ...".
func repeatDictItems(n int, value string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "'" + name("k", i) + "': " + value
	}
	return strings.Join(parts, ", ")
}

// boundedMode is the mode a family's template is compiled in: the JSON body
// families are webhook bodies; the others are rendered as text, where every
// template gets as far as it can.
func boundedMode(family string) jinja.Mode {
	if strings.HasPrefix(family, "json_") {
		return jinja.ModeJSON
	}
	return jinja.ModeText
}

// compileAndRender compiles and renders src as a webhook would, under the default
// limits: it returns the render's error or the compile's, nil when it rendered.
func compileAndRender(src string, mode jinja.Mode) error {
	tm, err := jinja.Compile(src, jinja.Options{Mode: mode})
	if err != nil {
		return err
	}
	_, err = tm.Render(context.Background(), nil, jinja.DefaultLimits())
	return err
}

// TestBoundedTemplatesEnd checks that each worst case fits the size limit and is
// refused with a *jinja.Error or rendered; BenchmarkBounded measures how fast.
func TestBoundedTemplatesEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 256 KiB templates")
	}
	for _, c := range boundedCases() {
		t.Run(c.family, func(t *testing.T) {
			if len(c.src) > boundedSizeLimit {
				t.Fatalf("template of %d bytes, over the limit", len(c.src))
			}
			err := compileAndRender(c.src, boundedMode(c.family))
			var je *jinja.Error
			if err != nil && !errors.As(err, &je) {
				t.Fatalf("error %T: %v", err, err)
			}
			if je != nil && strings.Contains(je.Msg, "internal error") {
				t.Fatalf("%v", je)
			}
		})
	}
}

// BenchmarkBounded measures, for each family's worst case at the size limit, how
// long Compile and Render take together to refuse or render it under the default
// limits, in wall-clock and in CPU time (cpu-ns per op, all the process's threads,
// the garbage collector's included). The goal is at most 100 ms of CPU each;
// BENCHMARKS.md has the figures.
func BenchmarkBounded(b *testing.B) {
	for _, c := range boundedCases() {
		b.Run(c.family, func(b *testing.B) {
			mode := boundedMode(c.family)
			outcome := "rendered"
			if err := compileAndRender(c.src, mode); err != nil {
				var je *jinja.Error
				errors.As(err, &je)
				outcome = "refused"
				if je != nil && je.Kind == "budget" {
					outcome = "budget:" + je.Budget
				}
			}
			// The garbage of building the cases and of the run above is collected
			// now, not during the measured renders.
			runtime.GC()
			cpu := processCPU()
			for b.Loop() {
				compileAndRender(c.src, mode)
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns")
			b.ReportMetric(float64(len(c.src)), "template-bytes")
			b.ReportMetric(0, outcome)
		})
	}
}

// TestCompileTokenBudget checks the compile budget: a template of more than 65,536
// tokens is refused with a syntax error at the token past the budget, and one just
// under it compiles.
func TestCompileTokenBudget(t *testing.T) {
	// "{{ [" and "]|length }}" are 7 tokens with the list's brackets; each "0," is 2.
	under := "{{ [" + strings.Repeat("0,", (65536-7)/2) + "]|length }}"
	if _, err := jinja.Compile(under, jinja.Options{}); err != nil {
		t.Fatalf("a template within the budget: %v", err)
	}
	over := "{{ [" + strings.Repeat("0,", 40000) + "]|length }}"
	_, err := jinja.Compile(over, jinja.Options{})
	var je *jinja.Error
	if !errors.As(err, &je) || je.Kind != "syntax" || je.Line != 1 || je.Col == 0 || !strings.Contains(je.Msg, "too complex") {
		t.Fatalf("a template over the budget: %v, want a syntax error naming it with its position", err)
	}
}
