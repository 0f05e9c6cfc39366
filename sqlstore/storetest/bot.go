package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// sampleBot is a small valid bot of company whose first connection uses
// the given webhooks.
func sampleBot(companyID int64, name string, webhooks ...int64) *hookline.Bot {
	var refs []hookline.BotWebhookRef
	for _, id := range webhooks {
		refs = append(refs, hookline.BotWebhookRef{ID: id})
	}
	def := hookline.BotDefinition{
		Name:  name,
		Start: 1,
		Modules: []hookline.BotModule{
			{ID: 1, Type: hookline.ModuleCollector, Key: "email", Prompt: json.RawMessage(`"Your e-mail?"`),
				Connections: []hookline.BotConnection{{Webhooks: refs, To: 2}}},
			{ID: 2, Type: hookline.ModuleEnd, Text: json.RawMessage(`{"text": "Bye {{certainly.extractedData.email}}"}`)},
		},
	}
	if err := def.Validate(); err != nil {
		panic(err)
	}
	return &hookline.Bot{CompanyID: companyID, BotDefinition: def}
}

func botStores(t *testing.T, open Open) (*sqlstore.DB, *sqlstore.WebhookStore, *sqlstore.BotStore, *Fixture) {
	t.Helper()
	db, ws := webhookStore(t, open)
	return db, ws, sqlstore.NewBotStore(db), NewFixture(t, db)
}

