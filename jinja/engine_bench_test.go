package jinja

import (
	"context"
	"testing"
)

// Benchmarks beside the suite's seed body benchmark (bench_test.go): the other shapes
// hookline renders on every request.

func benchData() map[string]any {
	cv := NewObject()
	cv.Set("ticket_id", "388")
	cv.Set("status", "open")
	items := make([]any, 20)
	for i := range items {
		o := NewObject()
		o.Set("name", "item "+itoa(i))
		o.Set("price", float64(i)+0.5)
		o.Set("qty", int64(i%3))
		items[i] = o
	}
	return map[string]any{"cv": cv, "items": items, "id": int64(42), "q": "a b&c"}
}

func benchRender(b *testing.B, src string, mode Mode) {
	tm, err := Compile(src, Options{Mode: mode})
	if err != nil {
		b.Fatal(err)
	}
	data := benchData()
	ctx := context.Background()
	if _, err := tm.Render(ctx, data, Limits{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Render(ctx, data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoopFilters(b *testing.B) {
	benchRender(b, `{"lines": [{% for it in items if it.qty > 0 %}{"n": "{{ it.name|upper }}", "total": {{ (it.price * it.qty)|round(2) }}}{% if not loop.last %}, {% endif %}{% endfor %}], "sum": {{ items|sum(attribute='price') }}}`, ModeJSON)
}

func BenchmarkURL(b *testing.B) {
	benchRender(b, `https://api.example.com/v1/tickets/{{ cv.ticket_id }}/notes?q={{ q }}&id={{ id }}`, ModeURL)
}

func BenchmarkEvalMapper(b *testing.B) {
	tm, err := Compile(`{{ cv.status }}`, Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := benchData()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Eval(ctx, data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmptyNestedLoop(b *testing.B) {
	tm, err := Compile(`{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}`, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Render(context.Background(), nil, Limits{Steps: 1 << 40}); err != nil {
			b.Fatal(err)
		}
	}
}
