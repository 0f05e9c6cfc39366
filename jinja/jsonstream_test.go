package jinja

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// jsonStreamAccepts feeds b to a fresh recognizer in the pieces cuts gives (cut
// offsets in increasing order) and reports whether it accepts.
func jsonStreamAccepts(b []byte, cuts []int) bool {
	var v jsonStream
	prev := 0
	for _, c := range cuts {
		v.feed(b[prev:c])
		prev = c
	}
	v.feed(b[prev:])
	return v.accepts()
}

// checkJSONStream fails unless the recognizer, whatever the pieces, agrees with
// validateJSON on b: it must never accept what validateJSON rejects (the output
// would go out unchecked), and it rejects what validateJSON accepts only when the
// nesting is deeper than it follows.
func checkJSONStream(t *testing.T, b []byte, rng *rand.Rand) {
	t.Helper()
	_, msg := validateJSON(b)
	valid := msg == ""
	deep := strings.Count(string(b), "[")+strings.Count(string(b), "{") > jvMaxDepth
	cutSets := [][]int{nil}
	for k := 1; k <= len(b) && k <= 3; k++ {
		// Every single cut, then a few random sets of cuts.
		cutSets = append(cutSets, []int{k})
	}
	for range 4 {
		var cuts []int
		for i := 1; i < len(b); i++ {
			if rng.IntN(3) == 0 {
				cuts = append(cuts, i)
			}
		}
		cutSets = append(cutSets, cuts)
	}
	for i := 1; i < len(b); i++ {
		if len(b) < 12 {
			cutSets = append(cutSets, []int{i})
		}
	}
	for _, cuts := range cutSets {
		got := jsonStreamAccepts(b, cuts)
		if got && !valid {
			t.Fatalf("recognizer accepts %q (cuts %v); validateJSON: %s", b, cuts, msg)
		}
		if !got && valid && !deep {
			t.Fatalf("recognizer rejects valid %q (cuts %v)", b, cuts)
		}
	}
}

// jsonAlphabet holds the bytes that matter to JSON's grammar and a few that do not.
const jsonAlphabet = "{}[]:,\"\\/ \t\n\r0123456789-+.eEtrufalsnbxU\x00\x1f\x7f\xc3\xa9"

func TestJSONStreamShortInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rec func(b []byte, n int)
	rec = func(b []byte, n int) {
		checkJSONStream(t, b, rng)
		if n == 0 {
			return
		}
		for i := 0; i < len(jsonAlphabet); i++ {
			rec(append(b, jsonAlphabet[i]), n-1)
		}
	}
	rec(nil, 3)
}

var jsonStreamSeeds = []string{
	`{"a": 1, "b": [true, false, null], "c": {"d": "e\"\\\/\b\f\n\r\t\u00e9"}}`,
	`[1, -0, 0.5, -1.25e+10, 2E-3, 10e5, 0e0, []]`,
	`  "just a string"  `,
	`-12.5e7`,
	`{"lastName": {}, "replyData": {}, "sessionId": 123456, "reply": "She said \"hi\" — Café"}`,
	`[[[[{"a": [{"b": {}}]}]]]]`,
	`{"k": "\ud83d\ude00", "n": null, "t": true, "f": false, "x": [0, 1, 2]}`,
	strings.Repeat("[", 64) + strings.Repeat("]", 64),
	strings.Repeat("[", 65) + strings.Repeat("]", 65),
	strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70),
}

func TestJSONStreamMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, seed := range jsonStreamSeeds {
		checkJSONStream(t, []byte(seed), rng)
		for range 3000 {
			b := []byte(seed)
			for range 1 + rng.IntN(3) {
				c := jsonAlphabet[rng.IntN(len(jsonAlphabet))]
				switch i := rng.IntN(len(b) + 1); rng.IntN(3) {
				case 0: // insert
					b = append(b[:i], append([]byte{c}, b[i:]...)...)
				case 1: // replace
					if i < len(b) {
						b[i] = c
					}
				default: // delete
					if i < len(b) {
						b = append(b[:i], b[i+1:]...)
					}
				}
			}
			checkJSONStream(t, b, rng)
		}
	}
}

func FuzzJSONStream(f *testing.F) {
	for _, s := range jsonStreamSeeds {
		f.Add([]byte(s), uint64(0))
	}
	f.Fuzz(func(t *testing.T, b []byte, cutBits uint64) {
		var cuts []int
		for i := 1; i < len(b) && i < 64; i++ {
			if cutBits>>i&1 != 0 {
				cuts = append(cuts, i)
			}
		}
		_, msg := validateJSON(b)
		deep := strings.Count(string(b), "[")+strings.Count(string(b), "{") > jvMaxDepth
		if got := jsonStreamAccepts(b, cuts); got != (msg == "") && !(deep && !got) {
			t.Fatalf("recognizer accepts=%v, validateJSON %q, for %q cut at %v", got, msg, b, cuts)
		}
	})
}

