package jinja

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func render(t *testing.T, src string, mode Mode, data map[string]any) (string, error) {
	t.Helper()
	tm, err := Compile(src, Options{Mode: mode})
	if err != nil {
		return "", err
	}
	return tm.Render(context.Background(), data, Limits{})
}

func wantError(t *testing.T, err error, kind string, line, col int, msgPart string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *Error", err)
	}
	if e.Kind != kind || e.Line != line || (col > 0 && e.Col != col) || !strings.Contains(e.Msg, msgPart) {
		t.Fatalf("got %+v, want kind %q line %d col %d containing %q", e, kind, line, col, msgPart)
	}
}

func TestCompileErrorsHavePositions(t *testing.T) {
	cases := []struct {
		src       string
		kind      string
		line, col int
		msg       string
	}{
		{"a\n{{ x |}}", kindSyntax, 2, 7, "expected token 'name'"},
		{"{% if x %}\nno end", kindSyntax, 2, 7, "looking for the following tags: 'elif' or 'else' or 'endif'"},
		{"line\n  {% extends 'base' %}", kindUnsupported, 2, 6, "unsupported: extends"},
		{"{{ x|nosuchfilter }}", kindUnsupported, 1, 6, "unsupported: filter 'nosuchfilter'"},
		{"{{ x|urlize if x }}", kindUnsupported, 1, 6, "unsupported: filter 'urlize'"},
		{"{{ x is nosuchtest }}", kindUnsupported, 1, 9, "unsupported: test 'nosuchtest'"},
		{"{% do x %}", kindUnsupported, 1, 4, "unsupported: do"},
		{"{% include 'x' %}", kindUnsupported, 1, 4, "unsupported: include"},
		{"{{ 'abc }}", kindSyntax, 1, 4, "unexpected char"},
		{"{# open", kindSyntax, 1, 1, "Missing end of comment tag"},
		{"{{ (1 }}", kindSyntax, 1, 7, "unexpected '}', expected ')'"},
		{"{% set 1 = 2 %}", kindSyntax, 1, 8, "can't assign"},
		{"{{ " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + " }}", kindSyntax, 1, 0, "nested too deeply"},
		{strings.Repeat("{% if 1 %}", 300), kindSyntax, 1, 0, "nested too deeply"},
	}
	for _, c := range cases {
		_, err := Compile(c.src, Options{})
		if err == nil {
			t.Fatalf("%q compiled", c.src)
		}
		wantError(t, err, c.kind, c.line, c.col, c.msg)
	}
}

func TestRenderErrors(t *testing.T) {
	_, err := render(t, "ok\n{{ a.b.c }}", ModeText, map[string]any{"a": NewObject()})
	wantError(t, err, kindUndefined, 2, 0, "'dict object' has no attribute 'b'")
	_, err = render(t, "{{ 1 / 0 }}", ModeText, nil)
	wantError(t, err, kindRender, 1, 0, "division by zero")
	_, err = render(t, "{{ x }}", ModeText, map[string]any{"x": struct{}{}})
	wantError(t, err, kindRender, 1, 0, "unsupported data type")
	_, err = render(t, "{% set _ = x.append(1) %}", ModeText, map[string]any{"x": []any{}})
	wantError(t, err, kindType, 1, 0, "read-only")
}

