package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/hookline into a temp dir, as a user would run it.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "hookline")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary runs the built binary: serve on a free port, /healthz, SIGTERM,
// exit status 0; and a bad setting fails with a message naming it.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOOKLINE_ADMIN_TOKEN=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	addr := make(chan string, 1)
	var output strings.Builder
	outputDone := make(chan struct{})
	go func() {
		defer close(outputDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			output.WriteString(line + "\n")
			var v struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &v) == nil && v.Msg == "listening" {
				addr <- v.Addr
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("the binary did not log its address")
	}
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("/healthz: %d %s", res.StatusCode, body)
	}
	// Without GOGC, serve collects garbage at its own target.
	res, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if want := fmt.Sprintf("\ngo_gc_gogc_percent %d\n", serveGCPercent); !strings.Contains(string(body), want) {
		t.Fatalf("/metrics lacks %q", strings.TrimSpace(want))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-outputDone
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v; output:\n%s", err, output.String())
	}
	out := output.String()
	if !strings.Contains(out, "generated the admin API key") || !keyPattern.MatchString(out) {
		t.Fatalf("the first start did not print the admin key:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "hookline.db")); err != nil {
		t.Fatalf("data directory: %v", err)
	}

	bad := exec.Command(bin, "serve")
	bad.Env = append(os.Environ(), "HOOKLINE_ADDR=abc")
	out2, err := bad.CombinedOutput()
	if code := bad.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out2), `HOOKLINE_ADDR "abc": missing port`) {
		t.Fatalf("bad HOOKLINE_ADDR: exit %d (%v), output %q", code, err, out2)
	}

	// Start-up failures a new user meets are one line on stderr each.
	runBinary := func(env []string, args ...string) (code int, stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), append([]string{"HOOKLINE_ADMIN_TOKEN=", "HOOKLINE_SECRET_KEY=", "HOOKLINE_DATABASE_URL="}, env...)...)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
	}
	oneLine := func(what, stderr, want string) {
		t.Helper()
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "hookline serve: ") || !strings.Contains(stderr, want) {
			t.Fatalf("%s: stderr %q, want one line saying %q", what, stderr, want)
		}
	}

	// A port in use: nothing is created, so no admin key is minted.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	fresh := filepath.Join(dir, "fresh")
	code, _, errOut := runBinary(nil, "serve", "--addr", busy.Addr().String(), "--data", fresh)
	if code != 1 {
		t.Fatalf("busy port: exit %d, stderr %q", code, errOut)
	}
	oneLine("busy port", errOut, "cannot listen on "+busy.Addr().String()+": the address is already in use")
	if keyPattern.MatchString(errOut) {
		t.Fatal("a start that could not listen printed an admin key")
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Fatalf("a start that could not listen created its data directory (%v)", err)
	}

	// The key file of a data directory with sealed secrets is gone: no new
	// one is written, and the message names the file.
	keyFile := filepath.Join(dir, "data", "secret.key")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runBinary(nil, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	if code != 1 {
		t.Fatalf("missing key file: exit %d, stderr %q", code, errOut)
	}
	oneLine("missing key file", errOut, "HOOKLINE_SECRET_KEY is unset and the key file "+keyFile+" does not exist")
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("a start without its key wrote a new key file (%v)", err)
	}
	code, _, errOut = runBinary([]string{"HOOKLINE_SECRET_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	if code != 1 {
		t.Fatalf("another key: exit %d, stderr %q", code, errOut)
	}
	oneLine("another key", errOut, "the key in HOOKLINE_SECRET_KEY does not open the secrets stored in this database")

	// Help and version, as a user types them.
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "-h"}, {"template", "render", "-h"}, {"webhook", "run", "--help"}, {"version", "-h"}} {
		if code, stdout, stderr := runBinary(nil, args...); code != 0 || !strings.HasPrefix(stdout, "usage: hookline") || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	code, stdout, errOut := runBinary(nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "hookline ") || !strings.Contains(stdout, "\nrevision  ") || !strings.Contains(stdout, "\ngo        go1.") || errOut != "" {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
}

// TestGCPercent checks that an operator's GOGC wins over serve's target.
func TestGCPercent(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	if p, ok := gcPercent(env(nil)); !ok || p != serveGCPercent {
		t.Fatalf("without GOGC: %d, %v", p, ok)
	}
	if _, ok := gcPercent(env(map[string]string{"GOGC": "100"})); ok {
		t.Fatal("serve overrode the GOGC an operator set")
	}
}
