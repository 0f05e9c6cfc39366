package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	// The pgx driver registers itself as "pgx" for database/sql: bench
	// makes a fresh schema for each round of a delivery scenario on
	// PostgreSQL.
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/load"
	"github.com/hookline/hookline/sqlstore"
)

const benchUsage = `usage: hookline bench --scenario NAME [flags]
       hookline bench --list

Drives a scenario against hookline over loopback for a bounded time and
compares it with a bare Go server doing the least work of the same kind,
in alternating rounds: throughput, p50/p99 latency, server CPU per request
(user+system from /proc/<pid>/stat) and hookline/baseline ratios, with
medians across rounds and the verdict against the scenario's floor and goal.

By default it starts hookline itself (this binary's serve, on a free
loopback port, with a fresh temporary data directory, a generated admin
key and HOOKLINE_EGRESS_ALLOW=127.0.0.1/32; HOOKLINE_DATABASE_URL and
HOOKLINE_SECRET_KEY pass through when set, and on PostgreSQL the run gets a
schema of its own, dropped at the end). The baseline and the receiver
of webhook calls run as processes of their own, so each one's CPU is
measured the same way. The load generator connects to 127.0.0.0/8 only.
--paced SHARE adds open-loop rounds at that share of hookline's peak, for
the latency there (counted from each request's due time).

bot-sync posts messages with a fresh JWT each to a sync webhook channel's
hook, --sessions users taking turns, against a bare server that only checks
the JWT and decodes and encodes the JSON; --stored-sessions N first stores N
open sessions straight into the store serve uses. provider-sms posts SMS
signed as Twilio signs them to a connection of an active integration and
checks the signed events and each chat's order (END last) at the receiver,
against delivery-publish with the same backlog in the same rounds.

The delivery scenarios (delivery-drain, delivery-publish) measure the
queue instead: a backlog of --backlog deliveries over --keys ordering keys,
queued through the API, sent by --nodes serve processes to a receiver
process that checks order per key, against a bare net/http client posting
the same bodies to the same receiver (--workers goroutines, keep-alive),
in alternating rounds. Each round starts hookline afresh: a new data
directory, or on PostgreSQL (HOOKLINE_DATABASE_URL) a new schema that is
dropped after it. The drain queues the backlog with the workers held
(serve's hidden HOOKLINE_BENCH_HOLD_DELIVERIES=1), then starts them all
with SIGUSR1: the clock runs from then until the receiver has every
delivery. Reported: deliveries/s, hookline/bare ratio, serve's CPU per
delivery, its RSS at the start, middle and end, duplicates and breaks of
order, against the floor of 10,000/s and goal of 15,000/s.
`

// benchCommand is the command table's entry for bench.
func benchCommand(getenv func(string) string) func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return runBench(ctx, args, getenv, stdout, stderr)
	}
}

