package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startMain starts the real service wiring on a free loopback port.
func startMain(t *testing.T, cfg Config) (*Main, *syncBuffer, *syncBuffer) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	logs, stderr := &syncBuffer{}, &syncBuffer{}
	m := NewMain(cfg, logs, stderr)
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	return m, logs, stderr
}

var keyPattern = regexp.MustCompile(`hl_[A-Za-z0-9_-]{43}`)

type client struct {
	t    *testing.T
	base string
}

func (c client) call(method, path, key, body string, status int) map[string]any {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d; %s", method, path, res.StatusCode, status, raw)
	}
	var v map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			c.t.Fatalf("%s %s: %v in %q", method, path, err, raw)
		}
	}
	return v
}

// TestEndToEnd runs the README's walk-through against the real wiring: the
// admin key printed on first start, an agency, its company, a company key.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	m, logs, stderr := startMain(t, Config{DataDir: dir, LogLevel: slog.LevelInfo})
	admin := keyPattern.FindString(stderr.String())
	if admin == "" {
		t.Fatalf("no admin key printed on first start; stderr: %q", stderr.String())
	}
	if strings.Contains(logs.String(), admin) {
		t.Fatal("the admin key reached the JSON log")
	}
	c := client{t, "http://" + m.Addr()}
	c.call("GET", "/healthz", "", "", 200)
	c.call("GET", "/readyz", "", "", 200)
	c.call("GET", "/api/v1/openapi.json", "", "", 200)
	c.call("GET", "/api/v1/tenants", "", "", 401)

	agency := c.call("POST", "/api/v1/tenants", admin, `{"name": "Acme Agency", "kind": "agency"}`, 201)
	aid := int64(agency["id"].(float64))
	company := c.call("POST", "/api/v1/tenants", admin, fmt.Sprintf(`{"name": "Acme Shop", "kind": "company", "agency_id": %d}`, aid), 201)
	cid := int64(company["id"].(float64))
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%d/keys", cid), admin, "", 201)["key"].(string)
	seen := c.call("GET", "/api/v1/tenants", key, "", 200)["tenants"].([]any)
	if len(seen) != 1 || seen[0].(map[string]any)["name"] != "Acme Shop" {
		t.Fatalf("the company key sees %v", seen)
	}
	c.call("GET", fmt.Sprintf("/api/v1/tenants/%d", aid), key, "", 404)
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, secret := range []string{admin, key} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a key reached the log")
		}
	}

	// A restart keeps the data and the admin key, and prints no new key.
	m2, _, stderr2 := startMain(t, Config{DataDir: dir})
	defer m2.Close()
	if keyPattern.MatchString(stderr2.String()) {
		t.Fatalf("a second start printed a key: %q", stderr2.String())
	}
	c = client{t, "http://" + m2.Addr()}
	if got := c.call("GET", "/api/v1/tenants", admin, "", 200)["tenants"].([]any); len(got) != 2 {
		t.Fatalf("after restart: %v", got)
	}
	c.call("GET", "/api/v1/tenants", key, "", 200)
}

// TestAdminTokenConfigured: with HOOKLINE_ADMIN_TOKEN set, no key is
// generated and the token is the admin key.
func TestAdminTokenConfigured(t *testing.T) {
	token := "configured-admin-token-123"
	m, _, stderr := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token})
	defer m.Close()
	if keyPattern.MatchString(stderr.String()) {
		t.Fatalf("a key was generated although the token is set: %q", stderr.String())
	}
	c := client{t, "http://" + m.Addr()}
	c.call("POST", "/api/v1/tenants", token, `{"name": "A", "kind": "agency"}`, 201)
	c.call("GET", "/api/v1/tenants", token+"x", "", 401)
}

