package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/channel"
	"github.com/hookline/hookline/sqlstore"
)

const channelUsage = `usage: hookline channel approve [flags] ID

Commands:
  approve    approve a webhook channel, as an admin key's POST /api/v1/channels/{id}/approve does (channel approve -h)
`

// runChannel implements `hookline channel approve ID`: the operator's
// approval of a webhook channel, on the store serve uses (the data
// directory or HOOKLINE_DATABASE_URL), migrated first as serve migrates
// it. It prints the approved channel; an unknown id exits 1.
func runChannel(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && isHelpFlag(args[0]):
		fmt.Fprint(stdout, channelUsage)
		return 0
	case len(args) == 0 || args[0] != "approve":
		fmt.Fprint(stderr, channelUsage)
		return 2
	}
	const name = "channel approve"
	cfg, rest, err := loadConfig(name, args[1:], getenv, stdout)
	if code, done := configFailure(name, err, nil, stderr); done {
		return code
	}
	if len(rest) != 1 {
		fmt.Fprintf(stderr, "hookline %s: want one channel id, got %d arguments\n%s", name, len(rest), channelUsage)
		return 2
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "hookline %s: %q is not a channel id (a positive integer)\n", name, rest[0])
		return 2
	}
	db, err := sqlstore.OpenWith(ctx, cfg.DatabaseURL, cfg.DataDir, sqlstore.Options{SQLiteSync: cfg.SQLiteSync})
	if err != nil {
		fmt.Fprintf(stderr, "hookline %s: %v\n", name, err)
		return 1
	}
	defer db.Close()
	keys := &secretKey{db: db, dataDir: cfg.DataDir, configured: cfg.SecretKey}
	if err := db.Migrate(ctx, keys); err != nil {
		fmt.Fprintf(stderr, "hookline %s: migrate the database: %v\n", name, err)
		return 1
	}
	// Approval reads and writes no secret: the key is loaded only if a
	// migration needs it.
	svc := channel.NewService(channel.Config{Store: sqlstore.NewChannelStore(db, keys)})
	ch, err := svc.ApproveChannel(ctx, &hookline.Caller{}, id)
	if err != nil {
		fmt.Fprintf(stderr, "hookline %s: %s\n", name, hookline.ErrorMessage(err))
		if hookline.ErrorCode(err) == hookline.CodeInternal {
			fmt.Fprintf(stderr, "hookline %s: %v\n", name, err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "channel %d %q of bot %d (company %d) approved at %s\n", ch.ID, ch.Name, ch.BotID, ch.CompanyID, ch.ApprovedAt.UTC().Format("2006-01-02T15:04:05Z07:00"))
	return 0
}
