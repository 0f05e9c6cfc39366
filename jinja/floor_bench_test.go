package jinja

import (
	"context"
	"os"
	"strings"
	"testing"
)

// seedBodyByHand writes by hand what the seed 000 body template
// (testdata/bench/seed_body.j2) renders in ModeJSON: the same lookups, the
// same escaping of values printed inside JSON strings, tojson's encoding,
// and one validation pass over the output. It interprets no template, so
// its time is a floor under the engine's render of that template: the work
// the output itself takes.
func seedBodyByHand(r *renderer, data map[string]any, out []byte) []byte {
	c, _ := data["certainly"].(*Object)
	fb, hasFB := data["fb"].(*Object)
	get := func(o *Object, key string) (any, bool) {
		if o == nil {
			return nil, false
		}
		return o.Get(key)
	}
	fields := []struct {
		name string
		kind byte // 's' string, 'j' tojson when defined, 'r' printed bare, 'f' fb string
	}{
		{"lastName", 'f'}, {"replyData", 'j'}, {"sessionId", 'r'}, {"attachedMedia", 's'},
		{"direction", 's'}, {"reply", 's'}, {"extractedData", 'j'}, {"botId", 's'},
		{"botDeploymentId", 's'}, {"firstName", 'f'}, {"customVariables", 'j'},
		{"moduleId", 'r'}, {"to", 's'}, {"from", 's'}, {"botTrainedModelId", 's'},
	}
	out = append(out, "{\n"...)
	for i, f := range fields {
		out = append(out, '"')
		out = append(out, f.name...)
		out = append(out, "\": "...)
		switch f.kind {
		case 's', 'f':
			o := c
			if f.kind == 'f' {
				if !hasFB {
					out = append(out, "{}"...)
					break
				}
				o = fb
			}
			v, _ := get(o, f.name)
			out = append(out, '"')
			out = appendJSONContent(out, r.str(r.fromData(v)))
			out = append(out, '"')
		case 'j':
			if v, ok := get(c, f.name); ok {
				out = r.appendJSON(out, r.fromData(v), jsonIndent{}, 0)
			} else {
				out = append(out, "{}"...)
			}
		case 'r':
			v, _ := get(c, f.name)
			out = r.appendStr(out, r.fromData(v))
		}
		if i < len(fields)-1 {
			out = append(out, ',')
		}
		out = append(out, " \n"...)
	}
	out = append(out, '}')
	if _, msg := validateJSON(out); msg != "" {
		panic(msg)
	}
	return out
}

// seedBodyFloor compiles the seed body and returns a renderer for the
// by-hand version with its data.
func seedBodyFloor(tb testing.TB) (*Template, *renderer, map[string]any) {
	tb.Helper()
	// The files of BenchmarkSeedBody (bench_test.go, in the external test
	// package).
	var files [2][]byte
	for i, name := range []string{"seed_body.j2", "context.json"} {
		b, err := os.ReadFile("testdata/bench/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		files[i] = b
	}
	v, err := DecodeJSON(files[1])
	if err != nil {
		tb.Fatal(err)
	}
	data := map[string]any{}
	for _, k := range v.(*Object).Keys() {
		data[k], _ = v.(*Object).Get(k)
	}
	tmpl, err := Compile(string(files[0]), Options{Mode: ModeJSON})
	if err != nil {
		tb.Fatal(err)
	}
	return tmpl, tmpl.newRenderer(context.Background(), mapData(data), DefaultLimits()), data
}

// TestSeedBodyByHand: the by-hand floor writes exactly what the engine
// renders, with and without the Facebook names, so that the two benchmarks
// below compare the same work.
func TestSeedBodyByHand(t *testing.T) {
	tmpl, r, data := seedBodyFloor(t)
	for _, withFB := range []bool{false, true} {
		if withFB {
			fb := NewObject()
			fb.Set("firstName", "Zoë \"Z\"")
			fb.Set("lastName", "O'Neil\\")
			data["fb"] = fb
		}
		want, err := tmpl.Render(context.Background(), data, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if got := string(seedBodyByHand(r, data, nil)); got != want {
			t.Errorf("fb %v: by hand\n%s\nengine\n%s", withFB, got, want)
		}
		if !strings.Contains(want, `"sessionId": 123456`) {
			t.Errorf("unexpected render:\n%s", want)
		}
	}
}

// BenchmarkSeedBodyByHand is the floor under BenchmarkSeedBody: the seed
// body's output written by hand (see seedBodyByHand), then copied into a
// string as Render returns it.
func BenchmarkSeedBodyByHand(b *testing.B) {
	_, r, data := seedBodyFloor(b)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = seedBodyByHand(r, data, buf[:0])
		_ = string(buf)
	}
}