func TestWhitespaceAndTrailingNewline(t *testing.T) {
	got, err := render(t, "<ul>\r\n{%- for x in xs %}\n  <li>{{ x }}</li>\n{%- endfor %}\n</ul>\n", ModeText, map[string]any{"xs": []any{int64(1), "two"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<ul>\n  <li>1</li>\n  <li>two</li>\n</ul>"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestPrintingAsPython(t *testing.T) {
	o := NewObject()
	o.Set("z", int64(388))
	o.Set("a", []any{"it's", nil, true, 2.5})
	got, err := render(t, "{{ o }} {{ o|tojson }} {{ 1e20 }} {{ 0.1 }} {{ 1e-05 }} {{ 10/4 }} {{ (1,) }}", ModeText, map[string]any{"o": o})
	if err != nil {
		t.Fatal(err)
	}
	want := `{'z': 388, 'a': ["it's", None, True, 2.5]} {"a": ["it\u0027s", null, true, 2.5], "z": 388} 1e+20 0.1 1e-05 2.5 (1,)`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestModeJSON(t *testing.T) {
	src := "{\n  \"reply\": \"{{ reply }}\", // raw user text\n  /* a {{ reply }} comment */ \"n\": {{ n }},\n  \"o\": {{ o|tojson }}\n}"
	o := NewObject()
	o.Set("k", "v</script>")
	got, err := render(t, src, ModeJSON, map[string]any{"reply": "say \"hi\"\\\n\tcafé\x01", "n": 3, "o": o})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"reply\": \"say \\\"hi\\\"\\\\\\n\\tcafé\\u0001\", \n   \"n\": 3,\n  \"o\": {\"k\": \"v\\u003c/script\\u003e\"}\n}"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	_, err = render(t, "{\n\"a\": {{ x }}\n}", ModeJSON, map[string]any{"x": "oops"})
	wantError(t, err, kindRender, 2, 6, "one complete JSON value")
	_, err = render(t, "[1, 2,]", ModeJSON, nil)
	wantError(t, err, kindOutput, 1, 7, "expecting a value")
}

func TestModeURL(t *testing.T) {
	data := map[string]any{"host": "api.example.com", "id": "a/b?c#d ..", "dots": "..", "q": "x&y=z+1 é"}
	got, err := render(t, "https://{{ host }}:8443/v1/{{ id }}/{{ dots }}?q={{ q }}&k=1#{{ q }}", ModeURL, data)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://api.example.com:8443/v1/a%2Fb%3Fc%23d%20../%2E%2E?q=x%26y%3Dz%2B1+%C3%A9&k=1#x%26y%3Dz%2B1%20%C3%A9"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	_, err = render(t, "https://{{ host }}/x", ModeURL, map[string]any{"host": "evil.com/@x"})
	wantError(t, err, kindOutput, 1, 9, "scheme or host")
}

func TestModeHeader(t *testing.T) {
	got, err := render(t, "Bearer {{ t }}", ModeHeader, map[string]any{"t": "abc"})
	if err != nil || got != "Bearer abc" {
		t.Fatalf("got %q, %v", got, err)
	}
	_, err = render(t, "Bearer {{ t }}", ModeHeader, map[string]any{"t": "abc\r\nX-Evil: 1"})
	wantError(t, err, kindOutput, 1, 11, "CR")
}

func TestEvalAndIsExpression(t *testing.T) {
	resp, err := DecodeJSON([]byte(`{"ticket": {"id": 388, "score": 2.5, "tags": ["a"], "meta": {"b": 1, "a": null}}}`))
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{}
	for _, k := range resp.(*Object).Keys() {
		data[k], _ = resp.(*Object).Get(k)
	}
	cases := []struct {
		src  string
		want any
	}{
		{"{{ ticket.id }}", int64(388)},
		{"  {{ ticket.score }}\n", 2.5},
		{"{{ ticket.tags }}", []any{"a"}},
		{"{{ ticket.missing }}", Undefined{}},
		{"{{ ticket.tags + [1] }}", []any{"a", int64(1)}},
		{"{{ ticket.id > 1 }}", true},
		{"{{ none }}", nil},
		{"{{ {'k': 1} }}", func() any { o := NewObject(); o.Set("k", int64(1)); return o }()},
	}
	for _, c := range cases {
		tm, err := Compile(c.src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !tm.IsExpression() {
			t.Fatalf("%q: IsExpression false", c.src)
		}
		got, err := tm.Eval(context.Background(), data, Limits{})
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%q: got %#v, want %#v", c.src, got, c.want)
		}
	}
	goData, _ := Compile("{{ m }}", Options{})
	got, err := goData.Eval(context.Background(), map[string]any{"m": map[string]any{"b": []any{1, map[string]any{"z": 2}}, "a": 1}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := got.(*Object).MarshalJSON(); string(b) != `{"a":1,"b":[1,{"z":2}]}` {
		t.Fatalf("Go data: %s", b)
	}
	if o := got.(*Object); func() bool { v, _ := o.Get("b"); _, ok := v.([]any)[0].(int64); return !ok }() {
		t.Fatalf("int not converted to int64: %#v", got)
	}
	meta, _ := Compile("{{ ticket.meta }}", Options{})
	got, _ = meta.Eval(context.Background(), data, Limits{})
	if o, ok := got.(*Object); !ok || strings.Join(o.Keys(), ",") != "b,a" {
		t.Fatalf("meta: got %#v", got)
	}
	for _, src := range []string{"x {{ a }}", "{{ a }}{{ b }}", "{% if a %}{{ a }}{% endif %}", "plain"} {
		tm, _ := Compile(src, Options{})
		if tm.IsExpression() {
			t.Fatalf("%q: IsExpression true", src)
		}
		if _, err := tm.Eval(context.Background(), nil, Limits{}); err == nil {
			t.Fatalf("%q: Eval succeeded", src)
		}
	}
}

func TestNames(t *testing.T) {
	tm, err := Compile(`{{ certainly.reply }}{% set x = 1 %}{{ x }}{% for i in items %}{{ i }}{{ loop.index }}{{ y }}{% endfor %}{{ range(3) }}{% macro m(a) %}{{ a }}{{ b }}{% endmacro %}{{ m(c) }}{{ certainly.botId }}{{ fb is defined }}`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"certainly", "items", "y", "c", "fb", "b"}
	if got := tm.Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestDecodeJSON(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"b": 1, "a": [1.0, 2, 1e2, -0, 12345678901234567890, "\u00e9\ud83d\ude00"], "c": {"z": null, "y": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*Object)
	if got := strings.Join(o.Keys(), ","); got != "b,a,c" {
		t.Fatalf("keys %s", got)
	}
	a, _ := o.Get("a")
	wide, _ := new(big.Int).SetString("12345678901234567890", 10)
	want := []any{1.0, int64(2), 100.0, int64(0), wide, "é😀"}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("got %#v, want %#v", a, want)
	}
	b, _ := o.MarshalJSON()
	if string(b) != `{"b":1,"a":[1,2,100,0,12345678901234567890,"é😀"],"c":{"z":null,"y":true}}` {
		t.Fatalf("marshal: %s", b)
	}
	for _, bad := range []string{`{"a":}`, `[1,]`, `{"a" 1}`, `"\x"`, `01`, `[1] 2`, strings.Repeat("[", 2000)} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Fatalf("%q decoded", bad)
		}
	}
}

// TestDecodeJSONContainers covers objects and lists nested in each other (they share
// the decoder's member stacks), repeated keys as Python's json treats them (first
// position, last value), large objects, and objects that grow after decoding.
func TestDecodeJSONContainers(t *testing.T) {
	v, err := DecodeJSON([]byte(`[{"a": [1, {"b": [], "c": {}}, 2], "d": "x\ty", "a": 3}, [], {"e": "\u00e9", "f": "caf` + "\xc3" + `"}, -12]`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	if want := `[{"a":3,"d":"x\ty"},[],{"e":"é","f":"caf�"},-12]`; string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	var src strings.Builder
	src.WriteString("{")
	for i := range 20 {
		fmt.Fprintf(&src, `"k%d": %d, `, i, i)
	}
	src.WriteString(`"k3": "again", "inner": {"x": 1, "y": 2, "x": 3}}`)
	v, err = DecodeJSON([]byte(src.String()))
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*Object)
	if o.Len() != 21 {
		t.Fatalf("%d keys, want 21", o.Len())
	}
	if k3, _ := o.Get("k3"); k3 != "again" || o.Keys()[3] != "k3" {
		t.Fatalf("k3 = %v at %v", k3, o.Keys())
	}
	if k19, _ := o.Get("k19"); k19 != int64(19) {
		t.Fatalf("k19 = %#v", k19)
	}
	inner, _ := o.Get("inner")
	in := inner.(*Object)
	in.Set("z", 4)
	o.Set("k20", 20)
	if got := strings.Join(in.Keys(), ","); got != "x,y,z" {
		t.Fatalf("inner keys %s", got)
	}
	if x, _ := in.Get("x"); x != int64(3) {
		t.Fatalf("x = %v", x)
	}
	if k20, _ := o.Get("k20"); k20 != 20 || o.Len() != 22 {
		t.Fatalf("k20 = %v, %d keys", k20, o.Len())
	}
}

func TestIncludeImportFromTemplates(t *testing.T) {
	opts := Options{Templates: map[string]string{
		"macros": "{% macro hi(n) %}hi {{ n }}{% endmacro %}{% set _secret = 1 %}{% set version = 2 %}",
		"part":   "[{{ name }}]",
		"self":   "{% include 'self' %}",
	}}
	tm, err := Compile(`{% import 'macros' as m %}{% from 'macros' import hi as h %}{{ m.hi('a') }} {{ h('b') }} v{{ m.version }}{% include 'part' %}`, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tm.Render(context.Background(), map[string]any{"name": "x"}, Limits{})
	if err != nil || got != "hi a hi b v2[x]" {
		t.Fatalf("got %q, %v", got, err)
	}
	tm, _ = Compile(`{% include 'self' %}`, opts)
	_, err = tm.Render(context.Background(), nil, Limits{})
	wantError(t, err, kindBudget, 1, 0, "depth")
	tm, _ = Compile(`{% include 'nope' %}`, opts)
	_, err = tm.Render(context.Background(), nil, Limits{})
	wantError(t, err, kindRender, 1, 0, "not found")
}

func TestCyclicDataDoesNotHang(t *testing.T) {
	l := []any{nil}
	l[0] = l
	got, err := render(t, "{{ l }}", ModeText, map[string]any{"l": l})
	if err != nil || got != "[[...]]" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := render(t, "{{ l == l }}{{ l|tojson }}", ModeText, map[string]any{"l": l}); err == nil {
		t.Fatal("tojson of a cyclic list succeeded")
	}
	m := map[string]any{}
	m["m"] = m
	if _, err := render(t, "{{ m }}", ModeText, map[string]any{"m": m}); err == nil {
		t.Fatal("printing a cyclic map succeeded")
	}
}

func TestConcurrentRendersShareTemplate(t *testing.T) {
	tm, err := Compile(`{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{"sum": {{ ns.n }}, "who": "{{ who }}"}`, Options{Mode: ModeJSON})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			xs := []any{int64(g), int64(1)}
			for i := 0; i < 200; i++ {
				got, err := tm.Render(context.Background(), map[string]any{"xs": xs, "who": strings.Repeat("\"", g)}, Limits{})
				want := `{"sum": ` + itoa(g+1) + `, "who": "` + strings.Repeat(`\"`, g) + `"}`
				if err != nil || got != want {
					t.Errorf("got %q, %v; want %q", got, err, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestFilterGeneratorsAreOneShot(t *testing.T) {
	got, err := render(t, `{% set g = xs|select('odd') %}{% if []|select %}T{% endif %}{{ g|list }}{{ g|list }}{{ xs|reverse|join }}`, ModeText, map[string]any{"xs": []any{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "T[1, 3][]321"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	_, err = render(t, `{{ [1]|select|length }}`, ModeText, nil)
	wantError(t, err, kindType, 1, 0, "object of type 'generator' has no len()")
}

func TestEqualityOfDataObjects(t *testing.T) {
	a, _ := DecodeJSON([]byte(`{"k": [1, {"z": null}], "j": "x"}`))
	b, _ := DecodeJSON([]byte(`{"j": "x", "k": [1, {"z": null}]}`))
	got, err := render(t, `{{ a == b }} {{ a == {'j': 'x', 'k': [1, {'z': none}]} }} {{ a != b }} {{ [a] == [b] }}`, ModeText, map[string]any{"a": a, "b": b})
	if err != nil || got != "True True False True" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// Jinja starts a name assigned in a frame before any use as undefined, so nested frames
// that read it earlier do not see a context variable of the same name.
func TestFrameScoping(t *testing.T) {
	cases := []struct {
		src, want string
		names     []string
	}{
		{"{% for i in [1] %}[{{ x }}]{% endfor %}{% set x = 2 %}", "[]", nil},
		{"{% for i in [1] %}{% for j in [1] %}[{{ x }}]{% endfor %}{% set x = 2 %}{% endfor %}", "[]", nil},
		{"{% for i in [1] %}[{{ x }}]{% set x = 2 %}{% endfor %}", "[7]", []string{"x"}},
		{"{% for i in [1] %}[{{ x }}]{% endfor %}{% if true %}{% set x = 2 %}{% endif %}", "[7]", []string{"x"}},
		{"{% set x = x + 1 %}{{ x }}", "8", []string{"x"}},
	}
	for _, c := range cases {
		tm, err := Compile(c.src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tm.Render(context.Background(), map[string]any{"x": 7}, Limits{})
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.src, got, err, c.want)
		}
		if names := tm.Names(); !reflect.DeepEqual(names, c.names) {
			t.Errorf("%s: Names() = %v, want %v", c.src, names, c.names)
		}
	}
}

// TestDecodeJSONIntegerDigits keeps Python's limit: an integer literal of
// more than 4300 digits is refused rather than parsed at quadratic cost.
func TestDecodeJSONIntegerDigits(t *testing.T) {
	ok := "[" + strings.Repeat("9", 4300) + "]"
	v, err := DecodeJSON([]byte(ok))
	if err != nil {
		t.Fatalf("4300 digits: %v", err)
	}
	if n, isBig := v.([]any)[0].(*big.Int); !isBig || len(n.String()) != 4300 {
		t.Fatalf("4300 digits decoded as %T", v.([]any)[0])
	}
	if _, err := DecodeJSON([]byte("[-" + strings.Repeat("9", 4301) + "]")); err == nil || !strings.Contains(err.Error(), "4300 digits") {
		t.Fatalf("4301 digits: %v, want an error naming the limit", err)
	}
}

// TestJSONPlainEnd checks the word-at-a-time scans against a byte loop for every byte
// value at every position of a buffer, with plain bytes (ASCII and not) around it.
func TestJSONPlainEnd(t *testing.T) {
	for _, fill := range []byte{'a', 0x7f, 0x80, 0xff, ' '} {
		for pos := range 19 {
			for c := range 256 {
				b := make([]byte, 19)
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				for start := range 3 {
					want, wantASCII := len(b), len(b)
					for i := len(b) - 1; i >= start; i-- {
						if b[i] < 0x20 || b[i] == '"' || b[i] == '\\' {
							want = i
						}
						if b[i] < 0x20 || b[i] == '"' || b[i] == '\\' || b[i] >= 0x80 {
							wantASCII = i
						}
					}
					if got := jsonPlainEnd(b, start); got != want {
						t.Fatalf("jsonPlainEnd(%q, %d) = %d, want %d", b, start, got, want)
					}
					if got := jsonASCIIEnd(b, start); got != wantASCII {
						t.Fatalf("jsonASCIIEnd(%q, %d) = %d, want %d", b, start, got, wantASCII)
					}
				}
			}
		}
	}
}

// TestJSONTrack checks the quote-to-quote state tracker against a byte-by-byte one on
// every string of up to 7 bytes over an alphabet of the bytes that matter.
func TestJSONTrack(t *testing.T) {
	alphabet := []byte{'"', '\\', 'a', '\n', 0xc3, '/'}
	ref := func(b []byte, st uint8) uint8 {
		for _, c := range b {
			switch st {
			case jsOut:
				if c == '"' {
					st = jsStr
				}
			case jsStr:
				if c == '\\' {
					st = jsStrEsc
				} else if c == '"' {
					st = jsOut
				}
			case jsStrEsc:
				st = jsStr
			}
		}
		return st
	}
	var walk func(b []byte)
	walk = func(b []byte) {
		for _, st := range []uint8{jsOut, jsStr, jsStrEsc} {
			if got, want := jsonTrack(b, st), ref(b, st); got != want {
				t.Fatalf("jsonTrack(%q, %d) = %d, want %d", b, st, got, want)
			}
		}
		if len(b) < 7 {
			for _, c := range alphabet {
				walk(append(b, c))
			}
		}
	}
	walk(nil)
	long := []byte(strings.Repeat(`abcdefgh\"ijklmnopq`, 3) + `"tail`)
	if got, want := jsonTrack(long, jsStr), ref(long, jsStr); got != want {
		t.Fatalf("long: %d, want %d", got, want)
	}
}

// TestModeJSONValidatesEveryRender renders one Template with values that
// keep the output's skeleton but not its validity: a string where an object
// key stands is valid, a number there is not. Each render must be judged on
// its own output, whatever an earlier render of the template produced.
func TestModeJSONValidatesEveryRender(t *testing.T) {
	tm, err := Compile(`{ {{x}}: 1, "v": {{y}} }`, Options{Mode: ModeJSON})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x, y  any
		valid bool
	}{
		{`"k"`, int64(1), true},
		{int64(1), int64(1), false},
		{`"k"`, "[1, 2]", true},
		{true, int64(1), false},
		{`"k"`, "1 2", false},
		{`"k"`, nil, false}, // None prints as None, as in Python: not JSON
	} {
		out, err := tm.Render(context.Background(), map[string]any{"x": c.x, "y": c.y}, Limits{})
		if c.valid != (err == nil) || (err == nil && !json.Valid([]byte(out))) {
			t.Errorf("x=%v y=%v: %q, %v; want valid=%v", c.x, c.y, out, err, c.valid)
		}
	}
}

// TestEvalAttrFastPath checks Eval's shortcut for {{ name.key }} against the
// renderer's own evaluation of the same template, for values it takes and values
// it must leave to the renderer, and under a step budget and a done context.
func TestEvalAttrFastPath(t *testing.T) {
	obj := func(k string, v any) *Object { o := NewObject(); o.Set(k, v); return o }
	inner := obj("x", int64(1))
	datas := []map[string]any{
		{"t": obj("k", "text")},
		{"t": obj("k", int64(7))},
		{"t": obj("k", 2.5)},
		{"t": obj("k", true)},
		{"t": obj("k", nil)},
		{"t": obj("k", 3)},
		{"t": obj("k", []any{int64(1), "a"})},
		{"t": obj("k", inner)},
		{"t": obj("other", "x")},
		{"t": map[string]any{"k": "from a map"}},
		{"t": (*Object)(nil)},
		{"t": "a string"},
		{},
		{"range": obj("k", "shadows the global")},
	}
	ctx := context.Background()
	done, cancel := context.WithCancel(ctx)
	cancel()
	for _, src := range []string{"{{ t.k }}", "{{ range.k }}", " {{t.items}} "} {
		fast, err := Compile(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		slow, _ := Compile(src, Options{})
		slow.attrName = ""
		for _, data := range datas {
			for _, c := range []struct {
				ctx context.Context
				lim Limits
			}{{ctx, Limits{}}, {ctx, Limits{Steps: 1}}, {ctx, Limits{Steps: 2}}, {done, Limits{}}} {
				got, gerr := fast.Eval(c.ctx, data, c.lim)
				want, werr := slow.Eval(c.ctx, data, c.lim)
				if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
					t.Errorf("%s with %v, %+v: got %#v, %v; want %#v, %v", src, data, c.lim, got, gerr, want, werr)
				}
			}
		}
	}
}

// TestObjectMarshalJSON checks the encoding against encoding/json's for the
// same values, and that deeply nested data encodes in one pass: nesting up to
// DecodeJSON's limit works, deeper data is refused rather than recursed into.
func TestObjectMarshalJSON(t *testing.T) {
	src := `{"b": [1, 2.5, -0.0, 1e+20, null, true, "a<b>&\u00e9\u2028"], "a": {"z": {}, "y": []}, "n": 18446744073709551616}`
	v, err := DecodeJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json sorts map keys; the object keeps b, a, n in order.
	want := `{"b":[1,2.5,-0,100000000000000000000,null,true,"a\u003cb\u003e\u0026é\u2028"],"a":{"z":{},"y":[]},"n":18446744073709551616}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}

	nest := func(depth int) *Object {
		root := NewObject()
		o := root
		for range depth - 1 {
			child := NewObject()
			o.Set("a", child)
			o = child
		}
		return root
	}
	b, err := json.Marshal(nest(maxJSONDepth))
	if err != nil || !json.Valid(b) || len(b) != maxJSONDepth*len(`{"a":}`)-len(`"a":`) {
		t.Fatalf("depth %d: %d bytes, %v", maxJSONDepth, len(b), err)
	}
	if _, err := json.Marshal(nest(100 * maxJSONDepth)); err == nil || len(err.Error()) > 500 {
		t.Fatalf("depth %d: want a short error, got %.200v", 100*maxJSONDepth, err)
	}
}

// TestUnknownNames checks where an unknown filter or test fails: at compile time where
// Jinja2 fails it, at render time (only if reached) inside an if or a conditional
// expression, and always at compile time with RefuseUnknownNames.
func TestUnknownNames(t *testing.T) {
	tests := []struct {
		src        string
		compileErr bool   // without RefuseUnknownNames
		out        string // rendered with x = 1, when it compiles
		renderErr  bool
	}{
		{"{{ x|nope }}", true, "", false},
		{"{% if x %}{{ x|nope }}{% endif %}", false, "", true},
		{"{% if not x %}{{ x|nope }}{% endif %}ok", false, "ok", false},
		{"{{ x|nope if not x else 2 }}", false, "2", false},
		{"{% if x %}{% for y in [1] %}{{ y|nope }}{% endfor %}{% endif %}", true, "", false},
		{"{% if x is nope %}a{% endif %}", false, "", true},
		{"{{ false and x|nope }}", false, "False", false},
	}
	for _, tt := range tests {
		tmpl, err := Compile(tt.src, Options{})
		if (err != nil) != tt.compileErr {
			t.Errorf("Compile(%q): %v, want error %v", tt.src, err, tt.compileErr)
			continue
		}
		if _, serr := Compile(tt.src, Options{RefuseUnknownNames: true}); serr == nil {
			t.Errorf("Compile(%q) with RefuseUnknownNames succeeded", tt.src)
		}
		if err != nil {
			continue
		}
		out, err := tmpl.Render(context.Background(), map[string]any{"x": 1}, DefaultLimits())
		if (err != nil) != tt.renderErr || err == nil && out != tt.out {
			t.Errorf("Render(%q) = %q, %v; want %q, error %v", tt.src, out, err, tt.out, tt.renderErr)
		}
	}
}
