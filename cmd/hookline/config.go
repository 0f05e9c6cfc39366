package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/seal"
	"github.com/hookline/hookline/sqlstore"
)

// Config is the service's configuration, read from flags and HOOKLINE_*
// environment variables (a flag wins over its variable) and validated
// before anything starts. It is passed explicitly; nothing reads it from
// globals.
type Config struct {
	Addr            string
	DataDir         string
	AdminToken      string
	MaxBodyBytes    int64
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// DatabaseURL selects the store: empty for the SQLite file in
	// DataDir, sqlite:PATH, or a postgres:// URL.
	DatabaseURL string
	// SecretKey seals webhook secrets at rest; empty: a key file in
	// DataDir, generated on first start.
	SecretKey string
	// EgressAllow opens address ranges to outbound requests that the
	// egress guard refuses otherwise (loopback, private networks...).
	EgressAllow []netip.Prefix
	// PublicURL is the address outside systems reach hookline at: every
	// URL hookline shows and every signature over a URL uses it. Empty:
	// http:// and the listen address, once it is known.
	PublicURL string
	// DeliverySchedule is the wait before each retry of a delivery;
	// DeliveryWorkers and DeliveryPerTarget bound the deliveries sending
	// at once, in all and to one target.
	DeliverySchedule  []time.Duration
	DeliveryWorkers   int
	DeliveryPerTarget int
	// DeliveryRetention is how long succeeded deliveries are kept after
	// they ended; DeliveryFailedRetention the same for failed and
	// canceled ones.
	DeliveryRetention       time.Duration
	DeliveryFailedRetention time.Duration
	// MetricsToken, if set, is the bearer token GET /metrics requires.
	MetricsToken string
	// DeliveryLease is how long a worker holds a delivery it sends: a
	// process that dies leaves its deliveries to the others (or to itself
	// restarted) once their leases run out.
	DeliveryLease time.Duration
	// SQLiteSync is SQLite's synchronous setting, "normal" or "full".
	SQLiteSync string
	// ChatIdleTimeout ends an integration's chat this long after its
	// last message.
	ChatIdleTimeout time.Duration
	// HoldDeliveries keeps the delivery worker from starting until
	// StartDeliveries is called. It is not a setting: only hookline bench
	// asks for it (load.EnvHoldDeliveries), to queue a backlog before the
	// clock of a drain starts.
	HoldDeliveries bool
}

// setting is one configuration value: its flag, its environment variable,
// its default and how to check and store it.
type setting struct {
	flag  string // without dashes; "" when the setting has no flag
	env   string
	def   string
	usage string
	// secret settings never have their value echoed in errors.
	secret bool
	// usedByMigrate marks the settings migrate reads as well as serve:
	// migrate only opens the database, so it lists and accepts only those.
	usedByMigrate bool
	apply         func(c *Config, v string) error
}

