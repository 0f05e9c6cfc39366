package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Hidden settings of hookline serve, for the delivery scenarios only:
// they are not in serve's -h, and serve reads them from the environment
// that the bench gives it.
const (
	// EnvHoldDeliveries set to 1 makes serve start its delivery worker
	// only when it receives StartSignal, so that a backlog queued through
	// the API is committed before the clock starts.
	EnvHoldDeliveries = "HOOKLINE_BENCH_HOLD_DELIVERIES"
	// EnvCPUProfile names a file that serve writes its CPU profile to,
	// from its delivery worker's start to its exit.
	EnvCPUProfile = "HOOKLINE_BENCH_CPUPROFILE"
)

// StartSignal starts a held delivery worker.
const StartSignal = syscall.SIGUSR1

// stallTimeout fails a phase in which nothing moved for this long.
const stallTimeout = time.Minute

// pollInterval is how often the bench reads the sink while it waits.
const pollInterval = 10 * time.Millisecond

// Bounds of the delivery scenarios' settings.
const (
	maxBacklog = 10_000_000
	maxKeys    = 1_000_000
	maxNodes   = 16
)

// phaseTimeout bounds each queuing, drain and bare client run.
func (c *Config) phaseTimeout() time.Duration {
	if c.PhaseTimeout > 0 {
		return c.PhaseTimeout
	}
	return time.Minute + time.Duration(c.Backlog)*5*time.Millisecond
}

// checkDeliveries checks the settings of a delivery scenario.
func (c *Config) checkDeliveries(bad func(setting, format string, args ...any)) {
	if c.Backlog < 1 || c.Backlog > maxBacklog {
		bad("Backlog", "%d is not from 1 to %d", c.Backlog, maxBacklog)
	}
	if c.Keys < 1 || c.Keys > maxKeys {
		bad("Keys", "%d is not from 1 to %d", c.Keys, maxKeys)
	}
	if c.Nodes < 1 || c.Nodes > maxNodes {
		bad("Nodes", "%d is not from 1 to %d", c.Nodes, maxNodes)
	} else if c.Nodes > 1 && !isPostgres(environValue(c.Environ, "HOOKLINE_DATABASE_URL")) {
		bad("Nodes", "%d processes need PostgreSQL (HOOKLINE_DATABASE_URL=postgres://...): a SQLite database is served by one process", c.Nodes)
	}
	if c.Workers < 1 || c.Workers > 4096 {
		bad("Workers", "%d is not from 1 to 4096", c.Workers)
	}
	if c.PerTarget < 1 || c.PerTarget > 1024 {
		bad("PerTarget", "%d is not from 1 to 1024", c.PerTarget)
	}
	if c.PhaseTimeout < 0 {
		bad("PhaseTimeout", "%s is negative", c.PhaseTimeout)
	}
	if c.Target != "" {
		bad("Target", "not with a delivery scenario: it starts hookline for each round, with its worker held until the backlog is queued")
	}
}

