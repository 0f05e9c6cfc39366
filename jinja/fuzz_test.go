package jinja_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/jinja"
)

// nastyTemplates are seeds aimed at the engine's edges: unterminated syntax, deep nesting,
// huge numbers and sizes, bad UTF-8 and NUL bytes, and internals a sandbox must not reach.
var nastyTemplates = []string{
	"", "{", "{{", "{%", "{#", "}}", "{{}}", "{%%}", "{{ {{ }} }}", "{% raw %}", "{% endraw %}",
	"{{ ((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))) }}",
	"{{ " + strings.Repeat("(", 5000) + " }}",
	"{{ " + strings.Repeat("[", 5000) + " }}",
	"{{ " + strings.Repeat("-", 5000) + "1 }}",
	"{{ " + strings.Repeat("not ", 5000) + "1 }}",
	"{{ x" + strings.Repeat("|upper", 2000) + " }}",
	strings.Repeat("{% if 1 %}", 3000) + strings.Repeat("{% endif %}", 3000),
	strings.Repeat("{% for x in [1] %}", 500) + "{{ x }}" + strings.Repeat("{% endfor %}", 500),
	"{{ 'a' * 10**9 }}", "{{ [0] * 10**9 }}", "{{ range(10**9)|list }}", "{{ range(10**18)|length }}",
	"{{ 9999999999999999999999999999 }}", "{{ 1e999 }}", "{{ -1e999 }}", "{{ 2**64 }}", "{{ 2**63 }}",
	"{{ -9223372036854775807 - 1 }}", "{{ (-9223372036854775807 - 1) // -1 }}", "{{ (-9223372036854775807 - 1) % -1 }}",
	"{{ 9223372036854775807 + 1 }}", "{{ 9223372036854775807 * 2 }}", "{{ -(-9223372036854775807 - 1) }}",
	"{{ (-9223372036854775807 - 1)|abs }}", "{{ 10**-400 }}", "{{ 0 ** -1 }}", "{{ 0.0 ** -1 }}",
	"{{ 'nan'|float|int }}", "{{ 'inf'|float|int }}", "{{ 1e300|int }}", "{{ 'inf'|float|round }}", "{{ 'nan'|float|round(2) }}",
	"{{ 1.5|round(400) }}", "{{ 1.5|round(-400) }}", "{{ 15|round(-30) }}",
	"{{ range(-9223372036854775807, 9223372036854775807)|length }}", "{{ range(0, 10, -9223372036854775807)|list }}",
	"{{ 'abc'[::-9223372036854775807] }}", "{{ 'abc'[-9223372036854775807:9223372036854775807] }}",
	"{{ [1, 2][9223372036854775807] }}", "{{ 'x'[-9223372036854775807 - 1] }}",
	"{{ 'a'|center(10**12) }}", "{{ 'x\ny'|indent(10**9) }}", "{{ [1]|batch(0)|list }}", "{{ [1]|slice(0)|list }}",
	"{{ 'a b'|wordwrap(0) }}", "{{ 'a b'|wordwrap(-1) }}", "{{ 'x'|truncate(-5) }}", "{{ 'xyz'|truncate(1, leeway=-9) }}",
	"{{ '%.1000000f' % 1 }}", "{{ '%*d' % (5, 1) }}", "{{ '%(a)s' % 1 }}", "{{ '%' % 1 }}", "{{ '%z' % 1 }}", "{{ '%c' % 1114112 }}",
	"{{ '{:{}}'.format(1, 2) }}", "{{ '{' .format() }}", "{{ '}'.format() }}", "{{ '{0[0]}'.format([1]) }}",
	"{{ '{:>1000000000}'.format('a') }}", "{{ '{0.__class__}'.format(1) }}", "{{ '{:,.3f}'.format(1e308) }}",
	"{{ 'a'.zfill(10**9) }}", "{{ 'a'.center(10**9) }}", "{{ 'ab'.replace('', 'x' * 1000) * 1000 }}",
	"{{ 'a'.split('') }}", "{{ 'a'.index('') }}", "{{ ''.join(range(3)) }}",
	"{{ ''.__class__ }}", "{{ x.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}", "{{ range.__self__ }}",
	"{{ lipsum() }}", "{{ self }}", "{{ config }}", "{{ request }}", "{{ namespace.__dict__ }}",
	"{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
	"{% macro m() %}{% call m() %}{% endcall %}{% endmacro %}{{ m() }}",
	"{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}{{ caller() }}{% endcall %}",
	"{% set ns = namespace(s='a') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
	"{% set ns = namespace(l=[0]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
	"{% set d = {} %}{% for i in range(10**6) %}{% set d = dict(d, **{'k': i}) %}{% endfor %}",
	"{% set c = cycler() %}{{ c.next() }}", "{% set j = joiner() %}{{ j(1) }}",
	"{% for a, b, c in [[1, 2]] %}{% endfor %}", "{% for x in range(3) %}{{ loop.cycle() }}{% endfor %}",
	"{{ loop.index }}", "{% for x in [] recursive %}{{ loop(x) }}{% endfor %}",
	"{% include 'x' %}", "{% extends 'x' %}", "{% block b %}{% endblock %}{{ self.b() }}",
	"{% import 'x' as y %}", "{% from 'x' import y %}", "{% autoescape true %}{{ '<' }}{% endautoescape %}",
	"\xff\xfe{{ '\xff' }}", "{{ '\x00' }}\x00", "{{ \"\\ud800\" }}", "{{ '\\U0010FFFF\\U00110000' }}", "{{ '\\N{BULLET}' }}",
	"a\r\n\r{{- 1 -}}\r\n", "{{ x }}{{ x }}", "{{ 1 if 2 if 3 else 4 else 5 }}",
	"{{ {{'a': 1}: 2} }}", "{{ {[1]: 2} }}", "{{ [1] in {'a': 1} }}", "{{ {} < {} }}",
	"{{ (1, 2)|tojson(indent=10**9) }}", "{{ {'a': 1}|tojson(indent='\\n') }}", "{{ {1: 2, 'a': 3}|tojson }}",
	"{{ [1, 'a']|sort }}", "{{ [[1], ['a']]|sort }}", "{{ [{'a': 1}, {'a': 'x'}]|sort(attribute='a') }}",
	"{{ x|groupby('a') }}", "{{ [1, 2]|groupby('a')|list }}", "{{ [1, 2]|map(attribute='a.b.c')|list }}",
	"{{ [1]|map('map')|list }}", "{{ [1]|select('select')|list }}", "{{ 1|attr('__class__') }}",
	"{{ {'a': 1}|xmlattr }}{{ {'a\"': 1}|xmlattr }}", "{{ 'x'|urlencode * 10**6 }}", "{{ 'x'|pprint|pprint|pprint }}",
	`{"a": "{{ x }}", /* c */ "b": {{ y|tojson }} // c` + "\n}",
	`"{{ '\"' }}`, `{{ '"' }}"`, `["{% for x in [1, 2] %}{{ x }}{% endfor %}"]`, `{"k": {{ "}" }}`,
	"{{ x }}\r\n{{ y }}", "%{{ x }}%0A", "https://a/{{ x }}?q={{ y }}#{{ z }}",
}

