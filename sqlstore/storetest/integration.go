package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// SampleProviderSecret is the auth token of the connections the suite
// stores; tests of a store's files look for it to prove it is sealed.
const SampleProviderSecret = "twl-8d1e6b3f0a2c4957"

func integrationStore(t *testing.T, open Open) (*sqlstore.DB, *sqlstore.IntegrationStore, *Fixture) {
	t.Helper()
	db := open(t)
	return db, sqlstore.NewIntegrationStore(db, Sealer(t)), NewFixture(t, db)
}

func smsConnection(companyID int64, code string) *hookline.Connection {
	return &hookline.Connection{CompanyID: companyID, Type: hookline.ConnectionSMS, Code: code, Provider: hookline.Provider{
		AccountSID: "AC123", AuthToken: SampleProviderSecret, From: "+15550001111", BaseURL: "https://api.twilio.com"}}
}

func sampleIntegration(companyID int64, alias string, codes ...string) *hookline.Integration {
	i := &hookline.Integration{CompanyID: companyID, Connections: codes, IntegrationDefinition: hookline.IntegrationDefinition{
		Alias: alias, Method: "POST", URL: "https://crm.example.com/events",
		Auth:       hookline.Auth{Type: hookline.AuthBearer, Token: SampleSecret},
		Headers:    []hookline.KeyValue{{Key: "X-Auth-Token", Value: SampleHeaderSecret, Type: hookline.ValueText, Secret: ptrTo(true)}},
		Params:     []hookline.KeyValue{{Key: "chat", Value: "chatId", Type: hookline.ValueVariable, Secret: ptrTo(false)}},
		BodyFields: []hookline.BodyField{{Key: "z.b", Value: "text", Type: hookline.ValueVariable}, {Key: "a", Value: "fixed", Type: hookline.ValueText}},
		Events:     []string{hookline.EventMessage, hookline.EventEnd},
	}}
	_, i.ReplyTokenHash = hookline.NewReplyTokenSecret()
	return i
}

