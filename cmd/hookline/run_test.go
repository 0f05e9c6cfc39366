package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunDispatch(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, envOf(), &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `unknown command "frobnicate"`) || !strings.Contains(errOut.String(), "serve") {
		t.Fatalf("unknown command: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"help"}, envOf(), &out, &errOut); code != 0 || !strings.Contains(out.String(), "migrate") {
		t.Fatalf("help: exit %d, stdout %q", code, out.String())
	}
}

func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--data", dir}, envOf(), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "applied 0001_tenants") {
		t.Fatalf("first migrate: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate"}, envOf("HOOKLINE_DATA", dir), &out, &errOut); code != 0 ||
		strings.TrimSpace(out.String()) != "database is up to date" {
		t.Fatalf("second migrate: exit %d, stdout %q", code, out.String())
	}
	errOut.Reset()
	// migrate takes only the settings that locate the database.
	if code := run(context.Background(), []string{"migrate", "--addr", "127.0.0.1:0"}, envOf(), &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "hookline migrate: flag provided but not defined: -addr") {
		t.Fatalf("a flag of serve: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"migrate", "--data", ""}, envOf(), &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `hookline migrate: --data "": must not be empty`) {
		t.Fatalf("bad flag: exit %d, stderr %q", code, errOut.String())
	}
}
