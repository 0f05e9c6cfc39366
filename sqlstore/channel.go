package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// ChannelStore stores apps, webhook channels and the Idempotency-Keys of
// calls to their hooks in a DB. Client secrets and access tokens are sealed
// with its SecretSealer before they reach the database, and opened only by
// the methods that need them: the hook's check (FindHookChannel) and the
// send of an async answer (FindChannelToken).
type ChannelStore struct {
	db     *DB
	sealer hookline.SecretSealer
}

var _ hookline.ChannelStore = (*ChannelStore)(nil)

// NewChannelStore returns the channel store of db, sealing secrets with
// sealer.
func NewChannelStore(db *DB, sealer hookline.SecretSealer) *ChannelStore {
	return &ChannelStore{db: db, sealer: sealer}
}

// seal seals a non-empty secret; "" stays "".
func (s *ChannelStore) seal(secret string) (string, error) {
	var out string
	err := sealWith(s.sealer)(&out, secret)
	return out, err
}

// open opens a sealed secret; "" stays "".
func (s *ChannelStore) open(sealed string) (string, error) {
	switch {
	case sealed == "":
		return "", nil
	case s.sealer == nil:
		return "", errors.New("no secret sealer configured")
	}
	plain, err := s.sealer.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("open secret: %w", err)
	}
	return plain, nil
}

const appColumns = "id, company_id, name, client_id, previous_until, created_at, updated_at"

// scanApp scans a row of appColumns; the client secret reads as the mask.
func scanApp(scan func(...any) error) (*hookline.App, error) {
	var a hookline.App
	var until sql.NullTime
	if err := scan(&a.ID, &a.CompanyID, &a.Name, &a.ClientID, &until, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.ClientSecret = hookline.SecretMask
	if until.Valid {
		t := until.Time.UTC()
		a.PreviousUntil = &t
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// CreateApp stores a for its company, which must lie within scope.
func (s *ChannelStore) CreateApp(ctx context.Context, scope hookline.Scope, a *hookline.App) error {
	return s.db.inTx(ctx, func(c conn) error {
		if err := findCompany(ctx, c, scope, a.CompanyID); err != nil {
			return err
		}
		return s.insertApp(ctx, c, a)
	})
}

func (s *ChannelStore) insertApp(ctx context.Context, c conn, a *hookline.App) error {
	sealed, err := s.seal(a.ClientSecret)
	if err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	if sealed == "" {
		return errors.New("create app: no client secret")
	}
	now := s.db.timestamp()
	err = c.queryRow(ctx, "INSERT INTO apps (company_id, name, client_id, sealed_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		[]any{a.CompanyID, a.Name, a.ClientID, sealed, now, now}, &a.ID)
	if err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = now, now
	return nil
}

// FindApp returns app id when its company lies within scope, its secret
// masked.
func (s *ChannelStore) FindApp(ctx context.Context, scope hookline.Scope, id int64) (*hookline.App, error) {
	return findApp(ctx, s.db.conn(), scope, id)
}

func findApp(ctx context.Context, c conn, scope hookline.Scope, id int64) (*hookline.App, error) {
	cond, args := companyScope(scope, "company_id")
	a, err := scanApp(c.row(ctx, "SELECT "+appColumns+" FROM apps WHERE id = ? AND "+cond, append([]any{id}, args...)...).Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "app %d not found", id)
		}
		return nil, fmt.Errorf("find app %d: %w", id, err)
	}
	return a, nil
}

// FindApps lists the apps in the filter's scope by id, secrets masked.
func (s *ChannelStore) FindApps(ctx context.Context, f hookline.AppFilter) ([]*hookline.App, error) {
	cond, args := companyScope(f.Scope, "company_id")
	if f.CompanyID != 0 {
		cond += " AND company_id = ?"
		args = append(args, f.CompanyID)
	}
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, s.db.conn(), "apps", "SELECT "+appColumns+" FROM apps WHERE "+cond, args, scanApp)
}

// appUsers is how many of an app's channels an error names.
const appUsers = 10

// DeleteApp removes app id when it lies within scope and no channel uses
// it; otherwise CodeConflict names the channels that do.
func (s *ChannelStore) DeleteApp(ctx context.Context, scope hookline.Scope, id int64) error {
	return s.db.inTx(ctx, func(c conn) error {
		if _, err := findApp(ctx, c, scope, id); err != nil {
			return err
		}
		users, err := queryAll(ctx, c, "channels", "SELECT id, bot_id, name FROM channels WHERE app_id = ? ORDER BY id LIMIT ?",
			[]any{id, appUsers + 1}, func(scan func(...any) error) (*hookline.Channel, error) {
				var ch hookline.Channel
				return &ch, scan(&ch.ID, &ch.BotID, &ch.Name)
			})
		if err != nil {
			return fmt.Errorf("delete app %d: %w", id, err)
		}
		if len(users) > 0 {
			names := make([]string, 0, len(users))
			for i, ch := range users {
				if i == appUsers {
					names = append(names, "and more")
					break
				}
				names = append(names, fmt.Sprintf("%d %q of bot %d", ch.ID, ch.Name, ch.BotID))
			}
			return hookline.Errorf(hookline.CodeConflict, "app %d is used by channels %s; associate them with another app (PATCH /api/v1/channels/{id}) or delete them first",
				id, strings.Join(names, ", "))
		}
		if _, err := c.exec(ctx, "DELETE FROM apps WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete app %d: %w", id, err)
		}
		return nil
	})
}