// nastyContexts pair with the templates in FuzzRender.
var nastyContexts = []string{
	"{}", `{"x": null}`, `{"x": "a\"b\\c\nd\u0000e\u2028"}`, `{"x": [1, [2, [3, [4]]]], "y": {"a": {"b": {}}}}`,
	`{"x": 1e308, "y": -1e-308, "z": 9223372036854775807}`, `{"x": 18446744073709551616}`, `{"x": {"__class__": 1}}`,
	`{"users": [{"name": "a"}, {"name": null}, {}]}`, `{"x": "\ud83d\ude00", "y": "\udc00"}`, `[1]`, `"s"`, `{`, `{"a": 1, "a": 2}`,
}

func fuzzLimits() jinja.Limits {
	return jinja.Limits{Steps: 20_000, OutputBytes: 1 << 14, ValueBytes: 1 << 14, Depth: 16, Timeout: 200 * time.Millisecond}
}

var fuzzModes = []jinja.Mode{jinja.ModeText, jinja.ModeJSON, jinja.ModeURL, jinja.ModeHeader}

func addConformanceSeeds(f *testing.F, add func(c conformanceCase)) {
	if _, err := os.Stat("testdata/conformance/expected.json"); err != nil {
		return
	}
	for _, c := range loadConformanceCases(f) {
		add(c)
	}
}

