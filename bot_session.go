package hookline

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// BotSessionState says whether a session takes messages.
type BotSessionState string

const (
	SessionOpen  BotSessionState = "open"
	SessionEnded BotSessionState = "ended"
)

// Why a session ended.
const (
	EndReasonEnd  = "end"  // it entered an end module
	EndReasonIdle = "idle" // no message came for the bot's idle timeout
)

// BotSessionKey identifies a session: one user (from.id) of one bot
// through one channel (0: the builder's try console). At most one session
// of a key is open at a time.
type BotSessionKey struct {
	BotID     int64
	ChannelID int64
	From      string
}

// String is the key as one text, for locks and ordering keys.
func (k BotSessionKey) String() string {
	return strconv.FormatInt(k.BotID, 10) + "/" + strconv.FormatInt(k.ChannelID, 10) + "/" + k.From
}

// BotMessage is a user message as a session keeps it.
type BotMessage struct {
	Text        string          `json:"text" doc:"what the user said"`
	Attachments json.RawMessage `json:"attachments,omitempty" doc:"the message's attachments as received"`
	CustomData  json.RawMessage `json:"customData,omitempty" doc:"the message's customData as received; templates read it at context.session.BotUserSession.lastMessage.customData"`
	At          time.Time       `json:"at" doc:"when it arrived"`
}

// BotSession is one user's conversation with a bot through a channel.
// Variables, ExtractedData and ReplyData are JSON objects.
type BotSession struct {
	ID          int64           `json:"id" doc:"the session's id, certainly.sessionId in templates"`
	BotID       int64           `json:"bot_id" doc:"the bot"`
	CompanyID   int64           `json:"company_id" doc:"the bot's company"`
	ChannelID   int64           `json:"channel_id" doc:"the channel the session came through; 0 for the builder's try console"`
	ChannelName string          `json:"channel_name" doc:"that channel's name when the session started; empty for the try console"`
	From        string          `json:"from" doc:"the user's id (from.id), certainly.from in templates"`
	To          string          `json:"to" doc:"the recipient id (to.id) of the last message"`
	State       BotSessionState `json:"state" enum:"open,ended" doc:"open, or ended (at an end module or after the idle timeout)"`
	EndReason   string          `json:"end_reason,omitempty" enum:"end,idle" doc:"why it ended: end (an end module) or idle (the idle timeout)"`
	// ModuleID is the module the session is in (0 until the first
	// message entered start).
	ModuleID       int64           `json:"module_id" doc:"the module the session is in (certainly.moduleId); 0 before the first message"`
	Variables      json.RawMessage `json:"custom_variables" doc:"the custom variables webhooks have set, by name"`
	ExtractedData  json.RawMessage `json:"extracted_data" doc:"what collectors have stored, by key"`
	ReplyData      json.RawMessage `json:"reply_data,omitempty" doc:"the last collected answer, {key: value}"`
	LastMessage    *BotMessage     `json:"last_message" nullable:"true" doc:"the last user message"`
	Steps          int             `json:"steps" doc:"how many messages the session has handled"`
	CreatedAt      time.Time       `json:"created_at" doc:"when it started"`
	LastActivityAt time.Time       `json:"last_activity_at" doc:"when it last handled a message"`
	// ExpiresAt is when an open session ends for idleness.
	ExpiresAt time.Time  `json:"expires_at" doc:"when it ends if no message comes (open sessions)"`
	EndedAt   *time.Time `json:"ended_at,omitempty" doc:"when it ended"`
	// History is filled by FindBotSession only: the latest
	// MaxSessionHistory steps, oldest first.
	History []BotStep `json:"history,omitempty" doc:"each message handled, oldest first (the latest 1000): what the user said, what the bot said, the modules entered and each webhook's outcome; only on GET /api/v1/sessions/{id}"`
}

// Key returns the session's key.
func (s *BotSession) Key() BotSessionKey {
	return BotSessionKey{BotID: s.BotID, ChannelID: s.ChannelID, From: s.From}
}

// MaxSessionHistory bounds the steps GET /api/v1/sessions/{id} shows.
const MaxSessionHistory = 1000

// BotStep is one message handled by a session: the record a bot designer
// reads to see why a branch was taken.
type BotStep struct {
	N          int                 `json:"n" doc:"1 for the session's first message"`
	At         time.Time           `json:"at" doc:"when the message was handled"`
	Text       string              `json:"text" doc:"what the user said"`
	Replies    []json.RawMessage   `json:"replies" doc:"what the bot said, in order"`
	Modules    []int64             `json:"modules" doc:"the modules entered, in order"`
	Webhooks   []BotWebhookOutcome `json:"webhooks" doc:"each webhook run or queued, in order"`
	Notes      []string            `json:"notes,omitempty" doc:"what else decided the step: a global connection taken, an invalid answer, no connection matching, max_steps reached, a text that did not render"`
	DurationMS float64             `json:"duration_ms" doc:"how long the step took"`
}

