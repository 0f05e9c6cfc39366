package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/httpapi"
	"github.com/hookline/hookline/webhook"
)

const webhookRunUsage = "usage: hookline webhook run --file DEF.json [--context CTX.json] [--allow CIDR[,CIDR...]] [--compact] [--fail]"

const webhookUsage = webhookRunUsage + `

Commands:
  run    run a webhook definition once, as Run webhook does (webhook run -h)
`

const webhookRunDescription = `
Runs a webhook definition once, as Run webhook does, and prints the same
JSON: the request sent (secrets masked), the response, the custom
variables and any error. It needs no data directory and no server.
Without --context the templates see Run webhook's sample conversation.

Exit status: 0 when the webhook ran, even if its target failed (see the
result's "error"; --fail makes that 1), 1 when a file or the definition is
invalid (the reason on stderr), 2 on bad usage.

flags:
`

// runWebhookCommand implements `hookline webhook run`: it runs a webhook
// definition once, as Run webhook does, and prints the same JSON result.
// It needs no data directory and no server. The exit status is 0 when the
// webhook ran, even if its target failed (the failure is in the result's
// error; --fail makes that exit 1 too), 1 when the definition, the context
// or a file is invalid (the reason on stderr), and 2 on bad usage.
func runWebhookCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && isHelpFlag(args[0]):
		fmt.Fprint(stdout, webhookUsage)
		return 0
	case len(args) == 0 || args[0] != "run":
		fmt.Fprint(stderr, webhookUsage)
		return 2
	}
	fs := flag.NewFlagSet("webhook run", flag.ContinueOnError)
	file := fs.String("file", "", "the webhook definition: a JSON object as POST /api/v1/webhooks takes it (- for standard input)")
	contextFile := fs.String("context", "", "JSON file with the template context, as Run webhook's \"context\"; absent: sample values")
	var allow []string
	fs.Func("allow", "CIDRs or IPs the webhook may reach although the egress guard refuses them, comma-separated; adds to HOOKLINE_EGRESS_ALLOW", func(v string) error {
		allow = append(allow, v)
		return nil
	})
	compact := fs.Bool("compact", false, "print the result on one line")
	failOnError := fs.Bool("fail", false, "exit 1 when the run failed (the result has an error)")
	usage := func(w io.Writer) {
		fmt.Fprint(w, webhookRunUsage+"\n"+webhookRunDescription)
		printFlags(w, fs)
	}
	if code, done := parseFlags(fs, args[1:], usage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "webhook run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *file == "" {
		fmt.Fprintln(stderr, "webhook run: --file is required\n"+webhookRunUsage)
		return 2
	}
	prefixes, err := allowList(getenv("HOOKLINE_EGRESS_ALLOW"), allow)
	if err != nil {
		fmt.Fprintf(stderr, "webhook run: %v\n", err)
		return 2
	}
	res, err := runWebhookFile(ctx, *file, *contextFile, prefixes)
	if err != nil {
		fmt.Fprintf(stderr, "webhook run: %v\n", err)
		return 1
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if !*compact {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(res); err != nil {
		fmt.Fprintf(stderr, "webhook run: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		fmt.Fprintf(stderr, "webhook run: write output: %v\n", err)
		return 1
	}
	if *failOnError && res.Error != nil {
		return 1
	}
	return 0
}

// allowList combines HOOKLINE_EGRESS_ALLOW with the --allow flags; errors
// name the setting and the bad value.
func allowList(env string, flags []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	if strings.TrimSpace(env) != "" {
		p, err := egress.ParseAllow(env)
		if err != nil {
			return nil, fmt.Errorf("HOOKLINE_EGRESS_ALLOW %q: %v", env, err)
		}
		out = append(out, p...)
	}
	for _, f := range flags {
		p, err := egress.ParseAllow(f)
		if err != nil {
			return nil, fmt.Errorf("--allow %q: %v", f, err)
		}
		out = append(out, p...)
	}
	return out, nil
}

// A definition file is a webhook as the API takes it, or as GET
// /api/v1/webhooks/{id} shows it (its read-only fields are ignored; masked
// secrets are refused, as they hide the real ones).

func runWebhookFile(ctx context.Context, file, contextFile string, allow []netip.Prefix) (*hookline.WebhookResult, error) {
	raw, err := readInput(file)
	if err != nil {
		return nil, fmt.Errorf("--file: %w", err)
	}
	var def hookline.WebhookInput
	if err := httpapi.Decode(bytes.NewReader(raw), &def, "the file"); err != nil {
		return nil, fmt.Errorf("%s: %s", file, hookline.ErrorMessage(err))
	}
	w := def.WebhookDefinition
	if strings.TrimSpace(w.Name) == "" {
		w.Name = "cli"
	}
	var runContext json.RawMessage
	if contextFile != "" {
		if runContext, err = readInput(contextFile); err != nil {
			return nil, fmt.Errorf("--context: %w", err)
		}
	}
	res, err := webhook.RunDefinition(ctx, webhook.NewExecutor(egress.New(egress.Config{Allow: allow})), w, runContext)
	if err != nil {
		where := file
		if hookline.ErrorField(err) == "context" && contextFile != "" {
			where = contextFile
		}
		if f := hookline.ErrorField(err); f != "" {
			return nil, fmt.Errorf("%s: %s: %s", where, f, hookline.ErrorMessage(err))
		}
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	return res, nil
}