// runBench implements `hookline bench`: it parses the flags, runs the
// scenario with the load package and prints the report. The exit status
// is 0 when the run completed (whatever the verdict), 1 when it could not
// run, 2 on bad usage (a --json file that cannot be created included).
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "serve-peer" {
		return runBenchPeer(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "bare-client" {
		return runBareClient(ctx, args[1:], stdout, stderr)
	}
	scenarios := load.Scenarios()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	scenarioName := fs.String("scenario", "", "the scenario to run: "+scenarios.Names()+" (see --list)")
	list := fs.Bool("list", false, "list the scenarios and exit")
	rounds := fs.Int("rounds", 3, "rounds; each measures hookline and the baseline once, alternating which goes first")
	connections := fs.Int("connections", 32, "concurrent keep-alive connections, each sending its next request when the answer is read")
	duration := fs.Duration("duration", 5*time.Second, "measured time per target and round")
	warmup := fs.Duration("warmup", time.Second, "warm-up before each measurement, not counted")
	requestTimeout := fs.Duration("request-timeout", 10*time.Second, "how long a request may still run after a measurement's time is up; later it counts as an error")
	target := fs.String("target", "", "base URL of a hookline already running on 127.0.0.0/8 (such as http://127.0.0.1:8080) instead of starting one; needs --admin-token")
	adminToken := fs.String("admin-token", "", "with --target: an admin key of that hookline (default: $HOOKLINE_ADMIN_TOKEN)")
	pid := fs.Int("pid", 0, "with --target: its process id, to measure its CPU per request")
	jsonFile := fs.String("json", "", "also write the report as JSON to this file")
	logLevel := fs.String("server-log-level", "info", "log level of the started hookline: debug, info (as in production: a line per request), warn or error")
	backlog := fs.Int("backlog", 20000, "delivery scenarios: deliveries per round")
	keys := fs.Int("keys", 1000, "delivery scenarios: ordering keys the backlog is spread over")
	nodes := fs.Int("nodes", 1, "delivery scenarios: serve processes sharing the queue (more than 1 needs HOOKLINE_DATABASE_URL=postgres://...)")
	workers := fs.Int("workers", 64, "delivery scenarios: HOOKLINE_DELIVERY_WORKERS of each serve process, and the bare client's goroutines")
	perTarget := fs.Int("per-target", 0, "delivery scenarios: HOOKLINE_DELIVERY_PER_TARGET of each serve process (the backlog goes to one webhook; the limit counts the deliveries of every node); default twice --workers times --nodes, so that it never binds")
	phaseTimeout := fs.Duration("phase-timeout", 0, "delivery scenarios: bound of each queuing, drain and bare client run (default a minute plus 5ms per delivery); one that makes no progress for a minute fails anyway")
	cpuProfile := fs.String("cpuprofile", "", "write the CPU profile of the started serve process to this file: in a delivery scenario the first node's, from its worker's start to its exit in the first round; otherwise from its start to its exit")
	sessions := fs.Int("sessions", 10000, "bot-sync: users (from.id) the requests take turns between, each a session of its own")
	storedSessions := fs.Int("stored-sessions", 0, "bot-sync: open sessions stored into hookline's store before the load (the first --sessions of them the load's users)")
	paced := fs.Float64("paced", 0, "request scenarios: add as many open-loop rounds, both sides at this share of hookline's median throughput (0.5: half the peak), to read the latency there")
	usage := func(w io.Writer) {
		fmt.Fprint(w, benchUsage+"\nscenarios:\n")
		writeScenarios(w, scenarios)
		fmt.Fprintln(w, "\nflags:")
		printFlags(w, fs)
		fmt.Fprintln(w, "\nexamples:\n  go run ./cmd/hookline bench --scenario api-get --rounds 3 --json api-get.json\n"+
			"  go run ./cmd/hookline bench --scenario bot-sync --rounds 5 --paced 0.5\n"+
			"  go run ./cmd/hookline bench --scenario bot-sync --stored-sessions 1000000\n"+
			"  go run ./cmd/hookline bench --scenario delivery-drain --backlog 20000 --rounds 3\n"+
			"  HOOKLINE_DATABASE_URL=postgres://... go run ./cmd/hookline bench --scenario delivery-drain --nodes 3")
	}
	if code, done := parseFlags(fs, args, usage, stdout, stderr); done {
		return code
	}
	usageError := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "hookline bench: "+format+"\n", args...)
		return 2
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if *list {
		writeScenarios(stdout, scenarios)
		return 0
	}
	if *scenarioName == "" {
		return usageError("--scenario is required: one of %s", scenarios.Names())
	}
	scenario, ok := scenarios.Lookup(*scenarioName)
	if !ok {
		return usageError("--scenario %q is unknown: want one of %s", *scenarioName, scenarios.Names())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	deliveries := scenario.Deliveries != nil
	for _, name := range []string{"backlog", "keys", "nodes", "workers", "per-target", "phase-timeout"} {
		if given[name] && !deliveries {
			return usageError("--%s applies to the delivery scenarios only", name)
		}
	}
	for _, name := range []string{"duration", "warmup", "target", "admin-token", "pid", "paced"} {
		if given[name] && deliveries {
			return usageError("--%s does not apply to a delivery scenario", name)
		}
	}
	for _, name := range []string{"sessions", "stored-sessions"} {
		if given[name] && scenario.Name != "bot-sync" {
			return usageError("--%s applies to bot-sync only", name)
		}
	}
	if *cpuProfile != "" {
		abs, err := filepath.Abs(*cpuProfile)
		if err != nil {
			return usageError("--cpuprofile: %v", err)
		}
		*cpuProfile = abs
	}
	if *target == "" {
		for _, name := range []string{"admin-token", "pid"} {
			if given[name] {
				return usageError("--%s needs --target", name)
			}
		}
	} else if *adminToken == "" {
		*adminToken = getenv("HOOKLINE_ADMIN_TOKEN")
		if *adminToken == "" {
			return usageError("--target needs --admin-token (or HOOKLINE_ADMIN_TOKEN)")
		}
	}
	for _, name := range []string{"server-log-level", "cpuprofile"} {
		if given[name] && *target != "" {
			return usageError("--%s applies to a started hookline, not to --target", name)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "hookline bench: finding this binary to start the servers: %v\n", err)
		return 1
	}
	cfg := load.Config{
		Scenario:       scenario,
		Rounds:         *rounds,
		Connections:    *connections,
		Duration:       *duration,
		Warmup:         *warmup,
		RequestTimeout: *requestTimeout,
		Executable:     exe,
		ServeArgs:      []string{"serve"},
		PeerArgs:       []string{"bench", "serve-peer"},
		Environ:        os.Environ(),
		ServerLogLevel: strings.ToLower(*logLevel),
		Target:         *target,
		AdminToken:     *adminToken,
		PID:            *pid,
		Backlog:        *backlog,
		Keys:           *keys,
		Nodes:          *nodes,
		Workers:        *workers,
		PerTarget:      benchPerTarget(*perTarget, *workers, *nodes),
		PhaseTimeout:   *phaseTimeout,
		FreshDatabase:  freshPostgresSchema,
		BareClientArgs: []string{"bench", "bare-client"},
		CPUProfile:     *cpuProfile,
		Sessions:       *sessions,
		StoredSessions: *storedSessions,
		FillSessions:   fillSessions,
		Paced:          *paced,
		Progress:       stderr,
	}
	if err := checkBenchFlags(cfg); err != nil {
		return usageError("%v", err)
	}
	// The JSON file is created before the run, so that a path that cannot
	// be written fails at once rather than after minutes of load.
	var jsonOut *os.File
	if *jsonFile != "" {
		if jsonOut, err = os.Create(*jsonFile); err != nil {
			return usageError("--json: %v", err)
		}
		defer jsonOut.Close()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var report interface {
		WriteTable(io.Writer) error
		WriteJSON(io.Writer) error
	}
	if deliveries {
		report, err = load.RunDeliveries(ctx, cfg)
	} else {
		report, err = load.Run(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hookline bench: %v\n", err)
		if jsonOut != nil {
			os.Remove(*jsonFile)
		}
		return 1
	}
	if err := report.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "hookline bench: %v\n", err)
		return 1
	}
	if jsonOut != nil {
		if err := errors.Join(report.WriteJSON(jsonOut), jsonOut.Close()); err != nil {
			fmt.Fprintf(stderr, "hookline bench: --json: %v\n", err)
			return 1
		}
	}
	return 0
}

// checkBenchFlags checks the configuration with load's checks, naming
// the flag of each bad setting, and checks the log level, which only the
// started server reads.
func checkBenchFlags(cfg load.Config) error {
	flagOf := map[string]string{
		"Rounds": "--rounds", "Connections": "--connections", "Duration": "--duration", "Warmup": "--warmup",
		"RequestTimeout": "--request-timeout", "Target": "--target", "AdminToken": "--admin-token", "PID": "--pid",
		"Backlog": "--backlog", "Keys": "--keys", "Nodes": "--nodes", "Workers": "--workers", "PerTarget": "--per-target",
		"PhaseTimeout": "--phase-timeout", "Sessions": "--sessions", "StoredSessions": "--stored-sessions", "Paced": "--paced",
	}
	var errs []error
	if err := cfg.Check(); err != nil {
		problems := []error{err}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			problems = joined.Unwrap()
		}
		for _, e := range problems {
			var setting *load.SettingError
			if errors.As(e, &setting) && flagOf[setting.Setting] != "" {
				e = fmt.Errorf("%s: %s", flagOf[setting.Setting], setting.Problem)
			}
			errs = append(errs, e)
		}
	}
	switch cfg.ServerLogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--server-log-level %q: want debug, info, warn or error", cfg.ServerLogLevel))
	}
	return errors.Join(errs...)
}

