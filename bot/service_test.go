package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/bot"
)

func wantErr(t *testing.T, err error, code hookline.Code, field, inMessage string) {
	t.Helper()
	if hookline.ErrorCode(err) != code || hookline.ErrorField(err) != field || !strings.Contains(hookline.ErrorMessage(err), inMessage) {
		t.Fatalf("got %v (code %s, field %q); want %s, field %q, message with %q", err, hookline.ErrorCode(err), hookline.ErrorField(err), code, field, inMessage)
	}
}

// channels is a BotChannels that keeps what it is given.
type channels struct {
	byBot map[int64][]hookline.BotChannelDoc
	fail  error
}

func (c *channels) ExportChannels(_ context.Context, botID int64) ([]hookline.BotChannelDoc, error) {
	return c.byBot[botID], nil
}

func (c *channels) ImportChannels(_ context.Context, companyID, botID int64, cs []hookline.BotChannelDoc) error {
	if c.fail != nil {
		return c.fail
	}
	c.byBot[botID] = cs
	return nil
}

// TestExportImport: export names webhooks; the document imports into
// another company, whose webhooks of those names it then uses, with its
// channels; a name that company lacks is a 400 naming where it is used.
func TestExportImport(t *testing.T) {
	e := sqliteEnv(t, nil)
	ch := &channels{byBot: map[int64][]hookline.BotChannelDoc{}}
	e.svc.UseChannels(ch)
	ctx := context.Background()
	acme, other := e.company("Acme"), e.company("Other")
	up := newReceiver(t, func(string) (int, string) { return 200, `{"ticket": {"status": "open"}}` })
	w := e.webhook(acme, ticketLookup(up.URL))
	b := e.createBot(acme, ticketBot)
	if got := b.Modules[0].Connections[0].Webhooks[0]; got.ID != w.ID {
		t.Fatalf("the name was stored as %+v, want id %d", got, w.ID)
	}
	ch.byBot[b.ID] = []hookline.BotChannelDoc{{Name: "web", Type: "webhook", Mode: "async", PostURL: "https://example.com/in"}}

	for _, format := range []hookline.BotFormat{hookline.BotJSON, hookline.BotYAML} {
		doc, err := e.svc.ExportBot(ctx, acme, b.ID, format)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "Ticket lookup") || strings.Contains(string(doc), "company_id") || !strings.Contains(string(doc), "post_url") {
			t.Fatalf("%s export:\n%s", format, doc)
		}
		// Another company without the webhook: a 400 naming the path.
		_, err = e.svc.CreateBot(ctx, other, hookline.BotSource{Data: doc, Format: format})
		wantErr(t, err, hookline.CodeInvalid, "modules[0].connections[0].webhooks[0]", `no webhook named "Ticket lookup"`)
	}
	ow := e.webhook(other, ticketLookup(up.URL))
	doc, _ := e.svc.ExportBot(ctx, acme, b.ID, hookline.BotYAML)
	imported, err := e.svc.CreateBot(ctx, other, hookline.BotSource{Data: doc, Format: hookline.BotYAML})
	if err != nil {
		t.Fatal(err)
	}
	if imported.CompanyID != other.Tenant.ID || imported.Modules[0].Connections[0].Webhooks[0].ID != ow.ID {
		t.Fatalf("imported = %+v", imported)
	}
	if got := ch.byBot[imported.ID]; len(got) != 1 || got[0].Name != "web" {
		t.Fatalf("imported channels = %+v", got)
	}
	// The same document exported from either bot reads the same.
	again, _ := e.svc.ExportBot(ctx, other, imported.ID, hookline.BotYAML)
	if string(again) != string(doc) {
		t.Fatalf("round trip changed the document:\n%s\n---\n%s", doc, again)
	}
	// A failed channel import keeps no bot.
	ch.fail = errors.New("channels are down")
	_, err = e.svc.CreateBot(ctx, other, hookline.BotSource{Data: []byte(strings.Replace(string(doc), "name: Tickets", "name: Tickets 2", 1)), Format: hookline.BotYAML})
	if err == nil {
		t.Fatal("a failed channel import was accepted")
	}
	page, _ := e.svc.FindBots(ctx, other, 0, hookline.PageRequest{})
	if len(page.Items) != 1 {
		t.Fatalf("the failed import left %d bots", len(page.Items))
	}
}