// Webhook outcome statuses.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomeQueued    = "queued"
)

// BotWebhookOutcome is what became of one webhook of a connection taken.
type BotWebhookOutcome struct {
	WebhookID  int64            `json:"webhook_id" doc:"the webhook"`
	Name       string           `json:"name" doc:"its name"`
	Connection string           `json:"connection" doc:"the connection that ran it, such as modules[2].connections[0] or global_connections[1]"`
	Kind       Execution        `json:"kind" doc:"sync (run, the step waited) or async (queued for delivery)"`
	Status     string           `json:"status" enum:"succeeded,failed,queued" doc:"succeeded, failed, or queued (async)"`
	HTTPStatus int              `json:"http_status,omitempty" doc:"the answer's HTTP status, when one came"`
	ErrorKind  WebhookErrorKind `json:"error_kind,omitempty" doc:"why it failed, as Run webhook words it"`
	Error      string           `json:"error,omitempty" doc:"for people"`
	DeliveryID int64            `json:"delivery_id,omitempty" doc:"async: the delivery queued (GET /api/v1/deliveries/{id})"`
	DurationMS float64          `json:"duration_ms" doc:"how long the run or the queuing took"`
}

// Outcome is the metrics label of an outcome: succeeded, queued, or the
// error's kind (failed without a kind: "failed").
func (o *BotWebhookOutcome) Outcome() string {
	switch {
	case o.Status != OutcomeFailed:
		return o.Status
	case o.ErrorKind != "":
		return string(o.ErrorKind)
	}
	return OutcomeFailed
}

// BotSessionListFilter is what GET /api/v1/bots/{id}/sessions filters on.
type BotSessionListFilter struct {
	// ChannelID, when not nil, keeps one channel's sessions (0: the try
	// console's).
	ChannelID *int64
	State     BotSessionState
}

// BotSessionFilter narrows a session listing. Scope is always applied.
// Before and Limit page it newest first: ids below Before (0: from the
// newest), at most Limit (0: no limit).
type BotSessionFilter struct {
	Scope     Scope
	BotID     int64
	ChannelID *int64
	State     BotSessionState
	Before    int64
	Limit     int
}

// BotStepRecord is what the runtime saves after a step, in one
// transaction: the session as the step left it, the step, the counters
// it adds to, and the inbox message it handled (0: none), marked stepped
// with its reply.
type BotStepRecord struct {
	Session  *BotSession
	Step     *BotStep
	Counters []BotCounter
	InboxID  int64
	Reply    *BotReply
}

// BotCounter is an increment of one hourly metric of a bot's channel.
type BotCounter struct {
	BotID       int64
	ChannelID   int64
	ChannelName string
	Hour        time.Time // truncated to the hour, UTC
	Name        string    // see the BotMetric constants
	Value       int64
}

// The names of a bot's hourly counters; webhook calls are counted as
// BotMetricWebhookPrefix + outcome (succeeded, queued, or an error kind).
const (
	BotMetricMessagesIn      = "messages_in"
	BotMetricMessagesOut     = "messages_out"
	BotMetricSessionsStarted = "sessions_started"
	BotMetricSessionsEnded   = "sessions_ended"
	BotMetricWebhookPrefix   = "webhook:"
)

// BotInboxItem is an accepted (async) message waiting to be handled, or
// handled (Stepped) and waiting for its reply to be handed over.
type BotInboxItem struct {
	ID       int64
	Message  InboundMessage
	Stepped  bool
	Reply    *BotReply
	Attempts int
	// NextAttemptAt is when the message is due: at once when accepted,
	// later after a failure.
	NextAttemptAt time.Time
}

