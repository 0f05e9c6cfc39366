package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookline/hookline"
)

// BotStore stores bots, their sessions, steps, inbox and hourly counters
// in a DB. Bots hold no secrets, so it needs no sealer.
type BotStore struct {
	db *DB
	// steps commits the sessions' writes in groups.
	steps *writeBatcher[[]hookline.BotCounter]
}

var (
	_ hookline.BotStore        = (*BotStore)(nil)
	_ hookline.BotSessionStore = (*BotStore)(nil)
)

// NewBotStore returns the bot services of db.
func NewBotStore(db *DB) *BotStore {
	leaders := 1
	if db.dialect.name == DialectPostgres {
		// Batches of sessions of a bot share only its counters' rows,
		// which they add to last, in one order, just before committing.
		leaders = 4
	}
	return &BotStore{db: db, steps: &writeBatcher[[]hookline.BotCounter]{db: db, finish: addBatchCounters, leaders: leaders}}
}

const botColumns = "id, company_id, definition, version, created_at, updated_at"

func scanBot(scan func(...any) error) (*hookline.Bot, error) {
	var b hookline.Bot
	var def string
	if err := scan(&b.ID, &b.CompanyID, &def, &b.Version, &b.CreatedAt, &b.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(def), &b.BotDefinition); err != nil {
		return nil, fmt.Errorf("bot %d: decode definition: %w", b.ID, err)
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return &b, nil
}

func botNameTaken(err error, companyID int64, name string) error {
	return withMessage(err, "name", "company %d already has a bot named %q", companyID, name)
}

// checkBotWebhooks checks that every webhook def refers to belongs to the
// company, and records them as the bot's in bot_webhooks.
func checkBotWebhooks(ctx context.Context, c conn, botID, companyID int64, def *hookline.BotDefinition) error {
	if _, err := c.exec(ctx, "DELETE FROM bot_webhooks WHERE bot_id = ?", botID); err != nil {
		return fmt.Errorf("bot %d: forget its webhooks: %w", botID, err)
	}
	refs := def.WebhookRefs()
	for _, id := range def.WebhookIDs() {
		var one int
		err := c.queryRow(ctx, "SELECT 1 FROM webhooks WHERE id = ? AND company_id = ?", []any{id, companyID}, &one)
		if isCode(err, hookline.CodeNotFound) {
			path := ""
			for _, r := range refs {
				if r.Ref.ID == id {
					path = r.Path
					break
				}
			}
			return withMessage(err, path, "webhook %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("bot %d: check webhook %d: %w", botID, id, err)
		}
		if _, err := c.exec(ctx, "INSERT INTO bot_webhooks (bot_id, webhook_id) VALUES (?, ?)", botID, id); err != nil {
			return fmt.Errorf("bot %d: record webhook %d: %w", botID, id, err)
		}
	}
	return nil
}

// CreateBot stores b for its company, which must lie within scope. The
// service has validated and compiled the definition.
func (s *BotStore) CreateBot(ctx context.Context, scope hookline.Scope, b *hookline.Bot) error {
	def, err := json.Marshal(b.BotDefinition)
	if err != nil {
		return fmt.Errorf("create bot: encode definition: %w", err)
	}
	return s.db.inTx(ctx, func(c conn) error {
		if err := findCompany(ctx, c, scope, b.CompanyID); err != nil {
			return err
		}
		now := s.db.timestamp()
		err := c.queryRow(ctx, "INSERT INTO bots (company_id, name, definition, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?) RETURNING id",
			[]any{b.CompanyID, b.Name, string(def), now, now}, &b.ID)
		if isCode(err, hookline.CodeConflict) {
			return botNameTaken(err, b.CompanyID, b.Name)
		}
		if err != nil {
			return fmt.Errorf("create bot: %w", err)
		}
		if err := checkBotWebhooks(ctx, c, b.ID, b.CompanyID, &b.BotDefinition); err != nil {
			return err
		}
		b.Version, b.CreatedAt, b.UpdatedAt = 1, now, now
		return nil
	})
}

// FindBot returns bot id when its company lies within scope.
func (s *BotStore) FindBot(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Bot, error) {
	return findBot(ctx, s.db.conn(), scope, id)
}

func findBot(ctx context.Context, c conn, scope hookline.Scope, id int64) (*hookline.Bot, error) {
	cond, args := companyScope(scope, "company_id")
	b, err := scanBot(c.row(ctx, "SELECT "+botColumns+" FROM bots WHERE id = ? AND "+cond, append([]any{id}, args...)...).Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "bot %d not found", id)
		}
		return nil, fmt.Errorf("find bot %d: %w", id, err)
	}
	return b, nil
}