func exerciseBots(t *testing.T, open Open) {
	ctx := context.Background()
	db, ws, bs, f := botStores(t, open)
	all := hookline.AdminScope()
	wh := fullWebhook(f.A1.ID, "CRM")
	if err := ws.CreateWebhook(ctx, all, wh); err != nil {
		t.Fatal(err)
	}
	b := sampleBot(f.A1.ID, "Support", wh.ID)
	if err := bs.CreateBot(ctx, all, b); err != nil {
		t.Fatalf("create: %v", err)
	}
	if b.ID == 0 || b.Version != 1 || b.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", b)
	}

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := bs.FindBot(ctx, all, b.ID)
		if err != nil || jsonOf(t, got) != jsonOf(t, b) {
			t.Fatalf("found %s, %v; stored %s", jsonOf(t, got), err, jsonOf(t, b))
		}
		company, version, err := bs.BotVersion(ctx, b.ID)
		if err != nil || company != f.A1.ID || version != 1 {
			t.Fatalf("version = %d, %d, %v", company, version, err)
		}
		_, _, err = bs.BotVersion(ctx, 9999)
		wantCode(t, err, hookline.CodeNotFound, "")
	})

	t.Run("Invalid", func(t *testing.T) {
		wantCode(t, bs.CreateBot(ctx, all, sampleBot(9999, "x")), hookline.CodeNotFound, "company_id")
		wantCode(t, bs.CreateBot(ctx, all, sampleBot(f.A.ID, "x")), hookline.CodeNotFound, "company_id")
		wantCode(t, bs.CreateBot(ctx, all, sampleBot(f.A1.ID, "Support")), hookline.CodeConflict, "name")
		// A webhook of another company, or none at all, is not found, at
		// the path that names it; nothing is stored.
		other := fullWebhook(f.B1.ID, "Other")
		if err := ws.CreateWebhook(ctx, all, other); err != nil {
			t.Fatal(err)
		}
		wantCode(t, bs.CreateBot(ctx, all, sampleBot(f.A1.ID, "Cross", wh.ID, other.ID)), hookline.CodeNotFound, "modules[0].connections[0].webhooks[1]")
		wantCode(t, bs.CreateBot(ctx, all, sampleBot(f.A1.ID, "Missing", 424242)), hookline.CodeNotFound, "modules[0].connections[0].webhooks[0]")
		list, err := bs.FindBots(ctx, hookline.BotFilter{Scope: all, CompanyID: f.A1.ID})
		if err != nil || len(list) != 1 {
			t.Fatalf("after refused creates: %d bots, %v", len(list), err)
		}
		if err := ws.DeleteWebhook(ctx, all, other.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("WebhookInUse", func(t *testing.T) {
		err := ws.DeleteWebhook(ctx, all, wh.ID)
		wantCode(t, err, hookline.CodeConflict, "")
		if msg := hookline.ErrorMessage(err); !strings.Contains(msg, fmt.Sprintf("bot %d (\"Support\")", b.ID)) {
			t.Fatalf("conflict message %q does not name the bot", msg)
		}
		// Outside the caller's scope the webhook is not found, whoever
		// uses it.
		wantCode(t, ws.DeleteWebhook(ctx, hookline.TenantScope(f.B1), wh.ID), hookline.CodeNotFound, "")
		second := sampleBot(f.A1.ID, "Sales", wh.ID)
		if err := bs.CreateBot(ctx, all, second); err != nil {
			t.Fatal(err)
		}
		err = ws.DeleteWebhook(ctx, all, wh.ID)
		if msg := hookline.ErrorMessage(err); !strings.Contains(msg, "Support") || !strings.Contains(msg, "Sales") {
			t.Fatalf("conflict message %q does not name both bots", msg)
		}
		// A bot that no longer uses it, or is deleted, frees it.
		if _, err := bs.UpdateBot(ctx, all, second.ID, func(stored *hookline.Bot) (hookline.BotDefinition, error) {
			return sampleBot(f.A1.ID, "Sales").BotDefinition, nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := bs.DeleteBot(ctx, all, second.ID); err != nil {
			t.Fatal(err)
		}
		_, err = ws.FindWebhook(ctx, all, wh.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, ws.DeleteWebhook(ctx, all, wh.ID), hookline.CodeConflict, "")
	})

	t.Run("Update", func(t *testing.T) {
		var seen *hookline.Bot
		got, err := bs.UpdateBot(ctx, all, b.ID, func(stored *hookline.Bot) (hookline.BotDefinition, error) {
			seen = stored
			def := stored.BotDefinition
			def.Name = "Support v2"
			def.Modules[1].Text = json.RawMessage(`"Bye"`)
			return def, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen.Version != 1 || got.Version != 2 || got.Name != "Support v2" || !got.CreatedAt.Equal(b.CreatedAt) {
			t.Fatalf("updated = %+v (saw version %d)", got, seen.Version)
		}
		found, err := bs.FindBot(ctx, all, b.ID)
		if err != nil || jsonOf(t, found) != jsonOf(t, got) {
			t.Fatalf("found %s, %v; returned %s", jsonOf(t, found), err, jsonOf(t, got))
		}
		// A refused change leaves the bot as it was.
		_, err = bs.UpdateBot(ctx, all, b.ID, func(*hookline.Bot) (hookline.BotDefinition, error) {
			return hookline.BotDefinition{}, hookline.Invalid("name", "no")
		})
		wantCode(t, err, hookline.CodeInvalid, "name")
		// So does one referring to another company's webhook.
		other := fullWebhook(f.S.ID, "S hook")
		if err := ws.CreateWebhook(ctx, all, other); err != nil {
			t.Fatal(err)
		}
		_, err = bs.UpdateBot(ctx, all, b.ID, func(*hookline.Bot) (hookline.BotDefinition, error) {
			return sampleBot(f.A1.ID, "x", other.ID).BotDefinition, nil
		})
		wantCode(t, err, hookline.CodeNotFound, "modules[0].connections[0].webhooks[0]")
		if after, _ := bs.FindBot(ctx, all, b.ID); after.Version != 2 {
			t.Fatalf("a refused update changed the bot: version %d", after.Version)
		}
	})

	t.Run("TenantDelete", func(t *testing.T) {
		n := mustCreate(t, db, "With a bot", hookline.KindCompany, 0)
		if err := bs.CreateBot(ctx, all, sampleBot(n.ID, "Lonely")); err != nil {
			t.Fatal(err)
		}
		err := db.DeleteTenant(ctx, all, n.ID)
		wantCode(t, err, hookline.CodeConflict, "")
		if !strings.Contains(hookline.ErrorMessage(err), "1 bot") {
			t.Fatalf("message %q does not count the bot", hookline.ErrorMessage(err))
		}
	})
}

// exerciseBotScopes: each caller finds, lists, changes and deletes
// exactly the bots of its companies.
func exerciseBotScopes(t *testing.T, open Open) {
	ctx := context.Background()
	_, _, bs, f := botStores(t, open)
	all := hookline.AdminScope()
	byCompany := map[int64]*hookline.Bot{}
	for _, c := range f.Companies() {
		b := sampleBot(c.ID, "Bot of "+c.Name)
		if err := bs.CreateBot(ctx, all, b); err != nil {
			t.Fatal(err)
		}
		byCompany[c.ID] = b
	}
	for _, sc := range f.Scopes() {
		t.Run(sc.Name, func(t *testing.T) {
			sees := map[int64]bool{}
			for _, c := range sc.Companies {
				sees[c.ID] = true
			}
			list, err := bs.FindBots(ctx, hookline.BotFilter{Scope: sc.Scope})
			if err != nil || len(list) != len(sc.Companies) {
				t.Fatalf("list: %d bots, %v; want %d", len(list), err, len(sc.Companies))
			}
			for companyID, b := range byCompany {
				_, err := bs.FindBot(ctx, sc.Scope, b.ID)
				_, uerr := bs.UpdateBot(ctx, sc.Scope, b.ID, func(s *hookline.Bot) (hookline.BotDefinition, error) { return s.BotDefinition, nil })
				if sees[companyID] {
					if err != nil || uerr != nil {
						t.Fatalf("company %d: find %v, update %v", companyID, err, uerr)
					}
					continue
				}
				wantCode(t, err, hookline.CodeNotFound, "")
				wantCode(t, uerr, hookline.CodeNotFound, "")
				wantCode(t, bs.DeleteBot(ctx, sc.Scope, b.ID), hookline.CodeNotFound, "")
				wantCode(t, bs.CreateBot(ctx, sc.Scope, sampleBot(companyID, "intruder")), hookline.CodeNotFound, "company_id")
			}
		})
	}
}

// newSession is an open session of bot b for from, expiring in an hour.
func newSession(b *hookline.Bot, channelID int64, from string) *hookline.BotSession {
	return &hookline.BotSession{BotID: b.ID, CompanyID: b.CompanyID, ChannelID: channelID, ChannelName: "web", From: from, To: "bot",
		ExpiresAt: time.Now().Add(time.Hour)}
}

func exerciseBotSessions(t *testing.T, open Open) {
	ctx := context.Background()
	db, _, bs, f := botStores(t, open)
	all := hookline.AdminScope()
	b := sampleBot(f.A1.ID, "Sessions")
	if err := bs.CreateBot(ctx, all, b); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().UTC().Truncate(time.Hour)
	started := []hookline.BotCounter{{BotID: b.ID, ChannelID: 3, ChannelName: "web", Hour: hour, Name: hookline.BotMetricSessionsStarted, Value: 1}}
	s := newSession(b, 3, "user-1")
	if err := bs.StartBotSession(ctx, s, nil, started); err != nil {
		t.Fatalf("start: %v", err)
	}
	if s.ID == 0 || s.State != hookline.SessionOpen {
		t.Fatalf("started = %+v", s)
	}
	key := s.Key()

	t.Run("OneOpenPerKey", func(t *testing.T) {
		err := bs.StartBotSession(ctx, newSession(b, 3, "user-1"), nil, nil)
		wantCode(t, err, hookline.CodeConflict, "")
		got, _, err := bs.FindOpenBotSessionVersion(ctx, key)
		if err != nil || got.ID != s.ID {
			t.Fatalf("open session = %+v, %v", got, err)
		}
		_, _, err = bs.FindOpenBotSessionVersion(ctx, hookline.BotSessionKey{BotID: b.ID, ChannelID: 4, From: "user-1"})
		wantCode(t, err, hookline.CodeNotFound, "")
		got, version, err := bs.FindOpenBotSessionVersion(ctx, key)
		if err != nil || got.ID != s.ID || version != b.Version {
			t.Fatalf("open session with its bot's version = %+v, %d, %v; want session %d at version %d", got, version, err, s.ID, b.Version)
		}
		updated, err := bs.UpdateBot(ctx, hookline.AdminScope(), b.ID, func(stored *hookline.Bot) (hookline.BotDefinition, error) { return stored.BotDefinition, nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, version, err = bs.FindOpenBotSessionVersion(ctx, key); err != nil || version != updated.Version || version == b.Version {
			t.Fatalf("after the bot's update the session reads version %d (%v), want %d", version, err, updated.Version)
		}
		_, _, err = bs.FindOpenBotSessionVersion(ctx, hookline.BotSessionKey{BotID: b.ID, ChannelID: 4, From: "user-1"})
		wantCode(t, err, hookline.CodeNotFound, "")
		wantCode(t, bs.StartBotSession(ctx, &hookline.BotSession{BotID: 9999, CompanyID: f.A1.ID, From: "x", ExpiresAt: time.Now()}, nil, nil), hookline.CodeNotFound, "")
	})

	t.Run("Steps", func(t *testing.T) {
		for n := 1; n <= 3; n++ {
			s.Steps, s.ModuleID = n, 1
			s.Variables = json.RawMessage(fmt.Sprintf(`{"count": %d}`, n))
			s.ExtractedData = json.RawMessage(`{"email": "ada@example.com"}`)
			s.ReplyData = json.RawMessage(`{"email": "ada@example.com"}`)
			s.LastMessage = &hookline.BotMessage{Text: fmt.Sprint("message ", n), CustomData: json.RawMessage(`{"userToken": "t"}`), At: time.Now().UTC().Truncate(time.Microsecond)}
			s.LastActivityAt = time.Now()
			step := &hookline.BotStep{N: n, At: time.Now().UTC().Truncate(time.Microsecond), Text: fmt.Sprint("message ", n),
				Replies: []json.RawMessage{json.RawMessage(`"hi"`), json.RawMessage(`{"type":"card"}`)}, Modules: []int64{1},
				Webhooks: []hookline.BotWebhookOutcome{{WebhookID: 7, Name: "CRM", Kind: hookline.ExecutionSync, Status: hookline.OutcomeFailed, ErrorKind: hookline.ErrTimeout, DurationMS: 5000}}}
			counters := []hookline.BotCounter{
				{BotID: b.ID, ChannelID: 3, ChannelName: "web", Hour: hour, Name: hookline.BotMetricMessagesIn, Value: 1},
				{BotID: b.ID, ChannelID: 3, ChannelName: "web", Hour: hour, Name: hookline.BotMetricMessagesOut, Value: 2},
				{BotID: b.ID, ChannelID: 3, ChannelName: "web", Hour: hour, Name: hookline.BotMetricWebhookPrefix + "timeout", Value: 1},
			}
			if err := bs.SaveBotStep(ctx, &hookline.BotStepRecord{Session: s, Step: step, Counters: counters}); err != nil {
				t.Fatalf("step %d: %v", n, err)
			}
		}
		got, err := bs.FindBotSession(ctx, all, s.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.Steps != 3 || string(got.Variables) != `{"count": 3}` || got.LastMessage.Text != "message 3" ||
			string(got.LastMessage.CustomData) != `{"userToken":"t"}` || len(got.History) != 3 || got.History[0].N != 1 || got.History[2].N != 3 {
			t.Fatalf("session = %s", jsonOf(t, got))
		}
		if w := got.History[1].Webhooks[0]; w.ErrorKind != hookline.ErrTimeout || w.DurationMS != 5000 || string(got.History[1].Replies[1]) != `{"type":"card"}` {
			t.Fatalf("step = %s", jsonOf(t, got.History[1]))
		}
		// A step number is saved once.
		err = bs.SaveBotStep(ctx, &hookline.BotStepRecord{Session: s, Step: &hookline.BotStep{N: 3}})
		wantCode(t, err, hookline.CodeConflict, "")
		wantCode(t, mustErr(bs.FindBotSession(ctx, hookline.TenantScope(f.B1), s.ID, false)), hookline.CodeNotFound, "")

		counters, err := bs.FindBotCounters(ctx, b.ID, nil, hour, hour.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		sums := map[string]int64{}
		for _, k := range counters {
			if k.ChannelID != 3 || k.ChannelName != "web" || !k.Hour.Equal(hour) {
				t.Fatalf("counter = %+v", k)
			}
			sums[k.Name] += k.Value
		}
		if sums[hookline.BotMetricMessagesIn] != 3 || sums[hookline.BotMetricMessagesOut] != 6 || sums["webhook:timeout"] != 3 || sums[hookline.BotMetricSessionsStarted] != 1 {
			t.Fatalf("counters = %v", sums)
		}
		none, err := bs.FindBotCounters(ctx, b.ID, new(int64), hour, hour.Add(time.Hour))
		if err != nil || len(none) != 0 {
			t.Fatalf("channel 0's counters = %v, %v", none, err)
		}
		before, _ := bs.FindBotCounters(ctx, b.ID, nil, hour.Add(-time.Hour), hour)
		if len(before) != 0 {
			t.Fatalf("the previous hour has %v", before)
		}
	})

	t.Run("IdleAndList", func(t *testing.T) {
		now := time.Now()
		stale := newSession(b, 0, "user-2")
		stale.ExpiresAt = now.Add(-time.Minute)
		if err := bs.StartBotSession(ctx, stale, nil, nil); err != nil {
			t.Fatal(err)
		}
		expired, err := bs.FindExpiredBotSessions(ctx, now, 10)
		if err != nil || len(expired) != 1 || expired[0].ID != stale.ID {
			t.Fatalf("expired = %v, %v", expired, err)
		}
		ended, err := bs.EndIdleBotSession(ctx, stale.ID, now)
		if err != nil || !ended {
			t.Fatalf("end idle: %v, %v", ended, err)
		}
		if again, _ := bs.EndIdleBotSession(ctx, stale.ID, now); again {
			t.Fatal("an ended session was ended again")
		}
		if open, _ := bs.EndIdleBotSession(ctx, s.ID, now); open {
			t.Fatal("a session not yet expired was ended")
		}
		got, _ := bs.FindBotSession(ctx, all, stale.ID, false)
		if got.State != hookline.SessionEnded || got.EndReason != hookline.EndReasonIdle || got.EndedAt == nil {
			t.Fatalf("ended session = %+v", got)
		}
		counts, _ := bs.FindBotCounters(ctx, b.ID, new(int64), now.Add(-time.Hour), now.Add(time.Hour))
		if len(counts) != 1 || counts[0].Name != hookline.BotMetricSessionsEnded || counts[0].Value != 1 {
			t.Fatalf("try console counters = %+v", counts)
		}
		// A new session of the key ends its expired one in the same
		// transaction.
		third := newSession(b, 0, "user-3")
		third.ExpiresAt = now.Add(-time.Minute)
		if err := bs.StartBotSession(ctx, third, nil, nil); err != nil {
			t.Fatal(err)
		}
		fresh := newSession(b, 0, "user-3")
		if err := bs.StartBotSession(ctx, fresh, third, nil); err != nil {
			t.Fatalf("start after an expired one: %v", err)
		}
		if got, _ := bs.FindBotSession(ctx, all, third.ID, false); got.State != hookline.SessionEnded {
			t.Fatalf("the expired session is %s", got.State)
		}

		zero := int64(0)
		list, err := bs.FindBotSessions(ctx, hookline.BotSessionFilter{Scope: all, BotID: b.ID})
		if err != nil || len(list) != 4 || list[0].ID != fresh.ID || list[3].ID != s.ID {
			t.Fatalf("sessions newest first = %v, %v", list, err)
		}
		list, _ = bs.FindBotSessions(ctx, hookline.BotSessionFilter{Scope: all, BotID: b.ID, ChannelID: &zero, State: hookline.SessionEnded})
		if len(list) != 2 {
			t.Fatalf("ended sessions of channel 0 = %d", len(list))
		}
		page, _ := bs.FindBotSessions(ctx, hookline.BotSessionFilter{Scope: all, BotID: b.ID, Before: fresh.ID, Limit: 2})
		if len(page) != 2 || page[0].ID != third.ID {
			t.Fatalf("page before %d = %v", fresh.ID, page)
		}
		list, _ = bs.FindBotSessions(ctx, hookline.BotSessionFilter{Scope: hookline.TenantScope(f.B), BotID: b.ID})
		if len(list) != 0 {
			t.Fatalf("another agency lists %d sessions", len(list))
		}
	})

	t.Run("BotDeleteCascades", func(t *testing.T) {
		// The bot's sessions, inbox, counters and webhook channels go
		// with it.
		other := sampleBot(f.A2.ID, "Short-lived")
		if err := bs.CreateBot(ctx, all, other); err != nil {
			t.Fatal(err)
		}
		sess := newSession(other, 1, "u")
		if err := bs.StartBotSession(ctx, sess, nil, started); err != nil {
			t.Fatal(err)
		}
		if _, err := bs.AddBotInbox(ctx, hookline.InboundMessage{BotID: other.ID, ChannelID: 1, From: "u", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		chs := sqlstore.NewChannelStore(db, Sealer(t))
		ch := &hookline.Channel{CompanyID: other.CompanyID, BotID: other.ID, Type: hookline.ChannelTypeWebhook, Name: "web", Mode: hookline.ChannelSync, Enabled: true}
		if err := chs.CreateChannels(ctx, []*hookline.Channel{ch}); err != nil {
			t.Fatal(err)
		}
		if err := bs.DeleteBot(ctx, all, other.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, mustErr(chs.FindChannel(ctx, all, ch.ID)), hookline.CodeNotFound, "")
		wantCode(t, mustErr(bs.FindBotSession(ctx, all, sess.ID, true)), hookline.CodeNotFound, "")
		sess.Steps = 1
		wantCode(t, bs.SaveBotStep(ctx, &hookline.BotStepRecord{Session: sess, Step: &hookline.BotStep{N: 1}}), hookline.CodeNotFound, "")
		_, err := bs.NextBotInbox(ctx, sess.Key())
		wantCode(t, err, hookline.CodeNotFound, "")
	})
}

func mustErr[T any](_ T, err error) error { return err }

func exerciseBotInbox(t *testing.T, open Open) {
	ctx := context.Background()
	_, _, bs, f := botStores(t, open)
	b := sampleBot(f.A1.ID, "Inbox")
	if err := bs.CreateBot(ctx, hookline.AdminScope(), b); err != nil {
		t.Fatal(err)
	}
	k1 := hookline.BotSessionKey{BotID: b.ID, ChannelID: 2, From: "alice"}
	k2 := hookline.BotSessionKey{BotID: b.ID, ChannelID: 2, From: "bob"}
	in := func(k hookline.BotSessionKey, text string) int64 {
		t.Helper()
		id, err := bs.AddBotInbox(ctx, hookline.InboundMessage{BotID: k.BotID, ChannelID: k.ChannelID, ChannelName: "web", From: k.From, To: "bot",
			Text: text, Attachments: json.RawMessage(`["https://example.com/a.png"]`), CustomData: json.RawMessage(`{"userToken":"x"}`)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1 := in(k1, "a1")
	b1 := in(k2, "b1")
	a2 := in(k1, "a2")
	_, err := bs.AddBotInbox(ctx, hookline.InboundMessage{BotID: 9999, From: "x"})
	wantCode(t, err, hookline.CodeNotFound, "")

	now := time.Now().Add(time.Second)
	keys, err := bs.FindBotInboxKeys(ctx, now, 10)
	if err != nil || len(keys) != 2 || keys[0] != k1 || keys[1] != k2 {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	it, err := bs.NextBotInbox(ctx, k1)
	if err != nil || it.ID != a1 || it.Stepped || it.Message.Text != "a1" || it.Message.ChannelName != "web" ||
		string(it.Message.CustomData) != `{"userToken":"x"}` || string(it.Message.Attachments) != `["https://example.com/a.png"]` {
		t.Fatalf("next = %+v, %v", it, err)
	}
	// A step marks its message with its reply in the step's transaction.
	s := newSession(b, 2, "alice")
	if err := bs.StartBotSession(ctx, s, nil, nil); err != nil {
		t.Fatal(err)
	}
	s.Steps = 1
	reply := &hookline.BotReply{Text: []json.RawMessage{json.RawMessage(`"hello"`)}, SessionID: s.ID}
	if err := bs.SaveBotStep(ctx, &hookline.BotStepRecord{Session: s, Step: &hookline.BotStep{N: 1}, InboxID: a1, Reply: reply}); err != nil {
		t.Fatal(err)
	}
	it, _ = bs.NextBotInbox(ctx, k1)
	if !it.Stepped || len(it.Reply.Text) != 1 || string(it.Reply.Text[0]) != `"hello"` || it.Reply.SessionID != s.ID {
		t.Fatalf("stepped = %+v", it)
	}
	// A deferred message holds its key back until it is due.
	if err := bs.DeferBotInbox(ctx, a1, now.Add(time.Hour), "sink down"); err != nil {
		t.Fatal(err)
	}
	keys, _ = bs.FindBotInboxKeys(ctx, now, 10)
	if len(keys) != 1 || keys[0] != k2 {
		// a2 waits behind a1, so k1 is not listed until a1 is due.
		t.Fatalf("keys after defer = %v", keys)
	}
	if keys, _ = bs.FindBotInboxKeys(ctx, now.Add(2*time.Hour), 10); len(keys) != 2 || keys[0] != k1 {
		t.Fatalf("keys once a1 is due = %v", keys)
	}
	it, _ = bs.NextBotInbox(ctx, k1)
	if it.ID != a1 || it.Attempts != 1 || !it.NextAttemptAt.After(now) {
		t.Fatalf("deferred = %+v", it)
	}
	if err := bs.DeleteBotInbox(ctx, a1); err != nil {
		t.Fatal(err)
	}
	it, _ = bs.NextBotInbox(ctx, k1)
	if it.ID != a2 {
		t.Fatalf("after delete, next = %+v", it)
	}
	for _, id := range []int64{a2, b1} {
		if err := bs.DeleteBotInbox(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	keys, _ = bs.FindBotInboxKeys(ctx, now, 10)
	if len(keys) != 0 {
		t.Fatalf("keys of an empty inbox = %v", keys)
	}
}

// exerciseBotSessionLocks: a held session lock excludes every other
// holder of the same key, in this process and, on PostgreSQL, in another
// store on the same database; other keys are free; a cancelled wait gives
// up.
func exerciseBotSessionLocks(t *testing.T, open Open) {
	ctx := context.Background()
	_, _, bs, _ := botStores(t, open)
	key := hookline.BotSessionKey{BotID: 1, ChannelID: 2, From: "someone"}
	unlock, err := bs.LockBotSession(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := bs.TryLockBotSession(ctx, key); ok || err != nil {
		t.Fatalf("try-lock of a held key: %v, %v", ok, err)
	}
	other, ok, err := bs.TryLockBotSession(ctx, hookline.BotSessionKey{BotID: 1, ChannelID: 2, From: "someone else"})
	if !ok || err != nil {
		t.Fatalf("try-lock of a free key: %v, %v", ok, err)
	}
	other()
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = bs.LockBotSession(cctx, key)
	cancel()
	if err == nil {
		t.Fatal("waiting for a held lock did not give up with its context")
	}
	// A waiter gets the lock once it is released.
	var wg sync.WaitGroup
	got := make(chan error, 1)
	wg.Go(func() {
		u, err := bs.LockBotSession(ctx, key)
		if err == nil {
			u()
		}
		got <- err
	})
	unlock()
	wg.Wait()
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	u, ok, err := bs.TryLockBotSession(ctx, key)
	if !ok || err != nil {
		t.Fatalf("after release: %v, %v", ok, err)
	}
	u()
}

// exerciseBotSessionFill stores sessions in bulk, over more than one
// batch, and finds them as sessions started one by one are found.
func exerciseBotSessionFill(t *testing.T, open Open) {
	ctx := context.Background()
	_, _, bs, f := botStores(t, open)
	all := hookline.AdminScope()
	b := sampleBot(f.A1.ID, "Filled")
	if err := bs.CreateBot(ctx, all, b); err != nil {
		t.Fatal(err)
	}
	// A session of another channel, started as usual, keeps its own
	// history.
	other := newSession(b, 4, "f1")
	if err := bs.StartBotSession(ctx, other, nil, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	proto := &hookline.BotSession{BotID: b.ID, CompanyID: b.CompanyID, ChannelID: 5, ChannelName: "bench", To: "bench", ModuleID: 1,
		CreatedAt: now, LastActivityAt: now, ExpiresAt: now.Add(time.Hour)}
	// More than one batch of 50,000, unless -short (the race detector
	// makes SQLite some twenty times slower).
	n, probes := 50_001, []int{0, 49_999, 50_000}
	if testing.Short() {
		n, probes = 3, []int{0, 2}
	}
	if err := bs.FillBotSessions(ctx, proto, "f", n); err != nil {
		t.Fatalf("fill: %v", err)
	}
	for _, k := range probes {
		s, _, err := bs.FindOpenBotSessionVersion(ctx, hookline.BotSessionKey{BotID: b.ID, ChannelID: 5, From: fmt.Sprint("f", k)})
		if err != nil {
			t.Fatalf("session f%d: %v", k, err)
		}
		if s.State != hookline.SessionOpen || s.Steps != 1 || s.ModuleID != 1 || s.CompanyID != b.CompanyID || s.To != "bench" ||
			s.ChannelName != "bench" || !s.ExpiresAt.Equal(now.Add(time.Hour)) || s.LastMessage != nil {
			t.Fatalf("session f%d = %s", k, jsonOf(t, s))
		}
		full, err := bs.FindBotSession(ctx, all, s.ID, true)
		if err != nil || len(full.History) != 1 || full.History[0].N != 1 || full.History[0].Modules[0] != 1 {
			t.Fatalf("history of f%d = %s, %v", k, jsonOf(t, full), err)
		}
	}
	_, _, err := bs.FindOpenBotSessionVersion(ctx, hookline.BotSessionKey{BotID: b.ID, ChannelID: 5, From: fmt.Sprint("f", n)})
	wantCode(t, err, hookline.CodeNotFound, "")
	full, err := bs.FindBotSession(ctx, all, other.ID, true)
	if err != nil || len(full.History) != 0 {
		t.Fatalf("the other channel's session = %s, %v", jsonOf(t, full), err)
	}
	// Open sessions of the same users are not stored twice.
	wantCode(t, bs.FillBotSessions(ctx, proto, "f", 2), hookline.CodeConflict, "")
	if err := bs.FillBotSessions(ctx, proto, "g", 0); err != nil {
		t.Fatalf("an empty fill: %v", err)
	}
	missing := *proto
	missing.BotID = 9999
	wantCode(t, bs.FillBotSessions(ctx, &missing, "h", 1), hookline.CodeNotFound, "")
}

// exerciseBotSessionWritesTogether starts and steps many sessions at once,
// as a busy channel does, so that their writes share transactions: each
// write is stored, the counters add up exactly, a write that fails (the
// step of a session whose row is gone, a second open session of a user)
// fails alone, and a caller that gave up before its write began gets its
// context's error and stores nothing.
func exerciseBotSessionWritesTogether(t *testing.T, open Open) {
	ctx := context.Background()
	_, _, bs, f := botStores(t, open)
	all := hookline.AdminScope()
	b := sampleBot(f.A1.ID, "Busy")
	if err := bs.CreateBot(ctx, all, b); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().UTC().Truncate(time.Hour)
	count := func(name string, v int64) hookline.BotCounter {
		return hookline.BotCounter{BotID: b.ID, ChannelID: 8, ChannelName: "busy", Hour: hour, Name: name, Value: v}
	}
	const users, steps = 24, 5
	sessions := make([]*hookline.BotSession, users)
	var wg sync.WaitGroup
	errs := make(chan error, users*(steps+2))
	for u := range users {
		wg.Go(func() {
			s := newSession(b, 8, fmt.Sprint("busy-", u))
			if err := bs.StartBotSession(ctx, s, nil, []hookline.BotCounter{count(hookline.BotMetricSessionsStarted, 1)}); err != nil {
				errs <- fmt.Errorf("start %d: %w", u, err)
				return
			}
			sessions[u] = s
			for n := 1; n <= steps; n++ {
				s.Steps = n
				s.Variables = json.RawMessage(fmt.Sprintf(`{"n": %d}`, n))
				step := &hookline.BotStep{N: n, At: time.Now().UTC().Truncate(time.Microsecond), Text: fmt.Sprint("m", n), Replies: []json.RawMessage{}, Modules: []int64{1}, Webhooks: []hookline.BotWebhookOutcome{}}
				if err := bs.SaveBotStep(ctx, &hookline.BotStepRecord{Session: s, Step: step,
					Counters: []hookline.BotCounter{count(hookline.BotMetricMessagesIn, 1), count(hookline.BotMetricMessagesOut, 2)}}); err != nil {
					errs <- fmt.Errorf("step %d of %d: %w", n, u, err)
					return
				}
			}
			// A second open session of the same user is refused, alone.
			dup := newSession(b, 8, fmt.Sprint("busy-", u))
			if err := bs.StartBotSession(ctx, dup, nil, []hookline.BotCounter{count(hookline.BotMetricSessionsStarted, 1)}); hookline.ErrorCode(err) != hookline.CodeConflict {
				errs <- fmt.Errorf("a second open session of %d: %v", u, err)
			}
			// A step of a session that is not stored is refused, alone.
			ghost := *s
			ghost.ID = 1 << 40
			step := &hookline.BotStep{N: 1, Replies: []json.RawMessage{}, Modules: []int64{}, Webhooks: []hookline.BotWebhookOutcome{}}
			if err := bs.SaveBotStep(ctx, &hookline.BotStepRecord{Session: &ghost, Step: step,
				Counters: []hookline.BotCounter{count(hookline.BotMetricMessagesIn, 100)}}); hookline.ErrorCode(err) != hookline.CodeNotFound {
				errs <- fmt.Errorf("a step of a missing session: %v", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	for u, s := range sessions {
		got, err := bs.FindBotSession(ctx, all, s.ID, true)
		if err != nil || got.Steps != steps || string(got.Variables) != fmt.Sprintf(`{"n": %d}`, steps) || len(got.History) != steps {
			t.Fatalf("session of user %d = %s, %v", u, jsonOf(t, got), err)
		}
	}
	counters, err := bs.FindBotCounters(ctx, b.ID, nil, hour, hour.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{hookline.BotMetricSessionsStarted: users, hookline.BotMetricMessagesIn: users * steps, hookline.BotMetricMessagesOut: 2 * users * steps}
	got := map[string]int64{}
	for _, k := range counters {
		got[k.Name] += k.Value
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("counter %s = %d, want %d (all: %v)", name, got[name], v, got)
		}
	}
	// A caller that gave up does not write.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	late := newSession(b, 8, "late")
	if err := bs.StartBotSession(cancelled, late, nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled start: %v", err)
	}
	_, _, err = bs.FindOpenBotSessionVersion(ctx, late.Key())
	wantCode(t, err, hookline.CodeNotFound, "")
}
