package metrics_test

import (
	"context"
	"errors"
	"github.com/hookline/hookline/metrics/metricstest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/metrics"
)

type fakeQueue struct {
	mu  sync.Mutex
	st  hookline.QueueStats
	err error
}

func (q *fakeQueue) QueueStats(ctx context.Context) (hookline.QueueStats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.st, q.err
}

// scrape and value read /metrics as every test of it does.
var (
	scrape = metricstest.Scrape
	value  = metricstest.Value
)

func serve(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	h, err := edge.NewObserved(nil, m, m.Mount())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSeries feeds every observer and reads the series back: the counters
// by their labels, the histograms' counts, the queue read at scrape time.
func TestSeries(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	q := &fakeQueue{st: hookline.QueueStats{Pending: 7, Sending: 2, OldestDue: now.Add(-90 * time.Second)}}
	m, err := metrics.New(metrics.Config{Queue: q, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m.DeliveryDone(hookline.DeliveryPending, &hookline.DeliveryAttempt{DurationMS: 30})
	m.DeliveryDone(hookline.DeliverySucceeded, &hookline.DeliveryAttempt{DurationMS: 12})
	m.DeliveryDone(hookline.DeliveryCanceled, nil)
	m.WebhookRan("")
	m.WebhookRan(hookline.ErrTimeout)
	m.ObserveRequest("GET /api/v1/webhooks/{id}", 200, time.Millisecond)
	url := serve(t, m)
	_, fams := scrape(t, url, "")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hookline_deliveries_total", []string{"outcome", "retried"}, 1},
		{"hookline_deliveries_total", []string{"outcome", "succeeded"}, 1},
		{"hookline_deliveries_total", []string{"outcome", "canceled"}, 1},
		{"hookline_deliveries_total", []string{"outcome", "failed"}, 0},
		{"hookline_delivery_attempt_duration_seconds", nil, 2},
		{"hookline_webhook_runs_total", []string{"outcome", "ok"}, 1},
		{"hookline_webhook_runs_total", []string{"outcome", "timeout"}, 1},
		{"hookline_webhook_runs_total", []string{"outcome", "dns"}, 0},
		{"hookline_http_requests_total", []string{"route", "GET /api/v1/webhooks/{id}", "status", "200"}, 1},
		{"hookline_http_request_duration_seconds", []string{"route", "GET /api/v1/webhooks/{id}"}, 1},
		{"hookline_delivery_queue_depth", []string{"status", "pending"}, 7},
		{"hookline_delivery_queue_depth", []string{"status", "sending"}, 2},
		{"hookline_delivery_oldest_pending_age_seconds", nil, 90},
	} {
		if got, ok := value(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("the Go runtime's series are missing")
	}
	// The scrape itself was observed, under its pattern.
	_, fams = scrape(t, url, "")
	if got, ok := value(fams, "hookline_http_requests_total", "route", "/metrics", "status", "200"); !ok || got < 1 {
		t.Errorf("the first scrape was not counted: %v", got)
	}

	// Nothing overdue: a lag of 0, not a negative age.
	q.mu.Lock()
	q.st = hookline.QueueStats{Pending: 1, OldestDue: now.Add(time.Hour)}
	q.mu.Unlock()
	_, fams = scrape(t, url, "")
	if got, ok := value(fams, "hookline_delivery_oldest_pending_age_seconds"); !ok || got != 0 {
		t.Errorf("lag with nothing overdue = %v", got)
	}
	// A store that does not answer leaves the queue's series out and
	// serves the others.
	q.mu.Lock()
	q.err = errors.New("database is down")
	q.mu.Unlock()
	status, fams := scrape(t, url, "")
	if _, ok := fams["hookline_delivery_queue_depth"]; status != 200 || ok {
		t.Errorf("scrape with the store down: %d, queue depth present %v", status, ok)
	}
	if _, ok := fams["hookline_deliveries_total"]; !ok {
		t.Error("the store's failure took the other series with it")
	}
}

// TestToken: with a token, /metrics needs it as a bearer token; other
// methods than GET and HEAD are refused in plain text.
func TestToken(t *testing.T) {
	m, err := metrics.New(metrics.Config{Token: "metrics-token-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, m)
	for token, want := range map[string]int{"": 401, "wrong-token": 401, "metrics-token-0123456789": 200} {
		if status, _ := scrape(t, url, token); status != want {
			t.Errorf("token %q: %d, want %d", token, status, want)
		}
	}
	res, err := http.Post(url+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("POST /metrics: %d %v %s", res.StatusCode, res.Header, body)
	}
}

// TestBotSeries: the bot runtime's counters by direction, event and
// outcome; names outside the bounded set are not counted.
func TestBotSeries(t *testing.T) {
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.BotCounted(hookline.BotMetricMessagesIn, 1)
	m.BotCounted(hookline.BotMetricMessagesOut, 3)
	m.BotCounted(hookline.BotMetricSessionsStarted, 1)
	m.BotCounted(hookline.BotMetricSessionsEnded, 2)
	m.BotCounted(hookline.BotMetricWebhookPrefix+"timeout", 1)
	m.BotCounted(hookline.BotMetricWebhookPrefix+"queued", 4)
	m.BotCounted(hookline.BotMetricWebhookPrefix+"made-up", 9)
	m.BotCounted("unknown", 9)
	_, fams := scrape(t, serve(t, m), "")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hookline_bot_messages_total", []string{"direction", "in"}, 1},
		{"hookline_bot_messages_total", []string{"direction", "out"}, 3},
		{"hookline_bot_sessions_total", []string{"event", "started"}, 1},
		{"hookline_bot_sessions_total", []string{"event", "ended"}, 2},
		{"hookline_bot_webhook_calls_total", []string{"outcome", "timeout"}, 1},
		{"hookline_bot_webhook_calls_total", []string{"outcome", "queued"}, 4},
		{"hookline_bot_webhook_calls_total", []string{"outcome", "succeeded"}, 0},
	} {
		if got, ok := value(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := value(fams, "hookline_bot_webhook_calls_total", "outcome", "made-up"); ok {
		t.Error("an outcome outside the set got a series")
	}
}
