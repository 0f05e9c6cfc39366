package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/jinja"
	"github.com/hookline/hookline/webhook"
)

const templateUsage = `usage: hookline template render --template FILE [--context JSON_FILE] [--mode MODE]

Commands:
  render    render one template exactly as webhooks do (template render -h)
`

const templateRenderUsage = `usage: hookline template render --template FILE [--context JSON_FILE] [--mode MODE]

Renders one Jinja2 template exactly as webhooks do and writes only the
rendered output to stdout; an error goes to stderr with exit status 1 and
names the line and column. Without --context the template sees the sample
conversation that Run webhook uses (certainly.sessionId 4815162342,
certainly.reply "My ticket number is 388", fb.firstName "Ada"...); with it,
the file's object is the context, as Run webhook's "context".

Modes (--mode), how printed values are written:
  text    mappers, message texts: plain Jinja2 output
  json    webhook bodies: values inside a JSON string literal are escaped as
          JSON, // and /* */ comments are dropped, the result must be JSON
  url     webhook URLs: values percent-encoded for their place in the URL
  header  header and param values: a CR, LF or NUL is an error

flags:
`

// runTemplate implements `hookline template render`: it writes exactly the
// rendered output to stdout, adding nothing, so that a user can check a
// template byte for byte; any error goes to stderr with exit status 1.
func runTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && isHelpFlag(args[0]):
		fmt.Fprint(stdout, templateUsage)
		return 0
	case len(args) == 0 || args[0] != "render":
		fmt.Fprint(stderr, templateUsage)
		return 2
	}
	fs := flag.NewFlagSet("template render", flag.ContinueOnError)
	templatePath := fs.String("template", "", "template file to render (- for standard input)")
	contextPath := fs.String("context", "", "JSON file whose object is the render context, as Run webhook's \"context\" (- for standard input); absent: the sample conversation")
	modeName := fs.String("mode", "text", "how printed values are written: text, json, url or header (see above)")
	usage := func(w io.Writer) {
		fmt.Fprint(w, templateRenderUsage)
		printFlags(w, fs)
	}
	if code, done := parseFlags(fs, args[1:], usage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookline template render: unexpected argument %q\n", fs.Arg(0))
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
	// The context is read as Run webhook reads it, so that a template
	// renders here as it does there: no file means the sample conversation.
	var raw []byte
	if contextPath != "" {
		if raw, err = readInput(contextPath); err != nil {
			return "", fmt.Errorf("--context: %w", err)
		}
	}
	data, err := webhook.RunData(raw)
	if err != nil {
		return "", fmt.Errorf("--context %s: %s", contextPath, hookline.ErrorMessage(err))
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
