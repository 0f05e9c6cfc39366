package main

import (
	"fmt"
	"github.com/hookline/hookline/metrics/metricstest"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// scrapeMetrics is metricstest.Scrape.
func scrapeMetrics(t *testing.T, base, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	return metricstest.Scrape(t, base, token)
}

// series returns the value of the family's series with the labels, failing
// the test when there is none.
func series(t *testing.T, families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	v, ok := metricstest.Value(families, name, labels...)
	if !ok {
		t.Fatalf("/metrics lacks %s%v", name, labels)
	}
	return v
}

// TestMetricsEndToEnd scrapes /metrics through the real wiring after a
// webhook run, a failed run and a delivery retried once: each series is
// there with the values these requests imply, and no label holds a path.
func TestMetricsEndToEnd(t *testing.T) {
	token := "configured-admin-token-123"
	var failNext atomic.Bool
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failNext.CompareAndSwap(true, false) {
			// The delivery's first attempt fails, to be retried.
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"ok": true}`)
	}))
	defer rc.Close()
	m, _, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: token,
		EgressAllow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		DeliverySchedule: []time.Duration{50 * time.Millisecond}, DeliveryWorkers: 4, DeliveryPerTarget: 2})
	defer m.Close()
	base := "http://" + m.Addr()
	c := client{t, base}
	company := c.call("POST", "/api/v1/tenants", token, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), token, "", 201)["key"].(string)
	hook := c.call("POST", "/api/v1/webhooks", key, fmt.Sprintf(`{"name": "Events", "method": "POST", "url": %q, "body": "{}"}`, rc.URL+"/events"), 201)
	c.call("POST", fmt.Sprintf("/api/v1/webhooks/%v/run", hook["id"]), key, `{"context": {}}`, 200)
	// A private address the guard refuses: a run that fails, without a
	// connection.
	blocked := c.call("POST", "/api/v1/webhooks/run", key, `{"webhook": {"name": "Blocked", "method": "GET", "url": "http://10.1.2.3/x"}, "context": {}}`, 200)
	if blocked["error"].(map[string]any)["kind"] != "blocked_address" {
		t.Fatalf("the blocked run: %v", blocked)
	}
	failNext.Store(true)
	d := c.call("POST", fmt.Sprintf("/api/v1/webhooks/%v/deliveries", hook["id"]), key, `{"context": {}}`, 202)
	deadline := time.Now().Add(10 * time.Second)
	for c.call("GET", fmt.Sprintf("/api/v1/deliveries/%v", d["id"]), key, "", 200)["status"] != "succeeded" {
		if time.Now().After(deadline) {
			t.Fatal("the delivery did not succeed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.call("GET", "/api/v1/no/such/route/12345", key, "", 404)

	status, fams := scrapeMetrics(t, base, "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics without a token configured: %d", status)
	}
	// The worker records an outcome after its attempt; the API may show
	// the delivery succeeded a moment before the counter moves.
	for series(t, fams, "hookline_deliveries_total", "outcome", "succeeded") < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, fams = scrapeMetrics(t, base, "")
	}
	for _, want := range []struct {
		name   string
		labels []string
		min    float64
		max    float64
	}{
		{"hookline_deliveries_total", []string{"outcome", "succeeded"}, 1, 1},
		{"hookline_deliveries_total", []string{"outcome", "retried"}, 1, 1},
		{"hookline_deliveries_total", []string{"outcome", "failed"}, 0, 0},
		{"hookline_delivery_attempt_duration_seconds", nil, 2, 2},
		{"hookline_webhook_runs_total", []string{"outcome", "ok"}, 1, 1},
		{"hookline_webhook_runs_total", []string{"outcome", "blocked_address"}, 1, 1},
		{"hookline_delivery_queue_depth", []string{"status", "pending"}, 0, 0},
		{"hookline_delivery_queue_depth", []string{"status", "sending"}, 0, 0},
		{"hookline_delivery_oldest_pending_age_seconds", nil, 0, 0},
		{"hookline_http_requests_total", []string{"route", "POST /api/v1/webhooks/{id}/run", "status", "200"}, 1, 1},
		{"hookline_http_requests_total", []string{"route", "POST /api/v1/webhooks/{id}/deliveries", "status", "202"}, 1, 1},
		{"hookline_http_requests_total", []string{"route", "GET /api/v1/deliveries/{id}", "status", "200"}, 1, 1e6},
		{"hookline_http_requests_total", []string{"route", "unmatched", "status", "404"}, 1, 1},
		{"hookline_http_request_duration_seconds", []string{"route", "POST /api/v1/tenants"}, 1, 1},
	} {
		if got := series(t, fams, want.name, want.labels...); got < want.min || got > want.max {
			t.Errorf("%s%v = %v, want from %v to %v", want.name, want.labels, got, want.min, want.max)
		}
	}
	for _, m := range fams["hookline_http_requests_total"].Metric {
		for _, l := range m.Label {
			if strings.Contains(l.GetValue(), "12345") || (l.GetName() == "route" && strings.Contains(l.GetValue(), "/tenants/1")) {
				t.Errorf("a label holds a path: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
}

// TestMetricsToken: with HOOKLINE_METRICS_TOKEN set, /metrics answers 401
// without it (or with another) and 200 with it.
func TestMetricsToken(t *testing.T) {
	metricsToken := "metrics-token-abcdef012345"
	m, logs, _ := startMain(t, Config{DataDir: t.TempDir(), AdminToken: "configured-admin-token-123", MetricsToken: metricsToken})
	defer m.Close()
	base := "http://" + m.Addr()
	for _, c := range []struct {
		token string
		want  int
	}{{"", 401}, {"configured-admin-token-123", 401}, {metricsToken, 200}} {
		if status, fams := scrapeMetrics(t, base, c.token); status != c.want || (c.want == 200 && fams["hookline_deliveries_total"] == nil) {
			t.Errorf("GET /metrics with token %q: %d, want %d", c.token, status, c.want)
		}
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("WWW-Authenticate") == "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") ||
		strings.Contains(string(body), metricsToken) {
		t.Fatalf("401 answer: %v %q", res.Header, body)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), metricsToken) {
		t.Fatal("the metrics token reached the log")
	}
}