// settings lists every configuration value; usage text and errors come
// from here.
func settings() []setting {
	return []setting{
		{flag: "addr", env: "HOOKLINE_ADDR", def: "127.0.0.1:8080", usage: "address to listen on, host:port (port 0 picks a free one)",
			apply: func(c *Config, v string) error { c.Addr = v; return checkAddr(v) }},
		{flag: "data", env: "HOOKLINE_DATA", def: "hookline-data", usage: "data directory, created if missing; holds the SQLite database", usedByMigrate: true,
			apply: func(c *Config, v string) error { c.DataDir = v; return checkDataDir(v) }},
		{flag: "database-url", env: "HOOKLINE_DATABASE_URL", usage: "the database: unset for the SQLite file in the data directory, sqlite:PATH for another SQLite file, or postgres://user:password@host:5432/db?sslmode=require for PostgreSQL (pool_max_conns and search_path may be added to the query); serve needs " + seal.EnvKey + " with PostgreSQL",
			secret: true, usedByMigrate: true, apply: func(c *Config, v string) error { c.DatabaseURL = v; _, err := sqlstore.DialectOf(v); return err }},
		{env: "HOOKLINE_ADMIN_TOKEN", usage: "the operator's admin API key (at least 16 characters); unset: one is generated on first start and printed once",
			secret: true, apply: func(c *Config, v string) error { c.AdminToken = v; return checkAdminToken(v) }},
		{flag: "max-body-bytes", env: "HOOKLINE_MAX_BODY_BYTES", def: "1MiB", usage: "largest accepted request body: bytes, or with KiB or MiB",
			apply: func(c *Config, v string) (err error) { c.MaxBodyBytes, err = parseBytes(v); return err }},
		{flag: "log-level", env: "HOOKLINE_LOG_LEVEL", def: "info", usage: "debug, info, warn or error",
			apply: func(c *Config, v string) error { return parseLevel(&c.LogLevel, v) }},
		{flag: "shutdown-timeout", env: "HOOKLINE_SHUTDOWN_TIMEOUT", def: "10s", usage: "how long in-flight requests may take to finish on SIGINT/SIGTERM",
			apply: func(c *Config, v string) (err error) {
				c.ShutdownTimeout, err = parseDuration(v, 10*time.Minute)
				return err
			}},
		{env: seal.EnvKey, usage: "key that seals webhook secrets at rest: 32 bytes as base64 or hex (openssl rand -base64 32); unset: generated into <data>/" + seal.KeyFileName + " on first start",
			secret: true, usedByMigrate: true, apply: func(c *Config, v string) error { c.SecretKey = v; _, err := seal.ParseKey(v); return err }},
		{flag: "public-url", env: "HOOKLINE_PUBLIC_URL", usage: "the address outside systems reach hookline at, such as https://hooks.example.com (behind a proxy); default http:// and the listen address",
			apply: func(c *Config, v string) (err error) { c.PublicURL, err = parsePublicURL(v); return err }},
		{flag: "egress-allow", env: "HOOKLINE_EGRESS_ALLOW", usage: "comma-separated CIDRs or IPs that webhooks may reach although the guard refuses them (loopback, private networks), e.g. 127.0.0.1/32",
			apply: func(c *Config, v string) (err error) { c.EgressAllow, err = egress.ParseAllow(v); return err }},
		{env: "HOOKLINE_DELIVERY_SCHEDULE", def: "5s,5m,30m,2h,5h,10h,10h", usage: "comma-separated waits before each retry of a queued delivery (each ±20%); after the last, the delivery is failed",
			apply: func(c *Config, v string) (err error) { c.DeliverySchedule, err = delivery.ParseSchedule(v); return err }},
		{env: "HOOKLINE_DELIVERY_WORKERS", def: "64", usage: "deliveries this process sends at once (1 to 4096); no company takes more than half while others wait",
			apply: func(c *Config, v string) (err error) { c.DeliveryWorkers, err = parseCount(v, 4096); return err }},
		{env: "HOOKLINE_DELIVERY_PER_TARGET", def: "8", usage: "deliveries sending to one webhook at once (1 to 1024)",
			apply: func(c *Config, v string) (err error) { c.DeliveryPerTarget, err = parseCount(v, 1024); return err }},
		{env: "HOOKLINE_DELIVERY_RETENTION", def: "168h", usage: "how long succeeded deliveries and their attempts are kept after they ended (at least 24h)",
			apply: func(c *Config, v string) (err error) { c.DeliveryRetention, err = parseRetention(v); return err }},
		{env: "HOOKLINE_DELIVERY_FAILED_RETENTION", def: "720h", usage: "how long failed and canceled deliveries are kept after they ended, unless retried (at least 24h)",
			apply: func(c *Config, v string) (err error) { c.DeliveryFailedRetention, err = parseRetention(v); return err }},
		{env: "HOOKLINE_METRICS_TOKEN", usage: "bearer token GET /metrics requires (at least 16 characters); unset: /metrics is open, like /healthz",
			secret: true, apply: func(c *Config, v string) error { c.MetricsToken = v; return checkAdminToken(v) }},
		{env: "HOOKLINE_DELIVERY_LEASE", def: "60s", usage: "how long a process holds a delivery it sends (1s to 1h); a process that dies leaves its deliveries to the others once this runs out, so keep it above the longest webhook timeout (30s at most)",
			apply: func(c *Config, v string) (err error) {
				if c.DeliveryLease, err = parseDuration(v, time.Hour); err == nil && c.DeliveryLease < time.Second {
					err = errors.New("must be at least 1s")
				}
				return err
			}},
		{env: "HOOKLINE_CHAT_IDLE_TIMEOUT", def: "24h", usage: "how long after its last message an integration's chat ends by itself, with END sent (1m to 720h)",
			apply: func(c *Config, v string) (err error) {
				if c.ChatIdleTimeout, err = parseDuration(v, 720*time.Hour); err == nil && c.ChatIdleTimeout < time.Minute {
					err = errors.New("must be at least 1m")
				}
				return err
			}},
		{env: "HOOKLINE_SQLITE_SYNC", def: "normal", usedByMigrate: true, usage: "SQLite's durability: normal (an accepted delivery survives a crash of the process, not a power cut) or full (it survives a power cut too, at the cost of one fsync per commit)",
			apply: func(c *Config, v string) error {
				switch v = strings.ToLower(strings.TrimSpace(v)); v {
				case "normal", "full":
					c.SQLiteSync = v
					return nil
				}
				return errors.New("want normal or full")
			}},
	}
}

