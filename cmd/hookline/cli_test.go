package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestHelp: every command and subcommand answers -h and --help on stdout
// with a description, and exits 0 without doing anything else.
func TestHelp(t *testing.T) {
	cases := []struct {
		args []string
		want string // a phrase of the command's description
	}{
		{[]string{"serve"}, "Runs the HTTP API"},
		{[]string{"migrate"}, "Applies pending database migrations"},
		{[]string{"template"}, "render one template exactly as webhooks do"},
		{[]string{"template", "render"}, "Renders one Jinja2 template"},
		{[]string{"webhook"}, "run a webhook definition once"},
		{[]string{"webhook", "run"}, "Runs a webhook definition once"},
		{[]string{"bot"}, "import a bot document into the database serve uses"},
		{[]string{"bot", "import"}, "Imports a bot document"},
		{[]string{"bot", "export"}, "Prints a bot's document"},
		{[]string{"channel"}, "approve a webhook channel"},
		{[]string{"channel", "approve"}, "Approves a webhook channel"},
		{[]string{"bench"}, "Drives a scenario against hookline"},
		{[]string{"version"}, "Prints the module version"},
		{[]string{"help"}, "commands:"},
	}
	for _, c := range cases {
		for _, flag := range []string{"-h", "--help"} {
			args := append(append([]string{}, c.args...), flag)
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, envOf(), &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), c.want) || errOut.Len() != 0 {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and %q on stdout", args, code, out.String(), errOut.String(), c.want)
			}
		}
	}
	// help <command> is the command's -h.
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"help", "migrate"}, envOf(), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "Applies pending database migrations") {
		t.Errorf("help migrate: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"help", "nope"}, envOf(), &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `unknown command "nope"`) {
		t.Errorf("help nope: exit %d, stderr %q", code, errOut.String())
	}
}

// TestHelpListsTheCommandsSettings: serve lists every setting, migrate
// only those that locate the database and the secret key (a migration may
// seal values stored in clear); template render lists its modes.
func TestHelpListsTheCommandsSettings(t *testing.T) {
	help := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append(args, "-h"), envOf(), &out, &errOut); code != 0 {
			t.Fatalf("%v -h: exit %d, stderr %q", args, code, errOut.String())
		}
		return out.String()
	}
	serve := help("serve")
	for _, want := range []string{"-addr", "-data", "-database-url", "-egress-allow", "-public-url", "HOOKLINE_ADMIN_TOKEN", "HOOKLINE_SECRET_KEY"} {
		if !strings.Contains(serve, want) {
			t.Errorf("serve -h does not list %s:\n%s", want, serve)
		}
	}
	migrate := help("migrate")
	for _, want := range []string{"-data", "-database-url", "\n  HOOKLINE_SECRET_KEY"} {
		if !strings.Contains(migrate, want) {
			t.Errorf("migrate -h does not list %s:\n%s", want, migrate)
		}
	}
	for _, unwanted := range []string{"-addr", "-egress-allow", "-public-url", "-max-body-bytes", "HOOKLINE_ADMIN_TOKEN"} {
		if strings.Contains(migrate, unwanted) {
			t.Errorf("migrate -h lists %s, a setting of serve:\n%s", unwanted, migrate)
		}
	}
	render := help("template", "render")
	for _, mode := range []string{"text", "json", "url", "header"} {
		if !strings.Contains(render, "\n  "+mode+" ") {
			t.Errorf("template render -h has no line for the %s mode:\n%s", mode, render)
		}
	}
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, envOf(), &out, &errOut); code != 0 {
		t.Fatalf("version: exit %d, stderr %q", code, errOut.String())
	}
	// A test binary carries no VCS information, as a go run build does.
	for _, want := range []string{"hookline ", "module    github.com/hookline/hookline", "revision  unknown (built by go run", "go        " + runtime.Version()} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"--version"}, envOf(), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "hookline ") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}

	// A build from a checkout names its revision.
	out.Reset()
	writeVersion(&out, &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/hookline/hookline", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "d2a5867c0ffee"}, {Key: "vcs.time", Value: "2026-12-06T06:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		},
	}, true)
	want := "hookline v1.2.3\nmodule    github.com/hookline/hookline\nrevision  d2a5867c0ffee (2026-12-06T06:00:00Z), with uncommitted changes\ngo        go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if out.String() != want {
		t.Errorf("version of a checkout build:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestTemplateRenderSampleContext: without --context the template sees
// the sample conversation Run webhook uses, as its help says.
func TestTemplateRenderSampleContext(t *testing.T) {
	tmpl := writeFile(t, t.TempDir(), "t.j2", "{{ certainly.sessionId }} {{ conversation.reply }} {{ fb.firstName }} {{ context.session.BotUserSession.lastMessage.customData.source }}")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"template", "render", "--template", tmpl}, envOf(), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if want := "4815162342 My ticket number is 388 Ada help-center"; out.String() != want {
		t.Fatalf("stdout = %q, want %q", out.String(), want)
	}
}