func isPostgres(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// RunDeliveries runs a delivery scenario. It starts the sink (the
// receiver checking order per key), then in each round measures hookline
// and the bare client one after the other, alternating which goes first.
//
// For hookline, each round starts from an empty store (a fresh data
// directory; on PostgreSQL a fresh schema, with FreshDatabase) and Nodes
// serve processes. The drain queues the backlog through the API with the
// workers held (EnvHoldDeliveries), then sends StartSignal to every node:
// the clock runs from then until the sink has every delivery. The publish
// scenario queues it with the workers running; its clock runs from the
// first request. The bare client posts the same bodies to the same sink;
// its clock runs from its first post to the sink's last delivery.
//
// It stops every process it started before returning, and returns within
// cfg.Bound().
func RunDeliveries(ctx context.Context, cfg Config) (*DeliveryReport, error) {
	if cfg.Scenario.Deliveries == nil {
		return nil, fmt.Errorf("scenario %q is not a delivery scenario: run it with Run", cfg.Scenario.Name)
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Bound())
	defer cancel()
	dir, err := os.MkdirTemp("", "hookline-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r := &runner{cfg: cfg, dir: dir}
	defer r.stopAll()
	return r.runDeliveries(ctx)
}

// storeDescription names the store the nodes run on.
func (r *runner) storeDescription() string {
	if !isPostgres(environValue(r.cfg.Environ, "HOOKLINE_DATABASE_URL")) {
		if environValue(r.cfg.Environ, "HOOKLINE_DATABASE_URL") != "" {
			return "SQLite at HOOKLINE_DATABASE_URL"
		}
		return "SQLite, a fresh data directory per round"
	}
	if r.cfg.FreshDatabase != nil {
		return "PostgreSQL at HOOKLINE_DATABASE_URL, a fresh schema per round"
	}
	return "PostgreSQL at HOOKLINE_DATABASE_URL"
}

func (r *runner) runDeliveries(ctx context.Context) (*DeliveryReport, error) {
	sinkProc, err := r.startPeer(ctx, PeerSink, "")
	if err != nil {
		return nil, err
	}
	sink, err := newSinkClient(sinkProc.URL())
	if err != nil {
		return nil, err
	}
	at := deliveryTarget{sink: sink, sinkURL: sinkProc.URL(), sinkPID: sinkProc.PID()}
	report := newDeliveryReport(r.cfg, r.storeDescription())
	for i := range r.cfg.Rounds {
		// Odd rounds measure hookline first, even ones the bare client.
		order := []string{"hookline", bareClientName}
		if i%2 == 1 {
			order = []string{bareClientName, "hookline"}
		}
		rd := DeliveryRound{Round: i + 1, First: order[0]}
		for _, side := range order {
			var m DeliverySide
			var err error
			if side == "hookline" {
				m, err = r.measureQueue(ctx, i, at)
				rd.Hookline = m
			} else {
				m, err = r.measureBare(ctx, at)
				rd.Baseline = m
			}
			if err != nil {
				return nil, fmt.Errorf("round %d, %s: %w", i+1, side, err)
			}
			r.progress("round %d/%d %-11s %8.0f deliveries/s  %6.2f s  CPU %6.1f µs/delivery%s", i+1, r.cfg.Rounds, side,
				m.PerSecond, m.Seconds, m.CPUMicros, m.notes())
		}
		report.addRound(rd)
	}
	report.summarize()
	return report, nil
}

// deliveryTarget is the sink every round sends to.
type deliveryTarget struct {
	sink    *sinkClient
	sinkURL string
	sinkPID int
}

// usage is what the processes of a measurement used up to a moment.
type usage struct {
	// cpu is the nodes' CPU time in all; rss each node's resident set.
	cpu     time.Duration
	rss     []int64
	sinkCPU time.Duration
}

func sampleUsage(nodes []*process, sinkPID int) (usage, error) {
	var u usage
	for _, n := range nodes {
		c, err := ReadProcessCPU(n.PID())
		if err != nil {
			return u, err
		}
		rss, err := ReadProcessRSS(n.PID())
		if err != nil {
			return u, err
		}
		u.cpu += c.Total()
		u.rss = append(u.rss, rss)
	}
	c, err := ReadProcessCPU(sinkPID)
	if err != nil {
		return u, err
	}
	u.sinkCPU = c.Total()
	return u, nil
}

// measureQueue measures hookline once: fresh store, nodes, webhook,
// backlog, drain.
func (r *runner) measureQueue(ctx context.Context, round int, at deliveryTarget) (side DeliverySide, err error) {
	cfg := r.cfg
	environ := slices.Clone(cfg.Environ)
	if dbURL := environValue(environ, "HOOKLINE_DATABASE_URL"); isPostgres(dbURL) {
		if cfg.FreshDatabase != nil {
			url, drop, err := cfg.FreshDatabase(ctx, dbURL)
			if err != nil {
				return side, fmt.Errorf("a fresh PostgreSQL schema: %w", err)
			}
			// Deferred first, so it runs after the nodes stop.
			defer func() {
				if err := drop(context.WithoutCancel(ctx)); err != nil {
					r.progress("hookline bench: dropping the round's schema: %v", err)
				}
			}()
			environ = withEnv(environ, "HOOKLINE_DATABASE_URL", url)
		}
		if environValue(environ, "HOOKLINE_SECRET_KEY") == "" {
			// Nodes sharing a database must seal with one key; a run of
			// its own may make one up.
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return side, err
			}
			environ = withEnv(environ, "HOOKLINE_SECRET_KEY", base64.StdEncoding.EncodeToString(key))
		}
	}
	token, err := newAdminToken()
	if err != nil {
		return side, err
	}
	env := append(serverEnviron(environ, token),
		"HOOKLINE_DELIVERY_WORKERS="+strconv.Itoa(cfg.Workers), "HOOKLINE_DELIVERY_PER_TARGET="+strconv.Itoa(cfg.PerTarget))
	publish := cfg.Scenario.Deliveries.Publish
	if !publish {
		env = append(env, EnvHoldDeliveries+"=1")
	}
	var nodes []*process
	defer func() {
		for _, n := range nodes {
			if stopErr := n.stop(); stopErr != nil && err == nil {
				err = stopErr
			}
		}
	}()
	for k := range cfg.Nodes {
		nodeEnv := env
		if k == 0 && round == 0 && cfg.CPUProfile != "" {
			nodeEnv = append(slices.Clone(env), EnvCPUProfile+"="+cfg.CPUProfile)
		}
		addr, err := freeLoopbackAddr()
		if err != nil {
			return side, err
		}
		args := append(slices.Clone(cfg.ServeArgs), "--addr", addr,
			"--data", filepath.Join(r.dir, fmt.Sprintf("round-%d", round+1), fmt.Sprintf("node-%d", k+1)), "--log-level", cfg.ServerLogLevel)
		p, err := r.start(ctx, fmt.Sprintf("hookline-round-%d-node-%d", round+1, k+1), args, nodeEnv, addr)
		if err != nil {
			return side, err
		}
		nodes = append(nodes, p)
		if err := waitReady(ctx, p.URL(), p); err != nil {
			return side, err
		}
	}

	api, err := NewAPIClient(nodes[0].URL(), token)
	if err != nil {
		return side, err
	}
	company, err := api.CreateCompany(ctx, fmt.Sprintf("bench %s round %d", cfg.Scenario.Name, round+1))
	if err != nil {
		return side, err
	}
	webhookID, err := api.CreateWebhook(ctx, company.Key, map[string]any{
		"name": "Bench deliveries", "method": "POST", "url": at.sinkURL + deliveryPath, "body": deliveryBodyTemplate,
	})
	if err != nil {
		return side, err
	}
	// Deliveries are signed, as a customer's endpoint would want them.
	var secret struct {
		SigningSecret string `json:"signing_secret"`
	}
	if err := api.Call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/webhooks/%d/signing-secret", webhookID), company.Key, nil, &secret, http.StatusOK); err != nil {
		return side, err
	}
	if !strings.HasPrefix(secret.SigningSecret, "whsec_") {
		return side, fmt.Errorf("the webhook's signing secret does not start with whsec_")
	}
	if err := at.sink.Reset(ctx, cfg.Backlog); err != nil {
		return side, err
	}
	bases := make([]string, len(nodes))
	for i, n := range nodes {
		bases[i] = n.URL()
	}
	pub, err := NewPublisher(PublishConfig{Bases: bases, WebhookID: webhookID, Key: company.Key, Backlog: cfg.Backlog,
		Keys: cfg.Keys, Connections: cfg.Connections, Timeout: cfg.RequestTimeout})
	if err != nil {
		return side, err
	}

	var before usage
	var began time.Time
	var published PublishResult
	var publishing *running
	if publish {
		if before, err = sampleUsage(nodes, at.sinkPID); err != nil {
			return side, err
		}
		publishing = r.startPublisher(ctx, pub)
		// On an early return the publisher stops too.
		defer func() {
			publishing.cancel()
			publishing.Wait()
		}()
	} else {
		if published, err = r.startPublisher(ctx, pub).Wait(); err != nil {
			return side, err
		}
		st, err := at.sink.Status(ctx)
		if err != nil {
			return side, err
		}
		if st.Received > 0 {
			return side, fmt.Errorf("the held workers sent %d deliveries before the clock started", st.Received)
		}
		if before, err = sampleUsage(nodes, at.sinkPID); err != nil {
			return side, err
		}
		began = time.Now()
		for _, n := range nodes {
			if err := n.cmd.Process.Signal(StartSignal); err != nil {
				return side, fmt.Errorf("starting the worker of %s: %w", n.name, err)
			}
		}
	}
	st, middle, err := r.waitDelivered(ctx, at.sink, nodes, publishing)
	if err != nil {
		return side, err
	}
	after, err := sampleUsage(nodes, at.sinkPID)
	if err != nil {
		return side, err
	}
	if publish {
		// The last answers may come after the last delivery.
		if published, err = publishing.Wait(); err != nil {
			return side, err
		}
		began = published.Started
	}
	side = newDeliverySide(st, time.Duration(st.DoneAt-began.UnixNano()), after.cpu-before.cpu, after.sinkCPU-before.sinkCPU)
	side.QueuedSeconds = published.Seconds()
	side.AcceptedPerSecond = quotient(float64(published.Accepted), published.Seconds())
	for i := range nodes {
		side.RSS = append(side.RSS, RSS{StartMB: mb(before.rss[i]), MiddleMB: mb(middle[i]), EndMB: mb(after.rss[i])})
	}
	return side, nil
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// withEnv is environ with name set to value.
func withEnv(environ []string, name, value string) []string {
	out := slices.DeleteFunc(slices.Clone(environ), func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	return append(out, name+"="+value)
}

// running is a publisher at work in the background.
type running struct {
	done    chan struct{}
	watched chan struct{}
	stalled atomic.Bool
	cancel  context.CancelFunc
	res     PublishResult
	err     error
}

// startPublisher runs pub in the background. The run is cancelled, and
// fails, when nothing was accepted for stallTimeout or the phase's time
// is up.
func (r *runner) startPublisher(ctx context.Context, pub *Publisher) *running {
	ctx, cancel := context.WithTimeoutCause(ctx, r.cfg.phaseTimeout(),
		fmt.Errorf("queuing %d deliveries took more than %s", r.cfg.Backlog, r.cfg.phaseTimeout()))
	p := &running{done: make(chan struct{}), watched: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(p.done)
		p.res, p.err = pub.Run(ctx)
	}()
	go func() {
		defer close(p.watched)
		last, lastAt, lastReport := -1, time.Now(), time.Now()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.done:
				return
			case now := <-tick.C:
				n := pub.Accepted()
				if now.Sub(lastReport) >= 10*time.Second {
					r.progress("  %d of %d queued", n, r.cfg.Backlog)
					lastReport = now
				}
				if n != last {
					last, lastAt = n, now
				} else if now.Sub(lastAt) > stallTimeout {
					p.stalled.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	return p
}

// Wait waits for the publisher's end.
func (p *running) Wait() (PublishResult, error) {
	<-p.done
	<-p.watched
	p.cancel()
	if p.err != nil && p.stalled.Load() {
		return p.res, fmt.Errorf("no delivery was accepted for %s: %w", stallTimeout, p.err)
	}
	return p.res, p.err
}

// Failed returns the publisher's error if it has ended with one.
func (p *running) Failed() error {
	select {
	case <-p.done:
		_, err := p.Wait()
		return err
	default:
		return nil
	}
}

// waitDelivered polls the sink until it has every delivery, and returns
// its status and the nodes' resident sets once half had arrived. It fails
// when a node exits, the sink sees a body it cannot read, nothing arrives
// for stallTimeout or the phase's time is up.
func (r *runner) waitDelivered(ctx context.Context, sink *sinkClient, nodes []*process, pub *running) (SinkStatus, []int64, error) {
	deadline := time.Now().Add(r.cfg.phaseTimeout())
	last, lastAt := -1, time.Now()
	lastReport := time.Now()
	var middle []int64
	for {
		st, err := sink.Status(ctx)
		if err != nil {
			return st, nil, err
		}
		if middle == nil && st.Received >= (st.Want+1)/2 {
			for _, n := range nodes {
				rss, err := ReadProcessRSS(n.PID())
				if err != nil {
					return st, nil, err
				}
				middle = append(middle, rss)
			}
		}
		if st.Done() {
			return st, middle, nil
		}
		if pub != nil {
			if err := pub.Failed(); err != nil {
				return st, nil, err
			}
		}
		if st.Malformed > 0 {
			return st, nil, fmt.Errorf("the receiver got bodies it cannot read: %s", strings.Join(st.Problems, "; "))
		}
		now := time.Now()
		if st.Received != last {
			last, lastAt = st.Received, now
		}
		switch {
		case now.Sub(lastAt) > stallTimeout:
			return st, nil, fmt.Errorf("no delivery arrived for %s: %d of %d", stallTimeout, st.Received, st.Want)
		case now.After(deadline):
			return st, nil, fmt.Errorf("%d of %d deliveries arrived in %s", st.Received, st.Want, r.cfg.phaseTimeout())
		case now.Sub(lastReport) >= 10*time.Second:
			r.progress("  %d of %d delivered", st.Received, st.Want)
			lastReport = now
		}
		for _, n := range nodes {
			select {
			case <-n.exited:
				return st, nil, fmt.Errorf("%s exited while %d of %d deliveries had arrived (%v); its output:\n%s", n.name, st.Received, st.Want, n.waitErr, n.tail())
			default:
			}
		}
		select {
		case <-ctx.Done():
			return st, nil, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// bareClientName is the baseline's name in reports.
const bareClientName = "bare-client"

// measureBare runs the bare client once, as a process of its own, against
// the sink.
func (r *runner) measureBare(ctx context.Context, at deliveryTarget) (DeliverySide, error) {
	cfg := r.cfg
	if err := at.sink.Reset(ctx, cfg.Backlog); err != nil {
		return DeliverySide{}, err
	}
	sinkBefore, err := ReadProcessCPU(at.sinkPID)
	if err != nil {
		return DeliverySide{}, err
	}
	phase, cancel := context.WithTimeout(ctx, cfg.phaseTimeout())
	defer cancel()
	args := append(slices.Clone(cfg.BareClientArgs), "--receiver", at.sinkURL, "--backlog", strconv.Itoa(cfg.Backlog),
		"--keys", strconv.Itoa(cfg.Keys), "--concurrency", strconv.Itoa(cfg.Workers), "--request-timeout", cfg.RequestTimeout.String())
	cmd := exec.CommandContext(phase, cfg.Executable, args...)
	cmd.Env = peerEnviron(cfg.Environ)
	cmd.Dir = r.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if phase.Err() != nil {
			return DeliverySide{}, fmt.Errorf("the bare client did not finish within %s", cfg.phaseTimeout())
		}
		return DeliverySide{}, fmt.Errorf("the bare client: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var res BareClientResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return DeliverySide{}, fmt.Errorf("the bare client's result %q: %w", snippet(stdout.Bytes()), err)
	}
	if res.Failed > 0 {
		return DeliverySide{}, fmt.Errorf("the bare client: %d of %d posts failed, first: %s", res.Failed, res.Posted, res.FirstError)
	}
	st, err := at.sink.Status(ctx)
	if err != nil {
		return DeliverySide{}, err
	}
	if !st.Done() {
		return DeliverySide{}, fmt.Errorf("the bare client posted %d, the receiver has %d of %d", res.Posted, st.Received, st.Want)
	}
	sinkAfter, err := ReadProcessCPU(at.sinkPID)
	if err != nil {
		return DeliverySide{}, err
	}
	clientCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return newDeliverySide(st, time.Duration(st.DoneAt-res.StartedAt), clientCPU, sinkAfter.Total()-sinkBefore.Total()), nil
}
