// Command hookline runs the hookline service and its tools.
//
//	hookline serve      run the HTTP API (creates and migrates the data directory)
//	hookline migrate    apply pending database migrations and exit
//	hookline template   render a template as webhooks do (template render -h)
//	hookline webhook    run a webhook definition once (webhook run -h)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// command is one subcommand. run returns the process exit status: 0 on
// success, 1 on failure, 2 on bad usage.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// run dispatches to the subcommand named by args[0]. The command table is
// built here so that each command's dependencies are passed explicitly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	commands := []command{
		{"serve", "run the HTTP API service", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runServe(ctx, args, getenv, stdout, stderr)
		}},
		{"migrate", "apply pending database migrations and exit", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runMigrate(ctx, args, getenv, stdout, stderr)
		}},
		{"template", "render a template: template render --template FILE [--context JSON_FILE] [--mode MODE]", runTemplate},
		{"webhook", "run a webhook: webhook run --file DEF.json [--context CTX.json] [--allow CIDR]", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runWebhookCommand(ctx, args, getenv, stdout, stderr)
		}},
		{"bench", "load-test hookline against bare Go servers: bench --scenario NAME (bench --list)", benchCommand(getenv)},
	}
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: hookline <command> [flags]\n\ncommands:")
		for _, c := range commands {
			fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
		}
		fmt.Fprintln(w, "\nRun hookline <command> -h for a command's flags.")
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "hookline: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}