// RotateAppSecret makes secret app id's client secret; the current one
// stays valid until previousUntil.
func (s *ChannelStore) RotateAppSecret(ctx context.Context, scope hookline.Scope, id int64, secret string, previousUntil time.Time) (*hookline.App, error) {
	sealed, err := s.seal(secret)
	if err != nil {
		return nil, fmt.Errorf("rotate app secret: %w", err)
	}
	var out *hookline.App
	err = s.db.inTx(ctx, func(c conn) error {
		a, err := findApp(ctx, c, scope, id)
		if err != nil {
			return err
		}
		now, until := s.db.timestamp(), storedTime(previousUntil)
		if _, err := c.exec(ctx, "UPDATE apps SET sealed_previous = sealed_secret, sealed_secret = ?, previous_until = ?, updated_at = ? WHERE id = ?",
			sealed, until, now, id); err != nil {
			return fmt.Errorf("rotate the secret of app %d: %w", id, err)
		}
		a.PreviousUntil, a.UpdatedAt = &until, now
		out = a
		return nil
	})
	return out, err
}

// channelColumns are what scanChannel reads of a channel c and its app a.
const channelColumns = `c.id, c.company_id, c.bot_id, c.app_id, a.client_id, c.type, c.name, c.mode, c.post_url,
	c.sealed_access_token, c.require_exp, c.approved_at, c.enabled, c.created_at, c.updated_at`

// channelSelect reads channels with their app's client id.
const channelSelect = "SELECT " + channelColumns + " FROM channels c LEFT JOIN apps a ON a.id = c.app_id"

// hookSelect reads a channel as FindHookChannel does, with its app's
// sealed secrets first; hookSelectFirst reads the bot's first channel.
const (
	hookColumns     = "SELECT a.sealed_secret, a.sealed_previous, a.previous_until, " + channelColumns
	hookSelect      = hookColumns + " FROM channels c LEFT JOIN apps a ON a.id = c.app_id WHERE c.bot_id = ? AND c.id = ?"
	hookSelectFirst = hookColumns + " FROM (SELECT * FROM channels WHERE bot_id = ? ORDER BY id LIMIT 1) c LEFT JOIN apps a ON a.id = c.app_id"
)

// scanChannel scans a row of channelSelect (and extra destinations after
// it); with open its access token is opened, else masked.
func (s *ChannelStore) scanChannel(scan func(...any) error, open bool, extra ...any) (*hookline.Channel, error) {
	var ch hookline.Channel
	var app sql.NullInt64
	var clientID sql.NullString
	var token string
	var approved sql.NullTime
	dest := append([]any{&ch.ID, &ch.CompanyID, &ch.BotID, &app, &clientID, &ch.Type, &ch.Name, &ch.Mode, &ch.PostURL,
		&token, &ch.RequireExp, &approved, &ch.Enabled, &ch.CreatedAt, &ch.UpdatedAt}, extra...)
	if err := scan(dest...); err != nil {
		return nil, err
	}
	if app.Valid {
		id := app.Int64
		ch.AppID = &id
	}
	ch.ClientID = clientID.String
	if approved.Valid {
		t := approved.Time.UTC()
		ch.Approved, ch.ApprovedAt = true, &t
	}
	ch.CreatedAt, ch.UpdatedAt = ch.CreatedAt.UTC(), ch.UpdatedAt.UTC()
	switch {
	case token == "":
	case open:
		plain, err := s.open(token)
		if err != nil {
			return nil, fmt.Errorf("channel %d: %w", ch.ID, err)
		}
		ch.AccessToken = plain
	default:
		ch.AccessToken = hookline.SecretMask
	}
	return &ch, nil
}