// BotSessionStore stores sessions, their steps, the inbox of accepted
// messages and the hourly counters.
type BotSessionStore interface {
	// LockBotSession holds the key's lock until unlock is called: no
	// other holder in this process or (on PostgreSQL) in any process
	// sharing the database holds it meanwhile. The runtime holds it for a
	// whole step, webhooks included, without holding a transaction.
	LockBotSession(ctx context.Context, key BotSessionKey) (unlock func(), err error)
	// TryLockBotSession is LockBotSession without waiting: ok is false
	// when another holder has the lock.
	TryLockBotSession(ctx context.Context, key BotSessionKey) (unlock func(), ok bool, err error)

	// FindOpenBotSessionVersion returns the key's open session,
	// CodeNotFound if there is none, with the current version of the
	// session's bot, read in the same statement: the runtime needs both
	// for every message.
	FindOpenBotSessionVersion(ctx context.Context, key BotSessionKey) (sess *BotSession, botVersion int64, err error)
	// StartBotSession stores s (open) and sets its ID, ending expired
	// (the key's previous session, idle) in the same transaction when it
	// is not nil, and adding counters.
	StartBotSession(ctx context.Context, s *BotSession, expired *BotSession, counters []BotCounter) error
	// SaveBotStep saves a step (see BotStepRecord) in one transaction.
	SaveBotStep(ctx context.Context, rec *BotStepRecord) error
	// FindBotSession returns a session in scope, with its history when
	// asked.
	FindBotSession(ctx context.Context, scope Scope, id int64, history bool) (*BotSession, error)
	FindBotSessions(ctx context.Context, f BotSessionFilter) ([]*BotSession, error)
	// FindExpiredBotSessions lists up to limit open sessions whose idle
	// timeout has passed at now, oldest expiry first.
	FindExpiredBotSessions(ctx context.Context, now time.Time, limit int) ([]*BotSession, error)
	// EndIdleBotSession ends session id if it is still open and expired
	// at now, counting it; false when it was not.
	EndIdleBotSession(ctx context.Context, id int64, now time.Time) (bool, error)

	// AddBotInbox stores an accepted message and returns its id.
	AddBotInbox(ctx context.Context, m InboundMessage) (int64, error)
	// FindBotInboxKeys lists up to limit keys whose oldest inbox message
	// is due at now, the key of the oldest message first.
	FindBotInboxKeys(ctx context.Context, now time.Time, limit int) ([]BotSessionKey, error)
	// NextBotInbox returns the oldest inbox message of a key,
	// CodeNotFound when it has none.
	NextBotInbox(ctx context.Context, key BotSessionKey) (*BotInboxItem, error)
	// DeleteBotInbox forgets a message whose reply was handed over (or
	// that cannot be handled).
	DeleteBotInbox(ctx context.Context, id int64) error
	// DeferBotInbox makes a message wait until until after a failure.
	DeferBotInbox(ctx context.Context, id int64, until time.Time, lastError string) error

	// FindBotCounters returns a bot's counters with hours in [from, to),
	// of one channel when channelID is not nil, by channel then hour.
	FindBotCounters(ctx context.Context, botID int64, channelID *int64, from, to time.Time) ([]BotCounter, error)
}

// BotMetricsQuery is what GET /api/v1/bots/{id}/metrics asks for: one
// channel (nil: all) over [From, To), whole hours.
type BotMetricsQuery struct {
	ChannelID *int64
	From, To  time.Time
}

// MaxBotMetricsRange bounds the hours one metrics query covers.
const MaxBotMetricsRange = 31 * 24 * time.Hour

// BotMetrics is a bot's traffic per channel and hour.
type BotMetrics struct {
	BotID    int64               `json:"bot_id" doc:"the bot"`
	From     time.Time           `json:"from" doc:"the first hour counted"`
	To       time.Time           `json:"to" doc:"the end of the last hour counted (exclusive)"`
	Channels []BotChannelMetrics `json:"channels" doc:"each channel with traffic in the range, the try console (channel 0) included, by channel id"`
}

// BotChannelMetrics is one channel's counts.
type BotChannelMetrics struct {
	ChannelID   int64            `json:"channel_id" doc:"the channel; 0 for the try console"`
	ChannelName string           `json:"channel_name" doc:"its name as last seen"`
	Totals      BotMetricCounts  `json:"totals" doc:"the sums over the range"`
	Hours       []BotHourMetrics `json:"hours" doc:"the hours with traffic, oldest first"`
}

// BotHourMetrics is one hour's counts of a channel.
type BotHourMetrics struct {
	Hour time.Time `json:"hour" doc:"the hour's start, UTC"`
	BotMetricCounts
}

// BotMetricCounts are the counts of a channel over some time.
type BotMetricCounts struct {
	MessagesIn      int64            `json:"messages_in" doc:"user messages handled"`
	MessagesOut     int64            `json:"messages_out" doc:"messages the bot said"`
	SessionsStarted int64            `json:"sessions_started" doc:"sessions started"`
	SessionsEnded   int64            `json:"sessions_ended" doc:"sessions ended, at an end module or idle"`
	WebhookCalls    map[string]int64 `json:"webhook_calls" doc:"webhook calls by outcome: succeeded, queued (async), or the error kind (timeout, connection, http_status...)"`
}

// Add adds one counter to the counts.
func (c *BotMetricCounts) Add(name string, v int64) {
	switch name {
	case BotMetricMessagesIn:
		c.MessagesIn += v
	case BotMetricMessagesOut:
		c.MessagesOut += v
	case BotMetricSessionsStarted:
		c.SessionsStarted += v
	case BotMetricSessionsEnded:
		c.SessionsEnded += v
	default:
		if outcome, ok := strings.CutPrefix(name, BotMetricWebhookPrefix); ok {
			if c.WebhookCalls == nil {
				c.WebhookCalls = map[string]int64{}
			}
			c.WebhookCalls[outcome] += v
		}
	}
}
