package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hookline/hookline"
)

// LockBotSession holds the session's lock until unlock is called: an
// advisory lock on PostgreSQL (on a connection of its own, across every
// process sharing the schema), a lock of this process on SQLite.
func (s *BotStore) LockBotSession(ctx context.Context, key hookline.BotSessionKey) (func(), error) {
	unlock, _, err := s.db.sessionLock(ctx, key.String(), true)
	return unlock, err
}

// TryLockBotSession is LockBotSession without waiting.
func (s *BotStore) TryLockBotSession(ctx context.Context, key hookline.BotSessionKey) (func(), bool, error) {
	return s.db.sessionLock(ctx, key.String(), false)
}

const sessionColumns = "id, bot_id, company_id, channel_id, channel_name, from_id, to_id, state, end_reason, module_id, variables, extracted, reply_data, last_message, steps, created_at, last_activity_at, expires_at, ended_at"

func scanSession(scan func(...any) error) (*hookline.BotSession, error) {
	var s hookline.BotSession
	var vars, extracted, reply, last string
	var ended sql.NullTime
	if err := scan(&s.ID, &s.BotID, &s.CompanyID, &s.ChannelID, &s.ChannelName, &s.From, &s.To, &s.State, &s.EndReason,
		&s.ModuleID, &vars, &extracted, &reply, &last, &s.Steps, &s.CreatedAt, &s.LastActivityAt, &s.ExpiresAt, &ended); err != nil {
		return nil, err
	}
	s.Variables, s.ExtractedData = json.RawMessage(vars), json.RawMessage(extracted)
	if reply != "" {
		s.ReplyData = json.RawMessage(reply)
	}
	if last != "" && last != "null" {
		s.LastMessage = &hookline.BotMessage{}
		if err := json.Unmarshal([]byte(last), s.LastMessage); err != nil {
			return nil, fmt.Errorf("session %d: decode last message: %w", s.ID, err)
		}
		s.LastMessage.At = s.LastMessage.At.UTC()
	}
	s.CreatedAt, s.LastActivityAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastActivityAt.UTC(), s.ExpiresAt.UTC()
	if ended.Valid {
		t := ended.Time.UTC()
		s.EndedAt = &t
	}
	return &s, nil
}

// jsonObject is raw as stored: an object, {} when empty.
func jsonObject(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

func lastMessage(m *hookline.BotMessage) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// FindOpenBotSessionVersion returns the key's open session and its bot's
// current version.
func (s *BotStore) FindOpenBotSessionVersion(ctx context.Context, key hookline.BotSessionKey) (*hookline.BotSession, int64, error) {
	c := s.db.conn()
	var version int64
	out, err := scanSession(func(dest ...any) error {
		return c.row(ctx, "SELECT "+sessionColumns+", (SELECT version FROM bots WHERE bots.id = bot_sessions.bot_id) FROM bot_sessions WHERE bot_id = ? AND channel_id = ? AND from_id = ? AND state = 'open'",
			key.BotID, key.ChannelID, key.From).Scan(append(dest, &version)...)
	})
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, 0, withMessage(err, "", "no open session")
		}
		return nil, 0, fmt.Errorf("find open session: %w", err)
	}
	return out, version, nil
}

// StartBotSession stores s, open, ending expired (idle) first when given.
// It commits with the other session writes of the moment (see
// writeBatcher).
func (s *BotStore) StartBotSession(ctx context.Context, sess *hookline.BotSession, expired *hookline.BotSession, counters []hookline.BotCounter) error {
	last, err := lastMessage(sess.LastMessage)
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	return s.steps.write(ctx, counters, func(c conn) error {
		now := s.db.timestamp()
		if expired != nil {
			if _, err := c.exec(ctx, "UPDATE bot_sessions SET state = 'ended', end_reason = ?, ended_at = ? WHERE id = ? AND state = 'open'",
				hookline.EndReasonIdle, now, expired.ID); err != nil {
				return fmt.Errorf("end session %d: %w", expired.ID, err)
			}
		}
		sess.State, sess.CreatedAt, sess.LastActivityAt = hookline.SessionOpen, now, now
		sess.ExpiresAt = storedTime(sess.ExpiresAt)
		err := c.queryRow(ctx, "INSERT INTO bot_sessions (bot_id, company_id, channel_id, channel_name, from_id, to_id, state, end_reason, module_id, variables, extracted, reply_data, last_message, steps, created_at, last_activity_at, expires_at) "+
			"VALUES (?, ?, ?, ?, ?, ?, 'open', '', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			[]any{sess.BotID, sess.CompanyID, sess.ChannelID, sess.ChannelName, sess.From, sess.To, sess.ModuleID,
				jsonObject(sess.Variables), jsonObject(sess.ExtractedData), string(sess.ReplyData), last, sess.Steps, now, now, sess.ExpiresAt}, &sess.ID)
		if c.d.foreignKeyFailure(err) {
			return &hookline.Error{Code: hookline.CodeNotFound, Message: fmt.Sprintf("bot %d not found", sess.BotID), Err: err}
		}
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		return nil
	})
}