func FuzzCompile(f *testing.F) {
	addConformanceSeeds(f, func(c conformanceCase) { f.Add(c.Template) })
	for _, s := range nastyTemplates {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, mode := range fuzzModes {
			tmpl, err := jinja.Compile(src, jinja.Options{Mode: mode})
			if err != nil {
				requireEngineError(t, err)
				continue
			}
			if tmpl == nil {
				t.Fatal("Compile returned neither a template nor an error")
			}
			tmpl.IsExpression()
			tmpl.Names()
		}
		// In-memory templates must not make any construct reach outside them.
		tmpl, err := jinja.Compile(src, jinja.Options{Templates: map[string]string{"x": src, "y": "{{ x }}"}})
		if err != nil {
			requireEngineError(t, err)
			return
		}
		renderChecked(t, tmpl, jinja.ModeText, map[string]any{})
	})
}

func FuzzRender(f *testing.F) {
	addConformanceSeeds(f, func(c conformanceCase) { f.Add(c.Template, c.Context) })
	for i, s := range nastyTemplates {
		f.Add(s, nastyContexts[i%len(nastyContexts)])
	}
	f.Fuzz(func(t *testing.T, src, contextJSON string) {
		data := map[string]any{}
		if v, err := jinja.DecodeJSON([]byte(contextJSON)); err == nil {
			if obj, ok := v.(*jinja.Object); ok {
				for _, k := range obj.Keys() {
					data[k], _ = obj.Get(k)
				}
			} else {
				data["x"] = v
			}
		}
		for _, mode := range fuzzModes {
			tmpl, err := jinja.Compile(src, jinja.Options{Mode: mode})
			if err != nil {
				requireEngineError(t, err)
				continue
			}
			renderChecked(t, tmpl, mode, data)
		}
	})
}

// renderChecked renders and evaluates tmpl and checks what the contract promises of the result.
func renderChecked(t *testing.T, tmpl *jinja.Template, mode jinja.Mode, data map[string]any) {
	t.Helper()
	lim := fuzzLimits()
	out, err := tmpl.Render(context.Background(), data, lim)
	if err != nil {
		requireEngineError(t, err)
	} else {
		if len(out) > lim.OutputBytes {
			t.Fatalf("output of %d bytes exceeds OutputBytes %d", len(out), lim.OutputBytes)
		}
		switch mode {
		case jinja.ModeJSON:
			if !json.Valid([]byte(out)) {
				t.Fatalf("ModeJSON output is not valid JSON: %q", out)
			}
		case jinja.ModeHeader:
			if strings.ContainsAny(out, "\r\n\x00") {
				t.Fatalf("ModeHeader output has CR, LF or NUL: %q", out)
			}
		}
	}
	if tmpl.IsExpression() {
		if _, err := tmpl.Eval(context.Background(), data, lim); err != nil {
			requireEngineError(t, err)
		}
	}
}

func requireEngineError(t *testing.T, err error) {
	t.Helper()
	je, ok := err.(*jinja.Error)
	if !ok {
		t.Fatalf("error is %T (%v), want *jinja.Error", err, err)
	}
	if je.Kind == "" || je.Msg == "" {
		t.Fatalf("error without Kind or Msg: %#v", je)
	}
	if je.Kind == "budget" && je.Budget == "" {
		t.Fatalf("budget error without a Budget name: %#v", je)
	}
}

// TestNastyInputs runs every nasty seed in every mode with each context: no panic, only
// *jinja.Error failures, and nothing runs far past the render Timeout.
func TestNastyInputs(t *testing.T) {
	limit := 2 * time.Second
	for i, src := range nastyTemplates {
		for j, contextJSON := range nastyContexts {
			if j != i%len(nastyContexts) && j != 0 {
				continue
			}
			data := map[string]any{}
			if v, err := jinja.DecodeJSON([]byte(contextJSON)); err == nil {
				if obj, ok := v.(*jinja.Object); ok {
					for _, k := range obj.Keys() {
						data[k], _ = obj.Get(k)
					}
				}
			}
			for _, mode := range fuzzModes {
				start := time.Now()
				tmpl, err := jinja.Compile(src, jinja.Options{Mode: mode})
				if err != nil {
					requireEngineError(t, err)
				} else {
					renderChecked(t, tmpl, mode, data)
				}
				if d := time.Since(start); d > limit {
					t.Errorf("template %.80q with context %s in mode %d took %v", src, contextJSON, mode, d)
				} else if d > 50*time.Millisecond {
					t.Logf("slow: template %.80q mode %d took %v", src, mode, d)
				}
			}
		}
	}
}
