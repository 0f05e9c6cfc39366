package load

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config says what a run measures and how.
type Config struct {
	Scenario    Scenario
	Rounds      int
	Connections int
	// Duration is the measured time of each target in each round, after
	// Warmup, whose requests are not counted.
	Duration, Warmup time.Duration
	// RequestTimeout bounds how long a request may still run after its
	// measurement's time is up.
	RequestTimeout time.Duration

	// Executable is the hookline binary, started for the server (with
	// ServeArgs) and for the peers (with PeerArgs and the peer's flags).
	Executable string
	ServeArgs  []string
	PeerArgs   []string
	// Environ is the environment the children start from (os.Environ()).
	// Of its HOOKLINE_* variables only HOOKLINE_DATABASE_URL and
	// HOOKLINE_SECRET_KEY reach the started hookline, so that its other
	// settings are the run's own.
	Environ []string
	// ServerLogLevel is the started hookline's --log-level.
	ServerLogLevel string

	// Target, when set, is the base URL of a hookline already running,
	// with AdminToken, instead of one started for the run; PID is its
	// process id, for server CPU (0: not measured).
	Target     string
	AdminToken string
	PID        int

	// The delivery scenarios' settings (see RunDeliveries).
	//
	// Backlog is the number of deliveries of each round, over Keys
	// ordering keys. Nodes is the number of serve processes sharing the
	// queue (more than one needs PostgreSQL). Workers and PerTarget are
	// their HOOKLINE_DELIVERY_WORKERS and HOOKLINE_DELIVERY_PER_TARGET;
	// Workers is the bare client's concurrency too. PhaseTimeout bounds
	// each queuing, drain and bare client run (0: a minute plus 5 ms per
	// delivery); one that makes no progress for StallTimeout fails.
	Backlog, Keys, Nodes, Workers, PerTarget int
	PhaseTimeout                             time.Duration
	// FreshDatabase, when not nil and HOOKLINE_DATABASE_URL names
	// PostgreSQL, makes an empty schema for a round and returns the URL
	// that selects it and how to drop it: every round starts from an empty
	// queue, as on SQLite, where each round has a data directory of its own.
	FreshDatabase func(ctx context.Context, databaseURL string) (url string, drop func(context.Context) error, err error)
	// BareClientArgs run the bare client: Executable with these, then its
	// flags (see RunBareClient).
	BareClientArgs []string
	// CPUProfile, when set, is the file the first node writes its CPU
	// profile to, in the first round, from its worker's start to its exit.
	CPUProfile string

	// Progress receives a line per step and measurement; nil is silent.
	Progress io.Writer
}

// SettingError is a Config value out of range. Setting is the field's
// name, so that a command can name its own flag for it.
type SettingError struct {
	Setting string
	Problem string
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Problem }

// Check validates the configuration. The error joins one *SettingError per
// bad value.
func (c *Config) Check() error {
	var errs []error
	bad := func(setting, format string, args ...any) {
		errs = append(errs, &SettingError{Setting: setting, Problem: fmt.Sprintf(format, args...)})
	}
	if c.Scenario.Setup == nil && c.Scenario.Deliveries == nil {
		bad("Scenario", "none chosen")
	}
	if c.Scenario.Deliveries != nil {
		c.checkDeliveries(bad)
	}
	if c.Rounds < 1 || c.Rounds > 100 {
		bad("Rounds", "%d is not from 1 to 100", c.Rounds)
	}
	if c.Connections < 1 || c.Connections > 1024 {
		bad("Connections", "%d is not from 1 to 1024", c.Connections)
	}
	if c.Duration <= 0 || c.Duration > 10*time.Minute {
		bad("Duration", "%s is not more than 0 and at most 10m", c.Duration)
	}
	if c.Warmup < 0 || c.Warmup > time.Minute {
		bad("Warmup", "%s is not from 0 to 1m", c.Warmup)
	}
	if c.RequestTimeout <= 0 || c.RequestTimeout > time.Minute {
		bad("RequestTimeout", "%s is not more than 0 and at most 1m", c.RequestTimeout)
	}
	if c.Executable == "" {
		bad("Executable", "empty")
	}
	if c.Target != "" {
		if _, err := CheckLoopbackURL(c.Target); err != nil {
			bad("Target", "%v", err)
		}
		if c.AdminToken == "" {
			bad("AdminToken", "required with a target")
		}
	} else if c.PID != 0 {
		bad("PID", "only with a target (a started server's CPU is always measured)")
	}
	if c.PID < 0 {
		bad("PID", "%d is not a process id", c.PID)
	}
	return errors.Join(errs...)
}

