package bot_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/bot"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// env is one hookline process's bot services on a store.
type env struct {
	t        *testing.T
	db       *sqlstore.DB
	bots     *sqlstore.BotStore
	webhooks *sqlstore.WebhookStore
	queue    *sqlstore.DeliveryStore
	tenants  *tenant.Service
	rt       *bot.Runtime
	svc      *bot.Service
	clock    *clock
}

// clock is a settable time source for sessions' expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newEnv wires the bot services on db as cmd/hookline does, sealing with
// sealer (processes sharing a database share it); sink may be nil.
func newEnv(t *testing.T, db *sqlstore.DB, sealer hookline.SecretSealer, sink hookline.ReplySink, configure ...func(*bot.Config)) *env {
	t.Helper()
	e := &env{t: t, db: db, bots: sqlstore.NewBotStore(db), webhooks: sqlstore.NewWebhookStore(db, sealer),
		queue: sqlstore.NewDeliveryStore(db, sealer), tenants: tenant.NewService(db, db, ""), clock: &clock{now: time.Now()}}
	exec := webhook.NewExecutor(egress.New(egress.Config{Allow: loopback}))
	wsvc, err := webhook.NewService(e.tenants, e.webhooks, e.webhooks, exec)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.Config{
		Bots: e.bots, Sessions: e.bots, Webhooks: e.webhooks, Runner: wsvc,
		Queue: delivery.NewService(e.webhooks, e.queue, exec, nil), Sink: sink, Lock: db.WithLock,
		Now: e.clock.Now, PollInterval: 20 * time.Millisecond,
		RetryDelay: func(int) time.Duration { return 50 * time.Millisecond },
	}
	for _, f := range configure {
		f(&cfg)
	}
	e.rt = bot.NewRuntime(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.rt.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	e.svc = bot.NewService(e.tenants, e.bots, e.bots, e.webhooks, e.rt)
	return e
}

// company creates a standalone company and returns a caller acting as it.
func (e *env) company(name string) *hookline.Caller {
	e.t.Helper()
	c := &hookline.Tenant{Name: name, Kind: hookline.KindCompany}
	if err := e.db.CreateTenant(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return &hookline.Caller{KeyID: 1, Tenant: c}
}

func (e *env) webhook(c *hookline.Caller, def hookline.WebhookDefinition) *hookline.Webhook {
	e.t.Helper()
	w := &hookline.Webhook{CompanyID: c.Tenant.ID, WebhookDefinition: def}
	if err := w.Validate(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.webhooks.CreateWebhook(context.Background(), c.Scope(), w); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// createBot creates a bot from a JSON document.
func (e *env) createBot(c *hookline.Caller, doc string) *hookline.Bot {
	e.t.Helper()
	b, err := e.svc.CreateBot(context.Background(), c, hookline.BotSource{Data: []byte(doc), Format: hookline.BotJSON})
	if err != nil {
		e.t.Fatalf("create bot: %v\n%s", err, doc)
	}
	return b
}

// say sends text as from through channel 0 and returns the replies as
// JSON texts.
func (e *env) say(b *hookline.Bot, from, text string) (*hookline.BotReply, []string) {
	e.t.Helper()
	return e.sayOn(b, hookline.InboundMessage{BotID: b.ID, From: from, Text: text})
}

func (e *env) sayOn(b *hookline.Bot, m hookline.InboundMessage) (*hookline.BotReply, []string) {
	e.t.Helper()
	m.BotID = b.ID
	r, err := e.rt.HandleMessage(context.Background(), m)
	if err != nil {
		e.t.Fatalf("message %q: %v", m.Text, err)
	}
	return r, texts(r)
}

func texts(r *hookline.BotReply) []string {
	out := make([]string, len(r.Text))
	for i, t := range r.Text {
		var s string
		if json.Unmarshal(t, &s) == nil {
			out[i] = s
		} else {
			out[i] = string(t)
		}
	}
	return out
}

// receiver is a webhook endpoint on loopback whose answer a test sets.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	answer func(body string) (int, string)
}

func newReceiver(t *testing.T, answer func(body string) (int, string)) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		answer := r.answer
		r.mu.Unlock()
		status, out := answer(string(b))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// sqliteEnv is an env on a fresh SQLite store.
func sqliteEnv(t *testing.T, sink hookline.ReplySink, configure ...func(*bot.Config)) *env {
	t.Helper()
	return newEnv(t, storetest.SQLite(t), storetest.Sealer(t), sink, configure...)
}
