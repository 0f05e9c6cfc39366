package jinja

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMarshalDataStrings: strings in data are written as encoding/json
// writes them without HTML escaping, byte for byte but for U+2028 and
// U+2029.
func TestMarshalDataStrings(t *testing.T) {
	cases := []string{
		"", "plain", `<p>Hello & "bye"</p>`, "back\\slash", "tab\tnew\nline\rcr", "\b\f\x00\x01\x1f\x7f",
		"héllo wörld ✓ 𝄞", "\u2028\u2029", "bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate", "it's",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "<", "&", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "\xe2\x80", "𝄞", " "}
	for range 2000 {
		var s string
		for range rng.IntN(12) {
			s += alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		// encoding/json escapes U+2028 and U+2029 for HTML scripts; data
		// keeps them as they are, which JSON allows.
		w := strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))))
		if got := string(appendDataString(nil, s)); got != w {
			t.Fatalf("%q: got %s, want %s", s, got, want.Bytes())
		}
	}
}

// TestMarshalDataNonFinite: a number too large for a double decodes as
// infinity, as Python reads it, and is written back as null wherever it
// sits, instead of failing the whole value.
func TestMarshalDataNonFinite(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"big": 1e700, "small": -1e999, "list": [1, 1e400, {"x": 2e308}], "ok": 1.5, "html": "<b>&</b>"}`))
	if err != nil {
		t.Fatal(err)
	}
	big, _ := v.(*Object).Get("big")
	if f, ok := big.(float64); !ok || !math.IsInf(f, 1) {
		t.Fatalf("1e700 decoded as %#v, want +Inf as Python reads it", big)
	}
	want := `{"big":null,"small":null,"list":[1,null,{"x":null}],"ok":1.5,"html":"<b>&</b>"}`
	for name, f := range map[string]func(any) ([]byte, error){
		"MarshalData": MarshalData,
		// Through Object.MarshalJSON, as the API writes its responses.
		"json.Encoder": func(v any) ([]byte, error) {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			err := enc.Encode(v)
			return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
		},
	} {
		got, err := f(v)
		if err != nil || string(got) != want {
			t.Errorf("%s = %s, %v; want %s", name, got, err, want)
		}
	}
	for _, x := range []any{math.Inf(1), math.Inf(-1), math.NaN(), []any{math.NaN()}} {
		if got, err := MarshalData(x); err != nil || !bytes.Contains(got, []byte("null")) {
			t.Errorf("MarshalData(%v) = %s, %v", x, got, err)
		}
	}
}
