package jinja_test

import (
	"context"
	"errors"
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

// repeatTo writes prefix, then unit(0), unit(1), ... as long as the whole, with
// suffix(n) for the n units written, stays within the size limit.
func repeatTo(prefix string, unit func(i int) string, suffix func(n int) string) string {
	var b strings.Builder
	b.WriteString(prefix)
	n := 0
	for {
		u := unit(n)
		if b.Len()+len(u)+len(suffix(n+1)) > boundedSizeLimit {
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

// countFor is how many units of size unitLen fit the limit beside extra bytes.
func countFor(unitLen, extra int) int { return (boundedSizeLimit - extra) / unitLen }

// boundedCases builds the worst template of each family at the size limit: many
// names, many macros, long unpacking, deep nesting, long filter and concatenation
// chains, huge literals, many sets, whitespace control, and parser nesting.
func boundedCases() []boundedCase {
	big := "{% set big = range(50000)|list %}"
	bigStr := "{% set s = 'a' * 1000000 %}"
	// nested holds big eight times over: operations that walk a value whole see
	// 400,000 items where its top level has eight.
	nested := "{% set n = [big, big, big, big, big, big, big, big] %}"
	words := "{% set w = 'a ' * 500000 %}"
	bigDict := "{% set d = {" + repeatDictItems(12000, "'value'") + "} %}"
	n := countFor(len("a65535, "), 40)
	params := countFor(len("p23000, 1, "), 60)
	defaults := countFor(len("p17000=q17000, "), 60)
	cases := []boundedCase{
		{"tuple_unpack", "{% set " + names("a", n) + " = range(" + strconv.Itoa(n) + ") %}{}"},
		{"tuple_unpack_in_loop", "{% set r = range(5000) %}{% for i in range(1000000) %}{% set " + names("a", 5000) + " = r %}{% endfor %}"},
		{"for_unpack_long", "{% for " + names("a", n-10) + " in [range(" + strconv.Itoa(n-10) + ")] %}{% endfor %}"},
		{"many_sets", repeatTo("", func(i int) string { return "{% set " + name("a", i) + " = 1 %}" }, func(int) string { return "{{ a0 }}" })},
		{"many_sets_then_lookups", repeatTo("", func(i int) string {
			if i%2 == 0 {
				return "{% set " + name("a", i) + " = 1 %}"
			}
			return "{{ a0 }}{{ a" + strconv.Itoa(i-1) + " }}"
		}, fixed(""))},
		{"many_undefined_lookups", repeatTo("", func(i int) string { return "{{ " + name("u", i) + " is defined }}" }, fixed(""))},
		{"many_macros", repeatTo("", func(i int) string { return "{% macro " + name("m", i) + "() %}x{% endmacro %}" }, func(int) string { return "{{ m0() }}" })},
		{"many_macro_calls", repeatTo("{% macro m(x) %}{{ x }}{% endmacro %}", fixed("{{ m(1) }}"), fixed(""))},
		{"macro_many_params", "{% macro m(" + names("p", params) + ") %}{% endmacro %}{{ m(" + strings.Repeat("1, ", params) + ") }}"},
		{"macro_many_defaults", "{% macro m(" + repeatDefaults(defaults) + ") %}{% endmacro %}{{ m() }}"},
		{"macro_many_args_in_loop", "{% macro m(" + names("p", 2000) + ") %}{% endmacro %}{% for i in range(100000) %}{{ m(" + strings.Repeat("1, ", 2000) + ") }}{% endfor %}"},
		{"dict_call_many_kwargs", "{{ dict(" + repeatKwargs(countFor(len("k65535=1, "), 20)) + ")|length }}"},
		{"deep_frames_many_sets", repeatTo(strings.Repeat("{% for i in x %}", 190), func(i int) string { return "{% set " + name("a", i) + " = 1 %}" }, func(int) string { return strings.Repeat("{% endfor %}", 190) + "{}" })},
		{"deep_if_nesting", strings.Repeat("{% if true %}", 10900) + strings.Repeat("{% endif %}", 10900)},
		{"deep_for_nesting", strings.Repeat("{% for i in range(10) %}", 7200) + strings.Repeat("{% endfor %}", 7200)},
		{"deep_parentheses", "{{ " + strings.Repeat("(", 120000) + "1" + strings.Repeat(")", 120000) + " }}"},
		{"deep_brackets", "{{ " + strings.Repeat("[", 120000) + "1" + strings.Repeat("]", 120000) + " }}"},
		{"deep_unary_minus", "{{ " + strings.Repeat("-", 250000) + "1 }}"},
		{"deep_not", "{{ " + strings.Repeat("not ", 60000) + "1 }}"},
		{"long_filter_chain_string", repeatTo(bigStr+"{{ (s", fixed("|upper|lower"), fixed(")|length }}"))},
		{"long_filter_chain_list", repeatTo(big+"{{ (big", fixed("|sort|reverse"), fixed(")|length }}"))},
		{"long_filter_chain_small", repeatTo("{{ 'a'", fixed("|upper"), fixed(" }}"))},
		{"long_concat_chain", repeatTo("{% set s = 'a' * 100000 %}{{ (s", fixed(" ~ s"), fixed(")|length }}"))},
		{"long_concat_chain_small", repeatTo("{{ ('a'", fixed(" ~ 'a'"), fixed(")|length }}"))},
		{"long_plus_chain", repeatTo("{{ (1", fixed(" + 1"), fixed(") }}"))},
		{"huge_list_literal", repeatTo("{{ [0", fixed(",0"), fixed("]|length }}"))},
		{"huge_list_literal_in_loop", "{% for i in range(1000000) %}{{ [" + strings.Repeat("i,", 100000) + "]|length }}{% endfor %}"},
		{"huge_dict_literal", repeatTo("{{ {'k':0", func(i int) string { return ",'" + name("k", i) + "':0" }, fixed("}|length }}"))},
		{"huge_dict_literal_in_loop", "{% for i in range(1000000) %}{{ {" + repeatDictItems(20000, "i") + "}|length }}{% endfor %}"},
		{"whitespace_control", repeatTo("", fixed("{%- if true -%}  \n  {%- endif -%}"), fixed(""))},
		{"whitespace_control_text", repeatTo("", fixed("  \n {{- 1 -}}  \n "), fixed(""))},
		{"many_text_and_prints", repeatTo("", fixed("x{{ 1 }}"), fixed(""))},
		{"join_big_in_loop", big + "{% for i in range(1000000) %}{{ (big|join(','))|length }}{% endfor %}"},
		{"sort_big_in_loop", big + "{% for i in range(1000000) %}{{ (big|sort(reverse=true))|length }}{% endfor %}"},
		{"string_repeat_in_loop", "{% for i in range(1000000) %}{{ ('ab' * 500000)|length }}{% endfor %}"},
		{"range_list_in_loop", "{% for i in range(1000000) %}{{ range(1000000)|list|length }}{% endfor %}"},
		{"compare_big_in_loop", big + "{% for i in range(1000000) %}{{ big == big }}{% endfor %}"},
		{"contains_big_in_loop", big + "{% for i in range(1000000) %}{{ -1 in big }}{% endfor %}"},
		{"string_methods_in_loop", bigStr + "{% for i in range(1000000) %}{{ s.count('b') }}{{ s.replace('b', 'c')|length }}{{ s.split()|length }}{% endfor %}"},
		{"unique_big_in_loop", big + "{% for i in range(1000000) %}{{ big|unique|list|length }}{% endfor %}"},
		{"map_big_in_loop", big + "{% for i in range(1000000) %}{{ big|map('string')|list|length }}{% endfor %}"},
		{"sum_max_big_in_loop", big + "{% for i in range(1000000) %}{{ big|sum }}{{ big|max }}{% endfor %}"},
		{"tojson_big_in_loop", big + "{% for i in range(1000000) %}{{ (big|tojson)|length }}{% endfor %}"},
		{"format_in_loop", "{% for i in range(1000000) %}{{ ('%s' * 100000) % ((1,) * 100000) }}{% endfor %}"},
		{"slice_big_in_loop", big + "{% for i in range(1000000) %}{{ big[::-1]|length }}{% endfor %}"},
		{"nested_tojson_in_loop", big + nested + "{% for i in range(1000000) %}{{ (n|tojson)|length }}{% endfor %}"},
		{"nested_string_in_loop", big + nested + "{% for i in range(1000000) %}{{ (n|string)|length }}{% endfor %}"},
		{"nested_compare_in_loop", big + nested + "{% for i in range(1000000) %}{{ n == n }}{% endfor %}"},
		{"nested_concat_in_loop", big + nested + "{% for i in range(1000000) %}{{ (n ~ '')|length }}{% endfor %}"},
		{"dict_tojson_in_loop", bigDict + "{% for i in range(1000000) %}{{ (d|tojson)|length }}{% endfor %}"},
		{"dictsort_in_loop", bigDict + "{% for i in range(1000000) %}{{ d|dictsort|length }}{% endfor %}"},
		{"wordwrap_in_loop", words + "{% for i in range(1000000) %}{{ (w|wordwrap(1))|length }}{% endfor %}"},
		{"split_in_loop", words + "{% for i in range(1000000) %}{{ w.split()|length }}{% endfor %}"},
		{"splitlines_in_loop", "{% set l = 'a\\n' * 500000 %}{% for i in range(1000000) %}{{ l.splitlines()|length }}{% endfor %}"},
		{"indent_in_loop", "{% set nl = '\\n' * 500000 %}{% for i in range(1000000) %}{{ (nl|indent(1))|length }}{% endfor %}"},
		{"namespace_many_attrs", repeatTo("{% set ns = namespace() %}", func(i int) string { return "{% set ns." + name("a", i) + " = 1 %}" }, fixed(""))},
		{"json_body_many_keys", repeatTo("{", func(i int) string { return `"` + name("k", i) + `": {{ 1 }}, ` }, fixed(`"z": 0}`))},
		{"json_body_many_strings", repeatTo("[", fixed(`"{{ 'x' }}", `), fixed(`0]`))},
	}
	return cases
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
			cpu := processCPU()
			for b.Loop() {
				compileAndRender(c.src, mode)
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns")
			b.ReportMetric(0, outcome)
		})
	}
}
