package jinja_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/jinja"
)

// hostileCase is a ModeJSON template with the values a caller controls. want is the
// body it renders to; or wantKind is the error it fails with, at wantLine and wantCol
// (0: not checked), with wantMsg in its message.
type hostileCase struct {
	name     string
	src      string
	data     map[string]any
	want     string
	wantKind string
	wantLine int
	wantCol  int
	wantMsg  string
}

var hostileCases = []hostileCase{
	// Printed outside a string literal, a value must be one complete JSON value.
	{name: "number that adds a key", src: `{"admin": false, "id": {{id}}}`, data: map[string]any{"id": `1, "admin": true`},
		wantKind: "render", wantLine: 1, wantCol: 24, wantMsg: `{{id}} printed '1, "admin": true'`},
	{name: "true that adds a key", src: `{"ok": {{flag}}, "admin": false}`, data: map[string]any{"flag": `true, "admin": true`},
		wantKind: "render", wantLine: 1, wantCol: 8, wantMsg: "one complete JSON value"},
	{name: "partial objects", src: `{"a": {"b": {{x}}}, "admin": false}`, data: map[string]any{"x": `1}, "x": {`},
		wantKind: "render", wantMsg: "one complete JSON value"},
	{name: "closing bracket", src: `{"list": [{{x}}], "admin": false}`, data: map[string]any{"x": `1], "admin": true, "y": [2`},
		wantKind: "render", wantMsg: "one complete JSON value"},
	{name: "bare bracket", src: `{"list": [{{x}}]}`, data: map[string]any{"x": `]`}, wantKind: "render"},
	{name: "bare brace", src: `{"a": {{x}}}`, data: map[string]any{"x": `}`}, wantKind: "render"},
	{name: "opens a block comment", src: `{"a": {{x}}, "admin": false}`, data: map[string]any{"x": `1 /*`}, wantKind: "render"},
	{name: "opens a line comment", src: "{\"a\": {{x}}, \"admin\": false}", data: map[string]any{"x": `1 //`}, wantKind: "render"},
	{name: "comment marks in a string stay text", src: `{"a": "{{x}}"}`, data: map[string]any{"x": `*/ " /*`},
		want: `{"a": "*/ \" /*"}`},
	{name: "unicode escape inside a string stays text", src: `{"a": "{{x}}"}`, data: map[string]any{"x": `\u0022, "admin": true`},
		want: `{"a": "\\u0022, \"admin\": true"}`},
	{name: "unicode escaped quote in a whole string", src: `{"a": {{x}}}`, data: map[string]any{"x": `"x\u0022, \"admin\": true"`},
		want: `{"a": "x\u0022, \"admin\": true"}`},
	{name: "unicode escape that ends a string early", src: `{"a": {{x}}}`, data: map[string]any{"x": `"x", "admin": "\u0074rue"`},
		wantKind: "render"},
	{name: "two numbers", src: `{"a": {{x}}}`, data: map[string]any{"x": "1 2"}, wantKind: "render", wantMsg: "'1 2'"},
	{name: "nothing printed", src: `{"a": {{x}}}`, data: map[string]any{"x": ""}, wantKind: "render"},
	{name: "double minus in the value", src: `{"a": {{x}}}`, data: map[string]any{"x": "--1"}, wantKind: "render"},
	{name: "minus before a negative number", src: `{"a": -{{x}}}`, data: map[string]any{"x": "-1"},
		wantKind: "render", wantMsg: "without a sign"},
	{name: "minus before a negative int", src: `{"a": -{{x}}}`, data: map[string]any{"x": -1}, wantKind: "render"},
	{name: "minus before a number", src: `{"a": -{{x}}}`, data: map[string]any{"x": 5}, want: `{"a": -5}`},
	{name: "minus before a float", src: `{"a": -{{x}}}`, data: map[string]any{"x": 2.5}, want: `{"a": -2.5}`},
	{name: "minus before tojson", src: `{"a": -{{x|tojson}}}`, data: map[string]any{"x": 7}, want: `{"a": -7}`},
	{name: "minus before a negative tojson", src: `{"a": -{{x|tojson}}}`, data: map[string]any{"x": -7}, wantKind: "render"},
	{name: "minus before true", src: `{"a": -{{x}}}`, data: map[string]any{"x": "true"}, wantKind: "render"},
	{name: "minus before a spaced number", src: `{"a": -{{x}}}`, data: map[string]any{"x": " 5"}, wantKind: "render"},
	{name: "NaN printed", src: `{"a": {{x}}}`, data: map[string]any{"x": math.NaN()}, wantKind: "render", wantMsg: "'nan'"},
	{name: "Infinity printed", src: `{"a": {{x}}}`, data: map[string]any{"x": math.Inf(-1)}, wantKind: "render"},
	{name: "NaN through tojson", src: `{"a": {{x|tojson}}}`, data: map[string]any{"x": math.NaN()},
		wantKind: "render", wantMsg: "NaN and Infinity are not JSON"},
	{name: "float overflow", src: `{"a": {{ 1e308 * 10 }}}`, wantKind: "render"},
	{name: "huge integer", src: `{"a": {{x}}}`, data: map[string]any{"x": new(big.Int).Exp(big.NewInt(10), big.NewInt(400), nil)},
		want: `{"a": 1` + strings.Repeat("0", 400) + `}`},
	{name: "huge integer text", src: `{"a": {{x}}}`, data: map[string]any{"x": "1" + strings.Repeat("9", 5000)},
		want: `{"a": 1` + strings.Repeat("9", 5000) + `}`},
	{name: "None printed", src: `{"a": {{x}}}`, data: map[string]any{"x": nil}, wantKind: "render", wantMsg: "'None'"},
	{name: "bool printed as Python does", src: `{"a": {{x}}}`, data: map[string]any{"x": true}, wantKind: "render", wantMsg: "'True'"},
	{name: "true spelled by the template", src: `{"a": {{ 'true' if x else 'false' }}}`, data: map[string]any{"x": true}, want: `{"a": true}`},
	{name: "plain text", src: `{"a": {{x}}}`, data: map[string]any{"x": "hello"}, wantKind: "render", wantMsg: "'hello'"},
	{name: "a JSON text that is one object", src: `{"a": {{x}}}`, data: map[string]any{"x": `{"k": [1, "}"]}`},
		want: `{"a": {"k": [1, "}"]}}`},
	{name: "a JSON text with a repeated key", src: `{"a": {{x}}}`, data: map[string]any{"x": `{"k": 1, "k": 2}`},
		wantKind: "output", wantMsg: "duplicate key 'k'"},
	{name: "long value is cut in the message", src: `{"a": {{x}}}`, data: map[string]any{"x": strings.Repeat("x", 10000)},
		wantKind: "render", wantMsg: "(10000 bytes)"},
	{name: "key printed whole", src: `{ {{k|tojson}}: 1, "b": 2 }`, data: map[string]any{"k": "a"}, want: `{ "a": 1, "b": 2 }`},
	{name: "key printed bare", src: `{ {{k}}: 1 }`, data: map[string]any{"k": `"a": 1, "b"`}, wantKind: "render"},
	{name: "separator idiom", src: `[{% for x in xs %}{{x|tojson}}{{ "," if not loop.last }}{% endfor %}]`,
		data: map[string]any{"xs": []any{1, "a"}}, want: `[1,"a"]`},
	{name: "separator that carries a key", src: `{"a": 1{{ sep }} "b": 2}`, data: map[string]any{"sep": `, "admin": true,`}, wantKind: "render"},

	// Undefined values leave a hole: the error names them.
	{name: "undefined attribute", src: "{\n\"moduleId\": {{certainly.moduleId}}, \"b\": 1}", data: map[string]any{"certainly": map[string]any{}},
		wantKind: "undefined", wantLine: 2, wantCol: 13, wantMsg: "{{certainly.moduleId}} printed nothing, as it is undefined ('dict object' has no attribute 'moduleId')"},
	{name: "undefined name", src: `{"moduleId": {{moduleId}}}`, wantKind: "undefined", wantMsg: "'moduleId' is undefined"},

	// Values side by side outside a string literal fail at compile time.
	{name: "side by side", src: "{\"a\": [{{a}}{{b}}]}", wantKind: "syntax", wantLine: 1, wantCol: 13, wantMsg: "{{b}} is printed right after {{a}}"},
	{name: "side by side across whitespace and a comment", src: "{\"a\": [{{a}} /* c */\n {{b|tojson}}]}", wantKind: "syntax", wantLine: 2, wantCol: 2},
	{name: "side by side in one branch", src: `{"a": [{{a}}{% if c %}{{b}}{% endif %}]}`, wantKind: "syntax"},
	{name: "side by side inside a string is text", src: `{"a": "{{a}}{{b}}"}`, data: map[string]any{"a": 1, "b": "x"}, want: `{"a": "1x"}`},

	// Duplicate keys.
	{name: "duplicate key in the text", src: "{\"a\": 1,\n \"a\": 2}", wantKind: "output", wantLine: 2, wantCol: 2, wantMsg: "duplicate key 'a' in an object (first at line 1, column 2)"},
	{name: "duplicate key through a printed key", src: `{"{{k}}": 1, "admin": false}`, data: map[string]any{"k": "admin"}, wantKind: "output", wantMsg: "'admin'"},
	{name: "duplicate key through an escape", src: `{"a": 1, "\u0061": 2}`, wantKind: "output", wantMsg: "duplicate key 'a'"},
	{name: "duplicate key from a loop", src: `{ {% for k in ks %}"k": {{loop.index}}, {% endfor %}"z": 0}`, data: map[string]any{"ks": []any{1, 2}},
		wantKind: "output", wantMsg: "duplicate key 'k'"},
	{name: "one key per loop object", src: `[{% for k in ks %}{"k": {{loop.index}}}{{ "," if not loop.last }}{% endfor %}]`,
		data: map[string]any{"ks": []any{1, 2}}, want: `[{"k": 1},{"k": 2}]`},
	{name: "duplicate key in a captured object", src: `{% set s %}{"a": 1, "a": 2}{% endset %}{"s": {{s}}}`, wantKind: "output", wantMsg: "duplicate key 'a'"},
	{name: "same key in different objects", src: `{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}`, want: `{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}`},
	{name: "many keys, the last one repeated", src: manyKeys(200) + `, "k7": 0}`, wantKind: "output", wantMsg: "duplicate key 'k7'"},

	// What was valid stays valid.
	{name: "comments dropped", src: "{\"a\": 1, // c\n/* {{x}} */ \"b\": {{x}}}", data: map[string]any{"x": 2}, want: "{\"a\": 1, \n \"b\": 2}"},
	{name: "invalid JSON from the text", src: `{"a": 1,}`, wantKind: "output", wantLine: 1, wantCol: 9},
}

