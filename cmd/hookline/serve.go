package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/bot"
	"github.com/hookline/hookline/channel"
	"github.com/hookline/hookline/channel/hook"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/edge"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/httpapi"
	"github.com/hookline/hookline/inbound"
	"github.com/hookline/hookline/integration"
	"github.com/hookline/hookline/load"
	"github.com/hookline/hookline/metrics"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
	"github.com/hookline/hookline/webui"
)

// Main is the running service: the store, the API and the HTTP server
// wired together. serve runs one; tests start one on port 0 and stop it.
type Main struct {
	cfg    Config
	log    *slog.Logger
	stderr io.Writer // for the one-time admin key notice

	db        *sqlstore.DB
	worker    *delivery.Worker
	pruner    *delivery.Pruner
	bots      *bot.Runtime
	upkeep    *integration.Upkeep
	publicURL string
	ln        net.Listener
	server    *http.Server
	serveErr  chan error
}

// NewMain returns a Main for cfg that logs JSON to logOut and prints the
// generated admin key, if any, to stderr.
func NewMain(cfg Config, logOut, stderr io.Writer) *Main {
	return &Main{
		cfg:    cfg,
		log:    slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: cfg.LogLevel})),
		stderr: stderr,
	}
}

// Open listens on the configured address, opens and migrates the store,
// makes sure an admin key exists and starts serving in the background.
func (m *Main) Open(ctx context.Context) (err error) {
	// Bind first, so that a start that cannot listen fails at once and
	// leaves nothing behind: no data directory, no key file, no admin key.
	m.ln, err = net.Listen("tcp", m.cfg.Addr)
	if err != nil {
		return listenError(m.cfg.Addr, err)
	}
	defer func() {
		if err != nil {
			m.ln.Close()
			m.ln = nil
			if m.db != nil {
				m.db.Close()
				m.db = nil
			}
		}
	}()
	m.publicURL = m.cfg.PublicURL
	if m.publicURL == "" {
		m.publicURL = "http://" + m.ln.Addr().String()
	}
	m.db, err = sqlstore.OpenWith(ctx, m.cfg.DatabaseURL, m.cfg.DataDir, sqlstore.Options{SQLiteSync: m.cfg.SQLiteSync})
	if err != nil {
		return err
	}
	// The key is loaded when first needed: by a migration that seals
	// values stored in clear, or else right after the migrations, once the
	// database can tell whether its secrets were sealed with a key before.
	keys := &secretKey{db: m.db, dataDir: m.cfg.DataDir, configured: m.cfg.SecretKey}
	applied, err := m.db.Migrations(ctx, keys)
	if err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	for _, mig := range applied {
		m.log.Info("migration applied", "version", mig.Version, "name", mig.Name)
	}
	store, err := keys.verify(ctx)
	if err != nil {
		return err
	}
	if len(m.cfg.EgressAllow) > 0 {
		allowed := make([]string, len(m.cfg.EgressAllow))
		for i, p := range m.cfg.EgressAllow {
			allowed[i] = p.String()
		}
		m.log.Info("egress allowlist", "allow", allowed)
	}

	queue := sqlstore.NewDeliveryStore(m.db, keys)
	// The process's metrics: the services report to them, and the queue's
	// depth is read from the store at each scrape.
	obs, err := metrics.New(metrics.Config{Queue: queue, Token: m.cfg.MetricsToken, Logger: m.log})
	if err != nil {
		return err
	}

	// The services, which every edge calls.
	tenants := tenant.NewService(m.db, m.db, m.cfg.AdminToken)
	// Every delivery worker may send to one endpoint at once: as many
	// connections to it are kept.
	client := egress.New(egress.Config{Allow: m.cfg.EgressAllow, IdleConnsPerHost: max(egress.DefaultIdleConnsPerHost, m.cfg.DeliveryWorkers)})
	exec := webhook.NewExecutor(client)
	exec.Observe(obs)
	webhooks, err := webhook.NewService(tenants, store, store, exec)
	if err != nil {
		return err
	}
	if err := m.db.ClaimQueue(); err != nil {
		return err
	}
	channelStore := sqlstore.NewChannelStore(m.db, keys)
	integrations := sqlstore.NewIntegrationStore(m.db, keys)
	// The integrations that provider messages and their events look up,
	// kept a second by the integration service and the queue alike.
	lookups := integration.NewLookups(nil)
	worker := delivery.NewWorker(delivery.Config{
		Store: queue, Webhooks: store, Client: client, Schedule: m.cfg.DeliverySchedule,
		Targets: map[hookline.TargetKind]delivery.TargetResolver{
			hookline.TargetChannel:     channel.NewTargets(channelStore),
			hookline.TargetIntegration: integration.IntegrationTargets{Store: integrations, Lookups: lookups},
			hookline.TargetConnection:  integration.ConnectionTargets{Store: integrations},
		},
		Workers: m.cfg.DeliveryWorkers, PerTarget: m.cfg.DeliveryPerTarget, LeaseDuration: m.cfg.DeliveryLease,
		Logger: m.log, Observer: obs,
	})
	pruner := delivery.NewPruner(delivery.PrunerConfig{
		Store: queue, Retention: m.cfg.DeliveryRetention, FailedRetention: m.cfg.DeliveryFailedRetention,
		Lock: m.db.WithLock, Logger: m.log,
	})
	deliveries := delivery.NewService(store, queue, exec, worker.Wake)
	webhooks.UseDeliveryTargets(queue, delivery.SignRequest)
	// Bots: the runtime runs dialogs (sync webhooks through the webhook
	// service, async ones through the queue) and, in the background, the
	// inbox of accepted messages and the idle sweep, one process at a
	// time under the store's lock.
	botStore := sqlstore.NewBotStore(m.db)
	runtime := bot.NewRuntime(bot.Config{
		Bots: botStore, Sessions: botStore, Webhooks: store, Runner: webhooks, Queue: deliveries,
		Observer: obs, Logger: m.log, Lock: m.db.WithLock,
	})
	bots := bot.NewService(tenants, botStore, botStore, store, runtime)
	// The webhook channels (seed 004): the bot service tells them which
	// bots they belong to and the runtime answers their hooks; they carry
	// the runtime's async answers to POST_URLs, and a bot document's
	// channels out of and into the bot service.
	channels := channel.NewService(channel.Config{
		Tenants: tenants, Store: channelStore, Bots: bots, Runtime: runtime, Queue: deliveries,
		PublicURL: m.publicURL, Logger: m.log,
	})
	runtime.UseReplySink(channels)
	bots.UseChannels(channels)
	chats := integration.NewService(integration.Config{
		Tenants: tenants, Connections: integrations, Integrations: integrations, Campaigns: integrations, Chats: integrations,
		Queue: deliveries, Secrets: queue, NewSecret: delivery.NewSecret, Exec: exec, Client: client,
		Bots: bots, Runtime: runtime, PublicURL: m.publicURL, Lookups: lookups, Logger: m.log,
	})
	upkeep := integration.NewUpkeep(chats, m.cfg.ChatIdleTimeout, 0, m.db.WithLock)

	if err := m.ensureAdminKey(ctx, tenants); err != nil {
		return err
	}

	// The edges, mounted on one handler.
	apiCfg := httpapi.Config{
		Tenants:      tenants,
		Keys:         tenants,
		Webhooks:     webhooks,
		Templates:    webhooks,
		Deliveries:   deliveries,
		Bots:         bots,
		Apps:         channels,
		Channels:     channels,
		Integrations: chats,
		Connections:  chats,
		Campaigns:    chats,
		Ready:        m.db.Ping,
		PublicURL:    m.publicURL,
		MaxBodyBytes: m.cfg.MaxBodyBytes,
		Logger:       m.log,
	}
	api, err := httpapi.New(apiCfg)
	if err != nil {
		return err
	}
	ui, err := webui.New(webui.Config{
		Tenants:      tenants,
		Webhooks:     webhooks,
		Templates:    webhooks,
		Deliveries:   deliveries,
		Sessions:     tenant.NewSessions(tenants, m.db, 0),
		Integrations: chats,
		Connections:  chats,
		Campaigns:    chats,
		Bots:         bots,
		Apps:         channels,
		Channels:     channels,
		PublicURL:    m.publicURL,
		MaxBodyBytes: m.cfg.MaxBodyBytes,
		Logger:       m.log,
	})
	if err != nil {
		return err
	}
	providers := inbound.New(inbound.Config{Service: chats, PublicURL: m.publicURL, Logger: m.log})
	mounts := []edge.Mount{obs.Mount(), ui.Mount(), providers.Mount(), api.Mount()}
	hooks, err := hook.New(channels, m.log)
	if err != nil {
		return err
	}
	mounts = append(mounts, hooks.Mount())
	handler, err := edge.NewObserved(m.log, obs, mounts...)
	if err != nil {
		return err
	}
	m.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	// The worker sends what the store holds from now on, and the pruner
	// forgets what it no longer needs; Close stops both before the store
	// closes.
	m.worker = worker
	if !m.cfg.HoldDeliveries {
		m.worker.Start()
	}
	m.pruner = pruner
	m.pruner.Start()
	m.bots = runtime
	m.bots.Start()
	m.upkeep = upkeep
	m.upkeep.Start()
	m.serveErr = make(chan error, 1)
	go func() { m.serveErr <- m.server.Serve(m.ln) }()
	m.log.Info("listening", "addr", m.Addr(), "public_url", m.publicURL, "data", m.cfg.DataDir)
	return nil
}