// settingsFor lists the settings the command reads: serve reads them all,
// the commands working on serve's store (storeCommands) only those that
// locate it and its secret key.
func settingsFor(command string) []setting {
	all := settings()
	if !storeCommands[command] {
		return all
	}
	var used []setting
	for _, s := range all {
		if s.usedByMigrate {
			used = append(used, s)
		}
	}
	return used
}

// storeCommands work on the store serve uses and read only the settings
// that locate it and its secret key (those usedByMigrate).
var storeCommands = map[string]bool{"migrate": true, "channel approve": true, "bot import": true, "bot export": true}

// commandDescriptions introduce the commands that read settings in their
// -h text.
var commandDescriptions = map[string]string{
	"serve": `Runs the HTTP API (/api/v1, its OpenAPI document at /api/v1/openapi.json,
/healthz, /readyz and the Prometheus metrics at /metrics) until SIGINT or
SIGTERM. The database is created and
migrated on start; the first start generates the operator's admin key and
prints it once to stderr. Logs are JSON lines on stderr.`,
	"migrate": `Applies pending database migrations and exits, listing what it applied.
serve migrates on every start as well; migrate lets an operator do it ahead
of time. Processes migrating one PostgreSQL database together take turns.`,
	"bot import": `Imports a bot document (JSON, or YAML for a .yaml or .yml file or with
--format yaml; - reads standard input) into the database serve uses (the
data directory, or HOOKLINE_DATABASE_URL), as POST /api/v1/bots does:
webhooks named in it must exist in the company, every template is
compiled, and an error names its path. It prints the stored bot as JSON.
--company names the company; without it, the document's company_id does.
The database is migrated first, as serve would.`,
	"bot export": `Prints a bot's document, as GET /api/v1/bots/{id}/export does: webhooks
named, so that it imports into another company or instance. JSON by
default, YAML with --format yaml.`,
	"channel approve": `Approves a webhook channel, as an admin key's POST /api/v1/channels/{id}/approve
does: until approved, the channel's hook answers 403. It works on the store
serve uses (the data directory, or HOOKLINE_DATABASE_URL), migrating it
first as serve does. Flags go before the channel's id.`,
}

// commandArguments are the arguments of the commands that take some,
// for their usage line.
var commandArguments = map[string]string{"bot import": " FILE", "bot export": " ID"}

// errUsage reports that the usage text has been printed (for -h).
var errUsage = errors.New("usage")

// flagError is a command line the flag package refused (an unknown flag,
// a flag without its value), as opposed to a setting with a bad value.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }

// loadConfig reads the settings the command name uses from args and
// getenv. -h writes the command's description and settings to helpOut and
// returns errUsage. Each error names the setting the way the user gave it
// (--addr or HOOKLINE_ADDR) and the bad value. It returns the arguments
// after the flags.
func loadConfig(name string, args []string, getenv func(string) string, helpOut io.Writer) (Config, []string, error) {
	return loadConfigWith(name, args, getenv, helpOut, nil)
}