// SaveBotStep saves the session as the step left it, the step, its
// counters and its inbox message's reply, in one transaction, which it
// shares with the other session writes of the moment (see writeBatcher).
func (s *BotStore) SaveBotStep(ctx context.Context, rec *hookline.BotStepRecord) error {
	sess := rec.Session
	last, err := lastMessage(sess.LastMessage)
	if err != nil {
		return fmt.Errorf("save step: %w", err)
	}
	step, err := json.Marshal(rec.Step)
	if err != nil {
		return fmt.Errorf("save step: %w", err)
	}
	var reply []byte
	if rec.InboxID != 0 {
		if reply, err = json.Marshal(storedReply{Text: rec.Reply.Text, SessionID: rec.Reply.SessionID}); err != nil {
			return fmt.Errorf("save step: %w", err)
		}
	}
	return s.steps.write(ctx, rec.Counters, func(c conn) error {
		res, err := c.exec(ctx, "UPDATE bot_sessions SET to_id = ?, state = ?, end_reason = ?, module_id = ?, variables = ?, extracted = ?, reply_data = ?, last_message = ?, steps = ?, last_activity_at = ?, expires_at = ?, ended_at = ? WHERE id = ?",
			sess.To, sess.State, sess.EndReason, sess.ModuleID, jsonObject(sess.Variables), jsonObject(sess.ExtractedData), string(sess.ReplyData), last,
			sess.Steps, storedTime(sess.LastActivityAt), storedTime(sess.ExpiresAt), nullTime(sess.EndedAt), sess.ID)
		if err != nil {
			return fmt.Errorf("save session %d: %w", sess.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return withMessage(hookline.NotFound("session", sess.ID), "", "session %d not found (its bot was deleted)", sess.ID)
		}
		if _, err := c.exec(ctx, "INSERT INTO bot_steps (session_id, n, step) VALUES (?, ?, ?)", sess.ID, rec.Step.N, string(step)); err != nil {
			return fmt.Errorf("save step %d of session %d: %w", rec.Step.N, sess.ID, err)
		}
		if rec.InboxID != 0 {
			if _, err := c.exec(ctx, "UPDATE bot_inbox SET reply = ? WHERE id = ?", string(reply), rec.InboxID); err != nil {
				return fmt.Errorf("save step: mark inbox message %d: %w", rec.InboxID, err)
			}
		}
		return nil
	})
}

// addCounters adds to the hourly counters, one statement per counter
// (the same counter given twice is added twice).
func addCounters(ctx context.Context, c conn, counters []hookline.BotCounter) error {
	for _, k := range counters {
		if k.Value == 0 {
			continue
		}
		_, err := c.exec(ctx, "INSERT INTO bot_metrics (bot_id, channel_id, hour, name, value, channel_name) VALUES (?, ?, ?, ?, ?, ?) "+
			"ON CONFLICT (bot_id, channel_id, hour, name) DO UPDATE SET value = bot_metrics.value + excluded.value, channel_name = excluded.channel_name",
			k.BotID, k.ChannelID, storedTime(k.Hour.Truncate(time.Hour)), k.Name, k.Value, k.ChannelName)
		if err != nil {
			return fmt.Errorf("count %s of bot %d: %w", k.Name, k.BotID, err)
		}
	}
	return nil
}

// FindBotSession returns session id when its company lies within scope,
// with its latest hookline.MaxSessionHistory steps when history is set.
func (s *BotStore) FindBotSession(ctx context.Context, scope hookline.Scope, id int64, history bool) (*hookline.BotSession, error) {
	c := s.db.conn()
	cond, args := companyScope(scope, "company_id")
	sess, err := scanSession(c.row(ctx, "SELECT "+sessionColumns+" FROM bot_sessions WHERE id = ? AND "+cond, append([]any{id}, args...)...).Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "session %d not found", id)
		}
		return nil, fmt.Errorf("find session %d: %w", id, err)
	}
	if !history {
		return sess, nil
	}
	steps, err := queryAll(ctx, c, "session steps", "SELECT step FROM bot_steps WHERE session_id = ? ORDER BY n DESC LIMIT ?",
		[]any{id, hookline.MaxSessionHistory}, func(scan func(...any) error) (*hookline.BotStep, error) {
			var raw string
			if err := scan(&raw); err != nil {
				return nil, err
			}
			var st hookline.BotStep
			if err := json.Unmarshal([]byte(raw), &st); err != nil {
				return nil, fmt.Errorf("decode step: %w", err)
			}
			st.At = st.At.UTC()
			return &st, nil
		})
	if err != nil {
		return nil, err
	}
	slices.Reverse(steps)
	sess.History = make([]hookline.BotStep, len(steps))
	for i, st := range steps {
		sess.History[i] = *st
	}
	return sess, nil
}