// TestServiceRules: ids must be the company's, a used webhook cannot be
// deleted, PUT keeps the company, channels need a channel service.
func TestServiceRules(t *testing.T) {
	e := sqliteEnv(t, nil)
	ctx := context.Background()
	acme, other := e.company("Acme"), e.company("Other")
	w := e.webhook(acme, ticketLookup("https://example.com"))
	foreign := e.webhook(other, ticketLookup("https://example.com"))
	byID := strings.Replace(ticketBot, `["Ticket lookup"]`, "[WID]", 1)
	_, err := e.svc.CreateBot(ctx, acme, hookline.BotSource{Data: []byte(strings.Replace(byID, "WID", jsonInt(foreign.ID), 1))})
	wantErr(t, err, hookline.CodeNotFound, "modules[0].connections[0].webhooks[0]", "not found")
	b, err := e.svc.CreateBot(ctx, acme, hookline.BotSource{Data: []byte(strings.Replace(byID, "WID", jsonInt(w.ID), 1))})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.webhooks.DeleteWebhook(ctx, acme.Scope(), w.ID), hookline.CodeConflict, "", `"Tickets"`)

	_, err = e.svc.CreateBot(ctx, acme, hookline.BotSource{Data: []byte(`{"name": "x", "start": 1, "modules": [{"id": 1, "type": "end", "text": "{{ x"}]}`)})
	wantErr(t, err, hookline.CodeInvalid, "modules[0].text", "line 1")
	_, err = e.svc.CreateBot(ctx, acme, hookline.BotSource{Data: []byte(`{"name": "x", "start": 1, "modules": [{"id": 1, "type": "end", "text": "x"}], "channels": [{"name": "w", "type": "webhook", "mode": "sync"}]}`)})
	wantErr(t, err, hookline.CodeInvalid, "channels", "no channel service")

	// PUT: YAML, the company stays.
	yaml := "company_id: " + jsonInt(other.Tenant.ID) + "\nname: Tickets\nstart: 1\nmodules:\n  - {id: 1, type: end, text: Closed}\n"
	_, err = e.svc.ReplaceBot(ctx, acme, b.ID, hookline.BotSource{Data: []byte(yaml), Format: hookline.BotYAML})
	wantErr(t, err, hookline.CodeInvalid, "company_id", "stays in its company")
	replaced, err := e.svc.ReplaceBot(ctx, acme, b.ID, hookline.BotSource{Data: []byte(yaml[strings.Index(yaml, "\n")+1:]), Format: hookline.BotYAML})
	if err != nil || replaced.Version != 2 || len(replaced.Modules) != 1 {
		t.Fatalf("replaced = %+v, %v", replaced, err)
	}
	// The webhook is free again.
	if err := e.webhooks.DeleteWebhook(ctx, acme.Scope(), w.ID); err != nil {
		t.Fatal(err)
	}
	// Another company sees nothing.
	_, err = e.svc.FindBot(ctx, other, b.ID)
	wantErr(t, err, hookline.CodeNotFound, "", "")
	_, err = e.svc.TryBot(ctx, other, b.ID, hookline.BotTryInput{Text: ptr("hi")})
	wantErr(t, err, hookline.CodeNotFound, "", "")
	r, err := e.svc.TryBot(ctx, acme, b.ID, hookline.BotTryInput{Text: ptr("hi")})
	if err != nil || len(r.Text) != 1 || string(r.Text[0]) != `"Closed"` || r.SessionID == 0 {
		t.Fatalf("try = %+v, %v", r, err)
	}
	_, err = e.svc.TryBot(ctx, acme, b.ID, hookline.BotTryInput{})
	wantErr(t, err, hookline.CodeInvalid, "text", "missing")
	s, err := e.svc.FindBotSession(ctx, acme, r.SessionID)
	if err != nil || s.ChannelID != 0 || s.From != "try" {
		t.Fatalf("try session = %+v, %v", s, err)
	}
	if err := e.svc.DeleteBot(ctx, acme, b.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FindBotSession(ctx, acme, r.SessionID)
	wantErr(t, err, hookline.CodeNotFound, "", "")
}

