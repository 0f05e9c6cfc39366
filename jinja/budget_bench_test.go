package jinja_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookline/hookline/jinja"
)

// BenchmarkBudget measures how long each runaway template of issue 3 takes
// to end with its budget error under the default limits. The target (at
// most 100 ms each) is checked here rather than by a timed unit test, which
// a loaded machine would make flaky; BENCHMARKS.md has the figures.
func BenchmarkBudget(b *testing.B) {
	deadlineLimits := jinja.DefaultLimits()
	deadlineLimits.Steps = 1 << 50
	deadlineLimits.Timeout = 50 * time.Millisecond
	cases := []struct {
		name, src, budget string
		lim               jinja.Limits
	}{
		{"recursive_macro", "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", "depth", jinja.DefaultLimits()},
		{"nested_loops_1e4x1e4", "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", "steps", jinja.DefaultLimits()},
		{"string_multiply_1e9", "{{ 'a' * 10**9 }}", "value", jinja.DefaultLimits()},
		{"doubling_40_times", "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}", "value", jinja.DefaultLimits()},
		{"range_1e9_list", "{{ range(10**9)|list }}", "value", jinja.DefaultLimits()},
		{"output_flood", "{% for i in range(1000) %}{{ 'x' * 10000 }}{% endfor %}", "output", jinja.DefaultLimits()},
		{"deadline_50ms", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "deadline", deadlineLimits},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tmpl, err := jinja.Compile(c.src, jinja.Options{})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				_, err := tmpl.Render(context.Background(), nil, c.lim)
				var je *jinja.Error
				if !errors.As(err, &je) || je.Kind != "budget" || je.Budget != c.budget {
					b.Fatalf("render: %v; want the %s budget", err, c.budget)
				}
			}
		})
	}
}
