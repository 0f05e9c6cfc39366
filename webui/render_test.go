package webui

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// TestBrokenTemplateFailsStart: a page that does not parse, or a page set
// without the pages every error needs, is an error of New, so that serve
// does not start with it.
func TestBrokenTemplateFailsStart(t *testing.T) {
	good, err := fs.ReadFile(files, "templates/layout.html")
	if err != nil {
		t.Fatal(err)
	}
	page := func(body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(`{{define "content"}}` + body + `{{end}}`)}
	}
	for name, fsys := range map[string]fstest.MapFS{
		"unclosed action":  {"templates/layout.html": {Data: good}, "templates/pages/error.html": page("{{.Main"), "templates/pages/sign-in.html": page("")},
		"unknown function": {"templates/layout.html": {Data: good}, "templates/pages/error.html": page("{{nosuch .}}"), "templates/pages/sign-in.html": page("")},
		"no content":       {"templates/layout.html": {Data: good}, "templates/pages/error.html": {Data: []byte("hello")}, "templates/pages/sign-in.html": page("")},
		"no error page":    {"templates/layout.html": {Data: good}, "templates/pages/sign-in.html": page("")},
		"broken layout":    {"templates/layout.html": {Data: []byte(`{{define "layout"}}{{if}}{{end}}`)}, "templates/pages/error.html": page(""), "templates/pages/sign-in.html": page("")},
	} {
		if _, err := parsePages(fsys); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := parsePages(files); err != nil {
		t.Fatalf("the embedded templates: %v", err)
	}
}

func TestFieldID(t *testing.T) {
	for in, want := range map[string]string{
		"name":                        "f-name",
		"headers[0].value":            "f-headers-0-value",
		"context_values.sub":          "f-context_values-sub",
		"values.api key":              "f-values-api-key",
		`x"><script>`:                 "f-x-script",
		"custom_variables[12].mapper": "f-custom_variables-12-mapper",
	} {
		if got := fieldID(in); got != want {
			t.Errorf("fieldID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPositionIn(t *testing.T) {
	text := "{\n\t\"a\": {{ x }\n}"
	p := positionIn(text, 2, 9)
	if p == nil || p.Text != "\t\"a\": {{ x }" || p.Before != "\t       " {
		t.Fatalf("position = %+v", p)
	}
	if p := positionIn(text, 4, 1); p != nil {
		t.Fatalf("a line past the end: %+v", p)
	}
	// A column past the line's end keeps the line, without a caret.
	if p := positionIn("ab", 1, 9); p == nil || p.Before != "" || !strings.HasPrefix(p.Text, "ab") {
		t.Fatalf("a column past the end: %+v", p)
	}
}
