package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

const ticketBot = `{
  "name": "Tickets",
  "start": 1,
  "modules": [
    {"id": 1, "type": "collector", "key": "ticket_id", "prompt": "Your ticket number?", "validate": {"type": "number"},
     "retry_prompt": "A number, please.",
     "connections": [{"webhooks": ["Ticket lookup"], "on_failure": 4, "to": 2}]},
    {"id": 2, "type": "message", "text": "Ticket {{certainly.extractedData.ticket_id}} is {{certainly.customVariables.ticket_status}}.",
     "connections": [{"to": 3}]},
    {"id": 3, "type": "end", "text": "Bye"},
    {"id": 4, "type": "end", "text": "The ticket system is down."}
  ],
  "global_connections": [{"condition": "certainly.reply | lower == 'restart'", "to": 1}]
}`

// ticketLookup is seed 002's webhook: it maps the ticket's status.
func ticketLookup(url string) hookline.WebhookDefinition {
	return hookline.WebhookDefinition{Name: "Ticket lookup", Method: "GET", URL: url + "/tickets/{{certainly.extractedData.ticket_id}}",
		CustomVariables: []hookline.CustomVariable{{Name: "ticket_status", Mapper: "{{ticket.status}}"}}}
}

// TestDialogCollectsCallsAndAnswers: the bot asks, refuses an invalid
// answer, calls the webhook with the collected value, answers with the
// variable it mapped and ends the session; the next message starts a new
// one. A failing webhook takes on_failure.
func TestDialogCollectsCallsAndAnswers(t *testing.T) {
	e := sqliteEnv(t, nil)
	c := e.company("Acme")
	up := newReceiver(t, func(string) (int, string) { return 200, `{"ticket": {"id": 388, "status": "open"}}` })
	e.webhook(c, ticketLookup(up.URL))
	b := e.createBot(c, ticketBot)

	r1, got := e.say(b, "ada", "hi")
	if !slices.Equal(got, []string{"Your ticket number?"}) || r1.SessionID == 0 {
		t.Fatalf("first message: %q (session %d)", got, r1.SessionID)
	}
	if _, got = e.say(b, "ada", "soon"); !slices.Equal(got, []string{"A number, please."}) {
		t.Fatalf("invalid answer: %q", got)
	}
	r3, got := e.say(b, "ada", " 388 ")
	if !slices.Equal(got, []string{"Ticket 388 is open.", "Bye"}) || r3.SessionID != r1.SessionID {
		t.Fatalf("valid answer: %q (session %d)", got, r3.SessionID)
	}
	if bodies := up.received(); len(bodies) != 1 {
		t.Fatalf("the webhook was called %d times", len(bodies))
	}

	sess, err := e.svc.FindBotSession(context.Background(), c, r1.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.State != hookline.SessionEnded || sess.EndReason != hookline.EndReasonEnd || sess.Steps != 3 || len(sess.History) != 3 ||
		string(sess.ExtractedData) != `{"ticket_id":388}` || string(sess.Variables) != `{"ticket_status":"open"}` || string(sess.ReplyData) != `{"ticket_id":388}` {
		t.Fatalf("session = %+v", sess)
	}
	st := sess.History[2]
	if !slices.Equal(st.Modules, []int64{2, 3}) || len(st.Webhooks) != 1 || st.Webhooks[0].Status != hookline.OutcomeSucceeded ||
		st.Webhooks[0].HTTPStatus != 200 || st.Webhooks[0].Name != "Ticket lookup" || st.Webhooks[0].Connection != "modules[0].connections[0]" {
		t.Fatalf("step 3 = %+v", st)
	}
	if len(sess.History[1].Notes) != 1 || !strings.Contains(sess.History[1].Notes[0], "not valid") {
		t.Fatalf("step 2 notes = %q", sess.History[1].Notes)
	}

	// An ended session: the next message starts a new one at start.
	r4, got := e.say(b, "ada", "hello again")
	if !slices.Equal(got, []string{"Your ticket number?"}) || r4.SessionID == r1.SessionID {
		t.Fatalf("after the end: %q (session %d, was %d)", got, r4.SessionID, r1.SessionID)
	}

	// A failing webhook takes on_failure.
	up.mu.Lock()
	up.answer = func(string) (int, string) { return 503, `{"error": "down"}` }
	up.mu.Unlock()
	if _, got = e.say(b, "ada", "42"); !slices.Equal(got, []string{"The ticket system is down."}) {
		t.Fatalf("failing webhook: %q", got)
	}
	sess, _ = e.svc.FindBotSession(context.Background(), c, r4.SessionID)
	w := sess.History[1].Webhooks[0]
	if w.Status != hookline.OutcomeFailed || w.ErrorKind != hookline.ErrHTTPStatus || w.HTTPStatus != 503 || !slices.Equal(sess.History[1].Modules, []int64{4}) {
		t.Fatalf("failed outcome = %+v, modules %v", w, sess.History[1].Modules)
	}
}

// TestWebhookFailureWithoutOnFailure: the bot says the error message and
// stays where it is; the user can answer again.
func TestWebhookFailureWithoutOnFailure(t *testing.T) {
	e := sqliteEnv(t, nil)
	c := e.company("Acme")
	fail := true
	up := newReceiver(t, func(string) (int, string) {
		if fail {
			return 500, `{}`
		}
		return 200, `{"ticket": {"status": "closed"}}`
	})
	e.webhook(c, ticketLookup(up.URL))
	doc := strings.Replace(ticketBot, `"on_failure": 4, `, "", 1)
	doc = strings.Replace(doc, `"name": "Tickets"`, `"name": "Tickets", "settings": {"error_message": "Hm, {{certainly.from}}, try again later."}`, 1)
	b := e.createBot(c, doc)
	e.say(b, "bob", "hi")
	if _, got := e.say(b, "bob", "7"); !slices.Equal(got, []string{"Hm, bob, try again later."}) {
		t.Fatalf("failure: %q", got)
	}
	fail = false
	if _, got := e.say(b, "bob", "7"); !slices.Equal(got, []string{"Ticket 7 is closed.", "Bye"}) {
		t.Fatalf("answered again: %q", got)
	}
}

// TestTemplateContext: texts render against the context of DESIGN.md:
// numbers for sessionId and moduleId, from, to (the channel), direction,
// the conversation alias, the customData path and the attached media.
func TestTemplateContext(t *testing.T) {
	e := sqliteEnv(t, nil)
	c := e.company("Acme")
	b := e.createBot(c, `{"name": "Context", "start": 5, "modules": [
	  {"id": 5, "type": "message", "text": "{{ certainly.sessionId + 1000 }}|{{ certainly.moduleId * 2 }}|{{ certainly.from }}|{{ certainly.to }}|{{ certainly.direction }}|{{ conversation.reply }}|{{ context.session.BotUserSession.lastMessage.customData.userToken }}|{{ certainly.attachedMedia }}|{{ certainly.botId }}|{{ fb is defined }}"},
	  {"id": 6, "type": "end", "text": {"type": "quick_replies", "text": "{{ certainly.reply|upper }}", "replies": [{"title": "ok", "payload": "{{ certainly.moduleId }}"}]}}
	], "global_connections": [{"condition": "certainly.reply == 'bye'", "to": 6}]}`)
	r, got := e.sayOn(b, hookline.InboundMessage{ChannelID: 12, ChannelName: "web", From: "u-1", To: "st-1", Text: "hello",
		CustomData: json.RawMessage(`{"userToken": "tok-9"}`), Attachments: json.RawMessage(`["https://example.com/a.png"]`)})
	want := fmt.Sprintf("%d|10|u-1|12|in|hello|tok-9|https://example.com/a.png|%d|False", r.SessionID+1000, b.ID)
	if len(got) != 1 || got[0] != want {
		t.Fatalf("context = %q\nwant      %q", got, want)
	}
	// A JSON object text is a template message: its string values render.
	r2, _ := e.sayOn(b, hookline.InboundMessage{ChannelID: 12, ChannelName: "web", From: "u-1", Text: "bye"})
	if len(r2.Text) != 1 || string(r2.Text[0]) != `{"type":"quick_replies","text":"BYE","replies":[{"title":"ok","payload":"6"}]}` {
		t.Fatalf("template message = %s", r2.Text)
	}
}

// TestOverridesPerChannel: a module's text has per-channel alternatives.
func TestOverridesPerChannel(t *testing.T) {
	e := sqliteEnv(t, nil)
	c := e.company("Acme")
	b := e.createBot(c, `{"name": "Hello", "start": 1, "modules": [
	  {"id": 1, "type": "collector", "key": "name", "prompt": "What is your name? Type it below.", "overrides": {"sms": "Name?"}, "connections": [{"to": 2}]},
	  {"id": 2, "type": "end", "text": "Hello {{certainly.extractedData.name}}!", "overrides": {"web": {"type": "card", "title": "Hello {{certainly.extractedData.name}}"}}}
	]}`)
	_, got := e.sayOn(b, hookline.InboundMessage{ChannelID: 1, ChannelName: "sms", From: "x", Text: "hi"})
	if !slices.Equal(got, []string{"Name?"}) {
		t.Fatalf("sms prompt: %q", got)
	}
	_, got = e.sayOn(b, hookline.InboundMessage{ChannelID: 1, ChannelName: "sms", From: "x", Text: "Ada"})
	if !slices.Equal(got, []string{"Hello Ada!"}) {
		t.Fatalf("sms end: %q", got)
	}
	_, got = e.sayOn(b, hookline.InboundMessage{ChannelID: 2, ChannelName: "web", From: "x", Text: "hi"})
	if !slices.Equal(got, []string{"What is your name? Type it below."}) {
		t.Fatalf("web prompt: %q", got)
	}
	_, got = e.sayOn(b, hookline.InboundMessage{ChannelID: 2, ChannelName: "web", From: "x", Text: "Ada"})
	if !slices.Equal(got, []string{`{"type":"card","title":"Hello Ada"}`}) {
		t.Fatalf("web end: %q", got)
	}
}

// TestMaxSteps: a cycle of message modules ends with the error message.
func TestMaxSteps(t *testing.T) {
	e := sqliteEnv(t, nil)
	c := e.company("Acme")
	b := e.createBot(c, `{"name": "Loop", "start": 1, "settings": {"max_steps": 5}, "modules": [
	  {"id": 1, "type": "message", "text": "ping", "connections": [{"to": 2}]},
	  {"id": 2, "type": "message", "text": "pong", "connections": [{"to": 1}]}
	]}`)
	r, got := e.say(b, "x", "go")
	want := []string{"ping", "pong", "ping", "pong", "ping", hookline.DefaultBotErrorMessage}
	if !slices.Equal(got, want) {
		t.Fatalf("loop: %q", got)
	}
	sess, _ := e.svc.FindBotSession(context.Background(), c, r.SessionID)
	if notes := sess.History[0].Notes; len(notes) != 1 || !strings.Contains(notes[0], "max_steps (5)") {
		t.Fatalf("notes = %q", notes)
	}
}

// TestConnectionsInOrder: the first truthy condition is taken, with
// Python truthiness; a message module with no matching connection waits
// and meets its connections again at the next message.
func TestConnectionsInOrder(t *testing.T) {
	e := sqliteEnv(t, nil)
	c := e.company("Acme")
	b := e.createBot(c, `{"name": "Age", "start": 1, "modules": [
	  {"id": 1, "type": "collector", "key": "age", "prompt": "Age?", "validate": {"type": "number"}, "connections": [
	    {"condition": "certainly.extractedData.age >= 18", "to": 2},
	    {"condition": "certainly.extractedData.nothing", "to": 3},
	    {"condition": "certainly.extractedData.age", "to": 4}
	  ]},
	  {"id": 2, "type": "end", "text": "adult"},
	  {"id": 3, "type": "end", "text": "never"},
	  {"id": 4, "type": "message", "text": "minor; say ok", "connections": [{"condition": "certainly.reply == 'ok'", "to": 2}]}
	]}`)
	e.say(b, "a", "hi")
	if _, got := e.say(b, "a", "30"); !slices.Equal(got, []string{"adult"}) {
		t.Fatalf("30: %q", got)
	}
	e.say(b, "b", "hi")
	if _, got := e.say(b, "b", "0"); len(got) != 0 {
		// 0 is falsy: no connection is taken, the collector stays.
		t.Fatalf("0: %q", got)
	}
	if _, got := e.say(b, "b", "12"); !slices.Equal(got, []string{"minor; say ok"}) {
		t.Fatalf("12: %q", got)
	}
	if _, got := e.say(b, "b", "no"); len(got) != 0 {
		t.Fatalf("waiting module, no match: %q", got)
	}
	if _, got := e.say(b, "b", "ok"); !slices.Equal(got, []string{"adult"}) {
		t.Fatalf("waiting module, match: %q", got)
	}
}

// TestIdleTimeout: a session idle for longer than the bot's timeout ends,
// and the next message starts a new one; the sweep ends the others.
func TestIdleTimeout(t *testing.T) {
	e := sqliteEnv(t, nil)
	c := e.company("Acme")
	b := e.createBot(c, `{"name": "Idle", "start": 1, "settings": {"idle_timeout": "10m"}, "modules": [
	  {"id": 1, "type": "collector", "key": "x", "prompt": "x?", "connections": [{"to": 1}]}
	]}`)
	r1, _ := e.say(b, "one", "hi")
	r2, _ := e.say(b, "two", "hi")
	e.clock.Add(9 * time.Minute)
	if r, _ := e.say(b, "one", "still here"); r.SessionID != r1.SessionID {
		t.Fatal("a session within its idle timeout was replaced")
	}
	e.clock.Add(11 * time.Minute)
	r3, got := e.say(b, "one", "back")
	if r3.SessionID == r1.SessionID || !slices.Equal(got, []string{"x?"}) {
		t.Fatalf("after the idle timeout: session %d (was %d), %q", r3.SessionID, r1.SessionID, got)
	}
	old, _ := e.svc.FindBotSession(context.Background(), c, r1.SessionID)
	if old.State != hookline.SessionEnded || old.EndReason != hookline.EndReasonIdle {
		t.Fatalf("the idle session is %s (%s)", old.State, old.EndReason)
	}
	n, err := e.rt.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep ended %d, %v; want 1 (user two's)", n, err)
	}
	two, _ := e.svc.FindBotSession(context.Background(), c, r2.SessionID)
	if two.State != hookline.SessionEnded || two.EndReason != hookline.EndReasonIdle {
		t.Fatalf("swept session is %s", two.State)
	}
	if n, _ := e.rt.Sweep(context.Background()); n != 0 {
		t.Fatalf("a second sweep ended %d", n)
	}
	m, err := e.svc.BotMetrics(context.Background(), c, b.ID, hookline.BotMetricsQuery{From: e.clock.Now().Add(-2 * time.Hour), To: e.clock.Now().Add(time.Hour)})
	if err != nil || len(m.Channels) != 1 || m.Channels[0].Totals.SessionsStarted != 3 || m.Channels[0].Totals.SessionsEnded != 2 || m.Channels[0].Totals.MessagesIn != 4 {
		t.Fatalf("metrics = %+v, %v", m, err)
	}
}