// TestImportIntoCompany: a form's "Assign to" names the company a
// document goes to: an admin key imports a document without company_id
// into it, and a document naming another company is a 400 naming
// company_id.
func TestImportIntoCompany(t *testing.T) {
	e := sqliteEnv(t, nil)
	ctx := context.Background()
	acme, other := e.company("Acme"), e.company("Other")
	admin := &hookline.Caller{}
	doc := []byte("name: Hello\nstart: 1\nmodules:\n  - {id: 1, type: end, text: Hi}\n")
	_, err := e.svc.CreateBot(ctx, admin, hookline.BotSource{Data: doc, Format: hookline.BotYAML})
	wantErr(t, err, hookline.CodeInvalid, "company_id", "")
	b, err := e.svc.CreateBot(ctx, admin, hookline.BotSource{Data: doc, Format: hookline.BotYAML, CompanyID: &acme.Tenant.ID})
	if err != nil || b.CompanyID != acme.Tenant.ID {
		t.Fatalf("imported into Acme: %+v, %v", b, err)
	}
	named := append([]byte("company_id: "+jsonInt(other.Tenant.ID)+"\n"), doc...)
	_, err = e.svc.CreateBot(ctx, admin, hookline.BotSource{Data: named, Format: hookline.BotYAML, CompanyID: &acme.Tenant.ID})
	wantErr(t, err, hookline.CodeInvalid, "company_id", "imported into company")
	// A company key cannot import into another company by naming it.
	_, err = e.svc.CreateBot(ctx, acme, hookline.BotSource{Data: doc, Format: hookline.BotYAML, CompanyID: &other.Tenant.ID})
	wantErr(t, err, hookline.CodeNotFound, "company_id", "not found")
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func ptr[T any](v T) *T { return &v }

// TestAsyncWebhook: an async webhook of a connection is queued with the
// session as ordering key and the dialog goes on at once; a step run again
// queues it only once.
func TestAsyncWebhook(t *testing.T) {
	e := sqliteEnv(t, nil)
	ctx := context.Background()
	c := e.company("Acme")
	w := e.webhook(c, hookline.WebhookDefinition{Name: "CRM", Method: "POST", URL: "https://crm.example.com/leads", Execution: hookline.ExecutionAsync,
		Body: `{"email": "{{certainly.extractedData.email}}", "session": {{certainly.sessionId}}}`})
	b := e.createBot(c, `{"name": "Leads", "start": 1, "modules": [
	  {"id": 1, "type": "collector", "key": "email", "prompt": "E-mail?", "validate": {"type": "email"}, "connections": [{"webhooks": ["CRM"], "to": 2}]},
	  {"id": 2, "type": "end", "text": "Thanks"}
	]}`)
	r, _ := e.say(b, "lead", "hi")
	if _, got := e.say(b, "lead", "ada@example.com"); len(got) != 1 || got[0] != "Thanks" {
		t.Fatalf("replies = %q", got)
	}
	s, _ := e.svc.FindBotSession(ctx, c, r.SessionID)
	out := s.History[1].Webhooks
	if len(out) != 1 || out[0].Kind != hookline.ExecutionAsync || out[0].Status != hookline.OutcomeQueued || out[0].DeliveryID == 0 {
		t.Fatalf("outcome = %+v", out)
	}
	d, err := e.queue.FindDelivery(ctx, c.Scope(), out[0].DeliveryID)
	if err != nil || d.TargetID != w.ID || d.OrderingKey != "bot-session-"+jsonInt(r.SessionID) || !strings.Contains(string(d.Request.Body), `"ada@example.com"`) {
		t.Fatalf("delivery = %+v, %v", d, err)
	}
	m, _ := e.svc.BotMetrics(ctx, c, b.ID, hookline.BotMetricsQuery{})
	if len(m.Channels) != 1 || m.Channels[0].Totals.WebhookCalls["queued"] != 1 || m.Channels[0].Totals.MessagesOut != 2 {
		t.Fatalf("metrics = %+v", m)
	}
	list, _ := e.queue.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: c.Scope()})
	if len(list) != 1 {
		t.Fatalf("%d deliveries queued", len(list))
	}
}

// failOnce fails the first save of a step, as a crash between a step's
// webhooks and its commit would leave it.
type failOnce struct {
	hookline.BotSessionStore
	failed bool
}

func (f *failOnce) SaveBotStep(ctx context.Context, rec *hookline.BotStepRecord) error {
	if !f.failed && rec.Step.N > 1 {
		f.failed = true
		return hookline.Errorf(hookline.CodeUnavailable, "the database is busy")
	}
	return f.BotSessionStore.SaveBotStep(ctx, rec)
}

// TestAsyncWebhookOnceAcrossRetries: a step whose save failed runs again
// from the inbox; its async webhook, queued the first time, is not queued
// a second time.
func TestAsyncWebhookOnceAcrossRetries(t *testing.T) {
	out := &sink{}
	e := sqliteEnv(t, out, func(c *bot.Config) { c.Sessions = &failOnce{BotSessionStore: c.Sessions} })
	ctx := context.Background()
	c := e.company("Acme")
	e.webhook(c, hookline.WebhookDefinition{Name: "CRM", Method: "POST", URL: "https://crm.example.com/leads", Execution: hookline.ExecutionAsync,
		Body: `{"email": "{{certainly.extractedData.email}}"}`})
	b := e.createBot(c, `{"name": "Leads", "start": 1, "modules": [
	  {"id": 1, "type": "collector", "key": "email", "prompt": "E-mail?", "connections": [{"webhooks": ["CRM"], "to": 2}]},
	  {"id": 2, "type": "end", "text": "Thanks"}
	]}`)
	e.rt.Start()
	accept(t, e, b, "lead", "hi")
	accept(t, e, b, "lead", "ada@example.com")
	waitFor(t, "both replies", func() bool { return len(out.handed()) == 2 })
	if got := out.repliesOf("lead"); len(got) != 2 || got[1] != "Thanks" {
		t.Fatalf("replies = %q", got)
	}
	list, _ := e.queue.FindDeliveries(ctx, hookline.DeliveryFilter{Scope: c.Scope()})
	if len(list) != 1 {
		t.Fatalf("%d deliveries queued for one step run twice", len(list))
	}
}
