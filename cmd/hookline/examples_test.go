package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/bot"
	"github.com/hookline/hookline/httpapi"
	"github.com/hookline/hookline/webhook"
)

// examplesDir holds the files the README's walk-through uses.
var examplesDir = filepath.Join("..", "..", "examples")

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExamplesAgree: the example webhook's body is the seed's sample body,
// as examples/ticket-body.j2 is; the definition is valid as the API takes
// it; the context is a JSON object Run webhook accepts.
func TestExamplesAgree(t *testing.T) {
	body := string(readExample(t, "ticket-body.j2"))
	if body != seedBody(t) {
		t.Error("examples/ticket-body.j2 differs from jinja/testdata/bench/seed_body.j2, the seed's sample body")
	}
	var def hookline.WebhookInput
	if err := httpapi.Decode(bytes.NewReader(readExample(t, "ticket-webhook.json")), &def, "the file"); err != nil {
		t.Fatalf("examples/ticket-webhook.json: %v", err)
	}
	if def.Body != body {
		t.Error("the body of examples/ticket-webhook.json differs from examples/ticket-body.j2")
	}
	if _, err := webhook.Compile(def.WebhookDefinition); err != nil {
		t.Fatalf("examples/ticket-webhook.json: %v", err)
	}
	if _, err := webhook.RunData(readExample(t, "context.json")); err != nil {
		t.Fatalf("examples/context.json: %v", err)
	}
}

// TestExampleWalkthrough runs the README's command-line example: the
// example receiver, and the example webhook run against it with the
// example context. The receiver prints the headers it got, the real token
// among them, and the run maps ticket_status.
func TestExampleWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Python receiver")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	receiver := exec.CommandContext(ctx, python, filepath.Join(examplesDir, "receiver.py"), "0")
	out, err := receiver.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := receiver.Start(); err != nil {
		t.Fatal(err)
	}
	defer receiver.Wait()
	defer receiver.Process.Kill()

	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatal("the receiver printed nothing")
	}
	addr, ok := strings.CutPrefix(lines.Text(), "receiver listening on ")
	if !ok {
		t.Fatalf("receiver's first line %q", lines.Text())
	}
	var printed strings.Builder
	var mu sync.Mutex
	go func() {
		for lines.Scan() {
			mu.Lock()
			printed.WriteString(lines.Text() + "\n")
			mu.Unlock()
		}
	}()

	// The definition as shipped, aimed at the port the receiver took.
	def := strings.Replace(string(readExample(t, "ticket-webhook.json")), "127.0.0.1:9999", addr, 1)
	file := writeFile(t, t.TempDir(), "ticket-webhook.json", def)
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"webhook", "run", "--file", file, "--context", filepath.Join(examplesDir, "context.json"), "--allow", "127.0.0.1", "--fail"}, envOf(), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("webhook run: exit %d, stderr %q, stdout %s", code, stderr.String(), stdout.String())
	}
	var res struct {
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Variables["ticket_status"] != "open" || res.Variables["ticket_id"] != float64(388) || res.Variables["http_status"] != float64(200) {
		t.Fatalf("variables = %v", res.Variables)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := printed.String()
		mu.Unlock()
		if strings.Contains(got, "Authorization: Bearer my-helpdesk-token") && strings.Contains(got, "X-Session: 42") &&
			strings.Contains(got, `"reply": "My ticket is \"388\""`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver printed:\n%s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExampleBot: the README's example bot reads as the API reads it and
// compiles once its webhook name is resolved.
func TestExampleBot(t *testing.T) {
	in, err := bot.ParseDocument(hookline.BotSource{Data: readExample(t, "ticket-bot.yaml"), Format: hookline.BotYAML})
	if err != nil {
		t.Fatalf("examples/ticket-bot.yaml: %v", err)
	}
	refs := in.WebhookRefs()
	if len(refs) != 1 || refs[0].Ref.Name != "Ticket status" {
		t.Fatalf("the example bot names %+v, want the example webhook", refs)
	}
	*refs[0].Ref = hookline.BotWebhookRef{ID: 1}
	if _, err := bot.Compile(in.BotDefinition); err != nil {
		t.Fatalf("examples/ticket-bot.yaml: %v", err)
	}
}