// FindBotSessions lists sessions newest first.
func (s *BotStore) FindBotSessions(ctx context.Context, f hookline.BotSessionFilter) ([]*hookline.BotSession, error) {
	cond, args := companyScope(f.Scope, "company_id")
	cond += " AND bot_id = ?"
	args = append(args, f.BotID)
	if f.ChannelID != nil {
		cond += " AND channel_id = ?"
		args = append(args, *f.ChannelID)
	}
	if f.State != "" {
		cond += " AND state = ?"
		args = append(args, f.State)
	}
	if f.Before != 0 {
		cond += " AND id < ?"
		args = append(args, f.Before)
	}
	cond += " ORDER BY id DESC"
	if f.Limit > 0 {
		cond += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return queryAll(ctx, s.db.conn(), "sessions", "SELECT "+sessionColumns+" FROM bot_sessions WHERE "+cond, args, scanSession)
}

// FindExpiredBotSessions lists open sessions past their idle timeout.
func (s *BotStore) FindExpiredBotSessions(ctx context.Context, now time.Time, limit int) ([]*hookline.BotSession, error) {
	return queryAll(ctx, s.db.conn(), "expired sessions",
		"SELECT "+sessionColumns+" FROM bot_sessions WHERE state = 'open' AND expires_at < ? ORDER BY expires_at LIMIT ?",
		[]any{storedTime(now), limit}, scanSession)
}

// EndIdleBotSession ends session id if it is open and expired at now,
// and counts it as ended.
func (s *BotStore) EndIdleBotSession(ctx context.Context, id int64, now time.Time) (bool, error) {
	ended := false
	err := s.db.inTx(ctx, func(c conn) error {
		var k hookline.BotCounter
		at := storedTime(now)
		err := c.queryRow(ctx, "UPDATE bot_sessions SET state = 'ended', end_reason = ?, ended_at = ? WHERE id = ? AND state = 'open' AND expires_at < ? RETURNING bot_id, channel_id, channel_name",
			[]any{hookline.EndReasonIdle, at, id, at}, &k.BotID, &k.ChannelID, &k.ChannelName)
		if isCode(err, hookline.CodeNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("end idle session %d: %w", id, err)
		}
		ended = true
		k.Hour, k.Name, k.Value = at.Truncate(time.Hour), hookline.BotMetricSessionsEnded, 1
		return addCounters(ctx, c, []hookline.BotCounter{k})
	})
	return ended, err
}

// AddBotInbox stores an accepted message, due now.
func (s *BotStore) AddBotInbox(ctx context.Context, m hookline.InboundMessage) (int64, error) {
	msg, err := json.Marshal(inboxMessage(m))
	if err != nil {
		return 0, fmt.Errorf("accept message: %w", err)
	}
	var id int64
	now := s.db.timestamp()
	err = s.db.conn().queryRow(ctx, "INSERT INTO bot_inbox (bot_id, channel_id, from_id, message, attempts, last_error, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, '', ?, ?) RETURNING id",
		[]any{m.BotID, m.ChannelID, m.From, string(msg), now, now}, &id)
	if s.db.dialect.foreignKeyFailure(err) {
		return 0, &hookline.Error{Code: hookline.CodeNotFound, Message: fmt.Sprintf("bot %d not found", m.BotID), Err: err}
	}
	if err != nil {
		return 0, fmt.Errorf("accept message: %w", err)
	}
	return id, nil
}

// storedReply is the stored form of a stepped inbox message's reply: the
// session's id is kept with it, since the channel orders a session's
// answers by it (hookline.BotReply leaves it out of its JSON).
type storedReply struct {
	Text      []json.RawMessage `json:"text"`
	SessionID int64             `json:"session_id"`
}

// storedInbound is the stored form of an accepted message: every field of
// hookline.InboundMessage, under names that change only with a migration.
type storedInbound struct {
	BotID       int64           `json:"bot_id"`
	ChannelID   int64           `json:"channel_id"`
	ChannelName string          `json:"channel_name"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	Text        string          `json:"text"`
	Attachments json.RawMessage `json:"attachments,omitempty"`
	CustomData  json.RawMessage `json:"custom_data,omitempty"`
}

func inboxMessage(m hookline.InboundMessage) storedInbound {
	return storedInbound{m.BotID, m.ChannelID, m.ChannelName, m.From, m.To, m.Text, m.Attachments, m.CustomData}
}

// FindBotInboxKeys lists the keys whose oldest message is due, the key of
// the oldest message first. Only a key's oldest message is ever deferred
// (the runtime handles a key's messages in order), and the others are due
// from when they were accepted: so a key is due when none of its messages
// waits. A key held back by a failing message is left out, rather than
// taking a place in every batch and starving the keys behind it.
func (s *BotStore) FindBotInboxKeys(ctx context.Context, now time.Time, limit int) ([]hookline.BotSessionKey, error) {
	keys, err := queryAll(ctx, s.db.conn(), "inbox keys",
		"SELECT bot_id, channel_id, from_id, MIN(id) FROM bot_inbox GROUP BY bot_id, channel_id, from_id HAVING MAX(next_attempt_at) <= ? ORDER BY MIN(id) LIMIT ?",
		[]any{storedTime(now), limit}, func(scan func(...any) error) (*hookline.BotSessionKey, error) {
			var k hookline.BotSessionKey
			var first int64
			return &k, scan(&k.BotID, &k.ChannelID, &k.From, &first)
		})
	if err != nil {
		return nil, err
	}
	out := make([]hookline.BotSessionKey, len(keys))
	for i, k := range keys {
		out[i] = *k
	}
	return out, nil
}

// NextBotInbox returns the oldest inbox message of a key.
func (s *BotStore) NextBotInbox(ctx context.Context, key hookline.BotSessionKey) (*hookline.BotInboxItem, error) {
	var it hookline.BotInboxItem
	var msg string
	var reply sql.NullString
	err := s.db.conn().queryRow(ctx, "SELECT id, message, reply, attempts, next_attempt_at FROM bot_inbox WHERE bot_id = ? AND channel_id = ? AND from_id = ? ORDER BY id LIMIT 1",
		[]any{key.BotID, key.ChannelID, key.From}, &it.ID, &msg, &reply, &it.Attempts, &it.NextAttemptAt)
	if isCode(err, hookline.CodeNotFound) {
		return nil, withMessage(err, "", "no inbox message")
	}
	if err != nil {
		return nil, fmt.Errorf("next inbox message: %w", err)
	}
	var m storedInbound
	if err := json.Unmarshal([]byte(msg), &m); err != nil {
		return nil, fmt.Errorf("inbox message %d: %w", it.ID, err)
	}
	it.Message = hookline.InboundMessage{BotID: m.BotID, ChannelID: m.ChannelID, ChannelName: m.ChannelName, From: m.From, To: m.To,
		Text: m.Text, Attachments: m.Attachments, CustomData: m.CustomData}
	it.NextAttemptAt = it.NextAttemptAt.UTC()
	if reply.Valid {
		var r storedReply
		if err := json.Unmarshal([]byte(reply.String), &r); err != nil {
			return nil, fmt.Errorf("inbox message %d: %w", it.ID, err)
		}
		it.Stepped = true
		it.Reply = &hookline.BotReply{Text: r.Text, SessionID: r.SessionID}
	}
	return &it, nil
}

// DeleteBotInbox forgets an inbox message.
func (s *BotStore) DeleteBotInbox(ctx context.Context, id int64) error {
	if _, err := s.db.conn().exec(ctx, "DELETE FROM bot_inbox WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete inbox message %d: %w", id, err)
	}
	return nil
}

// DeferBotInbox makes an inbox message wait until until.
func (s *BotStore) DeferBotInbox(ctx context.Context, id int64, until time.Time, lastError string) error {
	if _, err := s.db.conn().exec(ctx, "UPDATE bot_inbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
		lastError, storedTime(until), id); err != nil {
		return fmt.Errorf("defer inbox message %d: %w", id, err)
	}
	return nil
}

// FindBotCounters returns a bot's counters with hours in [from, to).
func (s *BotStore) FindBotCounters(ctx context.Context, botID int64, channelID *int64, from, to time.Time) ([]hookline.BotCounter, error) {
	cond, args := "bot_id = ? AND hour >= ? AND hour < ?", []any{botID, storedTime(from), storedTime(to)}
	if channelID != nil {
		cond += " AND channel_id = ?"
		args = append(args, *channelID)
	}
	rows, err := queryAll(ctx, s.db.conn(), "bot counters",
		"SELECT bot_id, channel_id, channel_name, hour, name, value FROM bot_metrics WHERE "+cond+" ORDER BY channel_id, hour, name", args,
		func(scan func(...any) error) (*hookline.BotCounter, error) {
			var k hookline.BotCounter
			if err := scan(&k.BotID, &k.ChannelID, &k.ChannelName, &k.Hour, &k.Name, &k.Value); err != nil {
				return nil, err
			}
			k.Hour = k.Hour.UTC()
			return &k, nil
		})
	if err != nil {
		return nil, err
	}
	out := make([]hookline.BotCounter, len(rows))
	for i, k := range rows {
		out[i] = *k
	}
	return out, nil
}

// fillBatch is how many sessions one statement of FillBotSessions stores.
const fillBatch = 50_000

// FillBotSessions stores n open sessions shaped like proto, the k-th
// (from 0) from fromPrefix followed by k, each with one step, in batches
// of one statement each. It is for hookline bench, which measures a
// channel with a million stored sessions: inserted one at a time through
// StartBotSession that would take longer than the measurement. The
// sessions are generated by the database (a recursive query), so that a
// batch costs one round trip. A from id already open fails the batch;
// the channel must be idle meanwhile (a session started on it during a
// batch would be given the batch's step).
func (s *BotStore) FillBotSessions(ctx context.Context, proto *hookline.BotSession, fromPrefix string, n int) error {
	last, err := lastMessage(proto.LastMessage)
	if err != nil {
		return fmt.Errorf("fill sessions: %w", err)
	}
	step, err := json.Marshal(hookline.BotStep{N: 1, At: storedTime(proto.LastActivityAt), Text: "", Replies: []json.RawMessage{},
		Modules: []int64{proto.ModuleID}, Webhooks: []hookline.BotWebhookOutcome{}})
	if err != nil {
		return fmt.Errorf("fill sessions: %w", err)
	}
	for first := 0; first < n; first += fillBatch {
		count := min(fillBatch, n-first)
		err := s.db.inTx(ctx, func(c conn) error {
			var before int64
			if err := c.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM bot_sessions", nil, &before); err != nil {
				return fmt.Errorf("fill sessions: %w", err)
			}
			if _, err := c.exec(ctx, "WITH RECURSIVE seq (k) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT k + 1 FROM seq WHERE k + 1 < CAST(? AS BIGINT)) "+
				"INSERT INTO bot_sessions (bot_id, company_id, channel_id, channel_name, from_id, to_id, state, end_reason, module_id, variables, extracted, reply_data, last_message, steps, created_at, last_activity_at, expires_at) "+
				"SELECT ?, ?, ?, ?, CAST(? AS TEXT) || CAST(k AS TEXT), ?, 'open', '', ?, '{}', '{}', '', ?, 1, ?, ?, ? FROM seq",
				first, first+count, proto.BotID, proto.CompanyID, proto.ChannelID, proto.ChannelName, fromPrefix, proto.To, proto.ModuleID, last,
				storedTime(proto.CreatedAt), storedTime(proto.LastActivityAt), storedTime(proto.ExpiresAt)); err != nil {
				if c.d.foreignKeyFailure(err) {
					return &hookline.Error{Code: hookline.CodeNotFound, Message: fmt.Sprintf("bot %d not found", proto.BotID), Err: err}
				}
				return fmt.Errorf("fill sessions %d to %d: %w", first, first+count-1, err)
			}
			if _, err := c.exec(ctx, "INSERT INTO bot_steps (session_id, n, step) SELECT id, 1, ? FROM bot_sessions WHERE id > ? AND bot_id = ? AND channel_id = ?",
				string(step), before, proto.BotID, proto.ChannelID); err != nil {
				return fmt.Errorf("fill the steps of sessions %d to %d: %w", first, first+count-1, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
