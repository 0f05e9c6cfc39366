package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookline/hookline/load"
	"github.com/hookline/hookline/sqlstore/pgtest"
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

// deliveryRun is what TestBenchDeliveryScenarios reads of a delivery
// scenario's JSON report.
type deliveryRun struct {
	Scenario string `json:"scenario"`
	Nodes    int    `json:"nodes"`
	Rounds   []struct {
		First    string `json:"first"`
		Hookline struct {
			Deliveries int     `json:"deliveries"`
			PerSecond  float64 `json:"deliveries_per_second"`
			Accepted   float64 `json:"accepted_per_second"`
			OutOfOrder int     `json:"out_of_order"`
			Gaps       int     `json:"gaps"`
			CPU        float64 `json:"cpu_us_per_delivery"`
			RSS        []struct {
				Start  float64 `json:"start_mb"`
				Middle float64 `json:"middle_mb"`
				End    float64 `json:"end_mb"`
			} `json:"rss"`
		} `json:"hookline"`
		Baseline struct {
			Deliveries int     `json:"deliveries"`
			PerSecond  float64 `json:"deliveries_per_second"`
			OutOfOrder int     `json:"out_of_order"`
		} `json:"baseline"`
		Ratio float64 `json:"ratio"`
	} `json:"rounds"`
	Results struct {
		Verdict string `json:"verdict"`
	} `json:"results"`
}

// TestBenchDeliveryScenarios runs the drain and the publish scenarios end
// to end with a small backlog for two rounds (each side goes first once):
// serve, the receiver and the bare client run as processes; every
// delivery arrives once, in order per key, on both sides; serve's CPU and
// memory are measured; the drain writes serve's CPU profile. With
// HOOKLINE_TEST_POSTGRES_URL set, the drain runs on two PostgreSQL nodes
// too.
func TestBenchDeliveryScenarios(t *testing.T) {
	t.Setenv(runAsHookline, "1")
	type benchRun struct {
		name, scenario string
		nodes          int
		env            map[string]string
	}
	runs := []benchRun{{"drain", "delivery-drain", 1, nil}, {"publish", "delivery-publish", 1, nil}}
	if pgtest.Available() {
		runs = append(runs, benchRun{"drain on two PostgreSQL nodes", "delivery-drain", 2, map[string]string{"HOOKLINE_DATABASE_URL": os.Getenv(pgtest.EnvURL)}})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			for k, v := range r.env {
				t.Setenv(k, v)
			}
			dir := t.TempDir()
			jsonPath, profile := filepath.Join(dir, "report.json"), filepath.Join(dir, "cpu.pprof")
			args := []string{"bench", "--scenario", r.scenario, "--rounds", "2", "--backlog", "300", "--keys", "40",
				"--connections", "4", "--workers", "8", "--nodes", strconv.Itoa(r.nodes), "--server-log-level", "warn", "--json", jsonPath}
			if r.scenario == "delivery-drain" {
				args = append(args, "--cpuprofile", profile)
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args, os.Getenv, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			for _, want := range []string{"scenario " + r.scenario, "verdict: ", "order per key held", "bare-client"} {
				if !strings.Contains(stdout.String(), want) {
					t.Fatalf("the table lacks %q:\n%s", want, stdout.String())
				}
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var report deliveryRun
			if err := json.Unmarshal(raw, &report); err != nil {
				t.Fatalf("%v in %s", err, raw)
			}
			if report.Scenario != r.scenario || report.Nodes != r.nodes || len(report.Rounds) != 2 ||
				report.Rounds[0].First != "hookline" || report.Rounds[1].First != "bare-client" {
				t.Fatalf("report: %s", raw)
			}
			for i, rd := range report.Rounds {
				h, b := rd.Hookline, rd.Baseline
				if h.Deliveries != 300 || h.OutOfOrder+h.Gaps != 0 || h.PerSecond <= 0 || h.CPU <= 0 || len(h.RSS) != r.nodes {
					t.Errorf("round %d hookline: %+v", i+1, h)
				}
				for _, m := range h.RSS {
					if m.Start < 1 || m.Middle < 1 || m.End < 1 || m.End > 1024 {
						t.Errorf("round %d RSS %+v MB", i+1, m)
					}
				}
				if r.scenario == "delivery-publish" && h.Accepted <= 0 {
					t.Errorf("round %d: no accepted/s: %+v", i+1, h)
				}
				if b.Deliveries != 300 || b.OutOfOrder != 0 || b.PerSecond <= 0 || rd.Ratio <= 0 {
					t.Errorf("round %d bare client: %+v, ratio %v", i+1, b, rd.Ratio)
				}
			}
			if r.scenario == "delivery-drain" {
				if info, err := os.Stat(profile); err != nil || info.Size() == 0 {
					t.Errorf("serve's CPU profile: %v, %v", info, err)
				}
			}
		})
	}
}