func channelNameTaken(err error, field string, botID int64, name string) error {
	return withMessage(err, field, "bot %d already has a channel named %q", botID, name)
}

// appOfCompany checks that app id belongs to company and returns its
// client id; anything else is CodeNotFound naming field.
func appOfCompany(ctx context.Context, c conn, id, company int64, field string) (string, error) {
	var clientID string
	err := c.queryRow(ctx, "SELECT client_id FROM apps WHERE id = ? AND company_id = ?", []any{id, company}, &clientID)
	if isCode(err, hookline.CodeNotFound) {
		return "", withMessage(err, field, "app %d not found in company %d", id, company)
	}
	if err != nil {
		return "", fmt.Errorf("find app %d: %w", id, err)
	}
	return clientID, nil
}

// nullRef is an optional reference (a template, an app, a bot...) as a column.
func nullRef(id *int64) sql.NullInt64 {
	if id == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *id, Valid: true}
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: storedTime(*t), Valid: true}
}

// CreateChannel stores ch for its company, which must lie within scope;
// with app, it creates app first and associates it, in one transaction.
func (s *ChannelStore) CreateChannel(ctx context.Context, scope hookline.Scope, ch *hookline.Channel, app *hookline.App) error {
	return s.db.inTx(ctx, func(c conn) error {
		if err := findCompany(ctx, c, scope, ch.CompanyID); err != nil {
			return err
		}
		if app != nil {
			app.CompanyID = ch.CompanyID
			if err := s.insertApp(ctx, c, app); err != nil {
				return err
			}
			id := app.ID
			ch.AppID, ch.ClientID = &id, app.ClientID
		}
		return s.insertChannel(ctx, c, ch, "")
	})
}