// randomJSONText returns a string of n bytes drawn mostly from those JSON escapes
// or rejects, with random bytes (invalid UTF-8 among them) mixed in.
func randomJSONText(rng *rand.Rand, n int) string {
	const special = "\"\\/\n\r\t\b\f\x00\x1f\x7f<>&'u é—“😀"
	b := make([]byte, 0, n)
	for len(b) < n {
		switch rng.IntN(3) {
		case 0:
			b = append(b, byte(rng.IntN(256)))
		case 1:
			b = append(b, special[rng.IntN(len(special))])
		default:
			b = append(b, byte('a'+rng.IntN(26)))
		}
	}
	return string(b)
}

// TestAppendJSONContentStaysInString checks the claim stringContentWritten rests
// on: whatever it escapes, appendJSONContent's output read inside a string (a value
// or a key) leaves the recognizer inside that string, outside any escape.
func TestAppendJSONContentStaysInString(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	inputs := []string{"", `"`, `\`, "\x00", "\xff", "\xe2\x80", "a\"b\\c\nd\u2028"}
	for range 20000 {
		inputs = append(inputs, randomJSONText(rng, rng.IntN(40)))
	}
	for c := range 256 {
		inputs = append(inputs, string(rune(c)), string([]byte{byte(c)}))
	}
	for _, s := range inputs {
		for _, out := range [][]byte{appendJSONContent(nil, s), appendJSONContent(nil, []byte(s))} {
			for _, st := range []uint8{jvStr, jvKeyStr} {
				v := jsonStream{st: st, depth: 1, stack: 1}
				v.feed(out)
				if v != (jsonStream{st: st, depth: 1, stack: 1}) {
					t.Fatalf("appendJSONContent(%q) = %q takes the recognizer from %d to %+v", s, out, st, v)
				}
			}
		}
	}
}

// randomValue builds a random value of the kinds tojson encodes, containers
// nested up to depth levels.
func randomValue(r *renderer, rng *rand.Rand, depth int) Value {
	k := rng.IntN(12)
	if depth <= 0 && k >= 8 {
		k = rng.IntN(8)
	}
	switch k {
	case 0:
		return noneVal
	case 1:
		return boolVal(rng.IntN(2) == 0)
	case 2:
		return intVal(rng.Int64() >> rng.IntN(64))
	case 3:
		return floatVal(math.Float64frombits(rng.Uint64()))
	case 4:
		return floatVal([]float64{0, -0.0, 1e16, 1e-7, 0.1, 1.5, -2.5e300, 5e-324, math.Inf(1), math.Inf(-1), math.NaN()}[rng.IntN(11)])
	case 5:
		b, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
		return Value{k: kBig, p: b}
	case 6, 7:
		return strVal(randomJSONText(rng, rng.IntN(20)))
	case 8:
		items := make([]Value, rng.IntN(4))
		for i := range items {
			items[i] = randomValue(r, rng, depth-1)
		}
		return r.listOf(items)
	case 9:
		o := NewObject()
		for range rng.IntN(4) {
			o.Set(randomJSONText(rng, rng.IntN(6)), r.toData(randomValue(r, rng, depth-1), 0))
		}
		return Value{k: kDataObj, p: o}
	case 10:
		m := map[string]any{}
		for range rng.IntN(4) {
			m[randomJSONText(rng, rng.IntN(6))] = r.toData(randomValue(r, rng, depth-1), 0)
		}
		return Value{k: kDataMap, p: m}
	default:
		d := newDict(2)
		keys := []Value{intVal(rng.Int64N(100)), floatVal(1.5), trueVal, noneVal}
		if rng.IntN(2) == 0 {
			keys = []Value{strVal("b"), strVal("a"), strVal(randomJSONText(rng, 3))}
		}
		for range rng.IntN(4) {
			d.set(keys[rng.IntN(len(keys))], randomValue(r, rng, depth-1))
		}
		return Value{k: kDict, p: d}
	}
}

// TestAppendJSONIsOneValue checks the claim emitJSONValue rests on: appendJSON
// without indent writes one JSON value unless it wrote Infinity or NaN, and reading
// it from where a value is expected ends after that value with the brackets as
// they were, unless it ends in a digit.
func TestAppendJSONIsOneValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tm, err := Compile("", Options{Mode: ModeJSON})
	if err != nil {
		t.Fatal(err)
	}
	r := tm.newRenderer(context.Background(), nil, Limits{})
	defer r.release()
	checked := 0
	for range 20000 {
		v := randomValue(r, rng, 3)
		r.jsonNonFinite = false
		out, ok := func() (out []byte, ok bool) {
			// Values Python cannot encode (keys it cannot sort) fail the render.
			defer func() {
				if x := recover(); x != nil {
					if _, failed := x.(renderFail); !failed {
						panic(x)
					}
				}
			}()
			return r.appendJSON(nil, v, jsonIndent{}, 0), true
		}()
		if !ok {
			continue
		}
		_, msg := validateJSON(out)
		if r.jsonNonFinite {
			if msg == "" {
				t.Fatalf("appendJSON wrote %q, valid JSON, but flagged Infinity or NaN", out)
			}
			continue
		}
		if msg != "" {
			t.Fatalf("appendJSON wrote %q: %s", out, msg)
		}
		if c := out[len(out)-1]; c >= '0' && c <= '9' {
			continue
		}
		checked++
		for _, st := range []uint8{jvValue, jvValueOrEnd} {
			in := jsonStream{st: st, depth: 2, stack: 2}
			got := in
			got.feed(out)
			if want := (jsonStream{st: jvAfter, depth: 2, stack: 2}); got != want {
				t.Fatalf("reading %q from %+v gives %+v, want %+v", out, in, got, want)
			}
		}
	}
	if checked < 5000 {
		t.Fatalf("only %d values took the shortcut's path", checked)
	}
}

// TestJSONTrackingMatchesValidate renders ModeJSON templates that print values
// everywhere a value can land (inside strings and keys, after a backslash, inside
// numbers and literals, in comments, through tojson, in loops whose text is entered
// in changing states) and checks that whenever the tracking accepts an output,
// validateJSON does too, so that skipping it changes nothing.
func TestJSONTrackingMatchesValidate(t *testing.T) {
	templates := []string{
		`{ {{x}}: 1, "v": {{y}} }`,
		`{"a": "{{x}}", "b": "\{{y}}", "c": "\u00{{x}}"}`,
		// Values side by side are refused at compile time when they are certain; in
		// a loop they are only found at render time.
		`{"a": {{x|tojson}}, "b": [{{y|tojson}}{% for i in xs %}{{x|tojson}}{% endfor %}], "c": [{{x|tojson}}, {{y|tojson}}]}`,
		`[{% for i in xs %}{{i|tojson}}{% if not loop.last %}, {% endif %}{% endfor %}]`,
		`[{% for i in xs %}{"v": {{i|tojson}}, "w": "{{i}}"}{% if not loop.last %},{% endif %}{% endfor %}]`,
		`{% for i in xs %}{{i}}{% endfor %}`,
		`{"a": 1{{x}}, "b": -{{y}}, "c": tr{{x}}, "d": 1.{{y}}}`,
		"// c {{x}}\n{\"a\": /* {{x}} */ {{y}}} // {{y}}",
		`{"k{{x}}": "{{y}}", "{{y}}": {{x|tojson}}}`,
		`{{x}}`,
		`{{x|tojson}}`,
		` {{x|tojson}} {% for i in xs %}{{y}}{% endfor %} `,
		`{% set s %}{"in": "{{x}}"}{% endset %}{"s": {{s|tojson}}, "raw": {{s}}}`,
		`/{{x}}`,
		`{"a": {{x}}/}`,
		`{"a": {{x}}}/`,
		`{"a": "{{x}}{{y}}", "b": {{x|tojson}}{% for i in xs %}{{y}}{% endfor %}}`,
		`[{% for i in xs %}[{{i|tojson}}{% endfor %}{% for i in xs %}]{% endfor %}]`,
		// After a backslash the printed value's first byte is the escape: a wrong
		// shortcut there would shift every quote that follows by one.
		`["\{{y}}"]"]`,
		`["\{{y}}", "\{{x}}"]`,
		`{"\u{{x}}": "\{{x}}\{{y}}"}`,
	}
	values := []any{`"k"`, int64(1), int64(-7), "1 2", "[1, 2]", `"}`, `\`, "n", "u00e9", "e9", `"`,
		nil, true, false, 2.5, math.NaN(), math.Inf(1), "x\"y", "{", "]", "", "0", "01", "-", "1e5",
		"tru", "ue", "e", ", \"z\": 1", "\x00", "é", "\xff",
		func() *Object { o := NewObject(); o.Set("a", "b"); o.Set("n", int64(1)); return o }(),
		[]any{int64(1), "x", nil}, map[string]any{"k": []any{}}, []any{}}
	rng := rand.New(rand.NewPCG(9, 10))
	accepted := 0
	for _, src := range templates {
		tm, err := Compile(src, Options{Mode: ModeJSON})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, x := range values {
			for range 4 {
				y := values[rng.IntN(len(values))]
				xs := make([]any, rng.IntN(4))
				for i := range xs {
					xs[i] = values[rng.IntN(len(values))]
				}
				data := map[string]any{"x": x, "y": y, "xs": xs}
				r := tm.newRenderer(context.Background(), mapData(data), Limits{})
				if err := r.runBody(tm.main.body); err != nil {
					r.release()
					continue
				}
				if r.jstate == jsSlash {
					r.out = append(r.out, '/')
				}
				r.trackJSON(len(r.out))
				_, msg := validateJSON(r.out)
				if r.jv.accepts() {
					accepted++
					if msg != "" {
						t.Fatalf("%s with %#v: tracking accepts %q; validateJSON: %s", src, data, r.out, msg)
					}
				} else if msg == "" && r.jv.depth < jvMaxDepth {
					t.Errorf("%s with %#v: tracking rejects valid %q", src, data, r.out)
				}
				r.release()
			}
		}
	}
	if accepted < 500 {
		t.Fatalf("only %d renders accepted: the test no longer exercises the tracking", accepted)
	}
}
