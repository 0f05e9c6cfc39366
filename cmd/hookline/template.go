package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hookline/hookline/jinja"
)

// runTemplate implements `hookline template render`: it writes exactly the
// rendered output to stdout, adding nothing, so that a user can check a
// template byte for byte; any error goes to stderr with exit status 1.
func runTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "render" {
		fmt.Fprintln(stderr, "usage: hookline template render --template FILE [--context JSON_FILE] [--mode text|json|url|header]")
		return 2
	}
	fs := flag.NewFlagSet("template render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	templatePath := fs.String("template", "", "template file to render (- for standard input)")
	contextPath := fs.String("context", "", "JSON file whose object is the render context")
	modeName := fs.String("mode", "text", "output mode: text, json, url or header")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "template render: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	out, err := renderTemplateFile(ctx, *templatePath, *contextPath, *modeName)
	if err != nil {
		fmt.Fprintf(stderr, "template render: %v\n", err)
		return 1
	}
	if _, err := io.WriteString(stdout, out); err != nil {
		fmt.Fprintf(stderr, "template render: write output: %v\n", err)
		return 1
	}
	return 0
}

func renderTemplateFile(ctx context.Context, templatePath, contextPath, modeName string) (string, error) {
	mode, err := parseMode(modeName)
	if err != nil {
		return "", err
	}
	if templatePath == "" {
		return "", errors.New("--template is required")
	}
	src, err := readInput(templatePath)
	if err != nil {
		return "", fmt.Errorf("--template: %w", err)
	}
	data := map[string]any{}
	if contextPath != "" {
		raw, err := readInput(contextPath)
		if err != nil {
			return "", fmt.Errorf("--context: %w", err)
		}
		data, err = decodeContext(raw)
		if err != nil {
			return "", fmt.Errorf("--context %s: %w", contextPath, err)
		}
	}
	tmpl, err := jinja.Compile(string(src), jinja.Options{Mode: mode})
	if err != nil {
		return "", fmt.Errorf("%s: %w", templatePath, err)
	}
	out, err := tmpl.Render(ctx, data, jinja.Limits{})
	if err != nil {
		return "", fmt.Errorf("%s: %w", templatePath, err)
	}
	return out, nil
}

// decodeContext turns a JSON object into render data, keeping key order.
func decodeContext(raw []byte) (map[string]any, error) {
	v, err := jinja.DecodeJSON(raw)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(*jinja.Object)
	if !ok {
		return nil, errors.New("the context must be a JSON object")
	}
	data := make(map[string]any, obj.Len())
	for _, k := range obj.Keys() {
		data[k], _ = obj.Get(k)
	}
	return data, nil
}

func parseMode(name string) (jinja.Mode, error) {
	switch strings.ToLower(name) {
	case "text":
		return jinja.ModeText, nil
	case "json":
		return jinja.ModeJSON, nil
	case "url":
		return jinja.ModeURL, nil
	case "header":
		return jinja.ModeHeader, nil
	}
	return 0, fmt.Errorf("--mode %q: want text, json, url or header", name)
}

func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}