// CreateChannels stores channels in one transaction: all or none.
func (s *ChannelStore) CreateChannels(ctx context.Context, chs []*hookline.Channel) error {
	return s.db.inTx(ctx, func(c conn) error {
		for i, ch := range chs {
			if err := findCompany(ctx, c, hookline.AdminScope(), ch.CompanyID); err != nil {
				return err
			}
			if err := s.insertChannel(ctx, c, ch, fmt.Sprintf("channels[%d].", i)); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertChannel stores ch; prefix goes before the fields its errors name.
func (s *ChannelStore) insertChannel(ctx context.Context, c conn, ch *hookline.Channel, prefix string) error {
	if ch.AppID != nil && ch.ClientID == "" {
		clientID, err := appOfCompany(ctx, c, *ch.AppID, ch.CompanyID, prefix+"app_id")
		if err != nil {
			return err
		}
		ch.ClientID = clientID
	}
	token, err := s.seal(ch.AccessToken)
	if err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	now := s.db.timestamp()
	err = c.queryRow(ctx, `INSERT INTO channels (company_id, bot_id, app_id, type, name, mode, post_url, sealed_access_token, require_exp, approved_at, enabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{ch.CompanyID, ch.BotID, nullRef(ch.AppID), ch.Type, ch.Name, ch.Mode, ch.PostURL, token, ch.RequireExp, nullTime(ch.ApprovedAt), ch.Enabled, now, now}, &ch.ID)
	if isCode(err, hookline.CodeConflict) {
		return channelNameTaken(err, prefix+"name", ch.BotID, ch.Name)
	}
	if err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	ch.CreatedAt, ch.UpdatedAt = now, now
	return nil
}

// FindChannel returns channel id when its company lies within scope, its
// access token masked.
func (s *ChannelStore) FindChannel(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Channel, error) {
	return s.findChannel(ctx, s.db.conn(), scope, id)
}

func (s *ChannelStore) findChannel(ctx context.Context, c conn, scope hookline.Scope, id int64) (*hookline.Channel, error) {
	cond, args := companyScope(scope, "c.company_id")
	ch, err := s.scanChannel(c.row(ctx, channelSelect+" WHERE c.id = ? AND "+cond, append([]any{id}, args...)...).Scan, false)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "channel %d not found", id)
		}
		return nil, fmt.Errorf("find channel %d: %w", id, err)
	}
	return ch, nil
}

// FindChannels lists the channels in the filter's scope by id, access
// tokens masked.
func (s *ChannelStore) FindChannels(ctx context.Context, f hookline.ChannelFilter) ([]*hookline.Channel, error) {
	cond, args := companyScope(f.Scope, "c.company_id")
	if f.BotID != 0 {
		cond += " AND c.bot_id = ?"
		args = append(args, f.BotID)
	}
	if f.Approved != nil {
		if *f.Approved {
			cond += " AND c.approved_at IS NOT NULL"
		} else {
			cond += " AND c.approved_at IS NULL"
		}
	}
	if f.After != 0 {
		cond += " AND c.id > ?"
		args = append(args, f.After)
	}
	cond += " ORDER BY c.id"
	if f.Limit > 0 {
		cond += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return queryAll(ctx, s.db.conn(), "channels", channelSelect+" WHERE "+cond, args, func(scan func(...any) error) (*hookline.Channel, error) {
		return s.scanChannel(scan, false)
	})
}

// UpdateChannel saves what update makes of channel id, when it lies within
// scope, in one transaction with the read.
func (s *ChannelStore) UpdateChannel(ctx context.Context, scope hookline.Scope, id int64, update func(*hookline.Channel) error) (*hookline.Channel, error) {
	var out *hookline.Channel
	err := s.db.inTx(ctx, func(c conn) error {
		stored, err := s.findChannel(ctx, c, scope, id)
		if err != nil {
			return err
		}
		ch := *stored
		if err := update(&ch); err != nil {
			return err
		}
		// What identifies the channel stays.
		ch.ID, ch.CompanyID, ch.BotID, ch.CreatedAt = stored.ID, stored.CompanyID, stored.BotID, stored.CreatedAt
		switch {
		case ch.AppID == nil:
			ch.ClientID = ""
		case stored.AppID == nil || *ch.AppID != *stored.AppID:
			if ch.ClientID, err = appOfCompany(ctx, c, *ch.AppID, ch.CompanyID, "app_id"); err != nil {
				return err
			}
		}
		tokenSet := ""
		args := []any{ch.Name, nullRef(ch.AppID), ch.Mode, ch.PostURL, ch.RequireExp, nullTime(ch.ApprovedAt), ch.Enabled}
		if ch.AccessToken != hookline.SecretMask {
			sealed, err := s.seal(ch.AccessToken)
			if err != nil {
				return fmt.Errorf("update channel %d: %w", id, err)
			}
			tokenSet = ", sealed_access_token = ?"
			args = append(args, sealed)
		}
		now := s.db.timestamp()
		args = append(args, now, id)
		_, err = c.exec(ctx, "UPDATE channels SET name = ?, app_id = ?, mode = ?, post_url = ?, require_exp = ?, approved_at = ?, enabled = ?"+tokenSet+", updated_at = ? WHERE id = ?", args...)
		if isCode(err, hookline.CodeConflict) {
			return channelNameTaken(err, "name", ch.BotID, ch.Name)
		}
		if err != nil {
			return fmt.Errorf("update channel %d: %w", id, err)
		}
		ch.UpdatedAt = now
		ch.Approved = ch.ApprovedAt != nil
		shown := ch.Masked()
		out = &shown
		return nil
	})
	return out, err
}

// DeleteChannel removes channel id when it lies within scope, with its
// Idempotency-Keys.
func (s *ChannelStore) DeleteChannel(ctx context.Context, scope hookline.Scope, id int64) error {
	cond, args := companyScope(scope, "company_id")
	res, err := s.db.conn().exec(ctx, "DELETE FROM channels WHERE id = ? AND "+cond, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	if n == 0 {
		return hookline.NotFound("channel", id)
	}
	return nil
}

// FindHookChannel returns channel id of bot botID, or with id 0 the bot's
// first channel, with its app's secrets opened.
func (s *ChannelStore) FindHookChannel(ctx context.Context, botID, id int64) (*hookline.HookChannel, error) {
	query, args := hookSelect, []any{botID, id}
	if id == 0 {
		query, args = hookSelectFirst, []any{botID}
	}
	var secret, previous sql.NullString
	var until sql.NullTime
	row := s.db.conn().row(ctx, query, args...)
	ch, err := s.scanChannel(func(dest ...any) error {
		return row.Scan(append([]any{&secret, &previous, &until}, dest...)...)
	}, false)
	if err != nil {
		err = s.db.dialect.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			if id == 0 {
				return nil, withMessage(err, "", "bot %d has no webhook channel", botID)
			}
			return nil, withMessage(err, "", "bot %d has no webhook channel %d", botID, id)
		}
		return nil, fmt.Errorf("find the hook of channel %d: %w", id, err)
	}
	out := &hookline.HookChannel{Channel: *ch}
	if out.Secret, err = s.open(secret.String); err != nil {
		return nil, fmt.Errorf("channel %d: app secret: %w", ch.ID, err)
	}
	if previous.String != "" && until.Valid {
		if out.Previous, err = s.open(previous.String); err != nil {
			return nil, fmt.Errorf("channel %d: previous app secret: %w", ch.ID, err)
		}
		out.PreviousUntil = until.Time.UTC()
	}
	return out, nil
}

// FindChannelToken returns channel id of company companyID with its access
// token opened.
func (s *ChannelStore) FindChannelToken(ctx context.Context, companyID, id int64) (*hookline.Channel, error) {
	ch, err := s.scanChannel(s.db.conn().row(ctx, channelSelect+" WHERE c.id = ? AND c.company_id = ?", id, companyID).Scan, true)
	if err != nil {
		err = s.db.dialect.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "channel %d not found", id)
		}
		return nil, fmt.Errorf("find channel %d: %w", id, err)
	}
	return ch, nil
}

// storedAnswer is the JSON of a hook call's answer in hook_idempotency.
type storedAnswer struct {
	Async bool              `json:"async,omitempty"`
	Text  []json.RawMessage `json:"text,omitempty"`
}

// ClaimHookKey claims key for a call to channel channelID, or returns the
// answer stored for it.
func (s *ChannelStore) ClaimHookKey(ctx context.Context, channelID int64, key string, hash []byte, window, stale time.Duration) (*hookline.HookAnswer, error) {
	var out *hookline.HookAnswer
	err := s.db.inTx(ctx, func(c conn) error {
		now := s.db.timestamp()
		if _, err := c.exec(ctx, "DELETE FROM hook_idempotency WHERE channel_id = ? AND (created_at < ? OR (key = ? AND answered = FALSE AND created_at < ?))",
			channelID, now.Add(-window), key, now.Add(-stale)); err != nil {
			return fmt.Errorf("claim Idempotency-Key: %w", err)
		}
		res, err := c.exec(ctx, "INSERT INTO hook_idempotency (channel_id, key, request_hash, answered, created_at) VALUES (?, ?, ?, FALSE, ?) ON CONFLICT (channel_id, key) DO NOTHING",
			channelID, key, hash, now)
		if err != nil {
			return fmt.Errorf("claim Idempotency-Key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var stored []byte
		var answered bool
		var answer sql.NullString
		if err := c.queryRow(ctx, "SELECT request_hash, answered, answer FROM hook_idempotency WHERE channel_id = ? AND key = ?",
			[]any{channelID, key}, &stored, &answered, &answer); err != nil {
			return fmt.Errorf("claim Idempotency-Key: %w", err)
		}
		switch {
		case !bytes.Equal(stored, hash):
			return &hookline.Error{Code: hookline.CodeConflict, Field: "Idempotency-Key",
				Message: "this Idempotency-Key was used in the last 24 hours with another request; use a new key for a new message"}
		case !answered:
			return &hookline.Error{Code: hookline.CodeConflict, Field: "Idempotency-Key",
				Message: "a call with this Idempotency-Key is still being answered; send it again once that one has its answer"}
		}
		var a storedAnswer
		if err := json.Unmarshal([]byte(answer.String), &a); err != nil {
			return fmt.Errorf("claim Idempotency-Key: decode the stored answer: %w", err)
		}
		out = &hookline.HookAnswer{Async: a.Async, Text: a.Text}
		return nil
	})
	return out, err
}

// SaveHookAnswer stores the answer of a claimed key.
func (s *ChannelStore) SaveHookAnswer(ctx context.Context, channelID int64, key string, a *hookline.HookAnswer) error {
	raw, err := json.Marshal(storedAnswer{Async: a.Async, Text: a.Text})
	if err != nil {
		return fmt.Errorf("save hook answer: %w", err)
	}
	if _, err := s.db.conn().exec(ctx, "UPDATE hook_idempotency SET answered = TRUE, answer = ? WHERE channel_id = ? AND key = ?",
		string(raw), channelID, key); err != nil {
		return fmt.Errorf("save hook answer: %w", err)
	}
	return nil
}

// ReleaseHookKey forgets a claim that has no answer.
func (s *ChannelStore) ReleaseHookKey(ctx context.Context, channelID int64, key string) error {
	if _, err := s.db.conn().exec(ctx, "DELETE FROM hook_idempotency WHERE channel_id = ? AND key = ? AND answered = FALSE",
		channelID, key); err != nil {
		return fmt.Errorf("release Idempotency-Key: %w", err)
	}
	return nil
}