// TestBenchBotSync runs bot-sync end to end, tiny: one round, two
// connections, 50 users among 200 sessions stored before the load, and a
// paced round at half the peak. hookline answers every message with the
// bot's greeting, as the bare hook server does; with
// HOOKLINE_TEST_POSTGRES_URL set, it runs on a schema of its own too.
func TestBenchBotSync(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve and the peers as processes")
	}
	t.Setenv(runAsHookline, "1")
	stores := map[string]string{"SQLite": ""}
	if pgtest.Available() {
		stores["PostgreSQL"] = os.Getenv(pgtest.EnvURL)
	}
	for name, dbURL := range stores {
		t.Run(name, func(t *testing.T) {
			if dbURL != "" {
				t.Setenv("HOOKLINE_DATABASE_URL", dbURL)
			}
			jsonPath := filepath.Join(t.TempDir(), "report.json")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"bench", "--scenario", "bot-sync", "--rounds", "1", "--connections", "2",
				"--duration", "400ms", "--warmup", "100ms", "--sessions", "50", "--stored-sessions", "200", "--paced", "0.5",
				"--server-log-level", "warn", "--json", jsonPath}, os.Getenv, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			for _, want := range []string{"scenario bot-sync", "50 users taking turns; 200 open sessions stored before the load", "paced rounds: both targets at",
				"hookline / bare-hook throughput", "verdict: "} {
				if !strings.Contains(stdout.String(), want) {
					t.Fatalf("the table lacks %q:\n%s", want, stdout.String())
				}
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			type measurement struct {
				Requests   uint64  `json:"requests"`
				Failed     uint64  `json:"failed"`
				FirstError string  `json:"first_error"`
				Scheduled  uint64  `json:"scheduled"`
				P99        float64 `json:"p99_ms"`
			}
			type round struct {
				Hookline measurement `json:"hookline"`
				Baseline measurement `json:"baseline"`
			}
			var report struct {
				FloorPerSecond float64 `json:"floor_per_second"`
				StoredSessions int     `json:"stored_sessions"`
				Rounds         []round `json:"rounds"`
				Paced          struct {
					Rate   float64 `json:"requests_per_second"`
					Rounds []round `json:"rounds"`
				} `json:"paced"`
			}
			if err := json.Unmarshal(raw, &report); err != nil {
				t.Fatalf("%v in %s", err, raw)
			}
			if report.FloorPerSecond != 10000 || report.StoredSessions != 200 || len(report.Rounds) != 1 || len(report.Paced.Rounds) != 1 || report.Paced.Rate <= 0 {
				t.Fatalf("report: %s", raw)
			}
			for _, rd := range append(report.Rounds, report.Paced.Rounds...) {
				for side, m := range map[string]measurement{"hookline": rd.Hookline, "bare-hook": rd.Baseline} {
					if m.Requests == 0 || m.Failed != 0 || m.P99 <= 0 {
						t.Errorf("%s: %d requests, %d failed (%s), p99 %v ms", side, m.Requests, m.Failed, m.FirstError, m.P99)
					}
				}
			}
			if p := report.Paced.Rounds[0].Hookline; p.Scheduled == 0 || p.Requests != p.Scheduled {
				t.Errorf("paced: %d of %d scheduled requests sent", p.Requests, p.Scheduled)
			}
		})
	}
}

// TestBenchProviderSMS runs provider-sms end to end, tiny: 300 SMS from 40
// contacts over two rounds (each side goes first once); every MESSAGE
// event arrives once, signed, in order per chat, and the four ended chats'
// END events after them; delivery-publish delivers the same backlog.
func TestBenchProviderSMS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve and the peers as processes")
	}
	t.Setenv(runAsHookline, "1")
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "--scenario", "provider-sms", "--rounds", "2", "--backlog", "300", "--keys", "40",
		"--connections", "4", "--workers", "8", "--server-log-level", "warn", "--json", jsonPath}, os.Getenv, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"scenario provider-sms", "messages/s", "hookline / delivery-publish", "order per key held", "verdict: "} {
		if !strings.Contains(stdout.String(), want) {
			t.Fatalf("the table lacks %q:\n%s", want, stdout.String())
		}
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Baseline string `json:"baseline"`
		Unit     string `json:"unit"`
		Rounds   []struct {
			First    string `json:"first"`
			Hookline struct {
				Deliveries int     `json:"deliveries"`
				PerSecond  float64 `json:"deliveries_per_second"`
				OutOfOrder int     `json:"out_of_order"`
				Gaps       int     `json:"gaps"`
				Ends       int     `json:"ends"`
				Unsigned   int     `json:"unsigned"`
			} `json:"hookline"`
			Baseline struct {
				Deliveries int `json:"deliveries"`
				OutOfOrder int `json:"out_of_order"`
			} `json:"baseline"`
		} `json:"rounds"`
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	if report.Baseline != "delivery-publish" || report.Unit != "messages" || len(report.Rounds) != 2 ||
		report.Rounds[0].First != "hookline" || report.Rounds[1].First != "delivery-publish" {
		t.Fatalf("report: %s", raw)
	}
	for i, rd := range report.Rounds {
		h := rd.Hookline
		if h.Deliveries != 300 || h.Ends != 4 || h.OutOfOrder+h.Gaps+h.Unsigned != 0 || h.PerSecond <= 0 {
			t.Errorf("round %d hookline: %+v", i+1, h)
		}
		if rd.Baseline.Deliveries != 300 || rd.Baseline.OutOfOrder != 0 {
			t.Errorf("round %d delivery-publish: %+v", i+1, rd.Baseline)
		}
	}
}

