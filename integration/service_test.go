package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/delivery"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/sqlstore"
	"github.com/hookline/hookline/sqlstore/storetest"
	"github.com/hookline/hookline/tenant"
	"github.com/hookline/hookline/webhook"
)

// fakeRuntime is a bot runtime that answers every message with one text,
// or fails while fail is set.
type fakeRuntime struct {
	mu   sync.Mutex
	got  []hookline.InboundMessage
	fail bool
}

func (f *fakeRuntime) HandleMessage(_ context.Context, m hookline.InboundMessage) (*hookline.BotReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, m)
	if f.fail {
		return nil, errors.New("the bot is down")
	}
	return &hookline.BotReply{Text: []json.RawMessage{json.RawMessage(`"You said: ` + m.Text + `"`), json.RawMessage(`{"title": "Pick one"}`)}}, nil
}

func (f *fakeRuntime) AcceptMessage(context.Context, hookline.InboundMessage) error {
	return errors.New("not used: connections hand messages over synchronously")
}

// fakeBots knows bot 7 of every company.
type fakeBots struct{}

func (fakeBots) CheckBot(_ context.Context, _, botID int64) error {
	if botID != 7 {
		return hookline.NotFound("bot", botID)
	}
	return nil
}

type env struct {
	svc    *Service
	db     *sqlstore.DB
	queue  *sqlstore.DeliveryStore
	caller *hookline.Caller
	now    time.Time
	mu     sync.Mutex
}

func newEnv(t *testing.T, rt hookline.BotRuntime) *env {
	t.Helper()
	db := storetest.SQLite(t)
	sealer := storetest.Sealer(t)
	ctx := context.Background()
	company := &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany}
	if err := db.CreateTenant(ctx, company); err != nil {
		t.Fatal(err)
	}
	queue := sqlstore.NewDeliveryStore(db, sealer)
	store := sqlstore.NewIntegrationStore(db, sealer)
	exec := webhook.NewExecutor(egress.New(egress.Config{}))
	e := &env{db: db, queue: queue, caller: &hookline.Caller{Tenant: company}, now: time.Now()}
	cfg := Config{
		Tenants: tenant.NewService(db, db, ""), Connections: store, Integrations: store, Campaigns: store, Chats: store,
		Queue: delivery.NewService(sqlstore.NewWebhookStore(db, sealer), queue, exec, nil), Secrets: queue,
		NewSecret: delivery.NewSecret, Exec: exec, PublicURL: "https://hooks.example.com",
		Now: func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now },
	}
	if rt != nil {
		cfg.Bots, cfg.Runtime = fakeBots{}, rt
	}
	e.svc = NewService(cfg)
	return e
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *env) connection(t *testing.T, code string) *hookline.Connection {
	t.Helper()
	typ := hookline.ConnectionSMS
	c, err := e.svc.CreateConnection(context.Background(), e.caller, hookline.ConnectionInput{Type: &typ, Code: &code,
		Provider: &hookline.Provider{AccountSID: "AC1", AuthToken: "tok", From: "+1000", BaseURL: "https://twilio.example"}})
	if err != nil {
		t.Fatal(err)
	}
	full, err := e.svc.InboundConnection(context.Background(), c.Type, c.Code)
	if err != nil {
		t.Fatal(err)
	}
	return full
}