func writeScenarios(w io.Writer, scenarios *load.Registry) {
	for _, s := range scenarios.All() {
		if d := s.Deliveries; d != nil && d.Provider {
			fmt.Fprintf(w, "  %-16s %s\n  %-16s floor %.0f messages/s\n", s.Name, s.Summary, "", d.FloorPerSecond)
			continue
		}
		if d := s.Deliveries; d != nil {
			fmt.Fprintf(w, "  %-16s %s\n  %-16s floor %.0f, goal %.0f deliveries/s\n", s.Name, s.Summary, "", d.FloorPerSecond, d.GoalPerSecond)
			continue
		}
		floor := fmt.Sprintf("floor %.0f%%", 100*s.Floor)
		if s.FloorPerSecond > 0 {
			floor = fmt.Sprintf("floor %.0f req/s", s.FloorPerSecond)
		}
		fmt.Fprintf(w, "  %-16s %s\n  %-16s baseline: %s; %s, goal %.0f%% of its throughput\n",
			s.Name, s.Summary, "", s.Baseline, floor, 100*s.Goal)
	}
}

// freshPostgresSchema makes an empty schema named hl_bench_<random> on
// the server of databaseURL and returns the URL that selects it (its
// search_path) and how to drop it, for a delivery scenario's round.
func freshPostgresSchema(ctx context.Context, databaseURL string) (string, func(context.Context) error, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", nil, errors.New("HOOKLINE_DATABASE_URL is not a valid URL")
	}
	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		return "", nil, err
	}
	// Hex digits only: the name needs no quoting.
	schema := "hl_bench_" + hex.EncodeToString(suffix)
	exec := func(ctx context.Context, statement string) error {
		db, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return fmt.Errorf("%s: %w", u.Redacted(), err)
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if _, err := db.ExecContext(ctx, statement); err != nil {
			return fmt.Errorf("%s on %s: %w", statement, u.Redacted(), err)
		}
		return nil
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func(ctx context.Context) error { return exec(ctx, "DROP SCHEMA "+schema+" CASCADE") }, nil
}

