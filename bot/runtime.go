package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
)

// WebhookRunner runs a stored webhook in a conversation, as Run webhook
// does (webhook.Service implements it).
type WebhookRunner interface {
	RunInConversation(ctx context.Context, w *hookline.Webhook, conv *hookline.Conversation) (*hookline.WebhookResult, error)
}

// WebhookQueue queues a webhook for asynchronous delivery
// (delivery.Service implements it). The runtime calls it as the bot's
// company, with an idempotency key per step and webhook, so that a step
// run again after a crash does not queue the same webhook twice.
type WebhookQueue interface {
	EnqueueWebhook(ctx context.Context, c *hookline.Caller, id int64, in hookline.DeliveryInput, idempotencyKey string) (*hookline.Delivery, bool, error)
}

// Observer is told of every counter a saved step or sweep adds to, for
// the process's metrics: the names are the hookline.BotMetric constants,
// webhook calls as BotMetricWebhookPrefix + outcome. It must be quick and
// safe for concurrent use.
type Observer interface {
	BotCounted(name string, value int64)
}

// Config configures a Runtime.
type Config struct {
	Bots     hookline.BotStore
	Sessions hookline.BotSessionStore
	// Webhooks reads the definitions the connections name, opened.
	Webhooks hookline.WebhookStore
	Runner   WebhookRunner
	// Queue, if not nil, takes async webhooks; without it they fail.
	Queue WebhookQueue
	// Sink receives the replies of accepted (async) messages, of every
	// channel: it tells them apart by the message's ChannelID. Without
	// it, AcceptMessage refuses.
	Sink     hookline.ReplySink
	Observer Observer
	Logger   *slog.Logger
	// Lock, if not nil, runs each idle sweep holding the named lock, such
	// as sqlstore.DB.WithLock: on PostgreSQL one process sweeps at a time.
	Lock func(ctx context.Context, name string, fn func(ctx context.Context) error) error
	// InboxWorkers bounds the sessions whose accepted messages this
	// process handles at once (default 16).
	InboxWorkers int
	// PollInterval is how often the inbox is read for messages other
	// processes accepted or deferred (default 1 s); this process's own are
	// handled at once.
	PollInterval time.Duration
	// SweepInterval is how often idle sessions are ended (default 1 min).
	SweepInterval time.Duration
	// RetryDelay is the wait after an accepted message's n-th failure
	// (default: 1 s, doubling, at most 5 min).
	RetryDelay func(n int) time.Duration
	// Now is the clock sessions expire and counters count on (time.Now
	// if nil). The inbox keeps the store's time.
	Now func() time.Time
}

// Runtime runs bots' dialogs; it implements hookline.BotRuntime. It is
// safe for concurrent use. Start runs the inbox and the idle sweep in the
// background; Stop ends them.
type Runtime struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	compiled map[int64]*compiledBot

	// The inbox: wake asks for a pass at once; active holds the keys this
	// process's workers are on; slots bounds them.
	wake   chan struct{}
	active map[hookline.BotSessionKey]bool
	slots  chan struct{}

	ctx     context.Context
	cancel  context.CancelFunc
	started sync.Once
	workers sync.WaitGroup
}

var _ hookline.BotRuntime = (*Runtime)(nil)

// UseReplySink sets the sink of accepted messages' replies, for a
// channel service made after the runtime (it needs the runtime itself).
// Call it before Start.
func (r *Runtime) UseReplySink(sink hookline.ReplySink) { r.cfg.Sink = sink }

// compiledBot is a bot as the runtime keeps it: its company and the
// version it was compiled at.
type compiledBot struct {
	id, companyID, version int64
	c                      *Compiled
}

// maxCompiledBots bounds the bots kept compiled; past it, arbitrary ones
// go and are compiled again when next used.
const maxCompiledBots = 1024

