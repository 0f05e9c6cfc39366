package main

import (
	"bufio"
	"encoding/json"
	"io"
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
	cmd.Env = append(os.Environ(), "HOOKLINE_ADMIN_TOKEN=")
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
}