// FindBots lists the bots in the filter's scope, ordered by ID.
func (s *BotStore) FindBots(ctx context.Context, f hookline.BotFilter) ([]*hookline.Bot, error) {
	cond, args := companyScope(f.Scope, "company_id")
	if f.CompanyID != 0 {
		cond += " AND company_id = ?"
		args = append(args, f.CompanyID)
	}
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, s.db.conn(), "bots", "SELECT "+botColumns+" FROM bots WHERE "+cond, args, scanBot)
}

// UpdateBot replaces bot id's definition with what update makes of the
// stored one, in one transaction; its version goes up by one.
func (s *BotStore) UpdateBot(ctx context.Context, scope hookline.Scope, id int64, update func(stored *hookline.Bot) (hookline.BotDefinition, error)) (*hookline.Bot, error) {
	var out *hookline.Bot
	err := s.db.inTx(ctx, func(c conn) error {
		stored, err := findBot(ctx, c, scope, id)
		if err != nil {
			return err
		}
		shown := *stored
		shown.BotDefinition = stored.BotDefinition.Clone()
		def, err := update(&shown)
		if err != nil {
			return err
		}
		enc, err := json.Marshal(def)
		if err != nil {
			return fmt.Errorf("update bot %d: encode definition: %w", id, err)
		}
		now := s.db.timestamp()
		_, err = c.exec(ctx, "UPDATE bots SET name = ?, definition = ?, version = version + 1, updated_at = ? WHERE id = ?", def.Name, string(enc), now, id)
		if isCode(err, hookline.CodeConflict) {
			return botNameTaken(err, stored.CompanyID, def.Name)
		}
		if err != nil {
			return fmt.Errorf("update bot %d: %w", id, err)
		}
		if err := checkBotWebhooks(ctx, c, id, stored.CompanyID, &def); err != nil {
			return err
		}
		out = stored
		out.BotDefinition, out.Version, out.UpdatedAt = def, stored.Version+1, now
		return nil
	})
	return out, err
}

// DeleteBot removes bot id, when it lies within scope, with its
// sessions, inbox and counters (their foreign keys cascade) and its
// webhook channels (whose table came before the bots', without a foreign
// key to them), in one transaction. Answers still queued for a deleted
// channel's POST_URL are canceled when their turn comes.
func (s *BotStore) DeleteBot(ctx context.Context, scope hookline.Scope, id int64) error {
	return s.db.inTx(ctx, func(c conn) error {
		cond, args := companyScope(scope, "company_id")
		res, err := c.exec(ctx, "DELETE FROM bots WHERE id = ? AND "+cond, append([]any{id}, args...)...)
		if err != nil {
			return fmt.Errorf("delete bot %d: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("delete bot %d: %w", id, err)
		}
		if n == 0 {
			return hookline.NotFound("bot", id)
		}
		if _, err := c.exec(ctx, "DELETE FROM channels WHERE bot_id = ?", id); err != nil {
			return fmt.Errorf("delete the channels of bot %d: %w", id, err)
		}
		return nil
	})
}

// BotVersion returns bot id's company and version, whatever the scope.
func (s *BotStore) BotVersion(ctx context.Context, id int64) (companyID, version int64, err error) {
	err = s.db.conn().queryRow(ctx, "SELECT company_id, version FROM bots WHERE id = ?", []any{id}, &companyID, &version)
	if isCode(err, hookline.CodeNotFound) {
		return 0, 0, withMessage(err, "", "bot %d not found", id)
	}
	return companyID, version, err
}

// maxBotsNamed bounds the bots a refused webhook deletion names.
const maxBotsNamed = 10

// webhookUsers is the CodeConflict error of deleting webhook id while
// bots use it, naming them (the first maxBotsNamed), or nil when none do.
func webhookUsers(ctx context.Context, c conn, id int64) error {
	type user struct {
		id   int64
		name string
	}
	users, err := queryAll(ctx, c, "bots using a webhook",
		"SELECT b.id, b.name FROM bot_webhooks bw JOIN bots b ON b.id = bw.bot_id WHERE bw.webhook_id = ? ORDER BY b.id LIMIT ?",
		[]any{id, maxBotsNamed + 1}, func(scan func(...any) error) (*user, error) {
			var u user
			return &u, scan(&u.id, &u.name)
		})
	if err != nil || len(users) == 0 {
		return err
	}
	var names []string
	for i, u := range users {
		if i == maxBotsNamed {
			names = append(names, "more")
			break
		}
		names = append(names, fmt.Sprintf("bot %d (%q)", u.id, u.name))
	}
	them := "their"
	if len(users) == 1 {
		them = "its"
	}
	return hookline.Errorf(hookline.CodeConflict, "webhook %d is used by %s; remove it from %s connections first",
		id, strings.Join(names, ", "), them)
}
