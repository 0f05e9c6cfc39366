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

	// Sessions is the number of users the requests of a scenario with
	// sessions (bot-sync) take turns between. StoredSessions, when not 0,
	// is the number of open sessions stored before the load (with
	// FillSessions), the first Sessions of them the load's own users.
	Sessions, StoredSessions int
	// FillSessions stores a scenario's sessions straight into the started
	// hookline's store (HOOKLINE_DATABASE_URL, else the SQLite database
	// of dataDir), while that hookline is idle.
	FillSessions func(ctx context.Context, databaseURL, dataDir string, fill SessionFill) error
	// Paced, when not 0, adds as many open-loop rounds after the others,
	// each target driven at Paced times hookline's median throughput (see
	// Generator.Pace): the latency at that share of the peak.
	Paced float64

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
	// CPUProfile, when set, is the file the started hookline writes its
	// CPU profile to, from its start to its exit; in a delivery scenario,
	// the first node's in the first round, from its worker's start.
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
	if c.Scenario.Deliveries == nil && c.Scenario.Setup != nil {
		c.checkSessions(bad)
	}
	return errors.Join(errs...)
}

// Bounds of the sessions settings.
const (
	maxSessions       = 10_000_000
	maxStoredSessions = 10_000_000
)

// checkSessions checks the settings of a request scenario's sessions and
// paced rounds.
func (c *Config) checkSessions(bad func(setting, format string, args ...any)) {
	if c.Sessions < 0 || c.Sessions > maxSessions {
		bad("Sessions", "%d is not from 1 to %d", c.Sessions, maxSessions)
	}
	if c.StoredSessions < 0 || c.StoredSessions > maxStoredSessions {
		bad("StoredSessions", "%d is not from 0 to %d", c.StoredSessions, maxStoredSessions)
	}
	if c.StoredSessions > 0 {
		switch {
		case c.Target != "":
			bad("StoredSessions", "not with a target: the sessions are stored into the store of a hookline the bench starts")
		case c.FillSessions == nil:
			bad("StoredSessions", "this command cannot store sessions")
		}
	}
	if c.Paced < 0 || c.Paced > 1 {
		bad("Paced", "%v is not a share of the peak from 0 to 1", c.Paced)
	}
}

// sessions is the number of users, 10,000 when not set.
func (c *Config) sessions() int {
	if c.Sessions > 0 {
		return c.Sessions
	}
	return 10000
}

// fillTimeout bounds storing the sessions.
func (c *Config) fillTimeout() time.Duration {
	return 2*time.Minute + time.Duration(c.StoredSessions)*100*time.Microsecond
}

