package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/bot"
	"github.com/hookline/hookline/channel"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/tenant"
)

const botUsage = `usage: hookline bot import FILE [--company ID] [--format json|yaml]
       hookline bot export ID [--format json|yaml]

Commands:
  import    import a bot document into the database serve uses (bot import -h)
  export    print a bot's document, webhooks named (bot export -h)
`

// runBotCommand implements hookline bot import and bot export: they work
// on the store serve uses, as migrate does, through the same bot service
// as the API, acting as the operator (or, with --company, as that
// company). Exit status: 0 on success, 1 when the document or the
// database refuses (the reason on stderr, naming the path at fault), 2 on
// bad usage.
func runBotCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && isHelpFlag(args[0]):
		fmt.Fprint(stdout, botUsage)
		return 0
	case len(args) == 0 || (args[0] != "import" && args[0] != "export"):
		fmt.Fprint(stderr, botUsage)
		return 2
	}
	name := "bot " + args[0]
	var company int64
	var format string
	cfg, rest, err := loadConfigWith(name, args[1:], getenv, stdout, func(fs *flag.FlagSet) {
		if args[0] == "import" {
			fs.Int64Var(&company, "company", 0, "the company the bot belongs to; without it, the document's company_id")
		}
		fs.StringVar(&format, "format", "", "json or yaml; import: default from the file's extension (.yaml, .yml: yaml), export: default json")
	})
	if code, done := configFailure(name, err, nil, stderr); done {
		return code
	}
	if len(rest) != 1 {
		fmt.Fprintf(stderr, "hookline %s: want exactly one argument\n%s", name, botUsage)
		return 2
	}
	if format != "" && format != string(hookline.BotJSON) && format != string(hookline.BotYAML) {
		fmt.Fprintf(stderr, "hookline %s: --format %q: want json or yaml\n", name, format)
		return 2
	}
	fail := func(err error) int {
		msg := hookline.ErrorMessage(err)
		if hookline.ErrorCode(err) == hookline.CodeInternal {
			msg = err.Error()
		}
		if field := hookline.ErrorField(err); field != "" {
			msg = field + ": " + msg
		}
		fmt.Fprintf(stderr, "hookline %s: %s\n", name, msg)
		return 1
	}
	svc, tenants, closeStore, err := openBotService(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	defer closeStore()
	admin := &hookline.Caller{}

	if args[0] == "export" {
		id, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || id <= 0 {
			fmt.Fprintf(stderr, "hookline %s: %q is not a bot id\n", name, rest[0])
			return 2
		}
		f := hookline.BotFormat(format)
		if f == "" {
			f = hookline.BotJSON
		}
		doc, err := svc.ExportBot(ctx, admin, id, f)
		if err != nil {
			return fail(err)
		}
		stdout.Write(doc)
		return 0
	}

	src, err := readBotFile(rest[0], format)
	if err != nil {
		return fail(err)
	}
	caller := admin
	if company != 0 {
		t, err := tenants.FindTenant(ctx, admin, company)
		if err == nil && t.Kind != hookline.KindCompany {
			err = hookline.NotFound("company", company)
		}
		if err != nil {
			return fail(&hookline.Error{Code: hookline.ErrorCode(err), Field: "--company", Message: hookline.ErrorMessage(err), Err: err})
		}
		caller = &hookline.Caller{Tenant: t}
	}
	b, err := svc.CreateBot(ctx, caller, src)
	if err != nil {
		return fail(err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(b)
	return 0
}

// readBotFile reads a bot document; - is standard input.
func readBotFile(path, format string) (hookline.BotSource, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, hookline.MaxBotDocumentBytes+1))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return hookline.BotSource{}, err
	}
	f := hookline.BotFormat(format)
	if f == "" {
		f = hookline.BotJSON
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml":
			f = hookline.BotYAML
		}
	}
	return hookline.BotSource{Data: data, Format: f}, nil
}

// openBotService opens and migrates the store serve uses and returns the
// bot service on it, with the channels service a document's channels are
// exported from and imported through, and without a runtime: the CLI
// talks to no bot.
func openBotService(ctx context.Context, cfg Config) (*bot.Service, *tenant.Service, func(), error) {
	db, err := sqlstore.OpenWith(ctx, cfg.DatabaseURL, cfg.DataDir, sqlstore.Options{SQLiteSync: cfg.SQLiteSync})
	if err != nil {
		return nil, nil, nil, err
	}
	keys := &secretKey{db: db, dataDir: cfg.DataDir, configured: cfg.SecretKey}
	if _, err := db.Migrations(ctx, keys); err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("migrate the database: %w", err)
	}
	store, err := keys.verify(ctx)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	tenants := tenant.NewService(db, db, "")
	bots := sqlstore.NewBotStore(db)
	svc := bot.NewService(tenants, bots, bots, store, nil)
	svc.UseChannels(channel.NewService(channel.Config{Tenants: tenants, Store: sqlstore.NewChannelStore(db, keys), Bots: svc}))
	return svc, tenants, func() { db.Close() }, nil
}
