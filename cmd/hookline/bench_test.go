package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runAsHookline makes this test binary act as the hookline binary when
// hookline bench re-executes itself (os.Executable) to start the server
// and its peers. The variable's name does not start with HOOKLINE_, so the
// children inherit it.
const runAsHookline = "BENCH_TEST_RUN_AS_HOOKLINE"

func TestMain(m *testing.M) {
	if os.Getenv(runAsHookline) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBenchScenarios runs each scenario end to end for one short round
// with two connections: hookline, the baseline and the receiver start as
// processes, and the report has throughput, sane percentiles, server CPU
// and no failed request.
func TestBenchScenarios(t *testing.T) {
	t.Setenv(runAsHookline, "1")
	for _, name := range []string{"api-get", "webhook-run"} {
		t.Run(name, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "report.json")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"bench", "--scenario", name, "--rounds", "1", "--connections", "2",
				"--duration", "300ms", "--warmup", "100ms", "--server-log-level", "warn", "--json", jsonPath}, os.Getenv, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "verdict: ") || !strings.Contains(stdout.String(), "scenario "+name) {
				t.Fatalf("the table:\n%s", stdout.String())
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			type measurement struct {
				Requests   uint64   `json:"requests"`
				Failed     uint64   `json:"failed"`
				FirstError string   `json:"first_error"`
				Throughput float64  `json:"requests_per_second"`
				P50        float64  `json:"p50_ms"`
				P99        float64  `json:"p99_ms"`
				Max        float64  `json:"max_ms"`
				ServerCPU  *float64 `json:"server_cpu_us_per_request"`
			}
			var report struct {
				Scenario string `json:"scenario"`
				Rounds   []struct {
					Hookline measurement `json:"hookline"`
					Baseline measurement `json:"baseline"`
					Ratio    float64     `json:"ratio"`
				} `json:"rounds"`
				Results struct {
					Verdict string `json:"verdict"`
				} `json:"results"`
			}
			if err := json.Unmarshal(raw, &report); err != nil {
				t.Fatalf("%v in %s", err, raw)
			}
			if report.Scenario != name || len(report.Rounds) != 1 || report.Results.Verdict == "" {
				t.Fatalf("report: %s", raw)
			}
			rd := report.Rounds[0]
			for side, m := range map[string]measurement{"hookline": rd.Hookline, "baseline": rd.Baseline} {
				if m.Requests == 0 || m.Failed != 0 || m.Throughput <= 0 {
					t.Errorf("%s: %d requests, %d failed (%s), %.0f req/s", side, m.Requests, m.Failed, m.FirstError, m.Throughput)
				}
				if m.P50 <= 0 || m.P99 < m.P50 || m.Max < m.P99 || m.P99 > 10000 {
					t.Errorf("%s: p50 %v ms, p99 %v ms, max %v ms", side, m.P50, m.P99, m.Max)
				}
				if m.ServerCPU == nil || *m.ServerCPU < 0 {
					t.Errorf("%s: server CPU per request %v", side, m.ServerCPU)
				}
			}
			if rd.Ratio <= 0 {
				t.Errorf("ratio %v", rd.Ratio)
			}
		})
	}
}

// TestBenchTarget runs webhook-run against a hookline already running
// (here in this process, so --pid is this test's own): the run succeeds
// and leaves no tenant or webhook behind.
func TestBenchTarget(t *testing.T) {
	t.Setenv(runAsHookline, "1")
	token := "bench-target-admin-token-0123"
	m, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token, EgressAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	defer m.Close()
	base := "http://" + m.Addr()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "--scenario", "webhook-run", "--target", base, "--admin-token", token,
		"--pid", strconv.Itoa(os.Getpid()), "--rounds", "1", "--connections", "2", "--duration", "200ms", "--warmup", "0s"},
		os.Getenv, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "hookline at "+base) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String(), "n/a") {
		t.Fatalf("--pid was given, yet a CPU figure is missing:\n%s", stdout.String())
	}
	c := client{t, base}
	if tenants := c.call("GET", "/api/v1/tenants", token, "", 200)["tenants"].([]any); len(tenants) != 0 {
		t.Fatalf("the run left tenants behind: %v", tenants)
	}
	if webhooks := c.call("GET", "/api/v1/webhooks", token, "", 200)["webhooks"].([]any); len(webhooks) != 0 {
		t.Fatalf("the run left webhooks behind: %v", webhooks)
	}
}

// TestBenchUsage checks --list, -h and that bad flags exit 2 with a
// message naming the flag, before anything starts.
func TestBenchUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--list"}, noEnv, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "api-get") || !strings.Contains(stdout.String(), "webhook-run") {
		t.Fatalf("--list: exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"bench", "-h"}, noEnv, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "-connections") || !strings.Contains(stdout.String(), "webhook-run") {
		t.Fatalf("-h: exit %d, %q", code, stdout.String())
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--rounds", "3"}, "--scenario is required"},
		{[]string{"--scenario", "nope"}, `--scenario "nope" is unknown`},
		{[]string{"--scenario", "api-get", "--rounds", "0"}, "--rounds: 0"},
		{[]string{"--scenario", "api-get", "--connections", "x"}, "-connections"},
		{[]string{"--scenario", "api-get", "--duration", "-1s"}, "--duration: -1s"},
		{[]string{"--scenario", "api-get", "--bogus"}, "-bogus"},
		{[]string{"--scenario", "api-get", "--pid", "5"}, "--pid needs --target"},
		{[]string{"--scenario", "api-get", "--target", "http://127.0.0.1:8080"}, "--target needs --admin-token"},
		{[]string{"--scenario", "api-get", "--target", "http://10.0.0.1:8080", "--admin-token", "x"}, "--target: "},
		{[]string{"--scenario", "api-get", "--server-log-level", "loud"}, `--server-log-level "loud"`},
		{[]string{"--scenario", "api-get", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve-peer", "nobody"}, `unknown peer "nobody"`},
		{[]string{"--scenario", "api-get", "--json", filepath.Join(t.TempDir(), "missing", "report.json")}, "--json: "},
	}
	for _, tc := range tests {
		stdout.Reset()
		stderr.Reset()
		code := run(context.Background(), append([]string{"bench"}, tc.args...), noEnv, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("bench %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func noEnv(string) string { return "" }