// Bound is the longest a run with this configuration may take: starting
// the processes, then every measurement with its warm-up and the requests
// in flight at its end, with a margin for stopping.
func (c *Config) Bound() time.Duration {
	if d := c.Scenario.Deliveries; d != nil {
		perRound := time.Duration(c.Nodes)*startTimeout + 3*c.phaseTimeout() + time.Minute
		if d.Provider {
			// Two hookline measurements a round (provider messages and
			// delivery-publish), and the END events' wait.
			perRound = 2*perRound + stallTimeout
		}
		return 2*startTimeout + time.Duration(c.Rounds)*perRound + time.Minute
	}
	perMeasurement := c.Warmup + c.Duration + 2*c.RequestTimeout
	measurements := 2 * c.Rounds
	if c.Paced > 0 {
		measurements *= 2
	}
	bound := 4*startTimeout + time.Duration(measurements)*perMeasurement + time.Minute
	if c.StoredSessions > 0 {
		bound += c.fillTimeout()
	}
	return bound
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
	// cleanups run after every process stopped, newest first.
	cleanups []func()
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
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
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

func (r *runner) startPeer(ctx context.Context, peer Peer, receiverURL string, env ...string) (*process, error) {
	args := append(append([]string(nil), r.cfg.PeerArgs...), string(peer), "--addr", "127.0.0.1:0")
	if receiverURL != "" {
		args = append(args, "--receiver", receiverURL)
	}
	return r.start(ctx, string(peer), args, append(peerEnviron(r.cfg.Environ), env...), "")
}

// server is the hookline under load.
type server struct {
	url, adminToken, description string
	pid                          int
	// databaseURL and dataDir are the store of a started hookline.
	databaseURL, dataDir string
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
	environ, store, err := r.freshStore(ctx)
	if err != nil {
		return server{}, err
	}
	dataDir := filepath.Join(r.dir, "data")
	args := append(append([]string(nil), r.cfg.ServeArgs...),
		"--addr", addr, "--data", dataDir, "--log-level", r.cfg.ServerLogLevel)
	env := serverEnviron(environ, token)
	if r.cfg.CPUProfile != "" {
		env = append(env, EnvCPUProfile+"="+r.cfg.CPUProfile)
	}
	p, err := r.start(ctx, "hookline", args, env, addr)
	if err != nil {
		return server{}, err
	}
	if err := waitReady(ctx, p.URL(), p); err != nil {
		return server{}, err
	}
	return server{url: p.URL(), adminToken: token, pid: p.PID(), databaseURL: environValue(environ, "HOOKLINE_DATABASE_URL"), dataDir: dataDir,
		description: fmt.Sprintf("hookline started by the bench (%s, log level %s)", store, r.cfg.ServerLogLevel)}, nil
}

// freshStore returns the environment of a started hookline and describes
// its store: SQLite in the run's directory, or on PostgreSQL a schema of
// the run's own (with FreshDatabase), dropped when the run ends, and a
// secret key made up when none is set.
func (r *runner) freshStore(ctx context.Context) ([]string, string, error) {
	environ := slices.Clone(r.cfg.Environ)
	dbURL := environValue(environ, "HOOKLINE_DATABASE_URL")
	switch {
	case dbURL == "":
		return environ, "SQLite in a fresh temporary directory", nil
	case !isPostgres(dbURL):
		return environ, "SQLite at HOOKLINE_DATABASE_URL", nil
	}
	store := "PostgreSQL at HOOKLINE_DATABASE_URL"
	if r.cfg.FreshDatabase != nil {
		url, drop, err := r.cfg.FreshDatabase(ctx, dbURL)
		if err != nil {
			return nil, "", fmt.Errorf("a fresh PostgreSQL schema: %w", err)
		}
		r.cleanups = append(r.cleanups, func() {
			if err := drop(context.WithoutCancel(ctx)); err != nil {
				r.progress("hookline bench: dropping the run's schema: %v", err)
			}
		})
		environ = withEnv(environ, "HOOKLINE_DATABASE_URL", url)
		store = "PostgreSQL at HOOKLINE_DATABASE_URL, a fresh schema for the run"
	}
	if environValue(environ, "HOOKLINE_SECRET_KEY") == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, "", err
		}
		environ = withEnv(environ, "HOOKLINE_SECRET_KEY", base64.StdEncoding.EncodeToString(key))
	}
	return environ, store, nil
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
	prepared, err := sc.Setup(ctx, SetupEnv{API: api, ReceiverURL: receiverURL, Sessions: r.cfg.sessions()})
	if err != nil {
		return nil, fmt.Errorf("setting up %s: %w", sc.Name, err)
	}
	var filled time.Duration
	if r.cfg.StoredSessions > 0 {
		if filled, err = r.fillSessions(ctx, srv, prepared.Sessions); err != nil {
			return nil, err
		}
	}
	// The baseline starts after the setup, which may give it settings
	// (the bare hook server's credentials).
	baseline, err := r.startPeer(ctx, sc.Baseline, receiverURL, prepared.BaselineEnv...)
	if err != nil {
		return nil, err
	}
	request := prepared.Request
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
	if r.cfg.StoredSessions > 0 {
		report.StoredSessions, report.FillSeconds = r.cfg.StoredSessions, filled.Seconds()
	}
	if prepared.Sessions != nil {
		report.Sessions = r.cfg.sessions()
	}
	for i := range r.cfg.Rounds {
		m, err := r.round(ctx, i, targets, func(g *Generator) *Sample { return g.Drive(ctx, r.cfg.Duration) })
		if err != nil {
			return nil, err
		}
		report.addRound(m.first, m.hookline, m.baseline)
	}
	report.summarize()
	if r.cfg.Paced > 0 {
		rate := r.cfg.Paced * report.Results.Hookline.Throughput.Median
		if rate < 1 {
			return nil, fmt.Errorf("hookline's median throughput (%.1f/s) leaves nothing to pace at %v of it", report.Results.Hookline.Throughput.Median, r.cfg.Paced)
		}
		paced := &PacedReport{Share: r.cfg.Paced, Rate: rate}
		for i := range r.cfg.Rounds {
			m, err := r.round(ctx, i, targets, func(g *Generator) *Sample { return g.Pace(ctx, r.cfg.Duration, rate) })
			if err != nil {
				return nil, err
			}
			paced.addRound(m.first, m.hookline, m.baseline)
		}
		paced.summarize()
		report.Paced = paced
	}
	report.LoadAverage[1] = loadAverage()
	return report, nil
}

