// Package metrics serves hookline's metrics at /metrics in the Prometheus
// text format, with the Prometheus client library. Metrics implements the
// observers of the edge (requests), the webhook executor (runs), the
// delivery worker (outcomes and attempts) and the bot runtime (messages,
// sessions, webhook calls), and reads the queue's depth from
// the store at scrape time. Every process has its own registry, passed
// explicitly: nothing is registered globally or at init.
//
// No label takes unbounded values: routes are ServeMux patterns, statuses
// and outcomes are enumerations, and nothing is labelled by target,
// tenant, bot or channel (those are in the API: a target's failures, a
// bot's traffic per channel and hour).
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/edge"
)

// Pattern is where cmd/hookline mounts the metrics.
const Pattern = "/metrics"

// scrapeTimeout bounds the store queries of one scrape.
const scrapeTimeout = 5 * time.Second

// Config configures Metrics.
type Config struct {
	// Queue, if not nil, is read at every scrape for the delivery queue's
	// depth and the age of its most overdue delivery.
	Queue hookline.DeliveryStatsStore
	// Token, if not empty, is the bearer token /metrics requires; empty,
	// /metrics is open like /healthz.
	Token  string
	Logger *slog.Logger
	// Now is the clock the queue's lag is measured on (time.Now if nil).
	Now func() time.Time
}

// Metrics holds one process's registry and its series. It is safe for
// concurrent use.
type Metrics struct {
	reg             *prometheus.Registry
	handler         http.Handler
	token           [sha256.Size]byte
	tokenSet        bool
	deliveries      *prometheus.CounterVec
	attempts        prometheus.Histogram
	runs            *prometheus.CounterVec
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	botMessages     *prometheus.CounterVec
	botSessions     *prometheus.CounterVec
	botWebhooks     *prometheus.CounterVec
}

// deliveryOutcomes labels the statuses a recorded outcome leaves a
// delivery in: pending means it will be tried again.
var deliveryOutcomes = map[hookline.DeliveryStatus]string{
	hookline.DeliveryPending:   "retried",
	hookline.DeliverySucceeded: "succeeded",
	hookline.DeliveryFailed:    "failed",
	hookline.DeliveryCanceled:  "canceled",
}

// runOutcomes are the outcomes of a webhook run: ok, or its error's kind.
// They are created at zero, so that a rate over them exists before the
// first failure.
var runOutcomes = []hookline.WebhookErrorKind{
	"ok", hookline.ErrTimeout, hookline.ErrConnection, hookline.ErrDNS, hookline.ErrTLS,
	hookline.ErrBlockedAddress, hookline.ErrHTTPStatus, hookline.ErrInvalidResponse, hookline.ErrRender,
}

// botWebhookOutcomes are the outcomes of a bot's webhook calls: sync
// ones succeeded or the kind of their error (failed when there is none),
// async ones queued. Any other is not counted, so the label stays bounded.
var botWebhookOutcomes = append([]string{hookline.OutcomeSucceeded, hookline.OutcomeQueued, hookline.OutcomeFailed},
	string(hookline.ErrTimeout), string(hookline.ErrConnection), string(hookline.ErrDNS), string(hookline.ErrTLS),
	string(hookline.ErrBlockedAddress), string(hookline.ErrHTTPStatus), string(hookline.ErrInvalidResponse), string(hookline.ErrRender))