// TestGracefulShutdown: Close waits for a request still being received,
// which then completes; new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	token := "configured-admin-token-123"
	m, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token})
	addr := m.Addr()

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/tenants", pr)
	req.Header.Set("Authorization", "Bearer "+token)
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		res.Body.Close()
		done <- result{status: res.StatusCode}
	}()
	// The request is in flight: its headers are sent, half its body too.
	if _, err := pw.Write([]byte(`{"name": "Slow",`)); err != nil {
		t.Fatal(err)
	}
	// Wait until the server has the request's headers in hand.
	time.Sleep(100 * time.Millisecond)

	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	// The server stops accepting new connections while the request runs.
	deadline := time.Now().Add(2 * time.Second)
	for {
		conn, err := (&http.Client{Timeout: 200 * time.Millisecond}).Get("http://" + addr + "/healthz")
		if err != nil {
			break
		}
		conn.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections while shutting down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before the in-flight request finished", err)
	default:
	}
	if _, err := pw.Write([]byte(` "kind": "agency"}`)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-done
	if r.err != nil || r.status != http.StatusCreated {
		t.Fatalf("in-flight request: status %d, %v; want 201", r.status, r.err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestOpenRefusesChangedSecretKey restarts the service on the same data with
// another HOOKLINE_SECRET_KEY: it must refuse to start, naming the setting,
// rather than fail later on every stored secret.
func TestOpenRefusesChangedSecretKey(t *testing.T) {
	dir := t.TempDir()
	m, _, _ := startMain(t, Config{DataDir: dir, SecretKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataDir: dir, Addr: "127.0.0.1:0", MaxBodyBytes: 1 << 20, ShutdownTimeout: time.Second,
		SecretKey: "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="}
	m = NewMain(cfg, &syncBuffer{}, &syncBuffer{})
	err := m.Open(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("started with a different secret key")
	}
	if !strings.Contains(err.Error(), "HOOKLINE_SECRET_KEY") {
		t.Fatalf("error %q does not name HOOKLINE_SECRET_KEY", err)
	}
}

// TestPublicURLAndBindFirst: the public URL defaults to http:// and the
// address bound, a configured one is what the API names as its server,
// and a start that cannot bind its port mints no admin key.
func TestPublicURLAndBindFirst(t *testing.T) {
	dir := t.TempDir()
	m, _, _ := startMain(t, Config{DataDir: dir})
	if m.PublicURL() != "http://"+m.Addr() {
		t.Fatalf("default public URL %q for %s", m.PublicURL(), m.Addr())
	}
	taken := m.Addr()
	m.Close()

	// A second service on an address in use: one clear error, no key.
	busy, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: "operator-token-0123456789"})
	defer busy.Close()
	other := t.TempDir()
	stderr := &syncBuffer{}
	m2 := NewMain(Config{Addr: busy.Addr(), DataDir: other, MaxBodyBytes: 1 << 20, ShutdownTimeout: time.Second}, io.Discard, stderr)
	err := m2.Open(context.Background())
	m2.Close()
	if err == nil || err.Error() != "cannot listen on "+busy.Addr()+": the address is already in use (another hookline, or another program); stop it or choose another address with --addr or HOOKLINE_ADDR" {
		t.Fatalf("open on a busy port: %v", err)
	}
	if keyPattern.MatchString(stderr.String()) {
		t.Fatal("a start that could not listen printed an admin key")
	}
	if entries, _ := os.ReadDir(other); len(entries) != 0 {
		t.Fatalf("a start that could not listen left %d files in the data directory", len(entries))
	}

	m3, _, _ := startMain(t, Config{DataDir: dir, PublicURL: "https://hooks.example.com"})
	defer m3.Close()
	doc := client{t, "http://" + m3.Addr()}.call("GET", "/api/v1/openapi.json", "", "", http.StatusOK)
	servers, _ := doc["servers"].([]any)
	if len(servers) != 1 || servers[0].(map[string]any)["url"] != "https://hooks.example.com" || m3.PublicURL() != "https://hooks.example.com" {
		t.Fatalf("servers = %v (was %s)", doc["servers"], taken)
	}
}

// TestSecondServeOnOneSQLiteRefused: the SQLite queue's leases live in the
// serving process, so a second server on the same data directory refuses
// to start, and starts once the first has stopped.
func TestSecondServeOnOneSQLiteRefused(t *testing.T) {
	dir := t.TempDir()
	first, _, _ := startMain(t, Config{DataDir: dir})
	cfg := Config{DataDir: dir, Addr: "127.0.0.1:0", MaxBodyBytes: 1 << 20, ShutdownTimeout: time.Second}
	second := NewMain(cfg, &syncBuffer{}, &syncBuffer{})
	err := second.Open(context.Background())
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second server started on a SQLite data directory already served")
	}
	if !strings.Contains(err.Error(), "another hookline process") {
		t.Fatalf("error %q does not say another process serves it", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, _, _ := startMain(t, Config{DataDir: dir})
	if err := third.Close(); err != nil {
		t.Fatal(err)
	}
}