// TestFreshPostgresSchema makes a round's schema, checks that the URL
// selects it, and drops it.
func TestFreshPostgresSchema(t *testing.T) {
	if !pgtest.Available() {
		t.Skipf("%s is not set", pgtest.EnvURL)
	}
	ctx := context.Background()
	base := os.Getenv(pgtest.EnvURL)
	url, drop, err := freshPostgresSchema(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil || !strings.HasPrefix(schema, "hl_bench_") {
		t.Fatalf("current schema %q, %v", schema, err)
	}
	if err := drop(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d schemas named %s after the drop, %v", n, schema, err)
	}
	if _, _, err := freshPostgresSchema(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"); err == nil {
		t.Fatal("a schema was made on a server that does not listen")
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
		{[]string{"--scenario", "api-get", "--backlog", "10"}, "--backlog applies to the delivery scenarios only"},
		{[]string{"--scenario", "webhook-run", "--nodes", "3"}, "--nodes applies to the delivery scenarios only"},
		{[]string{"--scenario", "delivery-drain", "--duration", "1s"}, "--duration does not apply to a delivery scenario"},
		{[]string{"--scenario", "delivery-drain", "--target", "http://127.0.0.1:8080"}, "--target does not apply to a delivery scenario"},
		{[]string{"--scenario", "delivery-drain", "--backlog", "0"}, "--backlog: 0 is not from 1"},
		{[]string{"--scenario", "delivery-drain", "--nodes", "3"}, "--nodes: 3 processes need PostgreSQL"},
		{[]string{"--scenario", "delivery-publish", "--workers", "0", "--per-target", "0"}, "--per-target: 0"},
		{[]string{"--scenario", "api-get", "--sessions", "10"}, "--sessions applies to bot-sync only"},
		{[]string{"--scenario", "provider-sms", "--stored-sessions", "10"}, "--stored-sessions applies to bot-sync only"},
		{[]string{"--scenario", "bot-sync", "--paced", "2"}, "--paced: 2 is not a share"},
		{[]string{"--scenario", "provider-sms", "--paced", "0.5"}, "--paced does not apply to a delivery scenario"},
		{[]string{"--scenario", "bot-sync", "--stored-sessions", "-1"}, "--stored-sessions: -1"},
		{[]string{"--scenario", "bot-sync", "--cpuprofile", "x", "--target", "http://127.0.0.1:8080", "--admin-token", "x"}, "--cpuprofile applies to a started hookline"},
		{[]string{"bare-client", "--receiver", "http://127.0.0.1:9", "extra"}, `unexpected argument "extra"`},
		{[]string{"bare-client", "--backlog", "x"}, "-backlog"},
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

// TestBenchBareClient runs the delivery scenarios' baseline as bench runs
// it: its result is JSON on stdout, and a remote receiver is refused.
func TestBenchBareClient(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"bench", "bare-client", "--receiver", "http://10.0.0.1:80"}, noEnv, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "127.0.0.0/8") {
		t.Fatalf("a remote receiver: exit %d, %q", code, stderr.String())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"bench", "bare-client", "--receiver", srv.URL, "--backlog", "50", "--keys", "5", "--concurrency", "2"}, noEnv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res load.BareClientResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || res.Posted != 50 || res.Failed != 0 || res.StartedAt == 0 {
		t.Fatalf("result %s: %+v, %v", stdout.String(), res, err)
	}
}

func noEnv(string) string { return "" }

// TestBenchPerTarget: the delivery scenarios' per-target limit never binds
// unless given, however many nodes share the queue.
func TestBenchPerTarget(t *testing.T) {
	for _, c := range []struct{ given, workers, nodes, want int }{
		{0, 64, 1, 128},
		{0, 64, 3, 384},
		{0, 1000, 1, 1024},
		{8, 64, 3, 8},
	} {
		if got := benchPerTarget(c.given, c.workers, c.nodes); got != c.want {
			t.Errorf("benchPerTarget(%d, %d, %d) = %d, want %d", c.given, c.workers, c.nodes, got, c.want)
		}
	}
}