// fillSessions stores bot-sync's sessions straight into the store of the
// hookline the bench started (hookline bench --stored-sessions): the store
// serve uses, opened beside it while it is idle.
func fillSessions(ctx context.Context, databaseURL, dataDir string, fill load.SessionFill) error {
	db, err := sqlstore.Open(ctx, databaseURL, dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UTC()
	proto := &hookline.BotSession{BotID: fill.BotID, CompanyID: fill.CompanyID, ChannelID: fill.ChannelID, ChannelName: fill.ChannelName,
		To: fill.To, ModuleID: fill.ModuleID, CreatedAt: now, LastActivityAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	return sqlstore.NewBotStore(db).FillBotSessions(ctx, proto, fill.FromPrefix, fill.Count)
}

// runBareClient implements the internal `hookline bench bare-client`,
// the delivery scenarios' baseline, which bench runs as a process of its
// own: it posts a backlog's bodies to the receiver and writes what it did
// as JSON to stdout.
func runBareClient(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench bare-client", flag.ContinueOnError)
	receiver := fs.String("receiver", "", "the receiver's base URL, on 127.0.0.0/8")
	backlog := fs.Int("backlog", 20000, "bodies to post")
	keys := fs.Int("keys", 1000, "ordering keys the bodies are spread over")
	concurrency := fs.Int("concurrency", 64, "goroutines posting, each key's bodies from one of them, one after another")
	timeout := fs.Duration("request-timeout", 10*time.Second, "bound of each post")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: hookline bench bare-client --receiver URL [flags]\n\nThe delivery scenarios' baseline; bench runs it, people need not.\n\nflags:")
		printFlags(w, fs)
	}
	if code, done := parseFlags(fs, args, usage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookline bench bare-client: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := load.RunBareClient(ctx, load.BareClientConfig{ReceiverURL: *receiver, Backlog: *backlog, Keys: *keys, Concurrency: *concurrency, Timeout: *timeout})
	if err != nil {
		fmt.Fprintf(stderr, "hookline bench bare-client: %v\n", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintf(stderr, "hookline bench bare-client: %v\n", err)
		return 1
	}
	return 0
}

// runBenchPeer implements the internal `hookline bench serve-peer`, by
// which bench starts its baselines and receiver as processes of their own.
func runBenchPeer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const synopsis = "usage: hookline bench serve-peer hello|forwarder|receiver|sink|bare-hook --addr HOST:PORT [--receiver URL]"
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintln(stdout, synopsis)
		return 0
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, synopsis)
		return 2
	}
	peer := load.Peer(args[0])
	if !slices.Contains(load.Peers(), peer) {
		fmt.Fprintf(stderr, "hookline bench serve-peer: unknown peer %q\n%s\n", peer, synopsis)
		return 2
	}
	fs := flag.NewFlagSet("bench serve-peer", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	receiver := fs.String("receiver", "", "the forwarder's receiver, a loopback base URL")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, synopsis+"\n\nStarts one of bench's bare servers; bench runs it, people need not.\n\nflags:")
		printFlags(w, fs)
	}
	if code, done := parseFlags(fs, args[1:], usage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookline bench serve-peer: unexpected argument %q\n%s\n", fs.Arg(0), synopsis)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The bare hook server's credentials come from the environment, not
	// the command line, where other users of the machine could read them.
	cfg := load.PeerConfig{Addr: *addr, ReceiverURL: *receiver,
		ClientID: getenv(load.EnvHookClientID), ClientSecret: getenv(load.EnvHookClientSecret)}
	if err := load.ServePeer(ctx, peer, cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "hookline bench serve-peer: %v\n", err)
		return 1
	}
	return 0
}

// benchPerTarget is the per-target limit of the delivery scenarios: the
// one given, or else one that never binds, since the backlog goes to one
// webhook and the limit counts what every node sends to it.
func benchPerTarget(given, workers, nodes int) int {
	if given != 0 {
		return given
	}
	return min(2*workers*max(nodes, 1), 1024)
}
