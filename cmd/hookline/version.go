package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const versionUsage = `usage: hookline version

Prints the module version of this binary, the VCS revision it was built
from (with its time, and whether the working tree had uncommitted changes)
and the Go version and platform it was built with, as runtime/debug reads
them from the binary. A binary built by go run, or outside a git checkout,
has no revision; it says so.
`

// runVersion implements `hookline version`.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if code, done := parseFlags(fs, args, func(w io.Writer) { fmt.Fprint(w, versionUsage) }, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookline version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	info, ok := debug.ReadBuildInfo()
	writeVersion(stdout, info, ok)
	return 0
}

// writeVersion writes the version lines for a binary's build information;
// ok is false when the binary carries none.
func writeVersion(w io.Writer, info *debug.BuildInfo, ok bool) {
	version, module := "(unknown)", "github.com/hookline/hookline"
	var revision, when string
	modified := false
	if ok {
		module = info.Main.Path
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	fmt.Fprintf(w, "hookline %s\n", version)
	fmt.Fprintf(w, "module    %s\n", module)
	switch {
	case revision == "":
		// go run and go test do not stamp VCS information, nor does a
		// build outside a checkout or with -buildvcs=false.
		fmt.Fprintln(w, "revision  unknown (built by go run, or without VCS information)")
	default:
		line := revision
		if when != "" {
			line += " (" + when + ")"
		}
		if modified {
			line += ", with uncommitted changes"
		}
		fmt.Fprintf(w, "revision  %s\n", line)
	}
	goVersion := runtime.Version()
	if ok && info.GoVersion != "" {
		goVersion = info.GoVersion
	}
	fmt.Fprintf(w, "go        %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
}
