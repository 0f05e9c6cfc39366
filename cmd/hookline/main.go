// Command hookline runs the hookline service and its tools.
//
//	hookline serve      run the HTTP API (creates and migrates the data directory)
//	hookline migrate    apply pending database migrations and exit
//	hookline template   render a template as webhooks do (template render -h)
//	hookline webhook    run a webhook definition once (webhook run -h)
//	hookline bot        import and export bot documents (bot -h)
//	hookline channel    approve a webhook channel (channel approve ID)
//	hookline bench      load-test hookline against bare Go servers
//	hookline version    print the version, the VCS revision and the Go version
//
// Every command answers -h and --help on stdout with exit status 0.
package main

import (
	"context"
	"errors"
	"flag"
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
		{"template", "render a template as webhooks do: template render --template FILE [--context JSON_FILE] [--mode MODE]", runTemplate},
		{"webhook", "run a webhook definition once: webhook run --file DEF.json [--context CTX.json] [--allow CIDR]", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runWebhookCommand(ctx, args, getenv, stdout, stderr)
		}},
		{"bot", "import and export bot documents: bot import FILE [--company ID], bot export ID [--format yaml]", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runBotCommand(ctx, args, getenv, stdout, stderr)
		}},
		{"channel", "approve a webhook channel on the store serve uses: channel approve ID", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runChannel(ctx, args, getenv, stdout, stderr)
		}},
		{"bench", "load-test hookline against bare Go servers: bench --scenario NAME (bench --list)", benchCommand(getenv)},
		{"version", "print the version, the VCS revision and the Go version", runVersion},
	}
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: hookline <command> [flags]\n\nhookline is a self-hosted webhook service for chatbots.\n\ncommands:")
		for _, c := range commands {
			fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
		}
		fmt.Fprintf(w, "  %-10s %s\n", "help", "help about a command: help <command> (the same as hookline <command> -h)")
		fmt.Fprintln(w, "\nRun hookline <command> -h for a command's flags.")
	}
	find := func(name string) *command {
		for i := range commands {
			if commands[i].name == name {
				return &commands[i]
			}
		}
		return nil
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "-version", "--version":
		return runVersion(ctx, args[1:], stdout, stderr)
	case "help":
		// help <command> is that command's -h; help alone, or help -h,
		// is the list of commands.
		if len(args) > 1 && !isHelpFlag(args[1]) {
			c := find(args[1])
			if c == nil {
				fmt.Fprintf(stderr, "hookline help: unknown command %q\n\n", args[1])
				usage(stderr)
				return 2
			}
			return c.run(ctx, append(args[2:], "-h"), stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	if c := find(args[0]); c != nil {
		return c.run(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hookline: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// parseFlags parses a command's flags. -h and --help write usage to stdout
// and end the command with status 0: help was asked for, so it is the
// output. A bad flag is one line on stderr, and a pointer to -h rather
// than the whole flag list, which would bury the line; that ends the
// command with status 2. done tells the caller to return code.
func parseFlags(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return 0, true
	}
	fmt.Fprintf(stderr, "hookline %s: %v\nRun hookline %s -h for the flags.\n", fs.Name(), err, fs.Name())
	return 2, true
}

// printFlags writes fs's flags as the flag package formats them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