// NewRuntime returns a runtime for cfg, with defaults filled in.
func NewRuntime(cfg Config) *Runtime {
	if cfg.InboxWorkers <= 0 {
		cfg.InboxWorkers = 16
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = retryDelay
	}
	if cfg.Lock == nil {
		cfg.Lock = func(ctx context.Context, _ string, fn func(context.Context) error) error { return fn(ctx) }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runtime{
		cfg: cfg, log: log, compiled: map[int64]*compiledBot{},
		wake: make(chan struct{}, 1), active: map[hookline.BotSessionKey]bool{}, slots: make(chan struct{}, cfg.InboxWorkers),
		ctx: ctx, cancel: cancel,
	}
}

// checkMessage checks what a channel hands over; the channel edge has
// checked its own format already, so these are the runtime's bounds.
func checkMessage(m *hookline.InboundMessage) error {
	switch {
	case m.BotID <= 0:
		return hookline.NotFound("bot", m.BotID)
	case m.ChannelID < 0:
		return hookline.Invalid("channel_id", "must not be negative")
	case strings.TrimSpace(m.From) == "":
		return hookline.Invalid("from", "missing required field %q: the user's id", "from")
	case len(m.From) > hookline.MaxBotFromLen || len(m.To) > hookline.MaxBotFromLen:
		return hookline.Invalid("from", "ids must be at most %d bytes long", hookline.MaxBotFromLen)
	case !utf8.ValidString(m.From) || !utf8.ValidString(m.To) || strings.ContainsAny(m.From+m.To, "\x00\r\n"):
		return hookline.Invalid("from", "ids must be UTF-8 text without line breaks or NUL")
	case len(m.Text) > hookline.MaxBotMessageBytes:
		return hookline.Invalid("text", "must be at most %d bytes long", hookline.MaxBotMessageBytes)
	case !utf8.ValidString(m.Text):
		return hookline.Invalid("text", "must be valid UTF-8")
	case len(m.ChannelName) > hookline.MaxBotChannelNameLen:
		return hookline.Invalid("channel_name", "must be at most %d bytes long", hookline.MaxBotChannelNameLen)
	case len(m.Attachments) > 0 && !json.Valid(m.Attachments):
		return hookline.Invalid("attachments", "must be valid JSON")
	case len(m.CustomData) > 0 && !json.Valid(m.CustomData):
		return hookline.Invalid("customData", "must be valid JSON")
	}
	return nil
}

// HandleMessage runs one step of m's session and returns what the bot
// says, holding the session's lock meanwhile.
func (r *Runtime) HandleMessage(ctx context.Context, m hookline.InboundMessage) (*hookline.BotReply, error) {
	if err := checkMessage(&m); err != nil {
		return nil, err
	}
	unlock, err := r.cfg.Sessions.LockBotSession(ctx, hookline.BotSessionKey{BotID: m.BotID, ChannelID: m.ChannelID, From: m.From})
	if err != nil {
		return nil, fmt.Errorf("lock session: %w", err)
	}
	defer unlock()
	return r.step(ctx, m, 0)
}

// bot returns bot id compiled at its current version.
func (r *Runtime) bot(ctx context.Context, id int64) (*compiledBot, error) {
	companyID, version, err := r.cfg.Bots.BotVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	return r.botAt(ctx, id, companyID, version)
}

// botAt returns bot id compiled at version, the current one.
func (r *Runtime) botAt(ctx context.Context, id, companyID, version int64) (*compiledBot, error) {
	r.mu.Lock()
	cb := r.compiled[id]
	r.mu.Unlock()
	if cb != nil && cb.version == version {
		return cb, nil
	}
	b, err := r.cfg.Bots.FindBot(ctx, hookline.AdminScope(), id)
	if err != nil {
		return nil, err
	}
	c, err := compile(b.BotDefinition, false)
	if err != nil {
		return nil, fmt.Errorf("bot %d (version %d) does not compile: %w", id, b.Version, err)
	}
	cb = &compiledBot{id: id, companyID: companyID, version: b.Version, c: c}
	r.mu.Lock()
	for k := range r.compiled {
		if len(r.compiled) < maxCompiledBots {
			break
		}
		delete(r.compiled, k)
	}
	r.compiled[id] = cb
	r.mu.Unlock()
	return cb, nil
}

// hourOf is the hour a counter of t counts in.
func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// step runs one message of a session whose lock the caller holds, and
// saves it; inboxID, when not 0, is the accepted message it handles,
// marked with its reply in the step's transaction.
func (r *Runtime) step(ctx context.Context, m hookline.InboundMessage, inboxID int64) (*hookline.BotReply, error) {
	start := time.Now()
	now := r.cfg.Now().UTC()
	key := hookline.BotSessionKey{BotID: m.BotID, ChannelID: m.ChannelID, From: m.From}
	counter := func(name string, v int64) hookline.BotCounter {
		return hookline.BotCounter{BotID: m.BotID, ChannelID: m.ChannelID, ChannelName: m.ChannelName, Hour: hourOf(now), Name: name, Value: v}
	}
	// The session and its bot's version come in one read; without a
	// session, the version is read alone (a deleted bot's sessions are
	// gone with it, so its absence is told there).
	sess, version, err := r.cfg.Sessions.FindOpenBotSessionVersion(ctx, key)
	var cb *compiledBot
	switch {
	case err == nil:
		cb, err = r.botAt(ctx, m.BotID, sess.CompanyID, version)
	case hookline.ErrorCode(err) == hookline.CodeNotFound:
		cb, err = r.bot(ctx, m.BotID)
	}
	if err != nil {
		return nil, err
	}
	var expired *hookline.BotSession
	if sess != nil && !now.Before(sess.ExpiresAt) {
		expired, sess = sess, nil
	}
	if sess == nil {
		sess = &hookline.BotSession{BotID: m.BotID, CompanyID: cb.companyID, ChannelID: m.ChannelID, ChannelName: m.ChannelName,
			From: m.From, To: m.To, ExpiresAt: now.Add(cb.c.idle)}
		counters := []hookline.BotCounter{counter(hookline.BotMetricSessionsStarted, 1)}
		if expired != nil {
			counters = append(counters, hookline.BotCounter{BotID: expired.BotID, ChannelID: expired.ChannelID, ChannelName: expired.ChannelName,
				Hour: hourOf(now), Name: hookline.BotMetricSessionsEnded, Value: 1})
		}
		if err := r.cfg.Sessions.StartBotSession(ctx, sess, expired, counters); err != nil {
			return nil, err
		}
		r.observe(counters)
	}

	d := newDialog(r, cb, sess, m, now)
	d.run(ctx)
	reply := &hookline.BotReply{Text: d.replies, SessionID: sess.ID}
	if reply.Text == nil {
		reply.Text = []json.RawMessage{}
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	d.stepRec.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	counters := []hookline.BotCounter{
		counter(hookline.BotMetricMessagesIn, 1),
		counter(hookline.BotMetricMessagesOut, int64(len(reply.Text))),
	}
	for i := range d.stepRec.Webhooks {
		counters = append(counters, counter(hookline.BotMetricWebhookPrefix+d.stepRec.Webhooks[i].Outcome(), 1))
	}
	if sess.State == hookline.SessionEnded {
		counters = append(counters, counter(hookline.BotMetricSessionsEnded, 1))
	}
	rec := &hookline.BotStepRecord{Session: sess, Step: d.stepRec, Counters: counters, InboxID: inboxID, Reply: reply}
	if err := r.cfg.Sessions.SaveBotStep(ctx, rec); err != nil {
		return nil, err
	}
	r.observe(counters)
	return reply, nil
}

func (r *Runtime) observe(counters []hookline.BotCounter) {
	if r.cfg.Observer == nil {
		return
	}
	for _, k := range counters {
		if k.Value != 0 {
			r.cfg.Observer.BotCounted(k.Name, k.Value)
		}
	}
}