// Bound is the longest a run with this configuration may take: starting
// the processes, then every measurement with its warm-up and the requests
// in flight at its end, with a margin for stopping.
func (c *Config) Bound() time.Duration {
	if c.Scenario.Deliveries != nil {
		perRound := time.Duration(c.Nodes)*startTimeout + 3*c.phaseTimeout() + time.Minute
		return 2*startTimeout + time.Duration(c.Rounds)*perRound + time.Minute
	}
	perMeasurement := c.Warmup + c.Duration + 2*c.RequestTimeout
	return 4*startTimeout + time.Duration(2*c.Rounds)*perMeasurement + time.Minute
}

// Run starts the processes, sets the scenario up, measures it and its
// baseline in alternating rounds and returns the report. It stops every
// process it started before returning, and returns within cfg.Bound().
func Run(ctx context.Context, cfg Config) (*Report, error) {
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
	return r.run(ctx)
}

// runner is one run's state: its directory and the children it started.
type runner struct {
	cfg       Config
	dir       string
	processes []*process
}

func (r *runner) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

func (r *runner) stopAll() {
	for i := len(r.processes) - 1; i >= 0; i-- {
		if err := r.processes[i].stop(); err != nil {
			r.progress("hookline bench: %v", err)
		}
	}
}

func (r *runner) start(ctx context.Context, name string, args, env []string, addr string) (*process, error) {
	p, err := startProcess(ctx, r.dir, name, r.cfg.Executable, args, env, addr)
	if err != nil {
		return nil, err
	}
	r.processes = append(r.processes, p)
	r.progress("started %s: pid %d, %s", name, p.PID(), p.URL())
	return p, nil
}

func (r *runner) startPeer(ctx context.Context, peer Peer, receiverURL string) (*process, error) {
	args := append(append([]string(nil), r.cfg.PeerArgs...), string(peer), "--addr", "127.0.0.1:0")
	if receiverURL != "" {
		args = append(args, "--receiver", receiverURL)
	}
	return r.start(ctx, string(peer), args, peerEnviron(r.cfg.Environ), "")
}

// server is the hookline under load.
type server struct {
	url, adminToken, description string
	pid                          int
}

func (r *runner) startServer(ctx context.Context) (server, error) {
	if r.cfg.Target != "" {
		if err := waitReady(ctx, strings.TrimSuffix(r.cfg.Target, "/"), nil); err != nil {
			return server{}, err
		}
		desc := "hookline at " + r.cfg.Target
		if r.cfg.PID == 0 {
			desc += " (no --pid: server CPU not measured)"
		}
		return server{url: strings.TrimSuffix(r.cfg.Target, "/"), adminToken: r.cfg.AdminToken, pid: r.cfg.PID, description: desc}, nil
	}
	token, err := newAdminToken()
	if err != nil {
		return server{}, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return server{}, err
	}
	args := append(append([]string(nil), r.cfg.ServeArgs...),
		"--addr", addr, "--data", filepath.Join(r.dir, "data"), "--log-level", r.cfg.ServerLogLevel)
	p, err := r.start(ctx, "hookline", args, serverEnviron(r.cfg.Environ, token), addr)
	if err != nil {
		return server{}, err
	}
	if err := waitReady(ctx, p.URL(), p); err != nil {
		return server{}, err
	}
	store := "SQLite in a fresh temporary directory"
	if environValue(r.cfg.Environ, "HOOKLINE_DATABASE_URL") != "" {
		store = "HOOKLINE_DATABASE_URL"
	}
	return server{url: p.URL(), adminToken: token, pid: p.PID(),
		description: fmt.Sprintf("hookline started by the bench (%s, log level %s)", store, r.cfg.ServerLogLevel)}, nil
}