// measuredRound is one round's two measurements.
type measuredRound struct {
	first              string
	hookline, baseline Measurement
}

// round measures both targets once with drive, in the order of round i:
// odd rounds measure hookline first, even ones the baseline, so that
// neither always runs on a machine the other has warmed.
func (r *runner) round(ctx context.Context, i int, targets []target, drive func(*Generator) *Sample) (measuredRound, error) {
	order := []int{0, 1}
	if i%2 == 1 {
		order = []int{1, 0}
	}
	var measured [2]Measurement
	for _, k := range order {
		m, err := r.measure(ctx, targets[k], drive)
		if err != nil {
			return measuredRound{}, err
		}
		kind := ""
		if m.Scheduled > 0 {
			kind = "paced "
		}
		r.progress("%s", strings.TrimSpace(fmt.Sprintf("%sround %d/%d %-9s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %s",
			kind, i+1, r.cfg.Rounds, targets[k].role, m.Throughput, m.P50Ms, m.P99Ms, m.failureNote())))
		measured[k] = m
	}
	return measuredRound{first: targets[order[0]].role, hookline: measured[0], baseline: measured[1]}, nil
}

// fillSessions stores the scenario's sessions into the started
// hookline's store, while it is idle, and says how long it took.
func (r *runner) fillSessions(ctx context.Context, srv server, fill *SessionFill) (time.Duration, error) {
	if fill == nil {
		return 0, fmt.Errorf("scenario %s has no sessions to store", r.cfg.Scenario.Name)
	}
	if srv.dataDir == "" {
		return 0, fmt.Errorf("sessions are stored only into a hookline the bench starts")
	}
	f := *fill
	f.Count = r.cfg.StoredSessions
	r.progress("storing %d sessions", f.Count)
	ctx, cancel := context.WithTimeout(ctx, r.cfg.fillTimeout())
	defer cancel()
	began := time.Now()
	if err := r.cfg.FillSessions(ctx, srv.databaseURL, srv.dataDir, f); err != nil {
		return 0, fmt.Errorf("storing %d sessions: %w", f.Count, err)
	}
	took := time.Since(began)
	r.progress("stored %d sessions in %.1f s", f.Count, took.Seconds())
	return took, nil
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

// measure warms the target up, then drives it with drive, reading the CPU
// time of the server and of this process around it.
func (r *runner) measure(ctx context.Context, t target, drive func(*Generator) *Sample) (Measurement, error) {
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
	s := drive(g)
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