// TestConfigFailureOneLineEach: each bad setting is one line naming the
// command and the setting; a missing secret key too.
func TestConfigFailureOneLineEach(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve"}, envOf("HOOKLINE_ADDR", "abc", "HOOKLINE_LOG_LEVEL", "loud"), &out, &errOut)
	want := "hookline serve: HOOKLINE_ADDR \"abc\": missing port; want host:port, such as 127.0.0.1:8080\n" +
		"hookline serve: HOOKLINE_LOG_LEVEL \"loud\": want debug, info, warn or error\n"
	if code != 2 || errOut.String() != want {
		t.Fatalf("exit %d, stderr:\n%s\nwant:\n%s", code, errOut.String(), want)
	}
	errOut.Reset()
	code = run(context.Background(), []string{"serve"}, envOf("HOOKLINE_DATABASE_URL", "postgres://127.0.0.1:1/none"), &out, &errOut)
	if code != 2 || strings.Count(errOut.String(), "\n") != 1 || !strings.HasPrefix(errOut.String(), "hookline serve: HOOKLINE_SECRET_KEY must be set") {
		t.Fatalf("missing key: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	code = run(context.Background(), []string{"serve", "--nope"}, envOf(), &out, &errOut)
	if code != 2 || errOut.String() != "hookline serve: flag provided but not defined: -nope\nRun hookline serve -h for the flags.\n" {
		t.Fatalf("unknown flag: exit %d, stderr %q", code, errOut.String())
	}
}

// TestOpenWithoutTheSealingKey: a data directory whose secrets were sealed
// under a key that is no longer at hand refuses to start, says which key
// it looked for, and writes no new key file, which would never open them.
func TestOpenWithoutTheSealingKey(t *testing.T) {
	dir := t.TempDir()
	m, _, _ := startMain(t, Config{DataDir: dir})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "secret.key")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	open := func(cfg Config) error {
		cfg.DataDir, cfg.Addr, cfg.MaxBodyBytes, cfg.ShutdownTimeout = dir, "127.0.0.1:0", 1<<20, time.Second
		m := NewMain(cfg, &syncBuffer{}, &syncBuffer{})
		err := m.Open(context.Background())
		m.Close()
		return err
	}

	err := open(Config{})
	want := "HOOKLINE_SECRET_KEY is unset and the key file " + keyFile + " does not exist, but this database's secrets were sealed with a key: restore " + keyFile + " from your backup, or set HOOKLINE_SECRET_KEY to that key"
	if err == nil || err.Error() != want {
		t.Fatalf("start without the key file: %v\nwant: %s", err, want)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("a start without the key wrote a new key file (%v)", err)
	}

	// Another key, in the file or in the environment, is named as tried.
	if err := os.WriteFile(keyFile, []byte("ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = open(Config{})
	if want := "the key file " + keyFile + " does not open the secrets stored in this database"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("start with another key file: %v, want %q", err, want)
	}
	err = open(Config{SecretKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="})
	if want := "the key in HOOKLINE_SECRET_KEY does not open the secrets stored in this database"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("start with another HOOKLINE_SECRET_KEY: %v, want %q", err, want)
	}
}
