package jinja

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

// layeredData answers from an object first, then from fixed names, and
// records what it was asked.
type layeredData struct {
	obj   *Object
	extra map[string]any
	asked []string
}

func (d *layeredData) Lookup(name string) (any, bool) {
	d.asked = append(d.asked, name)
	if v, ok := d.obj.Get(name); ok {
		return v, true
	}
	v, ok := d.extra[name]
	return v, ok
}

// TestRenderData: a lookup renders and evaluates exactly as the map holding
// the same names, and is asked only for names the template reads.
func TestRenderData(t *testing.T) {
	obj, err := DecodeJSON([]byte(`{"ticket": {"id": 388, "status": "open"}, "status": "from the body"}`))
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string]any{"status": int64(200), "response": obj}
	flat := map[string]any{"status": "from the body", "response": obj}
	flat["ticket"], _ = obj.(*Object).Get("ticket")

	for _, src := range []string{
		"{{ ticket.id }}", "{{ ticket.status }}", "{{ status }}", "{{ response.ticket.id + 1 }}",
		"Ticket {{ ticket.id }} is {{ ticket.status }}{% if missing is defined %}!{% endif %}",
		"{{ missing }}", "{{ range(2) | list }}",
	} {
		tmpl, err := Compile(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := &layeredData{obj: obj.(*Object), extra: extra}
		got, err := tmpl.RenderData(context.Background(), d, Limits{})
		want, werr := tmpl.Render(context.Background(), flat, Limits{})
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("%s: RenderData %q, %v; Render %q, %v", src, got, err, want, werr)
		}
		for _, name := range d.asked {
			// Data may shadow Jinja's globals, which Names leaves out.
			if _, global := builtinGlobal(name); !global && !slices.Contains(tmpl.Names(), name) {
				t.Errorf("%s: asked for %q, which it does not read (%v)", src, name, tmpl.Names())
			}
		}
		if tmpl.IsExpression() {
			gotV, err := tmpl.EvalData(context.Background(), &layeredData{obj: obj.(*Object), extra: extra}, Limits{})
			wantV, werr := tmpl.Eval(context.Background(), flat, Limits{})
			if !reflect.DeepEqual(gotV, wantV) || (err == nil) != (werr == nil) {
				t.Errorf("%s: EvalData %#v, %v; Eval %#v, %v", src, gotV, err, wantV, werr)
			}
		}
	}
}