// loadConfigWith is loadConfig for a command with flags of its own, which
// extra adds; its flags may come before or after its arguments (hookline
// bot import FILE --company 7).
func loadConfigWith(name string, args []string, getenv func(string) string, helpOut io.Writer, extra func(fs *flag.FlagSet)) (Config, []string, error) {
	var cfg Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if extra != nil {
		extra(fs)
	}
	used := settingsFor(name)
	given := map[string]string{}
	for _, s := range used {
		if s.flag == "" {
			continue
		}
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		if s.def != "" {
			usage = fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, s.def)
		}
		fs.Func(s.flag, usage, func(v string) error { given[s.flag] = v; return nil })
	}
	var positional []string
	err := fs.Parse(args)
	for err == nil && extra != nil && fs.NArg() > 0 {
		positional = append(positional, fs.Arg(0))
		err = fs.Parse(fs.Args()[1:])
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(helpOut, "usage: hookline %s%s [flags]\n\n%s\n\nflags (a flag wins over its environment variable):\n", name, commandArguments[name], commandDescriptions[name])
			printFlags(helpOut, fs)
			var envOnly []setting
			for _, s := range used {
				if s.flag == "" {
					envOnly = append(envOnly, s)
				}
			}
			if len(envOnly) > 0 {
				fmt.Fprintln(helpOut, "\nenvironment only:")
				for _, s := range envOnly {
					fmt.Fprintf(helpOut, "  %s\n    \t%s\n", s.env, s.usage)
				}
			}
			return cfg, nil, errUsage
		}
		return cfg, nil, &flagError{err}
	}
	var errs []error
	for _, s := range used {
		value, source := s.def, s.env+" (default)"
		if v := getenv(s.env); v != "" {
			value, source = v, s.env
		}
		if v, ok := given[s.flag]; ok && s.flag != "" {
			value, source = v, "--"+s.flag
		}
		if value == "" && s.def == "" {
			continue
		}
		if err := s.apply(&cfg, value); err != nil {
			if s.secret {
				errs = append(errs, fmt.Errorf("%s: %v", source, err))
			} else {
				errs = append(errs, fmt.Errorf("%s %q: %v", source, value, err))
			}
		}
	}
	if name == "serve" {
		if err := checkSharedKey(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	return cfg, append(positional, fs.Args()...), errors.Join(errs...)
}

// checkSharedKey requires HOOKLINE_SECRET_KEY with PostgreSQL: processes
// sharing one database must seal secrets with one key, and a key file
// generated into each one's data directory would differ from node to node.
func checkSharedKey(cfg Config) error {
	dialect, err := sqlstore.DialectOf(cfg.DatabaseURL)
	if err != nil || dialect != sqlstore.DialectPostgres || cfg.SecretKey != "" {
		return nil
	}
	return fmt.Errorf("%s must be set when HOOKLINE_DATABASE_URL (--database-url) is a PostgreSQL URL: every process sharing the database must seal secrets with the same key (make one with: openssl rand -base64 32)", seal.EnvKey)
}

func checkAddr(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		var addrErr *net.AddrError
		if errors.As(err, &addrErr) {
			msg := strings.TrimSuffix(addrErr.Err, " in address")
			return fmt.Errorf("%s; want host:port, such as 127.0.0.1:8080", msg)
		}
		return err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q must be a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return nil
}

// parsePublicURL checks a public URL: absolute http or https, with a host,
// and nothing after the path (no query, fragment or credentials). A
// trailing slash is dropped, so that paths join it with one.
func parsePublicURL(v string) (string, error) {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "", errors.New("does not parse as a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("must start with http:// or https://")
	case u.Host == "":
		return "", errors.New("has no host")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("must not hold credentials, a query or a fragment")
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func checkDataDir(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	fi, err := os.Stat(v)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil // created on start
	case err != nil:
		return err
	case !fi.IsDir():
		return errors.New("exists and is not a directory")
	}
	return nil
}

func checkAdminToken(v string) error {
	if len(v) < 16 {
		return fmt.Errorf("too short (%d characters); use at least 16, such as the output of: openssl rand -base64 32", len(v))
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return errors.New("must not contain spaces or line breaks")
	}
	return nil
}

// parseBytes reads a size such as 1048576, 512KiB or 1MiB.
func parseBytes(v string) (int64, error) {
	num, mult := v, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, errors.New("want a number of bytes, such as 1048576, 512KiB or 1MiB")
	}
	if n <= 0 || n > (1<<30)/mult {
		return 0, errors.New("must be more than 0 and at most 1024MiB")
	}
	return n * mult, nil
}

func parseDuration(v string, max time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New("want a duration such as 10s or 1m30s")
	}
	if d <= 0 || d > max {
		return 0, fmt.Errorf("must be more than 0 and at most %s", max)
	}
	return d, nil
}

// parseRetention reads how long final deliveries are kept: at least the
// Idempotency-Key window, since pruning a delivery forgets its key, and at
// most ten years.
func parseRetention(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, errors.New("want a duration such as 168h or 720h")
	}
	if d < hookline.DeliveryIdempotencyWindow || d > 10*365*24*time.Hour {
		return 0, fmt.Errorf("must be at least %s (an Idempotency-Key is remembered that long) and at most 87600h", hookline.DeliveryIdempotencyWindow)
	}
	return d, nil
}

// parseCount reads a whole number from 1 to max.
func parseCount(v string, max int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > max {
		return 0, fmt.Errorf("want a whole number from 1 to %d", max)
	}
	return n, nil
}

func parseLevel(l *slog.Level, v string) error {
	switch strings.ToLower(v) {
	case "debug", "info", "warn", "error":
		return l.UnmarshalText([]byte(v))
	}
	return errors.New("want debug, info, warn or error")
}