// New returns the metrics of one process, registered on a registry of
// their own with the Go runtime's and the process's.
func New(cfg Config) (*Metrics, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_deliveries_total",
			Help: "Delivery outcomes recorded by this process's worker: succeeded, failed, retried (another attempt is scheduled) or canceled (the target was deleted).",
		}, []string{"outcome"}),
		attempts: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookline_delivery_attempt_duration_seconds",
			Help:    "Duration of each delivery attempt's HTTP exchange, answered or not.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_webhook_runs_total",
			Help: "Webhook runs (Run webhook, the CLI, bots) by outcome: ok, or the kind of the error.",
		}, []string{"outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_http_requests_total",
			Help: "HTTP requests served, by the route pattern that matched (or unmatched) and status code.",
		}, []string{"route", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookline_http_request_duration_seconds",
			Help:    "Duration of HTTP requests, by the route pattern that matched (or unmatched).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		botMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_bot_messages_total",
			Help: "Bot messages handled by this process: in (user messages) and out (messages the bots said). Per bot and channel: GET /api/v1/bots/{id}/metrics.",
		}, []string{"direction"}),
		botSessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_bot_sessions_total",
			Help: "Bot sessions started and ended (at an end module, or idle) by this process.",
		}, []string{"event"}),
		botWebhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_bot_webhook_calls_total",
			Help: "Webhook calls of bots' connections by outcome: succeeded, queued (async), or the kind of the error.",
		}, []string{"outcome"}),
	}
	if cfg.Token != "" {
		m.token, m.tokenSet = sha256.Sum256([]byte(cfg.Token)), true
	}
	for _, outcome := range deliveryOutcomes {
		m.deliveries.WithLabelValues(outcome)
	}
	for _, outcome := range runOutcomes {
		m.runs.WithLabelValues(string(outcome))
	}
	for _, d := range []string{"in", "out"} {
		m.botMessages.WithLabelValues(d)
	}
	for _, e := range []string{"started", "ended"} {
		m.botSessions.WithLabelValues(e)
	}
	for _, outcome := range botWebhookOutcomes {
		m.botWebhooks.WithLabelValues(outcome)
	}
	cs := []prometheus.Collector{
		m.deliveries, m.attempts, m.runs, m.requests, m.requestDuration, m.botMessages, m.botSessions, m.botWebhooks,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	if cfg.Queue != nil {
		cs = append(cs, newQueueCollector(cfg.Queue, now))
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	// A scrape whose queue query fails still serves every other series;
	// the error goes to the log.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
	return m, nil
}

// DeliveryDone counts a delivery outcome and times its attempt; it
// implements delivery.Observer.
func (m *Metrics) DeliveryDone(status hookline.DeliveryStatus, attempt *hookline.DeliveryAttempt) {
	if outcome, ok := deliveryOutcomes[status]; ok {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
	if attempt != nil {
		m.attempts.Observe(attempt.DurationMS / 1000)
	}
}

// WebhookRan counts a webhook run by outcome; it implements
// webhook.Observer.
func (m *Metrics) WebhookRan(kind hookline.WebhookErrorKind) {
	outcome := string(kind)
	if kind == "" {
		outcome = "ok"
	}
	m.runs.WithLabelValues(outcome).Inc()
}

// BotCounted counts what a bot's step or the idle sweep added to a bot's
// hourly counters; it implements bot.Observer.
func (m *Metrics) BotCounted(name string, value int64) {
	v := float64(value)
	switch name {
	case hookline.BotMetricMessagesIn:
		m.botMessages.WithLabelValues("in").Add(v)
	case hookline.BotMetricMessagesOut:
		m.botMessages.WithLabelValues("out").Add(v)
	case hookline.BotMetricSessionsStarted:
		m.botSessions.WithLabelValues("started").Add(v)
	case hookline.BotMetricSessionsEnded:
		m.botSessions.WithLabelValues("ended").Add(v)
	default:
		if outcome, ok := strings.CutPrefix(name, hookline.BotMetricWebhookPrefix); ok && slices.Contains(botWebhookOutcomes, outcome) {
			m.botWebhooks.WithLabelValues(outcome).Add(v)
		}
	}
}

// ObserveRequest counts and times a served request; it implements
// edge.Observer.
func (m *Metrics) ObserveRequest(route string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(route).Observe(elapsed.Seconds())
}

// Mount is /metrics as a part of the top-level handler: GET or HEAD, with
// the bearer token when one is configured, errors in plain text.
func (m *Metrics) Mount() edge.Mount {
	return edge.Mount{Pattern: Pattern, Handler: http.HandlerFunc(m.serve), RenderError: renderError}
}

func (m *Metrics) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plainError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s; use GET", r.Method, Pattern))
		return
	}
	if m.tokenSet && !m.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookline metrics"`)
		plainError(w, http.StatusUnauthorized, "send Authorization: Bearer <HOOKLINE_METRICS_TOKEN>")
		return
	}
	m.handler.ServeHTTP(w, r)
}

// authorized compares the request's bearer token with the configured one
// in constant time: both are hashed first, so that neither the content nor
// the length of the token shows in the time taken.
func (m *Metrics) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], m.token[:]) == 1
}

// renderError answers a panic while serving /metrics: plain text, with
// the request id that finds the details in the log.
func renderError(w http.ResponseWriter, r *http.Request, err error) {
	plainError(w, http.StatusInternalServerError, "internal error; request id "+edge.RequestID(r.Context()))
}

func plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d %s: %s\n", status, strings.ToLower(http.StatusText(status)), msg)
}

// queueCollector reads the delivery queue from the store at each scrape:
// the queue is shared by every process on the database, so a gauge kept
// in one process's memory would be wrong as soon as another one worked.
type queueCollector struct {
	store hookline.DeliveryStatsStore
	now   func() time.Time
	depth *prometheus.Desc
	lag   *prometheus.Desc
}

func newQueueCollector(store hookline.DeliveryStatsStore, now func() time.Time) *queueCollector {
	return &queueCollector{
		store: store, now: now,
		depth: prometheus.NewDesc("hookline_delivery_queue_depth",
			"Deliveries in the queue (the whole database's, the same from every process), by status: pending (waiting for an attempt, due or not) or sending.",
			[]string{"status"}, nil),
		lag: prometheus.NewDesc("hookline_delivery_oldest_pending_age_seconds",
			"How long the most overdue pending delivery has been due: 0 when none is overdue. It grows while workers are short or an ordering key is held up.",
			nil, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.lag
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.store.QueueStats(ctx)
	if err != nil {
		err = fmt.Errorf("read the delivery queue: %w", err)
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		ch <- prometheus.NewInvalidMetric(c.lag, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(st.Pending), string(hookline.DeliveryPending))
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(st.Sending), string(hookline.DeliverySending))
	lag := 0.0
	if !st.OldestDue.IsZero() {
		lag = max(0, c.now().Sub(st.OldestDue).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag)
}
