package jinja_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hookline/hookline/jinja"
)

// The seed 000 body as users paste it (wrapped in braces, its // comments included) and a
// realistic context; testdata/bench/python_bench.py times Python Jinja2 on the same files.
func loadSeedBody(tb testing.TB) (string, []byte, map[string]any) {
	tb.Helper()
	src, err := os.ReadFile("testdata/bench/seed_body.j2")
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/bench/context.json")
	if err != nil {
		tb.Fatal(err)
	}
	return string(src), raw, contextData(tb, string(raw))
}

func benchmarkSeedBody(b *testing.B, mode jinja.Mode) {
	src, _, data := loadSeedBody(b)
	tmpl, err := jinja.Compile(src, jinja.Options{Mode: mode})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	lim := jinja.DefaultLimits()
	out, err := tmpl.Render(ctx, data, lim)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Render(ctx, data, lim); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeedBody(b *testing.B)     { benchmarkSeedBody(b, jinja.ModeJSON) }
func BenchmarkSeedBodyText(b *testing.B) { benchmarkSeedBody(b, jinja.ModeText) }

func BenchmarkSeedBodyCompile(b *testing.B) {
	src, _, _ := loadSeedBody(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jinja.Compile(src, jinja.Options{Mode: jinja.ModeJSON}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSeedBodyJSONMode renders the seed 000 body in ModeJSON for a reply with quotes, a
// backslash, a newline and non-ASCII text: the result is valid JSON carrying every value intact.
func TestSeedBodyJSONMode(t *testing.T) {
	src, raw, data := loadSeedBody(t)
	tmpl, err := jinja.Compile(src, jinja.Options{Mode: jinja.ModeJSON})
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(context.Background(), data, jinja.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "Only available in FB channel") || strings.Contains(out, "//") {
		t.Errorf("a // comment survived:\n%s", out)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(out), &body); err != nil {
		t.Fatalf("not valid JSON: %v\n%s", err, out)
	}
	var input struct {
		Certainly map[string]any `json:"certainly"`
	}
	if err := json.Unmarshal(raw, &input); err != nil {
		t.Fatal(err)
	}
	c := input.Certainly
	want := map[string]any{
		"lastName":          map[string]any{},
		"replyData":         map[string]any{},
		"sessionId":         c["sessionId"],
		"attachedMedia":     c["attachedMedia"],
		"direction":         c["direction"],
		"reply":             c["reply"],
		"extractedData":     c["extractedData"],
		"botId":             c["botId"],
		"botDeploymentId":   c["botDeploymentId"],
		"firstName":         map[string]any{},
		"customVariables":   c["customVariables"],
		"moduleId":          c["moduleId"],
		"to":                c["to"],
		"from":              c["from"],
		"botTrainedModelId": c["botTrainedModelId"],
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("rendered body\n%s\ndecodes to %v\nwant %v", out, body, want)
	}
	if reply, _ := body["reply"].(string); !strings.Contains(reply, `"hi"`) || !strings.Contains(reply, `\`) ||
		!strings.Contains(reply, "\n") || !strings.Contains(reply, "Café “quoted”") {
		t.Errorf("reply lost its quotes, backslash, newline or non-ASCII text: %q", reply)
	}
}

// TestSeedBodyJSONModeHostileReply checks that user text cannot inject JSON members.
func TestSeedBodyJSONModeHostileReply(t *testing.T) {
	src, _, data := loadSeedBody(t)
	tmpl, err := jinja.Compile(src, jinja.Options{Mode: jinja.ModeJSON})
	if err != nil {
		t.Fatal(err)
	}
	certainly, ok := data["certainly"].(*jinja.Object)
	if !ok {
		t.Fatalf("certainly is %T", data["certainly"])
	}
	hostile := jinja.NewObject()
	for _, k := range certainly.Keys() {
		v, _ := certainly.Get(k)
		hostile.Set(k, v)
	}
	reply := "\", \"admin\": true, \"x\": \"\u0000\u001f\u2028</script>\\"
	hostile.Set("reply", reply)
	hostile.Set("to", "a\r\nb\tc")
	out, err := tmpl.Render(context.Background(), map[string]any{"certainly": hostile}, jinja.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(out), &body); err != nil {
		t.Fatalf("not valid JSON: %v\n%s", err, out)
	}
	if _, injected := body["admin"]; injected {
		t.Fatalf("reply injected a member:\n%s", out)
	}
	if body["reply"] != reply || body["to"] != "a\r\nb\tc" {
		t.Errorf("reply %q to %q, want them intact", body["reply"], body["to"])
	}
}