// StartDeliveries starts the delivery worker that Open held back
// (Config.HoldDeliveries); once started, calling it again does nothing.
func (m *Main) StartDeliveries() {
	m.worker.Start()
	m.log.Info("delivery worker started")
}

// listenError says in one line why the address cannot be listened on,
// and for an address in use what to do about it.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on %s: the address is already in use (another hookline, or another program); stop it or choose another address with --addr or HOOKLINE_ADDR", addr)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		// The operation's own text repeats the address: keep the cause.
		err = opErr.Err
	}
	return fmt.Errorf("cannot listen on %s: %v", addr, err)
}

// Addr is the address the service listens on, with the port picked when
// the configured one was 0.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// PublicURL is the address outside systems reach the service at.
func (m *Main) PublicURL() string { return m.publicURL }

// Done delivers the server's error if it stops serving on its own.
func (m *Main) Done() <-chan error { return m.serveErr }

// Close stops accepting connections, lets in-flight requests finish within
// the shutdown timeout, then closes the store. Requests still running
// after the timeout are cut off and reported as an error.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil {
			m.server.Close()
			errs = append(errs, fmt.Errorf("shutdown: requests still running after %s were cut off: %w", m.cfg.ShutdownTimeout, err))
		}
	}
	if m.bots != nil {
		// Steps in flight are cancelled; what they saved stays, and the
		// inbox's messages are handled by the next start or another node.
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
		defer cancel()
		if err := m.bots.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.worker != nil {
		// Sends in flight finish within the shutdown timeout; any still
		// running then are released for the next start or another node.
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
		defer cancel()
		if err := m.worker.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.upkeep != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
		defer cancel()
		if err := m.upkeep.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.pruner != nil {
		// A pass in progress is cancelled; its batches done so far stay.
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
		defer cancel()
		if err := m.pruner.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ensureAdminKey generates the operator's admin key on the first start
// without HOOKLINE_ADMIN_TOKEN and prints it once to stderr, never to the
// log. Only its hash is stored. The check and the creation run under the
// store's lock, so that processes starting together on one database mint
// one key between them.
func (m *Main) ensureAdminKey(ctx context.Context, keys *tenant.Service) error {
	var key *hookline.NewKey
	err := m.db.WithLock(ctx, "admin-key", func(ctx context.Context) (err error) {
		key, err = keys.EnsureAdminKey(ctx)
		return err
	})
	if err != nil || key == nil {
		return err
	}
	secret := key.Secret
	m.log.Info("admin key generated", "key_id", key.ID, "prefix", key.Prefix)
	fmt.Fprintf(m.stderr, "\nhookline: generated the admin API key. It is shown only this once; store it now:\n\n    %s\n\n"+
		"Send it as: Authorization: Bearer <key>. Set HOOKLINE_ADMIN_TOKEN to use a key of your own instead.\n\n", secret)
	return nil
}

// serveGCPercent is serve's garbage collector target when GOGC is not set.
// The queue, the bots and the providers' messages allocate briefly per
// request over a small live heap, so Go's default of 100 collected several
// times a second under load: 400 takes about 20 MB more memory under load
// for 7-15% more throughput (BENCHMARKS.md). GOGC, and GOMEMLIMIT, set by
// the operator win.
const serveGCPercent = 400

// gcPercent is the GC target serve sets, and whether it sets one.
func gcPercent(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return serveGCPercent, true
}

// runServe implements `hookline serve`: it runs until SIGINT or SIGTERM,
// then shuts down gracefully and returns 0.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if percent, ok := gcPercent(getenv); ok {
		debug.SetGCPercent(percent)
	}
	cfg, rest, err := loadConfig("serve", args, getenv, stdout)
	if code, done := configFailure("serve", err, rest, stderr); done {
		return code
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// hookline bench's settings, which are not in -h (see load.EnvHoldDeliveries
	// and load.EnvCPUProfile): a worker held until a signal, and a CPU
	// profile from the worker's start to the exit. The signal is caught
	// before anything starts, so that it can never end the process.
	var startWorker chan os.Signal
	if getenv(load.EnvHoldDeliveries) == "1" {
		cfg.HoldDeliveries = true
		startWorker = make(chan os.Signal, 1)
		signal.Notify(startWorker, load.StartSignal)
		defer signal.Stop(startWorker)
	}
	profile := &cpuProfile{path: getenv(load.EnvCPUProfile)}
	defer func() {
		if err := profile.stop(); err != nil {
			fmt.Fprintf(stderr, "hookline serve: %v\n", err)
		}
	}()
	m := NewMain(cfg, stderr, stderr)
	if err := m.Open(ctx); err != nil {
		fmt.Fprintf(stderr, "hookline serve: %v\n", err)
		m.Close()
		return 1
	}
	if cfg.HoldDeliveries {
		m.log.Info("delivery worker held until SIGUSR1", "setting", load.EnvHoldDeliveries)
	} else if err := profile.start(); err != nil {
		fmt.Fprintf(stderr, "hookline serve: %v\n", err)
	}
	var serveErr error
wait:
	for {
		select {
		case <-ctx.Done():
			m.log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
			break wait
		case serveErr = <-m.Done():
			break wait
		case <-startWorker:
			if err := profile.start(); err != nil {
				fmt.Fprintf(stderr, "hookline serve: %v\n", err)
			}
			m.StartDeliveries()
		}
	}
	if err := errors.Join(serveErr, m.Close()); err != nil {
		m.log.Error("stopped with an error", "error", err.Error())
		fmt.Fprintf(stderr, "hookline serve: %v\n", err)
		return 1
	}
	m.log.Info("stopped")
	return 0
}

// cpuProfile is serve's CPU profile for hookline bench: started once,
// when the delivery worker starts, and stopped at the exit.
type cpuProfile struct {
	path string
	file *os.File
}

func (p *cpuProfile) start() error {
	if p.path == "" || p.file != nil {
		return nil
	}
	f, err := os.Create(p.path)
	if err != nil {
		return fmt.Errorf("CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("CPU profile: %w", err)
	}
	p.file = f
	return nil
}

func (p *cpuProfile) stop() error {
	if p.file == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.file.Close()
	p.file = nil
	return err
}

// configFailure turns a loadConfig outcome into an exit status: done is
// set when the command must stop. Each problem is one line naming the
// command, so that a start that fails says why in as many lines as it has
// problems; a bad setting's line names the setting, and only a command
// line the flag package refused adds where the flags are listed.
func configFailure(command string, err error, rest []string, stderr io.Writer) (code int, done bool) {
	var flagErr *flagError
	switch {
	case errors.Is(err, errUsage):
		return 0, true
	case errors.As(err, &flagErr):
		fmt.Fprintf(stderr, "hookline %s: %v\nRun hookline %s -h for the flags.\n", command, flagErr, command)
		return 2, true
	case err != nil:
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "hookline %s: %s\n", command, line)
		}
		return 2, true
	case len(rest) > 0:
		fmt.Fprintf(stderr, "hookline %s: unexpected argument %q\n", command, rest[0])
		return 2, true
	}
	return 0, false
}