func (r *runner) run(ctx context.Context) (*Report, error) {
	sc := r.cfg.Scenario
	var receiverURL string
	if sc.NeedsReceiver {
		receiver, err := r.startPeer(ctx, PeerReceiver, "")
		if err != nil {
			return nil, err
		}
		receiverURL = receiver.URL()
	}
	srv, err := r.startServer(ctx)
	if err != nil {
		return nil, err
	}
	baseline, err := r.startPeer(ctx, sc.Baseline, receiverURL)
	if err != nil {
		return nil, err
	}
	api, err := NewAPIClient(srv.url, srv.adminToken)
	if err != nil {
		return nil, err
	}
	// The scenario's data is deleted after the run, also when it fails:
	// a --target keeps its database, and so does a started hookline on
	// HOOKLINE_DATABASE_URL. The servers stop only after this.
	defer func() {
		if err := api.DeleteCreated(context.WithoutCancel(ctx)); err != nil {
			r.progress("hookline bench: deleting the scenario's data from %s: %v", srv.url, err)
		}
	}()
	request, err := sc.Setup(ctx, SetupEnv{API: api, ReceiverURL: receiverURL})
	if err != nil {
		return nil, fmt.Errorf("setting up %s: %w", sc.Name, err)
	}
	baselineRequest := request
	baselineRequest.Expect = sc.Baseline.expect()

	targets := []target{
		{role: "hookline", url: srv.url, request: request, pid: srv.pid},
		{role: string(sc.Baseline), url: baseline.URL(), request: baselineRequest, pid: baseline.PID()},
	}
	for _, t := range targets {
		if err := r.probe(ctx, t); err != nil {
			return nil, err
		}
	}

	report := newReport(r.cfg, srv.description)
	for i := range r.cfg.Rounds {
		// Odd rounds measure hookline first, even ones the baseline, so
		// that neither always runs on a machine the other has warmed.
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		var measured [2]Measurement
		for _, k := range order {
			m, err := r.measure(ctx, targets[k])
			if err != nil {
				return nil, err
			}
			r.progress("%s", strings.TrimSpace(fmt.Sprintf("round %d/%d %-9s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %s",
				i+1, r.cfg.Rounds, targets[k].role, m.Throughput, m.P50Ms, m.P99Ms, m.failureNote())))
			measured[k] = m
		}
		report.addRound(targets[order[0]].role, measured[0], measured[1])
	}
	report.summarize()
	return report, nil
}

// target is one side of the comparison.
type target struct {
	role    string
	url     string
	request Request
	pid     int
}

// probe sends the request once with one connection, so that a setup
// mistake stops the run with its cause instead of filling it with errors.
func (r *runner) probe(ctx context.Context, t target) error {
	g, err := NewGenerator(t.url, t.request, 1, r.cfg.RequestTimeout)
	if err != nil {
		return err
	}
	defer g.Close()
	s := g.Once(ctx)
	if s.Requests == 0 || s.Failed() > 0 {
		return fmt.Errorf("%s %s%s does not answer as expected: %s", t.request.Method, t.url, t.request.Path, s.FirstError)
	}
	return nil
}

// measure warms the target up, then drives it for the configured duration,
// reading the CPU time of the server and of this process around it.
func (r *runner) measure(ctx context.Context, t target) (Measurement, error) {
	g, err := NewGenerator(t.url, t.request, r.cfg.Connections, r.cfg.RequestTimeout)
	if err != nil {
		return Measurement{}, err
	}
	defer g.Close()
	if r.cfg.Warmup > 0 {
		g.Drive(ctx, r.cfg.Warmup)
	}
	var serverBefore, serverAfter CPUTime
	if t.pid != 0 {
		if serverBefore, err = ReadProcessCPU(t.pid); err != nil {
			return Measurement{}, err
		}
	}
	selfBefore, err := ReadProcessCPU(os.Getpid())
	if err != nil {
		return Measurement{}, err
	}
	s := g.Drive(ctx, r.cfg.Duration)
	if err := ctx.Err(); err != nil {
		return Measurement{}, fmt.Errorf("measuring %s: %w", t.role, err)
	}
	if t.pid != 0 {
		if serverAfter, err = ReadProcessCPU(t.pid); err != nil {
			return Measurement{}, err
		}
	}
	selfAfter, err := ReadProcessCPU(os.Getpid())
	if err != nil {
		return Measurement{}, err
	}
	m := newMeasurement(s, selfAfter.Total()-selfBefore.Total())
	if t.pid != 0 {
		m.setServerCPU(serverAfter.Total() - serverBefore.Total())
	}
	return m, nil
}

// newAdminToken makes the started hookline's admin key: 32 random bytes.
func newAdminToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "bench_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// serverEnviron is environ without HOOKLINE_* settings other than the
// passed-through ones, plus the run's admin token and a loopback egress
// allowance for the receiver.
func serverEnviron(environ []string, adminToken string) []string {
	// The store's settings pass through, so that a run can measure
	// hookline on the database they name.
	env := withoutHooklineSettings(environ, []string{"HOOKLINE_DATABASE_URL", "HOOKLINE_SECRET_KEY"})
	return append(env, "HOOKLINE_ADMIN_TOKEN="+adminToken, "HOOKLINE_EGRESS_ALLOW=127.0.0.1/32")
}

// peerEnviron is environ without any HOOKLINE_* settings.
func peerEnviron(environ []string) []string { return withoutHooklineSettings(environ, nil) }

func withoutHooklineSettings(environ, keep []string) []string {
	var env []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "HOOKLINE_") && !slices.Contains(keep, name) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func environValue(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// machine describes where the run happened, for the report.
func machine() string {
	return fmt.Sprintf("%s, %d CPUs, %s/%s", runtime.Version(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}