func exerciseIntegrations(t *testing.T, open Open) {
	ctx := context.Background()
	_, s, f := integrationStore(t, open)
	all := hookline.AdminScope()

	t.Run("connection codes are unique across tenants", func(t *testing.T) {
		c := smsConnection(f.A1.ID, "shop-sms")
		if err := s.CreateConnection(ctx, all, c); err != nil {
			t.Fatal(err)
		}
		err := s.CreateConnection(ctx, all, smsConnection(f.B1.ID, "shop-sms"))
		wantCode(t, err, hookline.CodeConflict, "code")
		if strings.Contains(hookline.ErrorMessage(err), "A1") || strings.Contains(hookline.ErrorMessage(err), fmt.Sprint(f.A1.ID)) {
			t.Fatalf("the conflict names the owner: %v", err)
		}
		got, err := s.FindConnectionByCode(ctx, hookline.ConnectionSMS, "shop-sms")
		if err != nil || got.Provider.AuthToken != SampleProviderSecret || got.CompanyID != f.A1.ID {
			t.Fatalf("by code: %+v, %v", got, err)
		}
		_, err = s.FindConnectionByCode(ctx, hookline.ConnectionWhatsApp, "shop-sms")
		wantCode(t, err, hookline.CodeNotFound, "")
		list, err := s.FindConnections(ctx, hookline.ConnectionFilter{Scope: hookline.TenantScope(f.A1)})
		if err != nil || len(list) != 1 || list[0].Provider.AuthToken != hookline.SecretMask {
			t.Fatalf("listing shows %+v, %v", list, err)
		}
		_, err = s.FindConnection(ctx, hookline.TenantScope(f.B1), c.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
		wantCode(t, s.CreateConnection(ctx, hookline.TenantScope(f.B1), smsConnection(f.A1.ID, "other")), hookline.CodeNotFound, "company_id")
	})

	t.Run("integrations hold connections, secrets sealed and masked", func(t *testing.T) {
		for _, code := range []string{"i-1", "i-2", "i-3"} {
			if err := s.CreateConnection(ctx, all, smsConnection(f.A1.ID, code)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateConnection(ctx, all, smsConnection(f.B1.ID, "b-1")); err != nil {
			t.Fatal(err)
		}
		i := sampleIntegration(f.A1.ID, "CRM", "i-2", "i-1")
		if err := s.CreateIntegration(ctx, all, i); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(i.Connections, []string{"i-1", "i-2"}) || i.Status != hookline.IntegrationInactive {
			t.Fatalf("created %+v", i)
		}
		got, err := s.FindIntegration(ctx, hookline.TenantScope(f.A1), i.ID)
		if err != nil || got.Auth.Token != SampleSecret || got.Headers[0].Value != SampleHeaderSecret || got.BodyFields[0].Key != "z.b" {
			t.Fatalf("found %+v, %v", got, err)
		}
		list, _ := s.FindIntegrations(ctx, hookline.IntegrationFilter{Scope: hookline.TenantScope(f.A1)})
		if len(list) != 1 || list[0].Auth.Token != hookline.SecretMask || !slices.Equal(list[0].Connections, []string{"i-1", "i-2"}) {
			t.Fatalf("listed %+v", list)
		}
		// Another company's connection is not found; a held one conflicts
		// naming its holder.
		wantCode(t, s.CreateIntegration(ctx, all, sampleIntegration(f.A1.ID, "X", "b-1")), hookline.CodeNotFound, "connections[0]")
		err = s.CreateIntegration(ctx, all, sampleIntegration(f.A1.ID, "X", "i-3", "i-1"))
		wantCode(t, err, hookline.CodeConflict, "connections[1]")
		if !strings.Contains(hookline.ErrorMessage(err), `integration `+fmt.Sprint(i.ID)) {
			t.Fatalf("conflict does not name the holder: %v", err)
		}
		// Nothing half-written: i-3 stays free.
		c3, _ := s.FindConnectionByCode(ctx, hookline.ConnectionSMS, "i-3")
		if c3.HolderKind != "" {
			t.Fatalf("i-3 held by %s %d after a refused create", c3.HolderKind, c3.HolderID)
		}
		// Update swaps connections.
		up, err := s.UpdateIntegration(ctx, all, i.ID, func(stored *hookline.Integration) (*hookline.Integration, error) {
			stored.Connections = []string{"i-3"}
			stored.Alias = "CRM 2"
			return stored, nil
		})
		if err != nil || !slices.Equal(up.Connections, []string{"i-3"}) || up.Alias != "CRM 2" {
			t.Fatalf("updated %+v, %v", up, err)
		}
		c1, _ := s.FindConnectionByCode(ctx, hookline.ConnectionSMS, "i-1")
		if c1.HolderKind != "" {
			t.Fatal("i-1 still held after the update")
		}
		wantCode(t, s.DeleteConnection(ctx, all, c3.ID), hookline.CodeConflict, "")
		// Reply token rotation keeps the previous hash.
		_, h2 := hookline.NewReplyTokenSecret()
		until := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
		if err := s.SetReplyToken(ctx, all, i.ID, h2, until); err != nil {
			t.Fatal(err)
		}
		got, _ = s.FindIntegration(ctx, all, i.ID)
		if !slices.Equal(got.ReplyTokenHash, h2) || !slices.Equal(got.PreviousReplyTokenHash, i.ReplyTokenHash) || !got.PreviousReplyUntil.Equal(until) {
			t.Fatalf("rotated: %+v", got)
		}
		if err := s.DeleteIntegration(ctx, all, i.ID); err != nil {
			t.Fatal(err)
		}
		c3, _ = s.FindConnectionByCode(ctx, hookline.ConnectionSMS, "i-3")
		if c3.HolderKind != "" {
			t.Fatal("i-3 still held after the integration was deleted")
		}
		if err := s.DeleteConnection(ctx, all, c3.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("campaigns", func(t *testing.T) {
		for _, code := range []string{"c-1", "c-2", "c-3"} {
			if err := s.CreateConnection(ctx, all, smsConnection(f.A2.ID, code)); err != nil {
				t.Fatal(err)
			}
		}
		held := sampleIntegration(f.A2.ID, "Held", "c-3")
		if err := s.CreateIntegration(ctx, all, held); err != nil {
			t.Fatal(err)
		}
		bare := sampleIntegration(f.A2.ID, "Bare")
		if err := s.CreateIntegration(ctx, all, bare); err != nil {
			t.Fatal(err)
		}
		camp := &hookline.Campaign{CompanyID: f.A2.ID, Name: "Bot", Type: hookline.CampaignChatbot, Connection: "c-1", IntegrationID: &bare.ID}
		wantCode(t, s.CreateCampaign(ctx, all, camp), hookline.CodeConflict, "integration_id") // inactive
		if _, err := s.SetIntegrationStatus(ctx, all, bare.ID, hookline.IntegrationActive); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetIntegrationStatus(ctx, all, held.ID, hookline.IntegrationActive); err != nil {
			t.Fatal(err)
		}
		withConns := &hookline.Campaign{CompanyID: f.A2.ID, Name: "X", Type: hookline.CampaignChatbot, Connection: "c-2", IntegrationID: &held.ID}
		wantCode(t, s.CreateCampaign(ctx, all, withConns), hookline.CodeConflict, "integration_id")
		onHeld := &hookline.Campaign{CompanyID: f.A2.ID, Name: "X", Type: hookline.CampaignKeyword, Connection: "c-3", Keywords: []string{"hi"}, Reply: "hello"}
		err := s.CreateCampaign(ctx, all, onHeld)
		wantCode(t, err, hookline.CodeConflict, "connection")
		if !strings.Contains(hookline.ErrorMessage(err), "integration") {
			t.Fatalf("conflict does not say an integration holds it: %v", err)
		}
		if err := s.CreateCampaign(ctx, all, camp); err != nil {
			t.Fatal(err)
		}
		// The connection held by the campaign cannot go to an integration.
		wantCode(t, s.CreateIntegration(ctx, all, sampleIntegration(f.A2.ID, "Y", "c-1")), hookline.CodeConflict, "connections[0]")
		second := &hookline.Campaign{CompanyID: f.A2.ID, Name: "K", Type: hookline.CampaignKeyword, Connection: "c-1", Keywords: []string{"hi"}, Reply: "hello"}
		wantCode(t, s.CreateCampaign(ctx, all, second), hookline.CodeConflict, "connection")

		live, err := s.SetCampaignStatus(ctx, all, camp.ID, hookline.CampaignLive)
		if err != nil || live.Status != hookline.CampaignLive || live.IntegratedAt == nil {
			t.Fatalf("live: %+v, %v", live, err)
		}
		_, err = s.SetIntegrationStatus(ctx, all, bare.ID, hookline.IntegrationInactive)
		wantCode(t, err, hookline.CodeConflict, "")
		if !strings.Contains(hookline.ErrorMessage(err), `"Bot"`) {
			t.Fatalf("stop refusal does not name the campaign: %v", err)
		}
		if got, _ := s.FindIntegration(ctx, all, bare.ID); got.Status != hookline.IntegrationActive {
			t.Fatal("a refused stop stopped the integration")
		}
		wantCode(t, s.DeleteIntegration(ctx, all, bare.ID), hookline.CodeConflict, "")
		wantCode(t, s.DeleteCampaign(ctx, all, camp.ID), hookline.CodeConflict, "")
		linked, err := s.FindIntegrationCampaigns(ctx, hookline.TenantScope(f.A2), bare.ID, 0, 10)
		if err != nil || len(linked) != 1 || linked[0].Name != "Bot" || linked[0].IntegratedAt == nil {
			t.Fatalf("linked %+v, %v", linked, err)
		}
		_, err = s.FindIntegrationCampaigns(ctx, hookline.TenantScope(f.B1), bare.ID, 0, 10)
		wantCode(t, err, hookline.CodeNotFound, "")
		c1, _ := s.FindConnectionByCode(ctx, hookline.ConnectionSMS, "c-1")
		if byConn, err := s.FindConnectionCampaign(ctx, c1.ID); err != nil || byConn.ID != camp.ID {
			t.Fatalf("campaign of c-1: %+v, %v", byConn, err)
		}
		if _, err := s.SetCampaignStatus(ctx, all, camp.ID, hookline.CampaignPaused); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetIntegrationStatus(ctx, all, bare.ID, hookline.IntegrationInactive); err != nil {
			t.Fatal(err)
		}
		_, err = s.SetCampaignStatus(ctx, all, camp.ID, hookline.CampaignLive)
		wantCode(t, err, hookline.CodeConflict, "")
		if err := s.DeleteCampaign(ctx, all, camp.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCampaign(ctx, all, second); err != nil {
			t.Fatalf("c-1 was not freed by the deletion: %v", err)
		}
		got, err := s.FindCampaign(ctx, hookline.TenantScope(f.A2), second.ID)
		if err != nil || !slices.Equal(got.Keywords, []string{"hi"}) || got.Connection != "c-1" {
			t.Fatalf("keyword campaign %+v, %v", got, err)
		}
		_, err = s.FindCampaign(ctx, hookline.TenantScope(f.A1), second.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
	})
}

func exerciseChats(t *testing.T, open Open) {
	ctx := context.Background()
	_, s, f := integrationStore(t, open)
	all := hookline.AdminScope()
	if err := s.CreateConnection(ctx, all, smsConnection(f.A1.ID, "chat-sms")); err != nil {
		t.Fatal(err)
	}
	i := sampleIntegration(f.A1.ID, "Chats", "chat-sms")
	if err := s.CreateIntegration(ctx, all, i); err != nil {
		t.Fatal(err)
	}
	conn, _ := s.FindConnectionByCode(ctx, hookline.ConnectionSMS, "chat-sms")
	tmpl := func(contact string) *hookline.Chat {
		return &hookline.Chat{CompanyID: f.A1.ID, IntegrationID: i.ID, ConnectionID: conn.ID, ConnectionType: conn.Type, ConnectionCode: conn.Code, Contact: contact}
	}
	in := func(id, text string) *hookline.ChatMessage {
		return &hookline.ChatMessage{ProviderID: id, Text: text, Multimedia: &hookline.Multimedia{URL: "https://m.example/1.jpg", ContentType: "image/jpeg"}}
	}
	first, err := s.AddInbound(ctx, tmpl("+1555"), in("SM1", "hello"), nil)
	if err != nil || first.Duplicate || first.Chat.Status != hookline.ChatOpen || first.Message.Direction != hookline.DirectionIn {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := s.AddInbound(ctx, tmpl("+1555"), in("SM2", "again"), nil)
	if err != nil || second.Chat.ID != first.Chat.ID {
		t.Fatalf("a second message opened another chat: %+v, %v", second, err)
	}
	dup, err := s.AddInbound(ctx, tmpl("+1555"), in("SM1", "hello"), nil)
	if err != nil || !dup.Duplicate || dup.Message.ID != first.Message.ID || dup.Chat.ID != first.Chat.ID {
		t.Fatalf("duplicate: %+v, %v", dup, err)
	}
	if err := s.SetMessageDeliveries(ctx, first.Message.ID, []int64{7}); err != nil {
		t.Fatal(err)
	}
	out := &hookline.ChatMessage{Text: "reply"}
	if err := s.AddOutbound(ctx, first.Chat.ID, out); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.FindChatMessages(ctx, first.Chat.ID)
	if err != nil || len(msgs) != 3 || msgs[0].Text != "hello" || msgs[0].Multimedia.ContentType != "image/jpeg" ||
		!slices.Equal(msgs[0].DeliveryIDs, []int64{7}) || msgs[2].Direction != hookline.DirectionOut {
		t.Fatalf("messages %+v, %v", msgs, err)
	}
	_, err = s.FindChat(ctx, hookline.TenantScope(f.B1), i.ID, first.Chat.ID)
	wantCode(t, err, hookline.CodeNotFound, "")
	_, err = s.FindChat(ctx, all, i.ID+1000, first.Chat.ID)
	wantCode(t, err, hookline.CodeNotFound, "")

	idle, err := s.FindIdleChats(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(idle) != 1 {
		t.Fatalf("idle %+v, %v", idle, err)
	}
	ended, err := s.EndChat(ctx, first.Chat.ID, "ended")
	if err != nil || ended.Status != hookline.ChatEnded || ended.EndedAt == nil || ended.EndReason != "ended" {
		t.Fatalf("ended %+v, %v", ended, err)
	}
	_, err = s.EndChat(ctx, first.Chat.ID, "ended")
	wantCode(t, err, hookline.CodeConflict, "")
	wantCode(t, s.AddOutbound(ctx, first.Chat.ID, &hookline.ChatMessage{Text: "late"}), hookline.CodeConflict, "")
	wantCode(t, s.AddOutbound(ctx, first.Chat.ID+1000, &hookline.ChatMessage{Text: "x"}), hookline.CodeNotFound, "")
	third, err := s.AddInbound(ctx, tmpl("+1555"), in("SM3", "back"), nil)
	if err != nil || third.Chat.ID == first.Chat.ID {
		t.Fatalf("a message after the end continued the ended chat: %+v, %v", third, err)
	}
	open2, _ := s.FindChats(ctx, hookline.ChatFilter{Scope: all, IntegrationID: i.ID, Status: hookline.ChatOpen})
	allChats, _ := s.FindChats(ctx, hookline.ChatFilter{Scope: all, IntegrationID: i.ID})
	if len(open2) != 1 || len(allChats) != 2 {
		t.Fatalf("open %d, all %d", len(open2), len(allChats))
	}

	// Many messages of one new contact at once open one chat.
	var wg sync.WaitGroup
	results := make([]*hookline.InboundResult, 8)
	errs := make([]error, 8)
	for n := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[n], errs[n] = s.AddInbound(ctx, tmpl("+1777"), in(fmt.Sprintf("R%d", n), "x"), nil)
		}()
	}
	wg.Wait()
	chats := map[int64]bool{}
	for n, r := range results {
		if errs[n] != nil {
			if hookline.ErrorCode(errs[n]) == hookline.CodeUnavailable {
				continue
			}
			t.Fatalf("concurrent message %d: %v", n, errs[n])
		}
		chats[r.Chat.ID] = true
	}
	if len(chats) != 1 {
		t.Fatalf("concurrent messages of one contact opened %d chats", len(chats))
	}

	seen, err := s.SeeProviderMessage(ctx, conn.ID, "K1")
	if err != nil || !seen {
		t.Fatalf("see: %v %v", seen, err)
	}
	if seen, _ = s.SeeProviderMessage(ctx, conn.ID, "K1"); seen {
		t.Fatal("a provider id seen twice was new twice")
	}
	if err := s.ForgetProviderMessage(ctx, conn.ID, "K1"); err != nil {
		t.Fatal(err)
	}
	if seen, _ = s.SeeProviderMessage(ctx, conn.ID, "K1"); !seen {
		t.Fatal("a forgotten provider id was not new")
	}
	n, err := s.PruneProviderMessages(ctx, time.Now().Add(time.Minute), 1000)
	if err != nil || n < 4 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	// A deleted integration takes its chats along.
	if err := s.DeleteIntegration(ctx, all, i.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindChat(ctx, all, i.ID, first.Chat.ID)
	wantCode(t, err, hookline.CodeNotFound, "")
}

// chatStores opens the integration and delivery stores of one database,
// with an SMS connection of company A1 by code and an integration holding
// it.
func chatStores(t *testing.T, open Open, code string) (*sqlstore.IntegrationStore, *sqlstore.DeliveryStore, *Fixture, *hookline.Integration, *hookline.Connection) {
	t.Helper()
	ctx := context.Background()
	db, s, f := integrationStore(t, open)
	all := hookline.AdminScope()
	if err := s.CreateConnection(ctx, all, smsConnection(f.A1.ID, code)); err != nil {
		t.Fatal(err)
	}
	i := sampleIntegration(f.A1.ID, "Chats of "+code, code)
	if err := s.CreateIntegration(ctx, all, i); err != nil {
		t.Fatal(err)
	}
	conn, err := s.FindConnectionByCode(ctx, hookline.ConnectionSMS, code)
	if err != nil {
		t.Fatal(err)
	}
	return s, sqlstore.NewDeliveryStore(db, Sealer(t)), f, i, conn
}

// messageEvent is an InboundEvent that queues a delivery to integration
// i on the chat's key, with the message's text as its body.
func messageEvent(i *hookline.Integration) hookline.InboundEvent {
	return func(chat *hookline.Chat, m *hookline.ChatMessage) (*hookline.Delivery, error) {
		now := time.Now()
		return &hookline.Delivery{CompanyID: i.CompanyID, TargetKind: hookline.TargetIntegration, TargetID: i.ID,
			MessageID: fmt.Sprintf("msg_%d_%s", chat.ID, m.ProviderID), OrderingKey: fmt.Sprintf("chat-%d", chat.ID), NextAttemptAt: &now,
			Request: hookline.DeliveryRequest{Method: "POST", URL: "https://crm.example.com/events", Body: []byte(m.Text)}}, nil
	}
}

// exerciseChatsInboundEvent stores a provider message's event in the
// message's transaction: the delivery is queued and named on the message,
// a duplicate queues nothing more, and an event that cannot be built
// leaves no trace, so that the provider's retry is taken as new.
func exerciseChatsInboundEvent(t *testing.T, open Open) {
	ctx := context.Background()
	s, ds, f, i, conn := chatStores(t, open, "event-sms")
	all := hookline.AdminScope()
	tmpl := func() *hookline.Chat {
		return &hookline.Chat{CompanyID: f.A1.ID, IntegrationID: i.ID, ConnectionID: conn.ID, ConnectionType: conn.Type, ConnectionCode: conn.Code, Contact: "+1999"}
	}
	calls := 0
	counted := func(chat *hookline.Chat, m *hookline.ChatMessage) (*hookline.Delivery, error) {
		calls++
		if m.ID != 0 || m.CreatedAt.IsZero() || m.ChatID != chat.ID {
			t.Errorf("the event was given message %+v", m)
		}
		return messageEvent(i)(chat, m)
	}
	res, err := s.AddInbound(ctx, tmpl(), &hookline.ChatMessage{ProviderID: "EV1", Text: "one"}, counted)
	if err != nil || res.Duplicate || res.Delivery == nil || res.Delivery.ID == 0 || !slices.Equal(res.Message.DeliveryIDs, []int64{res.Delivery.ID}) {
		t.Fatalf("first: %+v, %v", res, err)
	}
	d, err := ds.FindDelivery(ctx, all, res.Delivery.ID)
	if err != nil || d.Status != hookline.DeliveryPending || d.OrderingKey != fmt.Sprintf("chat-%d", res.Chat.ID) || string(d.Request.Body) != "one" || d.MessageID != res.Delivery.MessageID {
		t.Fatalf("the event's delivery %+v, %v", d, err)
	}
	msgs, err := s.FindChatMessages(ctx, res.Chat.ID)
	if err != nil || len(msgs) != 1 || !slices.Equal(msgs[0].DeliveryIDs, []int64{d.ID}) {
		t.Fatalf("stored messages %+v, %v", msgs, err)
	}
	dup, err := s.AddInbound(ctx, tmpl(), &hookline.ChatMessage{ProviderID: "EV1", Text: "one"}, counted)
	if err != nil || !dup.Duplicate || dup.Delivery != nil || !slices.Equal(dup.Message.DeliveryIDs, []int64{d.ID}) || calls != 1 {
		t.Fatalf("duplicate: %+v, %v, the event built %d times", dup, err, calls)
	}

	failing := func(*hookline.Chat, *hookline.ChatMessage) (*hookline.Delivery, error) {
		return nil, hookline.Invalid("body_fields", "cannot render")
	}
	_, err = s.AddInbound(ctx, tmpl(), &hookline.ChatMessage{ProviderID: "EV2", Text: "two"}, failing)
	wantCode(t, err, hookline.CodeInvalid, "body_fields")
	if msgs, _ := s.FindChatMessages(ctx, res.Chat.ID); len(msgs) != 1 {
		t.Fatalf("a message whose event failed was stored: %+v", msgs)
	}
	retry, err := s.AddInbound(ctx, tmpl(), &hookline.ChatMessage{ProviderID: "EV2", Text: "two"}, counted)
	if err != nil || retry.Duplicate || retry.Delivery == nil {
		t.Fatalf("the provider's retry after a failed event: %+v, %v", retry, err)
	}
	none := func(*hookline.Chat, *hookline.ChatMessage) (*hookline.Delivery, error) { return nil, nil }
	quiet, err := s.AddInbound(ctx, tmpl(), &hookline.ChatMessage{ProviderID: "EV3", Text: "three"}, none)
	if err != nil || quiet.Delivery != nil || len(quiet.Message.DeliveryIDs) != 0 {
		t.Fatalf("a message without an event: %+v, %v", quiet, err)
	}
	key := fmt.Sprintf("chat-%d", res.Chat.ID)
	queued, err := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: all, OrderingKey: &key})
	if err != nil || len(queued) != 2 {
		t.Fatalf("deliveries on the chat's key: %d, %v", len(queued), err)
	}
}

// exerciseChatsInboundTogether takes provider messages of many contacts
// at once, as a busy connection does, so that they share transactions:
// each contact has one chat with its messages in the order it sent them,
// a provider message sent twice at once is stored once, with one event,
// and each message names its event's delivery.
func exerciseChatsInboundTogether(t *testing.T, open Open) {
	ctx := context.Background()
	s, ds, f, i, conn := chatStores(t, open, "busy-sms")
	all := hookline.AdminScope()
	const contacts, each = 16, 4
	var wg sync.WaitGroup
	errs := make(chan error, contacts*each*2)
	chats := make([]int64, contacts)
	for c := range contacts {
		wg.Go(func() {
			contact := fmt.Sprintf("+1555000%04d", c)
			tmpl := hookline.Chat{CompanyID: f.A1.ID, IntegrationID: i.ID, ConnectionID: conn.ID, ConnectionType: conn.Type, ConnectionCode: conn.Code, Contact: contact}
			for n := range each {
				// Every message comes twice at once, as a provider's retry
				// racing its first attempt.
				results := make(chan *hookline.InboundResult, 2)
				var pair sync.WaitGroup
				for range 2 {
					pair.Go(func() {
						t := tmpl
						res, err := s.AddInbound(ctx, &t, &hookline.ChatMessage{ProviderID: fmt.Sprintf("SM-%d-%d", c, n), Text: fmt.Sprint(n)}, messageEvent(i))
						if err != nil {
							errs <- err
							return
						}
						results <- res
					})
				}
				pair.Wait()
				close(results)
				fresh := 0
				for res := range results {
					if !res.Duplicate {
						fresh++
						chats[c] = res.Chat.ID
					}
				}
				if fresh != 1 {
					errs <- fmt.Errorf("contact %d, message %d: stored %d times", c, n, fresh)
				}
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
	for c, chat := range chats {
		msgs, err := s.FindChatMessages(ctx, chat)
		if err != nil || len(msgs) != each {
			t.Fatalf("contact %d: %d messages, %v", c, len(msgs), err)
		}
		key := fmt.Sprintf("chat-%d", chat)
		queued, err := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: all, OrderingKey: &key})
		if err != nil || len(queued) != each {
			t.Fatalf("contact %d: %d deliveries on its key, %v", c, len(queued), err)
		}
		for n, m := range msgs {
			// The list is newest first.
			d := queued[each-1-n]
			if m.Text != fmt.Sprint(n) || !slices.Equal(m.DeliveryIDs, []int64{d.ID}) || string(d.Request.Body) != m.Text {
				t.Fatalf("contact %d, message %d: %+v, its delivery %+v", c, n, m, d)
			}
		}
	}
}

// exerciseQueueAndChatWritesTogether queues deliveries, stores provider messages with
// their events and records the queue's outcomes all at once, as a busy
// process does (on SQLite they share transactions): every delivery ends
// succeeded with exactly one attempt, and every message names its event's
// delivery.
func exerciseQueueAndChatWritesTogether(t *testing.T, open Open) {
	ctx := context.Background()
	s, ds, f, i, conn := chatStores(t, open, "together-sms")
	const creators, perCreator, contacts, perContact = 4, 40, 4, 10
	const total = creators*perCreator + contacts*perContact
	errs := make(chan error, total)
	var writers sync.WaitGroup
	for c := range creators {
		writers.Go(func() {
			for n := range perCreator {
				now := time.Now()
				d := &hookline.Delivery{MessageID: fmt.Sprintf("msg_together_%d_%d", c, n), CompanyID: f.A1.ID,
					TargetKind: hookline.TargetWebhook, TargetID: 1, OrderingKey: fmt.Sprintf("c%d-%d", c, n), NextAttemptAt: &now,
					Request: hookline.DeliveryRequest{Method: "POST", URL: "https://example.com/hook", Body: []byte(`{}`)}}
				if _, _, err := ds.CreateDelivery(ctx, d, nil); err != nil {
					errs <- err
				}
			}
		})
	}
	for c := range contacts {
		writers.Go(func() {
			tmpl := hookline.Chat{CompanyID: f.A1.ID, IntegrationID: i.ID, ConnectionID: conn.ID, ConnectionType: conn.Type, ConnectionCode: conn.Code, Contact: fmt.Sprintf("+1666%d", c)}
			for n := range perContact {
				chat := tmpl
				if _, err := s.AddInbound(ctx, &chat, &hookline.ChatMessage{ProviderID: fmt.Sprintf("T-%d-%d", c, n), Text: fmt.Sprint(n)}, messageEvent(i)); err != nil {
					errs <- err
				}
			}
		})
	}
	// The queue's side: lease what is due and record it as sent, until
	// everything queued has succeeded or the time is up.
	writing := make(chan struct{})
	go func() { writers.Wait(); close(writing) }()
	done, deadline := 0, time.Now().Add(30*time.Second)
	for done < total && time.Now().Before(deadline) {
		got, err := ds.LeaseDeliveries(ctx, hookline.LeaseRequest{Token: fmt.Sprint("together-", done), Limit: 16, PerTarget: 1000, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []hookline.DeliveryOutcome
		for _, d := range got {
			outcomes = append(outcomes, succeeded(d))
		}
		if err := ds.CompleteDeliveries(ctx, outcomes); err != nil {
			t.Fatal(err)
		}
		done += len(got)
		if len(got) == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	<-writing
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	all, err := ds.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: hookline.AdminScope(), Limit: 2 * total})
	if err != nil || len(all) != total {
		t.Fatalf("%d deliveries stored, want %d: %v", len(all), total, err)
	}
	events := map[int64]bool{}
	for _, d := range all {
		full, err := ds.FindDelivery(ctx, hookline.AdminScope(), d.ID)
		if err != nil || full.Status != hookline.DeliverySucceeded || full.AttemptCount != 1 || len(full.Attempts) != 1 {
			t.Fatalf("delivery %d: %+v, %v", d.ID, full, err)
		}
		if d.TargetKind == hookline.TargetIntegration {
			events[d.ID] = true
		}
	}
	chats, err := s.FindChats(ctx, hookline.ChatFilter{Scope: hookline.AdminScope(), IntegrationID: i.ID})
	if err != nil || len(chats) != contacts {
		t.Fatalf("%d chats, %v", len(chats), err)
	}
	for _, chat := range chats {
		msgs, err := s.FindChatMessages(ctx, chat.ID)
		if err != nil || len(msgs) != perContact {
			t.Fatalf("chat %d: %d messages, %v", chat.ID, len(msgs), err)
		}
		for _, m := range msgs {
			if len(m.DeliveryIDs) != 1 || !events[m.DeliveryIDs[0]] {
				t.Fatalf("message %d names %v, not its event's delivery", m.ID, m.DeliveryIDs)
			}
			delete(events, m.DeliveryIDs[0])
		}
	}
	if len(events) != 0 {
		t.Fatalf("%d events belong to no message", len(events))
	}
}