// manyKeys is an unclosed object of n keys k0..k(n-1).
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"k` + itoa(i) + `": ` + itoa(i))
	}
	return b.String()
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

func TestJSONModeHostileValues(t *testing.T) {
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			tm, err := jinja.Compile(c.src, jinja.Options{Mode: jinja.ModeJSON})
			var out string
			if err == nil {
				out, err = tm.Render(context.Background(), c.data, jinja.DefaultLimits())
			}
			if c.wantKind == "" {
				if err != nil {
					t.Fatalf("%s: %v", c.src, err)
				}
				if out != c.want {
					t.Fatalf("got  %s\nwant %s", out, c.want)
				}
				if !json.Valid([]byte(out)) {
					t.Fatalf("not JSON: %s", out)
				}
				return
			}
			var je *jinja.Error
			if !errors.As(err, &je) {
				t.Fatalf("%s rendered %q, %v; want a %s error", c.src, out, err, c.wantKind)
			}
			if je.Kind != c.wantKind || c.wantLine != 0 && (je.Line != c.wantLine || je.Col != c.wantCol) ||
				!strings.Contains(je.Msg, c.wantMsg) {
				t.Fatalf("error %q (kind %s, line %d, column %d); want kind %s at line %d, column %d, containing %q",
					je.Error(), je.Kind, je.Line, je.Col, c.wantKind, c.wantLine, c.wantCol, c.wantMsg)
			}
			if len(je.Msg) > 400 {
				t.Errorf("message of %d bytes: %q", len(je.Msg), je.Msg)
			}
		})
	}
}

// TestSeedBodyHostileIDs renders the seed body with the caller's sessionId and
// moduleId, which it prints outside string literals: values that would change the
// body's structure fail the render; the others give a body with the seed's keys.
func TestSeedBodyHostileIDs(t *testing.T) {
	src, raw, _ := loadSeedBody(t)
	tm, err := jinja.Compile(src, jinja.Options{Mode: jinja.ModeJSON})
	if err != nil {
		t.Fatal(err)
	}
	clean, err := tm.Render(context.Background(), seedData(t, raw, 42, 7), jinja.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := topLevelKeys(t, []byte(clean))
	for _, c := range []struct {
		id   any
		fail bool
	}{
		{`1, "admin": true`, true},
		{`1}, "admin": {"x": 1`, true},
		{`1] , "admin": [`, true},
		{"1 2", true},
		{"--1", true},
		{`"x", "botId": "evil"`, true},
		{"1 /*", true},
		{"", true},
		{"NaN", true},
		{math.Inf(1), true},
		{nil, true},
		{int64(-1), false},
		{"1e5", false},
		{`"session"`, false},
		{`{"nested": {"admin": true}}`, false},
		{"[1, 2]", false},
		{"9" + strings.Repeat("9", 300), false},
	} {
		for _, which := range []string{"sessionId", "moduleId"} {
			session, module := any(int64(42)), any(int64(7))
			if which == "sessionId" {
				session = c.id
			} else {
				module = c.id
			}
			out, err := tm.Render(context.Background(), seedData(t, raw, session, module), jinja.DefaultLimits())
			if c.fail {
				var je *jinja.Error
				if !errors.As(err, &je) || je.Kind != "render" || je.Line == 0 {
					t.Errorf("%s = %#v: got %q, %v; want a render error with its line", which, c.id, out, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s = %#v: %v", which, c.id, err)
				continue
			}
			if got := topLevelKeys(t, []byte(out)); !slices.Equal(got, wantKeys) {
				t.Errorf("%s = %#v: keys %v, want %v", which, c.id, got, wantKeys)
			}
		}
	}
}

// seedData is the seed context with sessionId and moduleId replaced.
func seedData(t *testing.T, raw []byte, session, module any) map[string]any {
	t.Helper()
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	certainly := data["certainly"].(map[string]any)
	certainly["sessionId"], certainly["moduleId"] = session, module
	data["certainly"] = normalizeNumbers(data["certainly"])
	return data
}

// normalizeNumbers turns encoding/json's float64 integers into int64, as the
// service's own decoding gives them.
func normalizeNumbers(x any) any {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			x[k] = normalizeNumbers(v)
		}
	case []any:
		for i, v := range x {
			x[i] = normalizeNumbers(v)
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	}
	return x
}

// topLevelKeys returns the keys of the JSON object b in order, failing the test if
// b is not one object or repeats a key at any level.
func topLevelKeys(t testing.TB, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var keys []string
	var stack []*jsonLevel
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not JSON (%v): %s", err, b)
		}
		var top *jsonLevel
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValue(stack)
				continue
			}
			k := tok.(string)
			if top.seen[k] {
				t.Fatalf("key %q repeated in %s", k, b)
			}
			top.seen[k] = true
			top.key = false
			if len(stack) == 1 {
				keys = append(keys, k)
			}
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonLevel{object: true, seen: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &jsonLevel{})
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
			markValue(stack)
		default:
			markValue(stack)
		}
	}
	return keys
}

// jsonLevel is an open bracket while topLevelKeys reads a body.
type jsonLevel struct {
	object bool
	seen   map[string]bool
	key    bool // the next token of the object is a key
}

// markValue notes that the innermost bracket of stack read a value: in an object,
// a key is next.
func markValue(stack []*jsonLevel) {
	if len(stack) > 0 && stack[len(stack)-1].object {
		stack[len(stack)-1].key = true
	}
}

// injectionTemplates are ModeJSON bodies with the keys each of their objects has,
// by path ("" is the body itself, "a" the object under key a).
var injectionTemplates = []struct {
	src  string
	keys map[string][]string
}{
	{`{"admin": false, "id": {{x}}, "name": "{{y}}"}`, map[string][]string{"": {"admin", "id", "name"}}},
	{`{"a": {"b": {{x}}}, "c": [{{y}}], "d": -{{x}}}`, map[string][]string{"": {"a", "c", "d"}, "a": {"b"}}},
	{`{"a": {{x|tojson}}, "b": "\{{y}}", "c": {{y}} /* {{x}} */}`, map[string][]string{"": {"a", "b", "c"}}},
	{`{"list": [{% for i in range(2) %}{{x}}{{ "," if not loop.last }}{% endfor %}], "n": {{y}}}`, map[string][]string{"": {"list", "n"}}},
	{"{\"a\": {{x}}, // {{y}}\n\"b\": {\"c\": \"{{x}}{{y}}\", \"d\": {{y}}}}", map[string][]string{"": {"a", "b"}, "b": {"c", "d"}}},
	{`{"a": {{ x|int }}, "b": {{ y|length }}, "c": {{ x ~ y }}}`, map[string][]string{"": {"a", "b", "c"}}},
}

// FuzzJSONModeInjection renders ModeJSON bodies with arbitrary printed values: a
// render that succeeds gives valid JSON whose objects have exactly the keys the
// template wrote, whatever the values printed.
func FuzzJSONModeInjection(f *testing.F) {
	for _, s := range []string{"1", "-1", `1, "admin": true`, `1}, "x": {`, "]", "/*", `"\u0022"`, "1 2", "--1",
		"nan", "true", "null", `"a"`, `{"k": 1}`, `{"k": 1, "k": 2}`, "[1, 2]", ",", " ", "", "1e999", `"`, `\`, "1 //"} {
		f.Add(s, "2")
		f.Add("3", s)
	}
	templates := make([]*jinja.Template, len(injectionTemplates))
	for i, c := range injectionTemplates {
		tm, err := jinja.Compile(c.src, jinja.Options{Mode: jinja.ModeJSON})
		if err != nil {
			f.Fatalf("%s: %v", c.src, err)
		}
		templates[i] = tm
	}
	f.Fuzz(func(t *testing.T, x, y string) {
		data := map[string]any{"x": x, "y": y}
		for i, tm := range templates {
			out, err := tm.Render(context.Background(), data, jinja.DefaultLimits())
			if err != nil {
				var je *jinja.Error
				if !errors.As(err, &je) {
					t.Fatalf("%s: error %T %v", injectionTemplates[i].src, err, err)
				}
				continue
			}
			checkKeys(t, injectionTemplates[i].src, []byte(out), injectionTemplates[i].keys)
		}
	})
}

// checkKeys requires out to be one JSON object, without a repeated key anywhere,
// whose objects at the paths of want have exactly want's keys, in order.
func checkKeys(t *testing.T, src string, out []byte, want map[string][]string) {
	t.Helper()
	if got := topLevelKeys(t, out); !slices.Equal(got, want[""]) {
		t.Fatalf("%s rendered %s: keys %v, want %v", src, out, got, want[""])
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(out, &body); err != nil {
		t.Fatalf("%s rendered %s: %v", src, out, err)
	}
	for path, keys := range want {
		if path == "" {
			continue
		}
		if got := topLevelKeys(t, body[path]); !slices.Equal(got, keys) {
			t.Fatalf("%s rendered %s: keys of %s %v, want %v", src, out, path, got, keys)
		}
	}
}
