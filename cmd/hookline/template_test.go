package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedBody is the sample body of seed 000, comments included, wrapped in
// braces as a user pastes it into the Webhook Builder.
func seedBody(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "jinja", "testdata", "bench", "seed_body.j2"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTemplateRenderSeedBodyJSON(t *testing.T) {
	dir := t.TempDir()
	reply := "She said \"stop\" \\ then\nleft — café ✓ 😀 </script>"
	ctxJSON, _ := json.Marshal(map[string]any{"certainly": map[string]any{
		"sessionId": 388, "reply": reply, "direction": "in", "moduleId": 7,
		"botId": "b", "botDeploymentId": "d", "botTrainedModelId": "m", "to": "t", "from": "f",
		"attachedMedia": "", "extractedData": map[string]any{"email": "a@b.c"},
		"customVariables": map[string]any{"n": 1.5},
	}})
	tmpl := writeFile(t, dir, "body.j2", seedBody(t))
	ctxFile := writeFile(t, dir, "ctx.json", string(ctxJSON))

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"template", "render", "--template", tmpl, "--context", ctxFile, "--mode", "json"}, envOf(), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	var body map[string]any
	if err := json.Unmarshal(out.Bytes(), &body); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, out.String())
	}
	if body["reply"] != reply {
		t.Errorf("reply = %q, want %q", body["reply"], reply)
	}
	if body["sessionId"] != float64(388) || body["moduleId"] != float64(7) {
		t.Errorf("sessionId/moduleId = %v/%v, want 388/7", body["sessionId"], body["moduleId"])
	}
	if fn, ok := body["firstName"].(map[string]any); !ok || len(fn) != 0 {
		t.Errorf("firstName off the Facebook channel = %#v, want {}", body["firstName"])
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", errOut.String())
	}
}

func TestTemplateRenderWritesExactly(t *testing.T) {
	dir := t.TempDir()
	tmpl := writeFile(t, dir, "t.j2", "{{ n }} {{ f }} {{ x }} {{ l }}\n")
	ctxFile := writeFile(t, dir, "c.json", `{"n": 388, "f": 2.5, "x": null, "l": ["a", 1, true]}`)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"template", "render", "--template", tmpl, "--context", ctxFile}, envOf(), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	// Python Jinja2 drops the single trailing newline; nothing else is added.
	if want := "388 2.5 None ['a', 1, True]"; out.String() != want {
		t.Fatalf("stdout = %q, want %q", out.String(), want)
	}
}

func TestTemplateRenderErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.j2", "{{ a }}")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"template"}, 2, "usage: hookline template render"},
		{"missing template", []string{"template", "render"}, 1, "--template is required"},
		{"bad mode", []string{"template", "render", "--template", good, "--mode", "xml"}, 1, `--mode "xml"`},
		{"unreadable context", []string{"template", "render", "--template", good, "--context", filepath.Join(dir, "nope.json")}, 1, "--context"},
		{"context not an object", []string{"template", "render", "--template", good, "--context", writeFile(t, dir, "arr.json", "[1]")}, 1, "must be a JSON object"},
		{"syntax error names the line", []string{"template", "render", "--template", writeFile(t, dir, "bad.j2", "ok\n{% if %}")}, 1, "line 2"},
		{"invalid JSON output", []string{"template", "render", "--mode", "json", "--template", writeFile(t, dir, "j.j2", `{"a": {{ a }}}`)}, 1, "line 1"},
		{"header with newline", []string{"template", "render", "--mode", "header", "--template", writeFile(t, dir, "h.j2", "a{{ '\\n' }}b")}, 1, "template render:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), c.args, envOf(), &out, &errOut)
			if code != c.code || !strings.Contains(errOut.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), c.code, c.want)
			}
			if out.Len() != 0 {
				t.Fatalf("stdout = %q, want nothing on error", out.String())
			}
		})
	}
}

// TestTemplateRenderRuntimeUnknownFilter: the CLI renders as Python's
// Jinja2 does, failing an unknown filter only in the branch that reaches
// it; the API still refuses to save such a template (see httpapi).
func TestTemplateRenderRuntimeUnknownFilter(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "t.j2")
	if err := os.WriteFile(tpl, []byte(`{% if false %}{{ x|no_such_filter }}{% endif %}ok`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"template", "render", "--template", tpl}, envOf(), &out, &errOut); code != 0 || out.String() != "ok" {
		t.Fatalf("branch not taken: exit %d, %q, %q", code, out.String(), errOut.String())
	}
	if err := os.WriteFile(tpl, []byte(`{% if true %}{{ x|no_such_filter }}{% endif %}ok`), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"template", "render", "--template", tpl}, envOf(), &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no_such_filter") {
		t.Fatalf("branch taken: exit %d, %q, %q", code, out.String(), errOut.String())
	}
}