// activeIntegration creates an SMS connection by code and a started
// integration holding it, and returns both as a provider's message finds
// them.
func (e *env) activeIntegration(t *testing.T, code string) (*hookline.Integration, *hookline.Connection) {
	t.Helper()
	ctx := context.Background()
	conn := e.connection(t, code)
	i, err := e.svc.CreateIntegration(ctx, e.caller, hookline.IntegrationInput{Connections: []string{code},
		IntegrationDefinition: hookline.IntegrationDefinition{Alias: "CRM", Method: "POST", URL: "https://crm.example/events"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartIntegration(ctx, e.caller, i.ID); err != nil {
		t.Fatal(err)
	}
	conn, err = e.svc.InboundConnection(ctx, conn.Type, conn.Code)
	if err != nil {
		t.Fatal(err)
	}
	return &i.Integration, conn
}

// deliveries lists what was queued for a kind of target, oldest first.
func (e *env) deliveries(t *testing.T, kind hookline.TargetKind) []*hookline.Delivery {
	t.Helper()
	ds, err := e.queue.FindDeliveries(context.Background(), hookline.DeliveryFilter{Scope: hookline.AdminScope(), TargetKind: kind})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*hookline.Delivery, 0, len(ds))
	for i := len(ds) - 1; i >= 0; i-- {
		d, err := e.queue.FindDelivery(context.Background(), hookline.AdminScope(), ds[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.TargetKind == kind {
			out = append(out, d)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestBotCampaign(t *testing.T) {
	ctx := context.Background()
	rt := &fakeRuntime{}
	e := newEnv(t, rt)
	conn := e.connection(t, "bot-sms")
	_, err := e.svc.CreateCampaign(ctx, e.caller, hookline.CampaignInput{Name: ptr("Bot"), Type: ptr(hookline.CampaignChatbot), Connection: ptr("bot-sms"), BotID: ptr(int64(8))})
	if hookline.ErrorCode(err) != hookline.CodeNotFound || hookline.ErrorField(err) != "bot_id" {
		t.Fatalf("unknown bot: %v", err)
	}
	camp, err := e.svc.CreateCampaign(ctx, e.caller, hookline.CampaignInput{Name: ptr("Bot"), Type: ptr(hookline.CampaignChatbot), Connection: ptr("bot-sms"), BotID: ptr(int64(7))})
	if err != nil {
		t.Fatal(err)
	}
	msg := []hookline.ProviderMessage{{ProviderID: "SM1", From: "+1555", To: "+1000", Text: "hello"}}
	// A draft campaign does not act.
	if err := e.svc.Receive(ctx, conn, msg); err != nil || len(rt.got) != 0 {
		t.Fatalf("draft campaign: %v, bot got %d", err, len(rt.got))
	}
	if _, err := e.svc.GoLive(ctx, e.caller, camp.ID); err != nil {
		t.Fatal(err)
	}
	conn, _ = e.svc.InboundConnection(ctx, conn.Type, conn.Code)
	rt.fail = true
	if err := e.svc.Receive(ctx, conn, msg); err == nil {
		t.Fatal("a failing bot did not fail the request")
	}
	rt.fail = false
	for range 2 { // the provider's retry, then a repeat
		if err := e.svc.Receive(ctx, conn, msg); err != nil {
			t.Fatal(err)
		}
	}
	if len(rt.got) != 2 || rt.got[1].BotID != 7 || rt.got[1].From != "+1555" || rt.got[1].Text != "hello" {
		t.Fatalf("bot got %+v", rt.got)
	}
	ds := e.deliveries(t, hookline.TargetConnection)
	if len(ds) != 2 {
		t.Fatalf("%d replies queued, want 2 (one per element of the bot's reply)", len(ds))
	}
	for i, want := range []string{"You said: hello", "Pick one"} {
		form, _ := url.ParseQuery(string(ds[i].Request.Body))
		if form.Get("Body") != want || form.Get("To") != "+1555" || ds[i].OrderingKey != ds[0].OrderingKey {
			t.Fatalf("reply %d: %s key %q", i, ds[i].Request.Body, ds[i].OrderingKey)
		}
	}
}

func TestKeywordCampaign(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	conn := e.connection(t, "kw-sms")
	_, err := e.svc.CreateCampaign(ctx, e.caller, hookline.CampaignInput{Name: ptr("Bot"), Type: ptr(hookline.CampaignChatbot), Connection: ptr("kw-sms"), BotID: ptr(int64(7))})
	if hookline.ErrorCode(err) != hookline.CodeInvalid || hookline.ErrorField(err) != "bot_id" {
		t.Fatalf("bot campaign without a runtime: %v", err)
	}
	camp, err := e.svc.CreateCampaign(ctx, e.caller, hookline.CampaignInput{Name: ptr("Info"), Type: ptr(hookline.CampaignKeyword), Connection: ptr("kw-sms"),
		Keywords: []string{"INFO", " Hours "}, Reply: ptr("We open at 9.")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.GoLive(ctx, e.caller, camp.ID); err != nil {
		t.Fatal(err)
	}
	conn, _ = e.svc.InboundConnection(ctx, conn.Type, conn.Code)
	for i, text := range []string{"  info ", "information", "hours", "HOURS please", "info"} {
		id := []string{"A", "B", "C", "D", "A"}[i] // the last repeats A
		if err := e.svc.Receive(ctx, conn, []hookline.ProviderMessage{{ProviderID: id, From: "+1555", Text: text}}); err != nil {
			t.Fatal(err)
		}
	}
	ds := e.deliveries(t, hookline.TargetConnection)
	if len(ds) != 2 {
		t.Fatalf("%d answers, want 2 (info and hours, once each)", len(ds))
	}
	form, _ := url.ParseQuery(string(ds[0].Request.Body))
	if form.Get("Body") != "We open at 9." {
		t.Fatalf("answer %s", ds[0].Request.Body)
	}
}

func TestIdleChatsEndAfterTheirEvents(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	i, conn := e.activeIntegration(t, "idle-sms")
	if err := e.svc.Receive(ctx, conn, []hookline.ProviderMessage{{ProviderID: "SM1", From: "+1555", Text: "hi"}, {ProviderID: "SM2", From: "+1555", Text: "there"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.EndIdleChats(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("a fresh chat ended: %d, %v", n, err)
	}
	e.advance(2 * time.Hour)
	up := NewUpkeep(e.svc, time.Hour, 0, e.db.WithLock)
	if n, err := up.Pass(ctx); err != nil || n != 1 {
		t.Fatalf("idle pass: %d, %v", n, err)
	}
	chats, err := e.svc.FindChats(ctx, e.caller, i.ID, hookline.ChatEnded, hookline.PageRequest{})
	if err != nil || len(chats.Items) != 1 || chats.Items[0].EndReason != "idle" {
		t.Fatalf("ended chats %+v, %v", chats.Items, err)
	}
	ds := e.deliveries(t, hookline.TargetIntegration)
	var kinds []string
	for _, d := range ds {
		var ev map[string]any
		json.Unmarshal(d.Request.Body, &ev)
		kinds = append(kinds, ev["event"].(string))
		if d.OrderingKey != ds[0].OrderingKey {
			t.Fatalf("events on different keys: %q, %q", d.OrderingKey, ds[0].OrderingKey)
		}
	}
	if len(kinds) != 3 || kinds[0] != "MESSAGE" || kinds[1] != "MESSAGE" || kinds[2] != "END" {
		t.Fatalf("events in queue order: %v", kinds)
	}
	// A reply to the idle-ended chat is refused; the contact's next
	// message starts a new chat.
	_, err = e.svc.Reply(ctx, hookline.ReplyCredential{Caller: e.caller}, i.ID, chats.Items[0].ID, hookline.ReplyInput{Text: "late"})
	if hookline.ErrorCode(err) != hookline.CodeConflict {
		t.Fatalf("reply to an ended chat: %v", err)
	}
}

func TestReplyTokenRotation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.connection(t, "tok-sms")
	i, err := e.svc.CreateIntegration(ctx, e.caller, hookline.IntegrationInput{Connections: []string{"tok-sms"},
		IntegrationDefinition: hookline.IntegrationDefinition{Alias: "CRM", Method: "POST", URL: "https://crm.example/events"}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(token string) error {
		_, err := e.svc.authorizeReply(ctx, hookline.ReplyCredential{ReplyToken: token}, i.ID)
		return err
	}
	if err := check(i.ReplyToken); err != nil {
		t.Fatal(err)
	}
	rotated, err := e.svc.RotateReplyToken(ctx, e.caller, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	if check(i.ReplyToken) != nil || check(rotated.ReplyToken) != nil {
		t.Fatal("a token stopped working at the rotation")
	}
	e.advance(hookline.ReplyTokenOverlap + time.Minute)
	if hookline.ErrorCode(check(i.ReplyToken)) != hookline.CodeUnauthorized || check(rotated.ReplyToken) != nil {
		t.Fatal("the previous token outlived its day, or the new one died")
	}
	if hookline.ErrorCode(check("")) != hookline.CodeUnauthorized {
		t.Fatal("no token passes")
	}
	if _, err := e.svc.authorizeReply(ctx, hookline.ReplyCredential{ReplyToken: rotated.ReplyToken}, i.ID+100); hookline.ErrorCode(err) != hookline.CodeUnauthorized {
		t.Fatalf("a token for an unknown integration: %v", err)
	}
}

// TestLookups: a provider message finds its connection and integration as
// they were up to a second ago when they changed beside the service (on
// another node), at once when they changed through it; the queue's
// IntegrationTargets share what the service keeps, within the company.
func TestLookups(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	conn := e.connection(t, "kept-sms")
	i, err := e.svc.CreateIntegration(ctx, e.caller, hookline.IntegrationInput{Connections: []string{"kept-sms"},
		IntegrationDefinition: hookline.IntegrationDefinition{Alias: "CRM", Method: "POST", URL: "https://crm.example/events"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartIntegration(ctx, e.caller, i.ID); err != nil {
		t.Fatal(err)
	}
	send := func(sid string) int {
		t.Helper()
		c, err := e.svc.InboundConnection(ctx, conn.Type, conn.Code)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Receive(ctx, c, []hookline.ProviderMessage{{ProviderID: sid, From: "+1555", Text: sid}}); err != nil {
			t.Fatal(err)
		}
		return len(e.deliveries(t, hookline.TargetIntegration))
	}
	if n := send("SM1"); n != 1 {
		t.Fatalf("%d events after the first message", n)
	}
	// Another node stops the integration: this one sees it within a
	// second.
	if _, err := e.svc.cfg.Integrations.SetIntegrationStatus(ctx, hookline.AdminScope(), i.ID, hookline.IntegrationInactive); err != nil {
		t.Fatal(err)
	}
	if n := send("SM2"); n != 2 {
		t.Fatalf("within the second, %d events", n)
	}
	e.advance(time.Second)
	if n := send("SM3"); n != 2 {
		t.Fatalf("a second later, a message to the stopped integration was queued: %d events", n)
	}
	// Started through the service, it takes messages at once.
	if _, err := e.svc.StartIntegration(ctx, e.caller, i.ID); err != nil {
		t.Fatal(err)
	}
	if n := send("SM4"); n != 3 {
		t.Fatalf("after the start, %d events", n)
	}

	targets := IntegrationTargets{Store: e.svc.cfg.Integrations, Lookups: e.svc.lookups}
	if _, err := targets.ResolveTarget(ctx, hookline.TargetIntegration, e.caller.Tenant.ID, i.ID); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if _, err := targets.ResolveTarget(ctx, hookline.TargetIntegration, e.caller.Tenant.ID+1, i.ID); hookline.ErrorCode(err) != hookline.CodeNotFound {
		t.Fatalf("another company's integration: %v", err)
	}
	// What one caller is given, another does not see changed.
	got, err := e.svc.lookups.integration(ctx, 0, i.ID, e.svc.cfg.Integrations.FindIntegration)
	if err != nil {
		t.Fatal(err)
	}
	got.Alias, got.Connections[0] = "changed by a caller", "other"
	again, err := e.svc.lookups.integration(ctx, 0, i.ID, e.svc.cfg.Integrations.FindIntegration)
	if err != nil || again.Alias != "CRM" || again.Connections[0] != "kept-sms" {
		t.Fatalf("the kept integration: %+v, %v", again, err)
	}
	// Deleted through the service, it is gone at once for the queue too.
	if err := e.svc.DeleteIntegration(ctx, e.caller, i.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := targets.ResolveTarget(ctx, hookline.TargetIntegration, e.caller.Tenant.ID, i.ID); hookline.ErrorCode(err) != hookline.CodeNotFound {
		t.Fatalf("a deleted integration: %v", err)
	}
}

// TestMessageEventWithItsMessage checks that a provider message's MESSAGE
// event is queued with the message, once however often the provider sends
// it, and that a message stored before without its event (as an earlier
// version stored them apart) has it queued when the provider sends it
// again.
func TestMessageEventWithItsMessage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	i, conn := e.activeIntegration(t, "event-sms")
	sms := []hookline.ProviderMessage{{ProviderID: "SM1", From: "+1555", Text: "hi"}}
	for range 3 {
		if err := e.svc.Receive(ctx, conn, sms); err != nil {
			t.Fatal(err)
		}
	}
	ds := e.deliveries(t, hookline.TargetIntegration)
	if len(ds) != 1 || !strings.Contains(string(ds[0].Request.Body), `"hi"`) {
		t.Fatalf("one message sent three times queued %d events", len(ds))
	}
	chats, err := e.svc.FindChats(ctx, e.caller, i.ID, hookline.ChatOpen, hookline.PageRequest{})
	if err != nil || len(chats.Items) != 1 {
		t.Fatalf("chats %+v, %v", chats.Items, err)
	}
	msgs, err := e.svc.cfg.Chats.FindChatMessages(ctx, chats.Items[0].ID)
	if err != nil || len(msgs) != 1 || !slices.Equal(msgs[0].DeliveryIDs, []int64{ds[0].ID}) {
		t.Fatalf("the message does not name its event's delivery %d: %+v, %v", ds[0].ID, msgs, err)
	}

	chat := &hookline.Chat{CompanyID: i.CompanyID, IntegrationID: i.ID, ConnectionID: conn.ID, ConnectionType: conn.Type, ConnectionCode: conn.Code, Contact: "+1555"}
	if _, err := e.svc.cfg.Chats.AddInbound(ctx, chat, &hookline.ChatMessage{ProviderID: "SM-old", Text: "stored apart"}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.svc.Receive(ctx, conn, []hookline.ProviderMessage{{ProviderID: "SM-old", From: "+1555", Text: "stored apart"}}); err != nil {
			t.Fatal(err)
		}
	}
	ds = e.deliveries(t, hookline.TargetIntegration)
	if len(ds) != 2 || !strings.Contains(string(ds[1].Request.Body), "stored apart") || ds[1].OrderingKey != ds[0].OrderingKey {
		t.Fatalf("the event of a message stored without it: %d deliveries", len(ds))
	}
	msgs, _ = e.svc.cfg.Chats.FindChatMessages(ctx, chats.Items[0].ID)
	if len(msgs) != 2 || !slices.Equal(msgs[1].DeliveryIDs, []int64{ds[1].ID}) {
		t.Fatalf("messages %+v", msgs)
	}
}
